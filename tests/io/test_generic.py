"""Generic 1-D FITS: WCS images and wavelength/flux tables, units, air wavelengths, missing errors."""

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.errors import SpectrumReadError
from bossnet_gui.io import read_spectra
from bossnet_gui.io.common import air_to_vacuum
from bossnet_gui.preprocess import errors_from_ivar

from .conftest import smooth_flux

N = 2000


def _image(path, header_cards: dict, flux=None, extra_hdus=()):
    flux = smooth_flux(N) if flux is None else flux
    header = fits.Header()
    for key, value in {"OBJECT": "HD 12345", "RA": 10.5, "DEC": -5.25, **header_cards}.items():
        header[key] = value
    fits.HDUList([fits.PrimaryHDU(flux, header=header), *extra_hdus]).writeto(path)
    return path


def test_linear_wcs_image(tmp_path):
    path = _image(tmp_path / "linear.fits", {"CTYPE1": "WAVE", "CUNIT1": "Angstrom", "CRVAL1": 4000.0, "CDELT1": 2.0, "CRPIX1": 1})
    (spectrum,) = read_spectra(path)
    np.testing.assert_allclose(spectrum.wavelength, 4000.0 + 2.0 * np.arange(N))
    assert spectrum.meta.file_format == "generic 1D FITS (image)" and spectrum.meta.object_id == "HD 12345"
    assert (spectrum.meta.ra, spectrum.meta.dec) == (10.5, -5.25)
    assert spectrum.meta.extra["wavelength_medium"] == "vacuum"  # CTYPE1 = WAVE is vacuum by the FITS standard


def test_cd_matrix_crpix_and_nm_units(tmp_path):
    path = _image(tmp_path / "cd.fits", {"CTYPE1": "LINEAR", "CUNIT1": "nm", "CRVAL1": 500.0, "CD1_1": 0.1, "CRPIX1": 11})
    (spectrum,) = read_spectra(path)
    assert spectrum.wavelength[10] == pytest.approx(5000.0) and spectrum.wavelength[11] - spectrum.wavelength[10] == pytest.approx(1.0)
    assert spectrum.meta.extra["wavelength_medium"] == "not stated (taken as vacuum)"


def test_log_linear_wcs_image_dc_flag(tmp_path):
    path = _image(tmp_path / "loglin.fits", {"CTYPE1": "WAVE-LOG", "CRVAL1": 3.6, "CDELT1": 1e-4, "CRPIX1": 1, "DC-FLAG": 1})
    (spectrum,) = read_spectra(path)
    np.testing.assert_allclose(spectrum.wavelength, 10 ** (3.6 + 1e-4 * np.arange(N)))


def test_fits_standard_log_axis(tmp_path):
    path = _image(tmp_path / "wavelog.fits", {"CTYPE1": "WAVE-LOG", "CRVAL1": 4000.0, "CDELT1": 0.5, "CRPIX1": 1})
    (spectrum,) = read_spectra(path)
    np.testing.assert_allclose(spectrum.wavelength, 4000.0 * np.exp(0.5 * np.arange(N) / 4000.0))


@pytest.mark.parametrize("cards", [{"CTYPE1": "AWAV"}, {"CTYPE1": "LINEAR", "AIRORVAC": "air"}, {"CTYPE1": "LINEAR", "VACUUM": False}])
def test_air_wavelength_header_is_converted(tmp_path, cards):
    path = _image(tmp_path / "air.fits", {**cards, "CRVAL1": 4000.0, "CDELT1": 1.0, "CRPIX1": 1})
    (spectrum,) = read_spectra(path)
    np.testing.assert_allclose(spectrum.wavelength, air_to_vacuum(4000.0 + np.arange(N)))
    assert spectrum.wavelength[0] == pytest.approx(4001.13, abs=0.01)
    assert spectrum.meta.extra["wavelength_medium"] == "air (converted to vacuum)"


def test_no_error_array_gives_the_release_default(tmp_path):
    flux = smooth_flux(N)
    path = _image(tmp_path / "noerr.fits", {"CRVAL1": 4000.0, "CDELT1": 1.0})
    (spectrum,) = read_spectra(path)
    assert spectrum.meta.extra["error_estimated"] is True
    np.testing.assert_allclose(spectrum.error, np.float32(0.1) * np.median(flux), rtol=1e-6)
    np.testing.assert_array_equal(spectrum.error, errors_from_ivar(np.zeros(N, np.float32), flux))
    assert spectrum.mask.all() and np.isnan(spectrum.meta.snr)  # no S/N made up from a guessed error


def test_error_extension_is_used(tmp_path):
    error = fits.ImageHDU(np.full(N, 3.0, np.float32), name="ERROR")
    path = _image(tmp_path / "witherr.fits", {"CTYPE1": "WAVE", "CRVAL1": 4000.0, "CDELT1": 1.0}, extra_hdus=[error])
    (spectrum,) = read_spectra(path)
    assert np.all(spectrum.error == 3.0) and spectrum.meta.extra["error_estimated"] is False


def _table(path, columns, header_cards=None):
    hdu = fits.BinTableHDU.from_columns(columns)
    for key, value in (header_cards or {}).items():
        hdu.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def test_table_one_row_of_arrays_with_ivar(tmp_path):
    wave = np.linspace(3600, 9000, N)
    ivar = np.full(N, 0.25, np.float32)
    ivar[:100] = 0
    path = _table(tmp_path / "ivar.fits", [
        fits.Column(name="WAVELENGTH", format=f"{N}D", array=wave[None]),
        fits.Column(name="FLUX", format=f"{N}E", array=smooth_flux(N)[None]),
        fits.Column(name="IVAR", format=f"{N}E", array=ivar[None]),
    ])
    (spectrum,) = read_spectra(path)
    np.testing.assert_array_equal(spectrum.wavelength, wave)
    assert np.allclose(spectrum.error[100:], 2.0) and not spectrum.mask[:100].any() and spectrum.mask[100:].all()
    assert spectrum.meta.file_format == "generic 1D FITS (table)"


def test_table_one_value_per_row_in_microns_with_error(tmp_path):
    wave_um = np.linspace(0.40, 0.80, N)
    path = _table(tmp_path / "um.fits", [
        fits.Column(name="lambda", format="D", unit="um", array=wave_um),
        fits.Column(name="flux", format="E", array=smooth_flux(N)),
        fits.Column(name="flux_err", format="E", array=np.full(N, 0.5, np.float32)),
    ], {"AIRORVAC": "vac"})
    (spectrum,) = read_spectra(path)
    np.testing.assert_allclose(spectrum.wavelength, wave_um * 1e4)
    assert np.all(spectrum.error == 0.5) and spectrum.meta.extra["wavelength_medium"] == "vacuum"


def test_table_loglam_and_descending_order(tmp_path):
    loglam = np.linspace(3.9, 3.6, N)
    flux = smooth_flux(N)
    path = _table(tmp_path / "loglam.fits", [
        fits.Column(name="loglam", format="D", array=loglam),
        fits.Column(name="flux", format="E", array=flux),
        fits.Column(name="sigma", format="E", array=np.ones(N, np.float32)),
    ])
    (spectrum,) = read_spectra(path)
    assert np.all(np.diff(spectrum.wavelength) > 0)
    np.testing.assert_allclose(spectrum.wavelength, 10 ** loglam[::-1])
    np.testing.assert_array_equal(spectrum.flux, flux[::-1])


def test_table_with_two_rows_gives_two_spectra(tmp_path):
    wave = np.linspace(4000, 8000, N)
    path = _table(tmp_path / "two.fits", [
        fits.Column(name="wave", format=f"{N}D", array=np.stack([wave, wave + 1])),
        fits.Column(name="flux", format=f"{N}E", array=np.stack([smooth_flux(N), 2 * smooth_flux(N)])),
        fits.Column(name="err", format=f"{N}E", array=np.ones((2, N), np.float32)),
    ])
    first, second = read_spectra(path)
    assert (first.meta.hdu, second.meta.hdu) == ("1 row 0", "1 row 1")
    assert second.wavelength[0] == pytest.approx(4001.0) and np.allclose(second.flux, 2 * first.flux)


def test_xshooter_table_in_nm(data):
    path = data / "xsl" / "xsl_spectrum_X0360_uvb.fits"
    table = fits.getdata(path, 1)
    (spectrum,) = read_spectra(path)
    assert spectrum.n_pixels == len(table) == 17140
    np.testing.assert_allclose(spectrum.wavelength, table["WAVE"].astype(np.float64) * 10)
    assert 2980 < spectrum.wavelength[0] < 3000 and 5550 < spectrum.wavelength[-1] < 5570
    np.testing.assert_array_equal(spectrum.error, table["ERR"])
    assert spectrum.meta.object_id == "BD+012916" and spectrum.meta.snr == pytest.approx(20.68)
    assert spectrum.meta.instrument == "XSHOOTER"
    # the header does not say air or vacuum (the absorption lines sit at air wavelengths): flagged, not guessed
    assert spectrum.meta.extra["wavelength_medium"] == "not stated (taken as vacuum)"


@pytest.mark.parametrize("library, start, stop", [("miles", 3540.5, 7409.6), ("stelib", 3199.79, 9898.34)])
def test_training_libraries_read_as_generic_images(data, library, start, stop):
    path = sorted((data / "training" / library).glob("*.fits"))[0]
    (spectrum,) = read_spectra(path)
    assert spectrum.wavelength[0] == pytest.approx(start, abs=0.01) and spectrum.wavelength[-1] == pytest.approx(stop, abs=0.01)
    assert spectrum.meta.extra["error_estimated"] is True
    assert spectrum.meta.extra["wavelength_medium"] == "not stated (taken as vacuum)"  # both are air (MILES, STELIB papers)


def test_loglam_ctype_image_is_log10(tmp_path):
    for ctype in ("LOGLAM", "LOG-LINEAR"):
        hdu = fits.PrimaryHDU(np.linspace(1, 2, 500).astype(np.float32))
        hdu.header.update(CRVAL1=3.6, CDELT1=1e-4, CRPIX1=1, CTYPE1=ctype)
        path = tmp_path / f"{ctype}.fits"
        hdu.writeto(path)
        spectrum = read_spectra(path)[0]
        assert spectrum.wavelength[0] == pytest.approx(10**3.6)
        assert spectrum.wavelength[-1] == pytest.approx(10 ** (3.6 + 499e-4))


def test_estimated_errors_ignore_nan_and_zero_padding(tmp_path):
    flux = np.full(600, 4.0, dtype=np.float32)
    flux[:250] = 0.0  # zero padding, as in some STELIB files
    flux[300] = np.nan
    hdu = fits.PrimaryHDU(flux)
    hdu.header.update(CRVAL1=4000.0, CDELT1=2.0, CRPIX1=1, CTYPE1="WAVE")
    hdu.writeto(tmp_path / "padded.fits")
    spectrum = read_spectra(tmp_path / "padded.fits")[0]
    assert np.allclose(spectrum.error, 0.4)
    assert spectrum.mask[260] and not spectrum.mask[300]


def test_unknown_wavelength_unit_is_refused(tmp_path):
    columns = [fits.Column("WAVE", "E", unit="Hz", array=np.linspace(1e14, 2e14, 50)), fits.Column("FLUX", "E", array=np.ones(50))]
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns)]).writeto(tmp_path / "hz.fits")
    with pytest.raises(SpectrumReadError, match="wavelength unit 'Hz'"):
        read_spectra(tmp_path / "hz.fits")
