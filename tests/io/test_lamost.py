"""LAMOST LRS: DR1 and DR8 image files (genuine) and the DR9+ table layout (written from the data model)."""

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.io import read_spectra
from bossnet_gui.io.registry import identify
from bossnet_gui.spectrum import OPTICAL

from .conftest import LAMOST_LOG10_START, lamost_primary_header, smooth_flux

DR1_FILE = "lamost_dr1/spec-55862-B6212_sp06-003.fits"
DR8_FILE = "lamost_dr8/spec-55859-F5902_sp03-232.fits.gz"


def test_dr1_wavelength_comes_from_the_header_not_row_2(data):
    raw = fits.getdata(data / DR1_FILE)
    assert np.nanmax(raw[2]) < 100  # row 2 is the sub-continuum here, not wavelength
    (spectrum,) = read_spectra(data / DR1_FILE)
    assert spectrum.wavelength[0] == pytest.approx(10**LAMOST_LOG10_START, abs=1e-6)
    assert spectrum.n_pixels == raw.shape[1] == 3904
    assert np.all(np.diff(spectrum.wavelength) > 0)
    assert 9000 < spectrum.wavelength[-1] < 9200
    np.testing.assert_array_equal(spectrum.flux, raw[0])


def test_dr1_metadata(data):
    (spectrum,) = read_spectra(data / DR1_FILE)
    meta = spectrum.meta
    assert meta.object_id == "LAMOST J063715.90+271356.5"
    assert (meta.ra, meta.dec) == (pytest.approx(99.316263), pytest.approx(27.23237))
    assert meta.snr == pytest.approx(99.0)  # SN_R as written (see the LASP labels: DR1 caps S/N at 99)
    assert (meta.instrument, meta.domain, meta.file_format) == ("LAMOST", OPTICAL, "LAMOST LRS")
    assert "v2.6.4" in meta.survey
    assert meta.extra["class"] == "STAR" and meta.extra["subclass"] == "F9"
    assert meta.extra["helio_rv"] == pytest.approx(-26.3976499518)
    assert meta.extra["snr_g"] == pytest.approx(71.41)


def test_dr1_errors_and_mask(data):
    raw = fits.getdata(data / DR1_FILE)
    (spectrum,) = read_spectra(data / DR1_FILE)
    ivar, andmask = raw[1], raw[3]
    assert np.all(spectrum.error[ivar > 0] > 0)
    np.testing.assert_array_equal(spectrum.mask, (ivar > 0) & (andmask == 0))
    assert np.all(spectrum.error[ivar > 0] <= 5 * np.median(1 / np.sqrt(ivar[ivar > 0])) + 1e-3)


def test_dr8_gzip_uses_the_wavelength_row_that_agrees(data):
    raw = fits.getdata(data / DR8_FILE)
    (spectrum,) = read_spectra(data / DR8_FILE)
    np.testing.assert_array_equal(spectrum.wavelength, raw[2].astype(np.float64))
    assert spectrum.wavelength[0] == pytest.approx(10**LAMOST_LOG10_START, abs=0.02)
    assert spectrum.meta.survey == "LAMOST DR8 (pipeline v2.9.8)"
    assert spectrum.meta.snr == pytest.approx(118.57)  # SNRR
    assert spectrum.meta.extra["obsid"] == 103232
    assert spectrum.meta.object_id == "LAMOST J220338.26-001028.9"


def test_dr8_file_with_crpix_sentinel(data):
    """Four DR8 files write CRPIX1 = -9999; COEFF0/COEFF1 still give the grid."""
    path = data / "lamost_dr8/spec-55859-F5907_sp12-016.fits.gz"
    assert fits.getheader(path)["CRPIX1"] == -9999
    (spectrum,) = read_spectra(path)
    assert spectrum.n_pixels == 3820
    assert 3699 < spectrum.wavelength[0] < 3701 and 8900 < spectrum.wavelength[-1] < 8920


def test_every_genuine_lamost_file_reads(data):
    for path in sorted((data / "lamost_dr1").glob("spec-*")) + sorted((data / "lamost_dr8").glob("spec-*")):
        (spectrum,) = read_spectra(path)
        assert 3690 < spectrum.wavelength[0] < 3850, path.name  # one DR8 file starts at COEFF0 = 3.584
        assert np.all(np.diff(spectrum.wavelength) > 0), path.name
        assert spectrum.meta.object_id.startswith("LAMOST J"), path.name


def test_dr9_table_layout(lamost_table_file):
    (spectrum,) = read_spectra(lamost_table_file)
    table = fits.getdata(lamost_table_file, 1)
    assert spectrum.n_pixels == 3909
    np.testing.assert_array_equal(spectrum.wavelength, table["WAVELENGTH"][0].astype(np.float64))
    np.testing.assert_array_equal(spectrum.flux, table["FLUX"][0])
    assert not spectrum.mask[:10].any() and not spectrum.mask[100:110].any() and spectrum.mask[200:300].all()
    assert np.allclose(spectrum.error[10:], 5.0)  # 1/sqrt(0.04)
    assert spectrum.meta.hdu == "1"
    assert spectrum.meta.survey == "LAMOST DR9 (pipeline v2.9.7)"
    assert spectrum.meta.snr == 55.0


def test_identified_by_content_not_name(tmp_path, lamost_table_file):
    with fits.open(lamost_table_file) as hdul:
        assert identify(hdul).name == "LAMOST LRS"
        hdul[0].header["TELESCOP"] = "OTHER"
        assert identify(hdul) is None or identify(hdul).name != "LAMOST LRS"
    renamed = tmp_path / "whatever.fits"
    renamed.write_bytes(lamost_table_file.read_bytes())
    assert read_spectra(renamed)[0].meta.file_format == "LAMOST LRS"


def test_air_wavelength_image_is_converted(tmp_path):
    n = 3000
    image = np.stack([smooth_flux(n), np.full(n, 1.0, np.float32), np.ones(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)])
    header = lamost_primary_header(VACUUM=False, EXTEN0="Flux, Inverse, Subcontinuum, Andmask, Ormask")
    path = tmp_path / "air.fits"
    fits.PrimaryHDU(image, header=header).writeto(path)
    (spectrum,) = read_spectra(path)
    assert spectrum.wavelength[0] == pytest.approx(10**LAMOST_LOG10_START * 1.000283, rel=2e-6)


def test_sn_r_missing_falls_back_to_median_of_bands(tmp_path):
    n = 500
    image = np.stack([smooth_flux(n), np.ones(n, np.float32)])
    header = lamost_primary_header(SNRR=-9999.0, SNRG=10.0, SNRI=30.0)
    path = tmp_path / "two_rows.fits"
    fits.PrimaryHDU(image, header=header).writeto(path)
    assert read_spectra(path)[0].meta.snr == 20.0
