"""Files that cannot be read give one-line reasons naming the file; odd but valid data reads fine."""

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.errors import SpectrumReadError, UnsupportedFormatError
from bossnet_gui.io import read_spectra

from .conftest import LAMOST_LOG10_START, lamost_primary_header, smooth_flux

DR1_FILE = "lamost_dr1/spec-55862-B6212_sp06-003.fits"


def _reason(path) -> str:
    with pytest.raises(SpectrumReadError) as info:
        read_spectra(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(path.name + ": ")
    return info.value.reason


def test_empty_file(tmp_path):
    path = tmp_path / "empty.fits"
    path.write_bytes(b"")
    assert _reason(path) == "empty file (0 bytes)"


def test_genuine_file_cut_in_its_spectrum(data, tmp_path):
    content = (data / DR1_FILE).read_bytes()
    path = tmp_path / "cut.fits"
    path.write_bytes(content[: len(content) // 2])
    assert _reason(path) == f"truncated FITS file ({len(content) // 2} bytes; its headers describe {len(content)})"


def test_genuine_file_cut_after_its_spectrum_is_read_and_marked(data, tmp_path):
    source = data / "apogee/apStar/apStar-r6-2M00452143+1634446.fits"  # HDUs 1-3 (flux, error, mask) lie in the first half
    content = source.read_bytes()
    path = tmp_path / "cut.fits"
    path.write_bytes(content[: len(content) // 2])
    (whole,), (cut,) = read_spectra(source), read_spectra(path)
    np.testing.assert_array_equal(cut.flux, whole.flux)
    assert cut.meta.extra["truncated"].startswith(f"truncated FITS file ({len(content) // 2} bytes")
    assert "truncated" not in whole.meta.extra


def test_gzip_cut_in_half(data, tmp_path):
    content = (data / "lamost_dr8/spec-55859-F5902_sp03-232.fits.gz").read_bytes()
    path = tmp_path / "cut.fits.gz"
    path.write_bytes(content[: len(content) // 2])
    assert _reason(path).startswith("truncated gzip file")


def test_header_cut_short(data, tmp_path):
    path = tmp_path / "header.fits"
    path.write_bytes((data / DR1_FILE).read_bytes()[:1000])
    assert _reason(path).startswith("unreadable FITS")


def test_not_fits_with_a_fits_name(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("wavelength,flux\n4000,1.0\n")
    assert _reason(path) == "not a FITS file (no SIMPLE keyword at the start)"


def test_image_without_a_spectrum_is_not_claimed(tmp_path):
    path = tmp_path / "image.fits"
    fits.PrimaryHDU(np.zeros((100, 100), np.float32)).writeto(path)
    with pytest.raises(UnsupportedFormatError) as info:
        read_spectra(path)
    assert info.value.reason == "no spectrum layout this app knows: 100×100 image in HDU 0"


def test_catalogue_table_is_not_claimed(tmp_path):
    path = tmp_path / "catalogue.fits"
    table = fits.BinTableHDU.from_columns([fits.Column(name="ra", format="D", array=[1.0]), fits.Column(name="dec", format="D", array=[2.0])])
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    with pytest.raises(UnsupportedFormatError, match="table with 2 columns"):
        read_spectra(path)


def test_missing_file(tmp_path):
    assert _reason(tmp_path / "nowhere.fits").startswith("cannot open")


# -- odd data that is still a spectrum: judged later, not here ---------------------------------------


def _lamost_image(path, flux, ivar):
    n = len(flux)
    image = np.stack([flux, ivar, 10 ** (LAMOST_LOG10_START + 1e-4 * np.arange(n)), np.zeros(n), np.zeros(n)]).astype(np.float32)
    fits.PrimaryHDU(image, header=lamost_primary_header(EXTEN0="Flux, Inverse, Wavelength, Andmask, Ormask")).writeto(path)
    return path


def test_all_nan_flux_reads(tmp_path):
    n = 3000
    (spectrum,) = read_spectra(_lamost_image(tmp_path / "nan.fits", np.full(n, np.nan), np.ones(n)))
    assert np.isnan(spectrum.flux).all() and not spectrum.mask.any()
    assert np.all(np.diff(spectrum.wavelength) > 0)


def test_all_zero_ivar_gives_the_release_default_error(tmp_path):
    flux = smooth_flux(3000)
    (spectrum,) = read_spectra(_lamost_image(tmp_path / "zero_ivar.fits", flux, np.zeros(3000)))
    np.testing.assert_allclose(spectrum.error, 0.1 * np.median(flux), rtol=1e-6)
    assert not spectrum.mask.any()


def test_negative_flux_reads(tmp_path):
    flux = -smooth_flux(3000)
    (spectrum,) = read_spectra(_lamost_image(tmp_path / "negative.fits", flux, np.ones(3000)))
    np.testing.assert_array_equal(spectrum.flux, flux)
    assert spectrum.mask.all() and np.allclose(spectrum.error, 1.0)


def test_partial_coverage_reads(tmp_path):
    n = 200  # 3700-3870 Å only: most of the model's 3800-8900 Å grid is not covered
    (spectrum,) = read_spectra(_lamost_image(tmp_path / "short.fits", smooth_flux(n), np.ones(n)))
    assert spectrum.n_pixels == n and spectrum.wavelength[-1] < 3900
