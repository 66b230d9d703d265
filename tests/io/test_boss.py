"""SDSS spec files: a genuine DR12-layout spec-lite file, the release's tiny_boss files (parity), and the
SDSS-V BOSS ``spec-FIELD-MJD-CATALOGID.fits`` layout written from the data model."""

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.io import read_spectra
from bossnet_gui.spectrum import OPTICAL
from tests.conftest import REFERENCE, require

from .conftest import smooth_flux

WHITE_DWARF = "sdss/spec-0266-51602-0031.fits"


def test_sdss_spec_lite_white_dwarf(data):
    (spectrum,) = read_spectra(data / WHITE_DWARF)
    coadd = fits.getdata(data / WHITE_DWARF, 1)
    assert spectrum.n_pixels == len(coadd) == 3842
    np.testing.assert_allclose(spectrum.wavelength, 10 ** coadd["loglam"].astype(np.float32), rtol=1e-7)
    assert 3800 < spectrum.wavelength[0] < 3830 and 9150 < spectrum.wavelength[-1] < 9250
    assert np.all(np.diff(spectrum.wavelength) > 0)
    assert np.all(spectrum.error[coadd["ivar"] > 0] > 0)
    meta = spectrum.meta
    assert meta.object_id == "0266-51602-0031" and meta.survey == "SDSS-I-IV" and meta.domain == OPTICAL
    assert meta.ra == pytest.approx(147.32107)  # PLUG_RA (the primary RA is the plate centre)


def test_tiny_boss_files_match_the_release_arrays():
    reference = require(REFERENCE)
    arrays = np.load(reference / "tiny_boss_reference.npz")
    for i, path in enumerate(sorted((reference / "tiny_boss_spectra").glob("spec-*.fits"))):
        (spectrum,) = read_spectra(path)
        n = int(np.isfinite(arrays["flux"][i]).sum())
        assert spectrum.n_pixels == n, path.name
        np.testing.assert_array_equal(spectrum.flux, arrays["flux"][i, :n])
        # the files store float32 loglam, the npz the wavelengths before that rounding (< 1e-6 relative)
        np.testing.assert_allclose(spectrum.wavelength, arrays["wavelength"][i, :n], rtol=1e-6)
        np.testing.assert_allclose(spectrum.error, arrays["error"][i, :n], rtol=1e-6)
        assert np.isnan(arrays["flux"][i, n:]).all()


def _sdss5_spec(path, upper: bool):
    n = 4600
    loglam = (3.5523 + 1e-4 * np.arange(n)).astype(np.float32)
    ivar = np.full(n, 0.25, dtype=np.float32)
    and_mask = np.zeros(n, dtype=np.int32)
    and_mask[1000:1010] = 1 << 23  # BRIGHTSKY
    name = str.upper if upper else str.lower
    coadd = fits.BinTableHDU.from_columns(
        [
            fits.Column(name=name("flux"), format="E", array=smooth_flux(n)),
            fits.Column(name=name("loglam"), format="E", array=loglam),
            fits.Column(name=name("ivar"), format="E", array=ivar),
            fits.Column(name=name("and_mask"), format="J", array=and_mask),
            fits.Column(name=name("or_mask"), format="J", array=and_mask),
            fits.Column(name=name("wdisp"), format="E", array=np.ones(n, np.float32)),
            fits.Column(name=name("sky"), format="E", array=np.zeros(n, np.float32)),
            fits.Column(name=name("model"), format="E", array=smooth_flux(n, 1)),
        ],
        name="COADD",
    )
    spall = fits.BinTableHDU.from_columns(
        [
            fits.Column(name="FIELD", format="J", array=[101077]),
            fits.Column(name="MJD", format="J", array=[59845]),
            fits.Column(name="CATALOGID", format="K", array=[27021603187129062]),
            fits.Column(name="SDSS_ID", format="K", array=[23326]),
            fits.Column(name="RACAT", format="D", array=[234.5]),
            fits.Column(name="DECCAT", format="D", array=[12.25]),
            fits.Column(name="SN_MEDIAN_ALL", format="E", array=[17.5]),
            fits.Column(name="SN_MEDIAN", format="5E", array=[[1, 2, 3, 4, 5]]),
        ],
        name="SPALL",
    )
    header = fits.Header()
    for key, value in {"TELESCOP": "SDSS 2.5-M", "OBSERVAT": "APO", "FIELD": 101077, "MJD": 59845,
                       "HIERARCH CATALOGID": 27021603187129062, "RUN2D": "v6_1_3", "RACAT": 234.5,
                       "DECCAT": 12.25, "RA": 230.0, "DEC": 10.0}.items():
        header[key] = value
    fits.HDUList([fits.PrimaryHDU(header=header), coadd, spall]).writeto(path)
    return path


@pytest.mark.parametrize("upper", [True, False])
def test_sdss5_boss_spec(tmp_path, upper):
    path = _sdss5_spec(tmp_path / "spec-101077-59845-27021603187129062.fits", upper)
    (spectrum,) = read_spectra(path)
    meta = spectrum.meta
    assert meta.survey == "SDSS-V" and meta.instrument == "BOSS" and meta.file_format == "SDSS spec"
    assert meta.object_id == "catalogid 27021603187129062"
    assert (meta.ra, meta.dec) == (234.5, 12.25)  # RACAT/DECCAT, not the field centre
    assert meta.snr == 17.5
    assert spectrum.n_pixels == 4600 and spectrum.wavelength[0] == pytest.approx(10**3.5523, rel=1e-6)
    assert np.allclose(spectrum.error, 2.0)
    assert not spectrum.mask[1000:1010].any() and spectrum.mask[:1000].all()
