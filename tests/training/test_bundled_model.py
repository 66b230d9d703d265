"""The shipped weights: default model, size and cost limits, provenance, white dwarfs flagged."""

import math

import numpy as np
import pytest
import torch

from bossnet_gui.io import read_spectra
from bossnet_gui.model import LoadedModel, Predictor, resolve_model
from bossnet_gui.model.network import BossNet, ModelArgs
from bossnet_gui.model.weights import DEFAULT_MODEL, WEIGHTS_ENV
from bossnet_gui.spectrum import OPTICAL, Spectrum, SpectrumMeta
from bossnet_gui.training.library import WHITE_DWARF, load_stelib
from bossnet_gui.training.simulate import Augmentation
from bossnet_gui.training.views import ViewMaker

from ..conftest import DATA, REPO, require

SHIPPED = REPO / "weights" / f"{DEFAULT_MODEL}.pt"
PUBLISHED_FLOPS = 1.1e9


@pytest.fixture(scope="module")
def shipped():
    require(SHIPPED)
    return resolve_model()


@pytest.fixture(autouse=True)
def repository_weights(monkeypatch):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)


def test_default_model_is_the_shipped_one_and_within_limits(shipped):
    assert shipped.name == DEFAULT_MODEL
    assert shipped.columns == ("logg", "logTeff", "FeH", "rv")
    assert shipped.network.flops_per_spectrum(3900) <= PUBLISHED_FLOPS / 10
    assert SHIPPED.stat().st_size < 20e6
    assert shipped.ood is not None and math.isfinite(shipped.ood.threshold)


def test_metadata_records_provenance_and_held_out_numbers(shipped):
    meta = shipped.metadata
    training = meta["training"]
    assert "python -m bossnet_gui.training train" in training["command"] and training["seed"] == 0
    assert len(training["git_commit"]) == 40
    assert set(meta["data_sources"]) >= {"MILES", "STELIB"}
    assert meta["split_counts"]["test"] and meta["split_counts"]["ood"]
    assert meta["label_coverage"]["logTeff"][0] < 3.6 < 4.2 < meta["label_coverage"]["logTeff"][1]
    assert set(meta["model_error"]) == {"logg", "logTeff", "FeH", "rv"}
    assert meta["held_out"]["test_simulated"]["accuracy"]["logTeff"]["n"] > 100
    scorer = meta.get("scorer", training)  # "scorer" only when refitted after training (recalibrate)
    assert len(scorer["git_commit"]) == 40 and shipped.ood.probe is not None


def test_the_genuine_sdss_white_dwarf_is_flagged(shipped):
    spectra = read_spectra(require(DATA / "sdss" / "spec-0266-51602-0031.fits"))
    score = Predictor(shipped).predict(spectra, draws=0).ood_score[0]
    assert score > shipped.ood.threshold


def test_held_out_stelib_white_dwarfs_are_flagged_in_every_draw_at_snr_30_and_most_at_10(shipped):
    """What the model card claims: every noise draw flagged at S/N 30 and 100, at least 80% at S/N 10."""
    white_dwarfs = [s for s in load_stelib(require(DATA / "training" / "stelib")) if s.kind == WHITE_DWARF]
    assert len(white_dwarfs) == 2
    views = ViewMaker(white_dwarfs, shipped.network)
    rng = np.random.default_rng(11)
    predictor = Predictor(shipped)
    for snr, least in ((100.0, 1.0), (30.0, 1.0), (10.0, 0.8)):
        spectra = [views.view(i, Augmentation().clean(snr=snr), rng, f"draw{j}") for i in range(2) for j in range(10)]
        flagged = predictor.predict(spectra, draws=0).ood_score > shipped.ood.threshold
        assert flagged.mean() >= least, f"S/N {snr:g}: {flagged.mean():.0%} of draws flagged"


def test_predictor_adds_the_model_error_term_in_quadrature():
    torch.manual_seed(0)
    args = ModelArgs(model_dim=2, dim_mults=(1, 2), adapt_pool_output_dim=8, num_linear=1, linear_dim=8)
    columns = ("logg", "logTeff", "FeH", "rv")
    stats = {c: (0.0, 1.0) for c in columns}
    terms = {"logg": 0.2, "logTeff": 0.01, "FeH": 0.1, "rv": 5.0}
    plain = LoadedModel("plain", BossNet(args).eval(), columns, stats, OPTICAL, 3900, "", "")
    with_term = LoadedModel("term", plain.network, columns, stats, OPTICAL, 3900, "", "", metadata={"model_error": terms})
    wave = np.geomspace(3600, 10000, 4000)
    flux = (10 + np.sin(wave / 50)).astype(np.float32)
    spectrum = Spectrum(wave, flux, np.full(4000, 0.5, np.float32), np.ones(4000, bool), SpectrumMeta(source="x.fits"))
    a = Predictor(plain).predict([spectrum], draws=5)
    b = Predictor(with_term).predict([spectrum], draws=5)
    for i, column in enumerate(columns):
        assert b.std[0, i] == pytest.approx(math.hypot(a.std[0, i], terms[column]), rel=1e-6)
    teff = a.columns.index("Teff")
    assert b.std[0, teff] == pytest.approx(math.hypot(a.std[0, teff], math.log(10) * a.median[0, teff] * 0.01), rel=1e-6)


def test_model_card_describes_the_shipped_file(shipped):
    from bossnet_gui.training.model_card import file_sha256, render

    card = (REPO / "weights" / "README.md").read_text()
    assert shipped.content_hash in card and file_sha256(SHIPPED) in card
    assert card == render(shipped, SHIPPED), "weights/README.md is stale: run python -m bossnet_gui.training card"
    for needed in ("MILES", "STELIB", "LAMOST", "BSD-3", "--seed 0", "Known blind spots", "Label coverage"):
        assert needed in card


def test_model_card_goes_beside_any_weights_but_the_default(tmp_path):
    from bossnet_gui.training.model_card import card_path

    assert card_path(SHIPPED) == REPO / "weights" / "README.md"
    assert card_path(tmp_path / "mine.pt") == tmp_path / "mine.md"
    assert card_path(REPO / "weights" / "second.pt") == REPO / "weights" / "second.md"


def test_training_and_held_out_stars_are_measured_under_the_same_plain_conditions(shipped):
    from bossnet_gui.training.evaluate import FIT_CHECK_SNR, fit_by_part
    from bossnet_gui.training.report import fit_by_part_table

    stars = [s for s in load_stelib(require(DATA / "training" / "stelib")) if np.isfinite(s.labels).all()][:9]
    parts = ["train"] * 4 + ["validation"] * 2 + ["test"] * 2 + ["unused"]
    split = {s.spectrum_id: part for s, part in zip(stars, parts)}
    views = ViewMaker(stars, shipped.network)
    measured = fit_by_part(Predictor(shipped), views, split, seed=0)
    assert {part: m["stars"] for part, m in measured.items()} == {"train": 4, "validation": 2, "test": 2}
    assert all(math.isfinite(m["accuracy"]["logTeff"]["scatter"]) for m in measured.values())
    assert measured == fit_by_part(Predictor(shipped), views, split, seed=0)
    table = fit_by_part_table(measured, "Heading")
    assert table[0] == "Heading" and f"S/N {FIT_CHECK_SNR:g}" in table[2]
    assert table[-4].startswith("| training | 4 | ") and table[-2].startswith("| test | 2 | ")
    assert fit_by_part_table(None, "Heading") == []


def test_the_network_is_measured_against_the_noise_bound_on_the_same_stars(shipped):
    from bossnet_gui.training.evaluate import log_g_against_noise
    from bossnet_gui.training.noise_limit import BOUND_SNR, bounded

    stars = [s for s in load_stelib(require(DATA / "training" / "stelib")) if np.isfinite(s.labels).all()]
    views = ViewMaker(stars, shipped.network)
    usable = [i for i, s in enumerate(stars) if bounded(s, views.templates[i])]
    limit = log_g_against_noise(Predictor(shipped), views, usable[:-6], usable[-6:], floor=0.2, seed=0)
    assert limit["test_stars"] == 6 and limit["training_stars"] == len(usable) - 6
    assert list(limit["network"]) == list(limit["by_snr"]) == [f"{snr:g}" for snr in BOUND_SNR]
    assert all(math.isfinite(v) for v in limit["network"].values())
    assert limit["network"]["3"] > limit["network"]["100"]
