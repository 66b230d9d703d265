"""Split by star (deterministic, white dwarfs held out) and inverse-density label weights."""

import math

import numpy as np
import pytest

from bossnet_gui.training.library import LABELS, MILES, STELIB, STAR, WHITE_DWARF, LabelledStar, label_vector, star_key, stelib_kind
from bossnet_gui.training.split import OOD, UNUSED, split_by_star
from bossnet_gui.training.weighting import inverse_density_weights


def star(spectrum_id, key, library=MILES, teff=5800.0, logg=4.4, feh=0.0, kind=STAR):
    wave = np.linspace(3600, 7400, 10)
    return LabelledStar(spectrum_id, key, library, "G2V", wave, np.ones(10), label_vector(teff, logg, feh), kind, 2.5)


def sample_stars(n=200, seed=0):
    rng = np.random.default_rng(seed)
    stars = []
    for i in range(n):
        teff = float(rng.uniform(3500, 9000))
        stars.append(star(f"MILES m{i:04d}", f"HD{i:06d}", teff=teff, logg=float(rng.uniform(0.5, 5)), feh=float(rng.normal(-0.3, 0.4))))
        if i % 5 == 0:  # the same star also in STELIB
            stars.append(star(f"STELIB HD{i:06d}", f"HD{i:06d}", STELIB, teff=teff + 50))
    stars.append(star("STELIB LTT4364", "LTT4364", STELIB, teff=math.nan, logg=math.nan, feh=math.nan, kind=WHITE_DWARF))
    stars.append(star("STELIB HD033133", "HD033133", STELIB, teff=math.nan, logg=math.nan, feh=math.nan))
    return stars


def test_split_is_by_star_and_deterministic():
    stars = sample_stars()
    split = split_by_star(stars, seed=3)
    assert split == split_by_star(stars, seed=3)
    assert split != split_by_star(stars, seed=4)
    by_star = {}
    for s in stars:
        by_star.setdefault(s.star, set()).add(split[s.spectrum_id])
    assert all(len(parts) == 1 for parts in by_star.values())  # both libraries' spectra on one side
    assert split["STELIB LTT4364"] == OOD and split["STELIB HD033133"] == UNUSED
    shares = {k: sum(v == k for v in split.values()) / len(split) for k in ("train", "validation", "test")}
    assert 0.6 < shares["train"] < 0.8 and 0.1 < shares["test"] < 0.2


def test_star_keys_and_white_dwarf_types():
    assert star_key("HD053929lp") == star_key("HD053929ss") == "HD053929"
    assert star_key("HD048682A") != star_key("HD048682B")
    assert stelib_kind("DA:") == stelib_kind("DC:") == WHITE_DWARF
    assert stelib_kind("sdF5") == STAR  # metal-poor subdwarfs are ordinary stars


def test_rare_labels_weigh_more_and_missing_labels_are_tolerated():
    rng = np.random.default_rng(0)
    crowd = [label_vector(float(rng.normal(5800, 100)), float(rng.normal(4.4, 0.1)), float(rng.normal(0, 0.1))) for _ in range(300)]
    rare = [label_vector(20000.0, 4.0, 0.0), label_vector(5800.0, math.nan, math.nan)]
    weights = inverse_density_weights(np.array(crowd + rare))
    assert abs(weights.mean() - 1.0) < 1e-9
    assert weights[-2] == pytest.approx(1.5 * np.median(weights), rel=1e-6)  # the isolated star, at the default clip
    assert weights[-2] > 1.4 * np.median(weights[:300])
    wider = inverse_density_weights(np.array(crowd + rare), max_ratio=3.0)
    assert wider[-2] == pytest.approx(3.0 * np.median(wider), rel=1e-6)
    assert np.isfinite(weights).all()
    assert LABELS.index("logTeff") == 1  # label order is the published model's
