"""The shipped weights: default model, size and cost limits, provenance; white dwarfs measured on their
sequence or flagged, never silent."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from bossnet_gui.engine import predict_frames
from bossnet_gui.io import read_spectra
from bossnet_gui.model import LoadedModel, Predictor, resolve_model
from bossnet_gui.model.network import BossNet, ModelArgs
from bossnet_gui.model.weights import DEFAULT_MODEL, WEIGHTS_ENV
from bossnet_gui.spectrum import OPTICAL, Spectrum, SpectrumMeta
from bossnet_gui.training import white_dwarfs
from bossnet_gui.training.library import WHITE_DWARF, load_koester_da, load_miles, load_stelib
from bossnet_gui.training.simulate import Augmentation
from bossnet_gui.training.split import TEST, split_by_star
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
    assert "KOESTER" in meta["data_sources"] and meta["label_coverage"]["logg"][1] == pytest.approx(9.5)
    assert meta["label_density"]["threshold"] > 0  # the sparse-labels part of the coverage flag can fire
    assert len(shipped.ood.reference_names) == len(shipped.ood.reference) and shipped.ood.reference_labels.shape == (len(shipped.ood.reference), 3)


def test_the_genuine_sdss_white_dwarf_lands_on_the_white_dwarf_sequence(shipped):
    spectra = read_spectra(require(DATA / "sdss" / "spec-0266-51602-0031.fits"))
    row = pd.concat(list(predict_frames([Predictor(shipped)], spectra, draws=10))).iloc[0]
    assert 7.0 <= row["logg"] <= 9.0, row[["Teff", "logg", "flag_names"]].to_dict()
    assert row["result_flags"] != 0  # Astra's unreliable_fe_h at least: never an unflagged ordinary row


@pytest.fixture(scope="module")
def held_out_white_dwarfs(shipped):
    """The Koester models of the test blocks observed plainly by BOSS at S/N 5-100, predicted as the app does."""
    models = load_koester_da(require(DATA / "white_dwarfs" / "koester_da.fits"))
    split = split_by_star(models, seed=0)
    test = [s for s in models if split[s.spectrum_id] == TEST]
    views = ViewMaker(test, shipped.network)
    spectra, truth = white_dwarfs.observe(views, list(range(len(test))), seed=1, snrs=(5.0, 10.0, 20.0, 50.0))
    return white_dwarfs.predict_views(Predictor(shipped), spectra, truth)


def test_held_out_da_white_dwarfs_are_measured_on_their_sequence(held_out_white_dwarfs):
    """The target: at S/N >= 20, 5,000-40,000 K and log g 7-9, 80% within 10% in Teff and 0.5 dex in log g."""
    frame = held_out_white_dwarfs
    target = frame[white_dwarfs.in_target(frame)]
    assert len(target) > 100 and target["true_teff"].min() < 7000  # cool look-alikes of A/F stars among them
    share = (target["outcome"] == white_dwarfs.MEASURED).mean()
    assert share >= white_dwarfs.TARGET_SHARE, f"{share:.0%} measured right"


def test_no_held_out_da_white_dwarf_is_silent_at_any_snr(held_out_white_dwarfs):
    frame = held_out_white_dwarfs
    silent = frame[frame["outcome"] == white_dwarfs.SILENT]
    assert silent.empty, silent[["wd_model", "snr_drawn", "Teff", "logg", "ood_score"]].to_string()


def test_held_out_stelib_white_dwarfs_are_never_ordinary_unflagged_rows(shipped):
    """The library's own white dwarfs (a DA and a DC, never trained on): every noise draw at S/N 10-100
    is flagged, whether the network puts it on the white-dwarf sequence or not."""
    stars = [s for s in load_stelib(require(DATA / "training" / "stelib")) if s.kind == WHITE_DWARF]
    assert len(stars) == 2
    views = ViewMaker(stars, shipped.network)
    rng = np.random.default_rng(11)
    spectra = [views.view(i, Augmentation().clean(snr=snr), rng, f"draw{j}") for i in range(2) for snr in (10.0, 30.0, 100.0) for j in range(8)]
    frame = pd.concat(list(predict_frames([Predictor(shipped)], spectra, draws=0)))
    unflagged = frame[frame["result_flags"] == 0]
    assert unflagged.empty, unflagged[["id", "Teff", "logg", "ood_score"]].to_string()


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
    for needed in ("MILES", "STELIB", "LAMOST", "Koester", "BSD-3", "--seed 0", "Known blind spots", "Label coverage", "DA white dwarfs", "DB", "Magnetic"):
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


def test_white_dwarf_plus_m_dwarf_pairs_a_kind_never_trained_on_are_never_silent(shipped):
    """Unresolved WD + dM binaries: a Koester DA and a MILES M dwarf in one fibre, either one brighter at 6,100 Å,
    observed by BOSS at S/N 30. The network never saw such pairs (its outlier probe saw blends of ordinary hot and
    cool library stars only); every one must carry a flag."""
    from bossnet_gui.training.simulate import BOSS, blend, broaden_to_survey, observe_template

    models = load_koester_da(require(DATA / "white_dwarfs" / "koester_da.fits"))
    m_dwarfs = [s for s in load_miles(require(DATA / "training" / "miles")) if s.has_teff and s.teff < 3900 and s.labels[0] > 4.3]
    rng = np.random.default_rng(7)
    spectra = []
    for n in range(40):
        white, cool = models[int(rng.integers(len(models)))], m_dwarfs[int(rng.integers(len(m_dwarfs)))]
        pair = blend(broaden_to_survey(white.wavelength, white.flux, white.fwhm, BOSS), broaden_to_survey(cool.wavelength, cool.flux, cool.fwhm, BOSS),
                     float(np.exp(rng.uniform(np.log(0.3), np.log(3.0)))))
        meta = SpectrumMeta(source=f"/simulated/wd_dm_{n}.fits", object_id=f"{white.spectrum_id} + {cool.spectrum_id}")
        spectra.append(observe_template(pair, Augmentation().clean(rv=float(rng.normal(0, 40)), snr=30.0), rng, meta))
    frame = pd.concat(list(predict_frames([Predictor(shipped)], spectra, draws=10)), ignore_index=True)
    unflagged = frame[frame["result_flags"] == 0]
    assert unflagged.empty, unflagged[["id", "Teff", "logg", "ood_score"]].to_string()
