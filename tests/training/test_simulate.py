"""The observation simulator: resolution, Doppler shift, reddening, noise, coverage."""

import numpy as np
import pytest

from bossnet_gui.spectrum import SpectrumMeta
from bossnet_gui.training.simulate import (
    BOSS,
    C_KMS,
    Augmentation,
    Template,
    broaden_to_survey,
    ccm_extinction,
    error_array,
    gaussian_broaden,
    observe_template,
    reddening_factor,
)


def line_spectrum(centre=5000.0, depth=0.5, sigma=0.3, start=3400.0, stop=9900.0, step=0.9):
    wave = np.arange(start, stop, step)
    flux = 1.0 - depth * np.exp(-0.5 * ((wave - centre) / sigma) ** 2)
    return wave, flux


def line_centre(wave, flux, near, half=15.0):
    window = np.abs(wave - near) < half
    absorption = 1.0 - flux[window] / np.median(flux[~window & (np.abs(wave - near) < 4 * half)])
    return float(np.sum(wave[window] * absorption) / np.sum(absorption))


def equivalent_width(wave, flux, near, half=20.0):
    window = np.abs(wave - near) < half
    return float(np.trapezoid(1.0 - flux[window], wave[window]))


def test_broadening_keeps_a_flat_spectrum_flat():
    flux = np.full(2000, 3.0)
    assert np.allclose(gaussian_broaden(flux, np.linspace(0.5, 6.0, 2000)), 3.0)


def test_broadening_widens_a_line_and_keeps_its_equivalent_width():
    wave, flux = line_spectrum(sigma=0.4)
    template = broaden_to_survey(wave, flux, library_fwhm=0.1)
    fine = template.wavelength
    before, after = equivalent_width(wave, flux, 5000.0), equivalent_width(fine, template.flux, 5000.0)
    assert after == pytest.approx(before, rel=0.01)
    target_sigma = 5000.0 / BOSS.resolution(np.array([5000.0]))[0] / 2.3548
    depth_expected = 0.5 * 0.4 / np.hypot(0.4, target_sigma)
    assert 1.0 - template.flux.min() == pytest.approx(depth_expected, rel=0.05)


def test_library_coarser_than_the_survey_is_left_as_is():
    wave, flux = line_spectrum(centre=3699.7, sigma=1.5)  # on a pixel
    template = broaden_to_survey(wave, flux, library_fwhm=2.5)  # BOSS at 3700 Å: FWHM ~2.3 Å
    assert template.at(np.array([3699.7]))[0] == pytest.approx(0.5, abs=0.01)  # only interpolation rounds the core


def test_rv_shift_moves_a_line_by_v_over_c():
    wave, flux = line_spectrum(centre=6000.0, sigma=0.8)
    template = broaden_to_survey(wave, flux, library_fwhm=2.0)
    rng = np.random.default_rng(0)
    for rv in (-300.0, 0.0, 250.0):
        conditions = Augmentation().clean(rv=rv, snr=1e6)
        spectrum = observe_template(template, conditions, rng, SpectrumMeta(source="test"))
        expected = 6000.0 * (1 + rv / C_KMS)
        assert line_centre(spectrum.wavelength, spectrum.flux, expected) == pytest.approx(expected, abs=0.05)


def test_ccm_law_values_and_reddening_makes_spectra_redder():
    # CCM 1989: A(λ)/A(V) = 1 at V (5495 Å), ~1.32 at B (4405 Å) for R_V = 3.1
    assert ccm_extinction(np.array([5495.0]))[0] == pytest.approx(1.0, abs=0.02)
    assert ccm_extinction(np.array([4405.0]))[0] == pytest.approx(1.32, abs=0.03)
    wave = np.array([4000.0, 8000.0])
    transmission = reddening_factor(wave, ebv=0.5)
    assert transmission[0] < transmission[1] < 1.0
    assert np.allclose(reddening_factor(wave, ebv=0.0), 1.0)


def test_noise_matches_the_error_array():
    wave = BOSS.pixels()
    flux = 50.0 + 20.0 * np.sin(wave / 400.0)
    sigma = error_array(wave, flux, snr=20.0)
    assert np.median(flux / sigma) == pytest.approx(20.0, rel=1e-6)
    template = Template(np.log(3500.0), 5e-5, np.ones(int(np.log(10500 / 3500) / 5e-5), dtype=np.float32))
    rng = np.random.default_rng(1)
    conditions = Augmentation().clean(snr=10.0)
    spectrum = observe_template(template, conditions, rng, SpectrumMeta(source="noise"))
    truth = conditions.scale
    pulls = (spectrum.flux - truth) / spectrum.error
    assert np.std(pulls) == pytest.approx(1.0, abs=0.05)
    assert spectrum.meta.snr == pytest.approx(10.0, rel=0.1)


def test_coverage_loss_and_dropped_pixels_are_flagged():
    wave, flux = line_spectrum()
    template = broaden_to_survey(wave, flux, library_fwhm=2.5)
    rng = np.random.default_rng(2)
    conditions = Augmentation().clean()
    short = observe_template(template, conditions.__class__(**{**conditions.__dict__, "red_limit": 7400.0}), rng, SpectrumMeta(source="a"))
    assert short.wavelength.max() <= 7400.0
    dropped = observe_template(
        template, conditions.__class__(**{**conditions.__dict__, "drop_fraction": 0.05, "drop_segments": 2}), rng, SpectrumMeta(source="b")
    )
    assert 0.04 < (~dropped.mask).mean() < 0.4


def test_a_blend_adds_the_second_star_at_the_given_flux_ratio():
    from bossnet_gui.training.simulate import Template, blend

    ln = np.log(np.arange(3600.0, 9000.0, 1.0))
    hot = Template(float(ln[0]), 5e-5, np.linspace(3.0, 1.0, int((ln[-1] - ln[0]) / 5e-5)).astype(np.float32))
    wavelength = hot.wavelength
    cool = Template(hot.ln_start, hot.ln_step, (wavelength / 6100.0).astype(np.float32) * 7.0)
    cool = Template(cool.ln_start, cool.ln_step, np.where(wavelength > 8000, np.nan, cool.flux).astype(np.float32))  # ends early
    mixed = blend(hot, cool, 2.0)
    window = (wavelength > 6000) & (wavelength < 6200)
    assert np.nanmedian(mixed.flux[window]) == pytest.approx(3.0, rel=1e-3)  # 1 (the hot star) + 2 (the cool one)
    assert np.isnan(mixed.flux[wavelength > 8000]).all() and np.isfinite(mixed.flux[wavelength < 7900]).all()
