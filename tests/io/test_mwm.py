"""SDSS-V mwmStar / mwmVisit, written in the DR19 Astra layout (no genuine file is available here)."""

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.io import read_spectra
from bossnet_gui.io.registry import identify
from bossnet_gui.spectrum import APOGEE, OPTICAL

from .conftest import mwm_file, mwm_primary


@pytest.fixture
def mwm_star(tmp_path):
    return mwm_file(tmp_path / "mwmStar-0.6.0-85432123.fits", visit=False, rows={"BOSS/APO": 1, "APOGEE/APO": 1})


@pytest.fixture
def mwm_visit(tmp_path):
    return mwm_file(tmp_path / "mwmVisit-0.6.0-85432123.fits", visit=True, rows={"BOSS/APO": 2})


def test_mwm_star_gives_one_spectrum_per_non_empty_hdu(mwm_star):
    with fits.open(mwm_star) as hdul:
        assert identify(hdul).name == "SDSS-V mwmStar/mwmVisit"
        assert [hdul[i].header["NAXIS2"] for i in (1, 2, 3, 4)] == [1, 0, 1, 0]
    boss, apogee = read_spectra(mwm_star)
    assert (boss.meta.hdu, apogee.meta.hdu) == ("BOSS/APO row 0", "APOGEE/APO row 0")
    assert (boss.meta.domain, apogee.meta.domain) == (OPTICAL, APOGEE)
    assert (boss.meta.instrument, apogee.meta.instrument) == ("BOSS", "APOGEE")
    assert boss.meta.file_format == "SDSS-V mwmStar" and boss.meta.survey == "SDSS-V"


def test_mwm_wavelength_from_header_keys(mwm_star):
    boss, apogee = read_spectra(mwm_star)
    assert boss.n_pixels == 4648 and apogee.n_pixels == 8575
    assert boss.wavelength[0] == pytest.approx(10**3.5523) and boss.wavelength[-1] == pytest.approx(10 ** (3.5523 + 1e-4 * 4647))
    assert apogee.wavelength[0] == pytest.approx(10**4.179) and apogee.wavelength[-1] == pytest.approx(10 ** (4.179 + 6e-6 * 8574))
    assert np.all(np.diff(boss.wavelength) > 0)


def test_mwm_wavelength_column_is_used_when_present(tmp_path):
    path = mwm_file(tmp_path / "mwmStar-wl.fits", visit=False, rows={"BOSS/LCO": 1}, wavelength_column=True)
    (spectrum,) = read_spectra(path)
    np.testing.assert_array_equal(spectrum.wavelength, fits.getdata(path, 2)["wavelength"][0])
    assert spectrum.meta.hdu == "BOSS/LCO row 0" and spectrum.meta.extra["observatory"] == "LCO"


def test_mwm_errors_mask_and_metadata(mwm_star):
    boss, apogee = read_spectra(mwm_star)
    assert np.allclose(boss.error[5:], 10.0)  # 1/sqrt(0.01)
    assert np.all(boss.error[boss.mask] > 0)
    assert not boss.mask[:5].any() and not boss.mask[50:60].any()
    assert not boss.mask[70:80].any()  # BOSS: any flag is bad
    assert apogee.mask[70:80].all() and not apogee.mask[50:60].any()  # APOGEE: only the bad PIXMASK bits
    assert boss.meta.object_id == "sdss_id 85432123"
    assert (boss.meta.ra, boss.meta.dec) == (pytest.approx(198.4346), pytest.approx(67.110405))
    assert boss.meta.snr == 30.0
    assert boss.meta.extra["min_mjd"] == 60000 and boss.meta.extra["max_mjd"] == 60100
    assert apogee.meta.extra["apogee_id"] == "2M12345678+1234567"
    assert boss.meta.extra["gaia_dr3_source_id"] == 1234567890123456789


def test_mwm_visit_gives_one_spectrum_per_row(mwm_visit):
    first, second = read_spectra(mwm_visit)
    assert (first.meta.hdu, second.meta.hdu) == ("BOSS/APO row 0", "BOSS/APO row 1")
    assert first.meta.file_format == "SDSS-V mwmVisit"
    assert (first.meta.extra["mjd"], second.meta.extra["mjd"]) == (60000, 60001)
    assert (first.meta.snr, second.meta.snr) == (30.0, 40.0)
    np.testing.assert_array_equal(second.flux, fits.getdata(mwm_visit, 1)["flux"][1])
    assert first.meta.extra["in_stack"] is True


def test_mwm_with_only_empty_hdus_holds_no_spectrum(tmp_path):
    from bossnet_gui.errors import SpectrumReadError

    path = mwm_file(tmp_path / "mwmStar-empty.fits", visit=False, rows={})
    with pytest.raises(SpectrumReadError, match="holds no spectrum"):
        read_spectra(path)


def test_mwm_empty_hdu_without_columns_is_skipped(tmp_path, mwm_star):
    with fits.open(mwm_star) as hdul:
        hdus = [mwm_primary(), hdul[1].copy(), fits.BinTableHDU(name="BOSS/LCO"), hdul[3].copy(), fits.BinTableHDU(name="APOGEE/LCO")]
        fits.HDUList(hdus).writeto(tmp_path / "bare.fits")
    assert len(read_spectra(tmp_path / "bare.fits")) == 2
