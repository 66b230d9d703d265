"""APOGEE apStar (multi- and single-visit), aspcapStar and apVisit, all genuine DR13 files."""

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.io import read_spectra
from bossnet_gui.io.apogee import APSTAR_PIXELS, BAD_PIXMASK, apstar_wavelength
from bossnet_gui.spectrum import APOGEE

APSTAR = "apogee/apStar/apStar-r6-2M00452143+1634446.fits"  # 3 visits
APSTAR_SINGLE = "apogee/apStar/apStar-r6-2M03290406+3117075.fits"  # NVISITS = 1: 1-D HDUs
ASPCAP = "apogee/aspcapStar/aspcapStar-r6-l30e.2-2M05392474+4038437.fits"  # calibrated PARAM present
APVISIT = "apogee/apVisit/apVisit-2M00452143+1634446-0.fits"


def test_apstar_grid():
    grid = apstar_wavelength()
    assert len(grid) == 8575
    assert grid[0] == pytest.approx(10**4.179) and grid[-1] == pytest.approx(10 ** (4.179 + 6e-6 * 8574))


def test_apstar_row0_with_non_finite_set_to_zero(data):
    with fits.open(data / APSTAR) as hdul:
        flux, error, bits = hdul[1].data[0], hdul[2].data[0], hdul[3].data[1]
    (spectrum,) = read_spectra(data / APSTAR)
    assert spectrum.n_pixels == APSTAR_PIXELS and spectrum.meta.domain == APOGEE
    np.testing.assert_array_equal(spectrum.wavelength, apstar_wavelength())
    np.testing.assert_array_equal(spectrum.flux, np.nan_to_num(flux, nan=0, posinf=0, neginf=0))
    np.testing.assert_array_equal(spectrum.error, np.nan_to_num(error, nan=0, posinf=0, neginf=0))
    usable = np.isfinite(flux) & (error > 0) & (error < 1e10) & ((bits & BAD_PIXMASK) == 0)
    np.testing.assert_array_equal(spectrum.mask, usable)
    assert not spectrum.mask[spectrum.flux == 0].any()  # the chip gaps
    assert 0.85 < spectrum.mask.mean() < 0.95


def test_apstar_metadata(data):
    (spectrum,) = read_spectra(data / APSTAR)
    meta = spectrum.meta
    assert meta.object_id == "2M00452143+1634446"
    assert (meta.ra, meta.dec, meta.snr) == (pytest.approx(11.339304), pytest.approx(16.579082), pytest.approx(79.0154))
    assert meta.extra["nvisits"] == 3 and meta.extra["telescope"] == "apo25m"
    assert meta.extra["vhelio"] == pytest.approx(6.73279) and meta.extra["vscatter"] == pytest.approx(0.378796)
    assert meta.instrument == "APOGEE" and meta.hdu == "1 row 0"


def test_single_visit_apstar_uses_the_1d_array(data):
    with fits.open(data / APSTAR_SINGLE) as hdul:
        assert hdul[1].data.ndim == 1 and hdul[0].header["NVISITS"] == 1
        flux = hdul[1].data.copy()
    (spectrum,) = read_spectra(data / APSTAR_SINGLE)
    assert spectrum.n_pixels == APSTAR_PIXELS
    np.testing.assert_array_equal(spectrum.flux, np.nan_to_num(flux))
    assert spectrum.meta.extra["single_visit_layout"] is True


def test_aspcapstar_parameters_and_spectrum(data):
    (spectrum,) = read_spectra(data / ASPCAP)
    extra = spectrum.meta.extra
    assert spectrum.meta.file_format == "APOGEE aspcapStar" and spectrum.meta.domain == APOGEE
    assert spectrum.n_pixels == APSTAR_PIXELS
    np.testing.assert_allclose(spectrum.wavelength, apstar_wavelength())
    assert extra["aspcap_teff"] == pytest.approx(2626.7, abs=0.1)
    assert extra["aspcap_logg"] == pytest.approx(3.45215, abs=1e-4)
    assert extra["aspcap_m_h"] == pytest.approx(-0.61405, abs=1e-4)
    assert extra["aspcap_teff_err"] == pytest.approx(69.2756, abs=1e-3)  # sqrt of the PARAM_COV diagonal
    assert extra["aspcap_fparam_logg"] == pytest.approx(3.4982, abs=1e-4)
    assert extra["continuum_normalised"] is True
    good = spectrum.mask
    assert 0.5 < np.median(spectrum.flux[good]) < 1.5  # continuum-normalised
    assert spectrum.meta.object_id == "2M05392474+4038437" and spectrum.meta.snr == pytest.approx(144.251)


def test_aspcapstar_missing_calibrated_values_are_nan(data):
    (spectrum,) = read_spectra(data / "apogee/aspcapStar/aspcapStar-r6-l30e.2-2M00452143+1634446.fits")
    extra = spectrum.meta.extra
    assert np.isnan(extra["aspcap_teff"]) and np.isnan(extra["aspcap_teff_err"])  # PARAM = -9999 there
    assert extra["aspcap_fparam_teff"] == pytest.approx(2500.6, abs=0.1)


def test_apvisit_chips_run_red_to_blue(data):
    wavelength = fits.getdata(data / APVISIT, 4)
    assert wavelength.shape == (3, 4096)
    assert np.all(np.diff(wavelength, axis=1) < 0)  # pixels in decreasing wavelength
    assert wavelength[0, 0] > wavelength[1, 0] > wavelength[2, 0]  # chip 0 is the red one


def test_apvisit_resampled_onto_the_apstar_grid(data):
    with fits.open(data / APVISIT) as hdul:
        wavelength, flux = hdul[4].data, hdul[1].data
    (spectrum,) = read_spectra(data / APVISIT)
    grid = apstar_wavelength()
    assert spectrum.n_pixels == APSTAR_PIXELS
    np.testing.assert_array_equal(spectrum.wavelength, grid)
    covered = np.zeros(APSTAR_PIXELS, bool)
    for chip in wavelength:
        covered |= (grid >= chip.min()) & (grid <= chip.max())
    assert np.all(spectrum.flux[~covered] == 0) and not spectrum.mask[~covered].any()
    assert 0.85 < covered.mean() < 0.95
    # a point inside the green chip equals the linear interpolation of its neighbours
    i = np.searchsorted(grid, 16000.0)
    w, f = wavelength[1][::-1], flux[1][::-1]
    assert spectrum.flux[i] == pytest.approx(np.interp(grid[i], w, f), rel=1e-5)
    assert np.all(spectrum.error[spectrum.mask] > 0)


def test_apvisit_metadata(data):
    (spectrum,) = read_spectra(data / APVISIT)
    meta = spectrum.meta
    assert meta.object_id == "2M00452143+1634446" and meta.snr == pytest.approx(39.9079)
    assert meta.extra["mjd"] == 56587 and meta.extra["fiber"] == 131 and meta.extra["plate"] == "6561"
    assert meta.extra["rest_frame"] is False and meta.extra["vhelio"] == pytest.approx(595.8227, abs=1e-3)


@pytest.mark.parametrize("folder", ["apStar", "aspcapStar", "apVisit"])
def test_every_genuine_apogee_file_reads(data, folder):
    for path in sorted((data / "apogee" / folder).glob("*.fits")):
        (spectrum,) = read_spectra(path)
        assert spectrum.n_pixels == APSTAR_PIXELS and spectrum.meta.domain == APOGEE, path.name
        assert spectrum.meta.object_id.startswith("2M"), path.name
        assert 0.8 < spectrum.mask.mean() < 0.97, path.name


def test_zero_byte_apvisit_is_an_empty_file(data):
    from bossnet_gui.errors import SpectrumReadError

    for path in sorted((data / "broken").glob("*.fits")):
        with pytest.raises(SpectrumReadError, match="empty file"):
            read_spectra(path)
