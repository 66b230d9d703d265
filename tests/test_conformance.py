"""The published pipeline's numbers, from its own arrays and from files (shared/reference)."""

import csv

import numpy as np
import torch

from bossnet_gui.io import read_spectra
from bossnet_gui.model import Predictor, load_published
from bossnet_gui.preprocess import Resampler, boss_grid, log_scale

RTOL = 1e-5


def _expected_csv(path):
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return rows


def _assert_close(got, expected):
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=RTOL * np.abs(expected).max())


def test_preprocessing_matches_release_arrays(reference):
    ref = np.load(reference / "tiny_boss_reference.npz")
    np.testing.assert_array_equal(boss_grid().astype(np.float32), ref["grid"])
    resampler = Resampler(ref["wavelength"], np.isnan(ref["flux"]), boss_grid())
    interpolated = resampler.apply(ref["flux"]).astype(np.float32)
    _assert_close(interpolated, ref["interpolated"])
    _assert_close(log_scale(interpolated), ref["log_scaled"])


def test_prediction_from_release_arrays(reference):
    ref = np.load(reference / "tiny_boss_reference.npz")
    model = load_published(reference / "official_tiny_boss", reference / "official_stats_boss.yaml")
    assert model.columns == tuple(ref["columns"])
    with torch.inference_mode():
        raw = model.network(torch.from_numpy(ref["log_scaled"])[:, None, :])
    _assert_close(raw.numpy(), ref["raw_output"])
    _assert_close(model.unnormalise(raw.double()).numpy(), ref["prediction"])


def test_prediction_from_boss_files(reference):
    expected = _expected_csv(reference / "tiny_boss_spectra" / "expected_predictions.csv")
    model = load_published(reference / "official_tiny_boss", reference / "official_stats_boss.yaml")
    spectra = [read_spectra(reference / "tiny_boss_spectra" / row["file"])[0] for row in expected]
    result = Predictor(model).predict(spectra, draws=0)
    assert result.status == ["ok"] * len(expected)
    columns = ["logg", "logTeff", "FeH", "rv"]
    got = result.point[:, [result.columns.index(c) for c in columns]]
    _assert_close(got, np.array([[float(row[c]) for c in columns] for row in expected]))


def test_prediction_from_apstar_files(reference, data_dir):
    expected = _expected_csv(reference / "official_tiny_apogee" / "expected_predictions_apStar.csv")
    assert len(expected) == 24
    model = load_published(reference / "official_tiny_apogee", reference / "official_stats_apogee.yaml")
    spectra = [read_spectra(data_dir / "apogee" / "apStar" / row["file"])[0] for row in expected]
    result = Predictor(model).predict(spectra, draws=0, batch_size=8)
    assert result.status == ["ok"] * 24
    columns = ["logg", "logTeff", "FeH"]
    got = result.point[:, [result.columns.index(c) for c in columns]]
    _assert_close(got, np.array([[float(row[c]) for c in columns] for row in expected]))


def test_default_stats_are_the_release_constants(reference):
    with_file = load_published(reference / "official_tiny_boss", reference / "official_stats_boss.yaml")
    default = load_published(reference / "official_tiny_boss")
    assert dict(default.stats) == dict(with_file.stats)
    apogee_file = load_published(reference / "official_tiny_apogee", reference / "official_stats_apogee.yaml")
    assert dict(load_published(reference / "official_tiny_apogee").stats) == dict(apogee_file.stats)
