"""What the network expects: the training spectra shipped beside the weights, templates at given parameters,
and their match to an observed star (shift to its RV, smooth continuum)."""

import numpy as np
import pytest

from bossnet_gui.bundled import DEMO_DIR, WEIGHTS_DIR
from bossnet_gui.io import read_spectra
from bossnet_gui.io.common import doppler_shift
from bossnet_gui.model.expected import TrainingSpectra, match, spectra_path, training_spectra
from bossnet_gui.model.explain import explain
from bossnet_gui.model.weights import DEFAULT_MODEL
from bossnet_gui.preprocess import boss_grid, on_grid

GRID = boss_grid().astype(float)


def absorption_lines(centres, depth=0.5, width=3.0):
    return np.log(1 - depth * np.exp(-0.5 * ((GRID[:, None] - np.array(centres)[None, :]) / width) ** 2)).sum(1)


def test_the_compressed_spectra_give_back_what_they_were_made_of(tmp_path):
    rng = np.random.default_rng(0)
    shapes = np.array([absorption_lines(rng.uniform(3900, 8800, 30)) for _ in range(5)])
    log_flux = rng.normal(size=(40, 5)) @ shapes  # rank 5: five components hold it all
    log_flux[3, :500] = np.nan  # a star whose spectrum starts at 4,450 Å
    labels = np.column_stack([rng.uniform(4000, 8000, 40), rng.uniform(1, 5, 40), rng.uniform(-2, 0.5, 40)])
    spectra = TrainingSpectra.fit([f"star {i}" for i in range(40)], labels, GRID, log_flux, components=8)
    spectra.save(tmp_path / "x.spectra.npz")
    loaded = TrainingSpectra.load(tmp_path / "x.spectra.npz")
    assert loaded.names == spectra.names and loaded.index("star 7") == 7 and loaded.index("nobody") is None
    np.testing.assert_allclose(loaded.log_flux(7), log_flux[7], atol=1e-4)
    assert np.isnan(loaded.log_flux(3)[:500]).all() and np.isfinite(loaded.log_flux(3)[500:]).all()
    nearest, weights = loaded.nearest_in_labels(*labels[12])
    assert nearest[0] == 12 and weights[0] > 0.99  # at a training star's own labels, the template is that star


def test_stars_without_teff_or_logg_are_never_templates():
    log_flux = np.zeros((3, len(GRID)))
    labels = np.array([[6000.0, np.nan, 0.0], [6500.0, 4.0, np.nan], [9000.0, 4.0, 0.0]])
    spectra = TrainingSpectra.fit(["no logg", "no feh", "hot"], labels, GRID, log_flux, components=2)
    nearest, _ = spectra.nearest_in_labels(6000.0, 4.0, 0.0, k=2)
    assert [spectra.names[i] for i in nearest] == ["no feh", "hot"]


def test_a_template_is_matched_at_the_star_velocity_and_continuum():
    rest = absorption_lines([4341.7, 4862.7, 6564.6], depth=0.6, width=4.0)
    rv = 120.0
    tilt = np.exp(0.3 * (GRID - 6000) / 5000 - 0.2 * ((GRID - 6000) / 5000) ** 2) * 40.0
    observed = np.exp(np.interp(GRID, doppler_shift(GRID, rv), rest)) * tilt
    matched = match(rest, GRID, observed, rv)
    np.testing.assert_allclose(matched, observed, rtol=2e-3)
    wrong = match(rest, GRID, observed, 0.0)
    assert np.abs(np.log(wrong / observed)).max() > 20 * np.abs(np.log(matched / observed)).max()
    assert match(rest, GRID, np.full(len(GRID), np.nan), rv) is None  # nothing to match to


def test_the_bundled_model_ships_its_training_spectra(bundled):
    spectra = training_spectra(bundled.source)
    assert spectra_path(bundled.source) == WEIGHTS_DIR / f"{DEFAULT_MODEL}.spectra.npz"
    assert spectra is not None and len(spectra) > 1000
    assert set(bundled.ood.reference_names) <= set(spectra.names)  # every neighbour the scorer can name can be drawn
    assert spectra_path(WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt").stat().st_size < 3e6
    assert training_spectra("/nowhere/published.pt") is None


def _misfit(curve, observed, outside, pixels=15):
    """Median |log ratio| after a boxcar over ``pixels``, so that noise does not hide a wrong shape."""
    usable = np.isfinite(curve) & ~outside & (observed > 0)
    ratio = np.convolve(np.log(observed[usable] / curve[usable]), np.ones(pixels) / pixels, mode="valid")
    return float(np.median(np.abs(ratio)))


@pytest.mark.parametrize("demo, kind, unlike", [(15, "KOESTER", (7000.0, 4.0, 0.0)), (1, None, (3500.0, 4.5, 0.0))])
def test_the_expected_spectra_look_like_the_star(bundled, demo, kind, unlike):
    """Demo 15 is a held-out DA model, demo 1 a late B dwarf: the template at our parameters and the nearest training
    spectra follow the star within a few per cent, far closer than a template of another kind (for the white dwarf,
    the A/F dwarf it could be mistaken for)."""
    spectrum = read_spectra(DEMO_DIR / f"spec-0000-00000-{demo:04d}.fits")[0]
    result = explain(bundled, spectrum)
    expected = result.expected
    observed, outside = on_grid(spectrum)
    assert expected is not None and len(expected.neighbours) == 3
    assert [name for name, _ in expected.neighbours] == [n.name for n in result.neighbours[:3]]
    if kind:
        assert all(name.startswith(kind) for name in expected.template_stars)
    fit = _misfit(expected.template, observed, outside)
    assert fit < 0.03 and all(_misfit(curve, observed, outside) < 0.04 for _, curve in expected.neighbours)
    spectra = training_spectra(bundled.source)
    wrong, _ = spectra.template(*unlike)
    assert _misfit(match(wrong, GRID, np.where(outside, np.nan, observed), 0.0), observed, outside) > 3 * fit
