"""The training spectra written beside the weights: every training star, at rest, on the grid."""

import numpy as np

from bossnet_gui.io.common import doppler_shift
from bossnet_gui.spectrum import Spectrum, SpectrumMeta
from bossnet_gui.training.library import LABELS, LabelledStar, load_koester_da, load_lamost
from bossnet_gui.training.training_spectra import build, rest_log_flux
from bossnet_gui.training.train import SMALL_ARGS
from bossnet_gui.training.views import ViewMaker
from bossnet_gui.model.network import BossNet
from bossnet_gui.preprocess import boss_grid

from ..conftest import DATA, require

H_ALPHA = 6564.61  # vacuum Å


def _line_centre(grid, log_flux, centre, half=15.0):
    near = np.abs(grid - centre) < half
    return grid[near][np.nanargmin(log_flux[near])]


def observed_star(rv: float) -> LabelledStar:
    """A survey spectrum with one Hα line at ``rv`` (km/s), its label RV."""
    wavelength = np.arange(3700.0, 9100.0, 1.0)
    flux = 1 - 0.6 * np.exp(-0.5 * ((wavelength - doppler_shift(H_ALPHA, rv)) / 3.0) ** 2)
    labels = np.full(len(LABELS), np.nan)
    labels[LABELS.index("logTeff")], labels[LABELS.index("logg")], labels[LABELS.index("rv")] = np.log10(6000.0), 4.0, rv
    spectrum = Spectrum(wavelength, flux, np.full(len(flux), 0.01), np.ones(len(flux), bool), SpectrumMeta("synthetic", instrument="LAMOST"))
    return LabelledStar("LAMOST synthetic", "synthetic", "LAMOST", "G", wavelength, flux, labels, observed=spectrum)


def test_survey_stars_are_moved_to_rest():
    grid = boss_grid().astype(float)
    for rv in (-400.0, 0.0, 350.0):  # 8-9 Å away: six grid steps
        assert abs(_line_centre(grid, rest_log_flux(observed_star(rv), None, grid), H_ALPHA) - H_ALPHA) < 1.0


def test_library_models_and_survey_stars_become_training_spectra():
    lamost = load_lamost(require(DATA / "lamost_dr1"))[:3]
    models = load_koester_da(require(DATA / "white_dwarfs" / "koester_da.fits"))[::200]
    stars = lamost + models
    views = ViewMaker(stars, BossNet(SMALL_ARGS))
    grid = boss_grid().astype(float)
    for i, star in enumerate(stars):
        log_flux = rest_log_flux(star, views.templates[i], grid)
        assert abs(np.nanmedian(log_flux)) < 1e-6  # divided by its median
        if star in models and star.teff < 30_000:
            assert abs(_line_centre(grid, log_flux, H_ALPHA) - H_ALPHA) < 1.5
    spectra = build(views, list(range(len(stars))))
    assert spectra.names == tuple(s.spectrum_id for s in stars)
    np.testing.assert_allclose(spectra.labels[:, 0], [s.teff for s in stars], rtol=1e-5)
    assert np.median(spectra.error) < 0.02
