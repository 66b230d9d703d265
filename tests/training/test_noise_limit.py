"""The Cramér-Rao yardstick for log g: the quadratic flux model, the bound with nuisances free, the headline."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from bossnet_gui.training.library import LABELS
from bossnet_gui.training.noise_limit import (
    BOUND_SNR,
    QuadraticSpectra,
    floor_for,
    headline_scatter,
    log_g_bound,
    noise_limit,
)
from bossnet_gui.training.report import noise_limit_table
from bossnet_gui.training.simulate import Template, error_array, tilt_coordinate

WAVELENGTH = np.exp(np.linspace(np.log(3550.0), np.log(7450.0), 3000))


def line(centre: float, width: float = 2.0) -> np.ndarray:
    return np.exp(-0.5 * ((WAVELENGTH - centre) / width) ** 2)


def test_the_quadratic_model_returns_the_derivatives_of_the_spectra_it_was_fitted_on():
    rng = np.random.default_rng(1)
    labels = rng.normal([4.0, 3.75, -0.3], [0.8, 0.1, 0.4], (60, 3))
    a, b = rng.normal(size=(2, 50))

    def flux(g, t, z):
        return 1.0 + a * g * t + b * z**2 - 0.5 * a * t

    model = QuadraticSpectra(labels, np.array([flux(*row) for row in labels]))
    g, t, z = 4.4, 3.76, -0.1
    expected = np.column_stack([a * t, a * g - 0.5 * a, 2 * b * z])
    assert np.allclose(model.derivatives(np.array([g, t, z])), expected, atol=1e-9)
    assert np.allclose(model.flux(np.array([g, t, z]))[0], flux(g, t, z))


def test_a_narrow_line_bound_is_its_own_information_and_a_tilt_shaped_signal_adds_none():
    flux = 1.0 - 0.5 * line(4300.0)  # a line elsewhere pins the RV
    gravity = 0.2 * line(5200.0)[:, None]
    others = np.column_stack([0.1 * line(6500.0), 0.1 * line(4900.0)])
    bound = log_g_bound(WAVELENGTH, flux, np.column_stack([gravity, others]), snr=20.0)
    alone = 1.0 / math.sqrt(np.sum((gravity[:, 0] / error_array(WAVELENGTH, flux, 20.0)) ** 2))
    assert bound == pytest.approx(alone, rel=0.05)  # a narrow line hardly projects on the continuum terms
    assert log_g_bound(WAVELENGTH, flux, np.column_stack([gravity, others]), snr=60.0) == pytest.approx(bound / 3)
    tilted = gravity + 5.0 * (flux * tilt_coordinate(WAVELENGTH))[:, None]
    assert log_g_bound(WAVELENGTH, flux, np.column_stack([tilted, others]), snr=20.0) == pytest.approx(bound, rel=1e-6)
    degenerate = np.column_stack([gravity, gravity + others[:, :1], others[:, 1:]])  # log Teff mimics log g half-way
    assert log_g_bound(WAVELENGTH, flux, degenerate, snr=20.0) > 2 * bound


def test_the_headline_is_the_floor_without_noise_and_floor_for_inverts_it():
    bounds = np.array([0.5, 1.0, 2.0])
    assert headline_scatter(np.zeros(3), 0.25, (3.0, 100.0)) == pytest.approx(0.25, rel=0.01)
    assert headline_scatter(bounds, 0.25, (3.0, 100.0)) > 0.25
    floor = floor_for(0.3, bounds, (3.0, 100.0))
    assert 0 < floor < 0.3
    assert headline_scatter(bounds, floor, (3.0, 100.0)) == pytest.approx(0.3, abs=1e-3)
    assert floor_for(0.01, np.full(3, 30.0), (3.0, 100.0)) == 0.0  # noise alone already exceeds the target


def test_noise_limit_fits_on_training_stars_in_its_teff_range_and_bounds_the_test_stars():
    rng = np.random.default_rng(2)
    stars, templates = [], []
    for n in range(90):
        logg, log_teff, feh = rng.uniform(1, 5), rng.uniform(math.log10(3500), math.log10(8000)), rng.uniform(-1, 0.3)
        flux = 1.0 - (0.3 + 0.05 * logg) * line(5175.0, 1.5 + 0.3 * logg) - (0.2 - 0.1 * feh) * line(4300.0) - 0.05 * log_teff * line(6563.0)
        labels = np.full(len(LABELS), np.nan)
        labels[[LABELS.index("logg"), LABELS.index("logTeff"), LABELS.index("FeH")]] = logg, log_teff, feh
        stars.append(SimpleNamespace(labels=labels))
        step = np.log(WAVELENGTH[1] / WAVELENGTH[0])
        templates.append(Template(float(np.log(WAVELENGTH[0])), float(step), flux.astype(np.float32)))
    cool_or_hot = {i for i, s in enumerate(stars) if not 4000 <= 10 ** s.labels[LABELS.index("logTeff")] <= 7000}
    limit = noise_limit(stars, templates, list(range(70)), list(range(70, 90)), floor=0.2, target=0.3, snr_range=(3.0, 100.0))
    assert limit["training_stars"] == 70 - len(cool_or_hot & set(range(70)))
    assert limit["test_stars"] == 20 - len(cool_or_hot & set(range(70, 90)))
    medians = [limit["by_snr"][f"{snr:g}"]["median"] for snr in BOUND_SNR]
    assert all(m > 0 for m in medians) and medians == sorted(medians, reverse=True)
    assert medians[0] * BOUND_SNR[0] == pytest.approx(medians[-1] * BOUND_SNR[-1])
    assert limit["headline"] > 0.2 and limit["floor_for_target"] < 0.3
    limit["network"] = {f"{snr:g}": 0.3 for snr in BOUND_SNR}
    table = noise_limit_table(limit, "### Noise limit")
    assert table[0] == "### Noise limit" and table[6].startswith("| σ(log g) bound (dex) | ")
    assert table[7] == "| bound ⊕ network at S/N 100 | " + " | ".join(f"{math.hypot(m, 0.3):.2f}" for m in medians) + " |"
    assert table[8] == "| network, same stars and views | 0.30 | 0.30 | 0.30 | 0.30 | 0.30 |"
    assert noise_limit_table(None, "### Noise limit") == []


def test_robust_scatter_is_astropys_mad_std():
    import numpy as np
    from astropy.stats import mad_std

    from bossnet_gui.training.evaluate import bias_scatter

    errors = np.random.default_rng(3).standard_normal(1001) * 0.3 + 0.1
    errors[::50] = np.nan
    stats = bias_scatter(errors)
    assert stats["n"] == 980 and stats["scatter"] == pytest.approx(mad_std(errors, ignore_nan=True), rel=1e-12)
