"""Realistic survey observations simulated from library spectra, and augmentation of survey spectra.

A library spectrum is broadened once to survey resolution (``broaden_to_survey``: a Gaussian whose
width follows R(λ) of the BOSS spectrographs, minus the library's own FWHM in quadrature), kept
on a fine uniform ln-λ grid (``Template``), and then observed as many times as needed:

    Doppler shift → survey pixels (log-linear, 1e-4 dex, BOSS or LAMOST range) → loss of coverage
    at the ends → interstellar reddening (CCM 1989) → flux-calibration tilt → flux scale →
    error array and Gaussian noise at a drawn S/N → dropped pixels and segments → extra noise
    scaled by the error (the paper's augmentation, and what the Monte-Carlo draws do at inference)

ending in a ``Spectrum`` built exactly as a reader builds one (``io.common.spectrum_from_ivar``).
Survey spectra (LAMOST) go through the same steps after the first two, with their own noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d, uniform_filter1d

from ..io.common import C_KMS, doppler_shift, spectrum_from_ivar
from ..spectrum import Spectrum, SpectrumMeta

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
TEMPLATE_LN_STEP = 5e-5  # ~15 km/s: fine enough that linear interpolation adds no visible smoothing
R_V = 3.1
MAX_SEGMENT = 300  # pixels, longest dropped segment
CONTINUUM_WINDOW = 0.02  # ln λ (~100 Å at 5000 Å): upper-envelope window of the outlier examples
TELLURIC_BANDS = ((6860, 6960), (7160, 7340), (7590, 7700), (8130, 8350), (8950, 9900))  # Å: B, a, A, Z, ρστ bands
MIN_PIXELS = 500  # fewest pixels a simulated observation keeps when coverage is cut


@dataclass(frozen=True)
class Survey:
    """A survey's pixel grid (log10 λ from start to stop in steps of 1e-4) and resolving power R(λ)."""

    name: str
    loglam_start: float
    loglam_stop: float
    resolution_knots: tuple[tuple[float, float], ...]  # (λ Å, R), linearly interpolated
    loglam_step: float = 1e-4

    def pixels(self, offset: int = 0) -> np.ndarray:
        n = int(round((self.loglam_stop - self.loglam_start) / self.loglam_step)) + 1
        return 10.0 ** (self.loglam_start + self.loglam_step * (np.arange(n) + offset))

    def resolution(self, wavelength: np.ndarray) -> np.ndarray:
        knots = np.array(self.resolution_knots)
        return np.interp(wavelength, knots[:, 0], knots[:, 1])


# BOSS: R = 1560-2270 (blue camera) and 1850-2650 (red camera), Smee et al. 2013
BOSS = Survey("BOSS", math.log10(3600.0), math.log10(10400.0), ((3600.0, 1560.0), (6000.0, 2100.0), (10400.0, 2650.0)))
# LAMOST low-resolution survey: R ≈ 1800 around 5500 Å (Cui et al. 2012), 3700-9100 Å
LAMOST = Survey("LAMOST", math.log10(3700.0), math.log10(9100.0), ((3700.0, 1500.0), (5500.0, 1800.0), (9100.0, 2200.0)))
SURVEYS = {s.name: s for s in (BOSS, LAMOST)}


# -- resolution --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A rest-frame spectrum at survey resolution on a uniform ln-λ grid (vacuum Å)."""

    ln_start: float
    ln_step: float
    flux: np.ndarray  # float32

    @property
    def wavelength(self) -> np.ndarray:
        return np.exp(self.ln_start + self.ln_step * np.arange(len(self.flux)))

    @property
    def wavelength_range(self) -> tuple[float, float]:
        return math.exp(self.ln_start), math.exp(self.ln_start + self.ln_step * (len(self.flux) - 1))

    def at(self, wavelength: np.ndarray) -> np.ndarray:
        """Flux at rest-frame wavelengths (linear interpolation; NaN outside)."""
        position = (np.log(wavelength) - self.ln_start) / self.ln_step
        return np.interp(position, np.arange(len(self.flux)), self.flux, left=np.nan, right=np.nan)


def gaussian_broaden(flux: np.ndarray, sigma_pixels: np.ndarray) -> np.ndarray:
    """Convolve a uniformly sampled spectrum with a Gaussian whose width (pixels) varies per pixel.

    Each output pixel is the normalised Gaussian-weighted mean of its neighbours, so a flat
    spectrum stays flat and a line keeps its equivalent width while it widens.
    """
    sigma = np.asarray(sigma_pixels, dtype=np.float64)
    half = max(1, int(math.ceil(4.0 * sigma.max())))
    offsets = np.arange(-half, half + 1)
    index = np.clip(np.arange(len(flux))[:, None] + offsets[None, :], 0, len(flux) - 1)
    safe = np.maximum(sigma, 1e-3)[:, None]
    weights = np.exp(-0.5 * (offsets[None, :] / safe) ** 2)
    weights /= weights.sum(axis=1, keepdims=True)
    return (np.asarray(flux, dtype=np.float64)[index] * weights).sum(axis=1)


def broaden_to_survey(wavelength: np.ndarray, flux: np.ndarray, library_fwhm: float, survey: Survey = BOSS) -> Template:
    """Library spectrum (vacuum Å, FWHM ``library_fwhm`` Å) at the survey's resolution R(λ).

    NaN marks missing library data; it stays missing. The kernel is the quadrature difference of the target and library widths; where the library
    is already coarser than the survey (MILES below ~3900 Å, STELIB below ~5000 Å) it is left as is.
    """
    good = np.flatnonzero(np.isfinite(flux))
    wavelength, flux = np.asarray(wavelength)[good[0] : good[-1] + 1], np.asarray(flux)[good[0] : good[-1] + 1]
    ln_start = math.log(wavelength[0])
    n = int((math.log(wavelength[-1]) - ln_start) / TEMPLATE_LN_STEP) + 1
    fine = np.exp(ln_start + TEMPLATE_LN_STEP * np.arange(n))
    resampled = np.interp(fine, wavelength, flux)  # NaN gaps stay NaN (and widen by the kernel below)
    target_sigma = fine / survey.resolution(fine) / FWHM_PER_SIGMA
    kernel_sigma = np.sqrt(np.clip(target_sigma**2 - (library_fwhm / FWHM_PER_SIGMA) ** 2, 0.0, None))
    broadened = gaussian_broaden(resampled, kernel_sigma / fine / TEMPLATE_LN_STEP)
    return Template(ln_start, TEMPLATE_LN_STEP, broadened.astype(np.float32))


def _line_depths(template: Template) -> tuple[np.ndarray, np.ndarray]:
    """Upper-envelope continuum and flux / continuum (in (0, 1]) of a template; gaps are bridged first."""
    flux = template.flux.astype(np.float64)
    known = np.isfinite(flux)
    flux = np.clip(np.interp(np.arange(len(flux)), np.flatnonzero(known), flux[known]), 1e-30, None)
    window = int(CONTINUUM_WINDOW / template.ln_step)
    continuum = uniform_filter1d(maximum_filter1d(flux, window, mode="nearest"), window, mode="nearest")
    return continuum, np.clip(flux / continuum, 1e-3, 1.0)


def velocity_broadened(template: Template, sigma_kms: float, strength: float = 1.0) -> Template:
    """An outlier example: the template's absorption lines convolved with a Gaussian of ``sigma_kms``
    (far beyond any star's rotation) and deepened (line depth ** ``strength``), the look of pressure-broadened
    lines. The continuum (an upper envelope) is kept."""
    continuum, relative = _line_depths(template)
    broadened = gaussian_filter1d(relative, sigma_kms / C_KMS / template.ln_step, mode="nearest") ** strength
    return replace(template, flux=(continuum * broadened).astype(np.float32))


def lines_weakened(template: Template, strength: float) -> Template:
    """An outlier example: the template's lines made shallow (relative flux ** ``strength``, 0 = none left)
    except in the telluric bands, which library spectra (STELIB) carry uncorrected: a nearly featureless
    continuum with the library's own instrumental imprint, the look of a DB or DC white dwarf."""
    continuum, relative = _line_depths(template)
    wavelength = template.wavelength
    telluric = np.zeros(len(wavelength), dtype=bool)
    for low, high in TELLURIC_BANDS:
        telluric |= (wavelength > low) & (wavelength < high)
    weakened = np.where(telluric, relative, relative**strength)
    return replace(template, flux=(continuum * weakened).astype(np.float32))


def blackbody(teff: float, like: Template) -> Template:
    """A featureless Planck continuum on the grid of ``like``: another outlier example."""
    wavelength_cm = like.wavelength * 1e-8
    flux = 1.0 / (wavelength_cm**5 * np.expm1(1.4387769 / (wavelength_cm * teff)))
    return replace(like, flux=(flux / np.median(flux)).astype(np.float32))


def blend(first: Template, second: Template, ratio: float, window: tuple[float, float] = (6000.0, 6200.0)) -> Template:
    """Two stars in one fibre (an unresolved pair of unlike stars, such as a white dwarf and an M dwarf): ``second``
    scaled so that its flux in ``window`` (Å) is ``ratio`` times ``first``'s, added on ``first``'s grid. Missing
    flux in either stays missing."""
    wavelength = first.wavelength
    other = second.at(wavelength)
    inside = (wavelength > window[0]) & (wavelength < window[1])
    level_first, level_second = (np.nanmedian(f[inside]) if np.isfinite(f[inside]).any() else np.nanmedian(f) for f in (first.flux, other))
    flux = first.flux / level_first + ratio * other / level_second
    return replace(first, flux=flux.astype(np.float32))


BALMER_VACUUM = (6564.61, 4862.68, 4341.68, 4102.89, 3971.20, 3890.16, 3836.47, 3798.98)  # Å, Hα to H10


def balmer_dwarf(teff: float, width: float, depth: float, like: Template) -> Template:
    """A DA-white-dwarf-like outlier example: a Planck continuum with Lorentzian Balmer lines of
    half width ``width`` Å at Hα (each higher line 30% wider), the pressure-broadened look of a high-gravity
    atmosphere (main-sequence lines at R ≈ 1,800 are a few Å wide); ``depth`` is the optical depth at Hα's centre."""
    continuum = blackbody(teff, like)
    wavelength = like.wavelength
    optical_depth = np.zeros_like(wavelength)
    for n, centre in enumerate(BALMER_VACUUM):
        optical_depth += depth * (1.0 - 0.08 * n) / (1.0 + ((wavelength - centre) / (width * (1.0 + 0.3 * n))) ** 2)
    return replace(continuum, flux=(continuum.flux * np.exp(-optical_depth)).astype(np.float32))


# -- physical effects --------------------------------------------------------------------------


def ccm_extinction(wavelength: np.ndarray, r_v: float = R_V) -> np.ndarray:
    """A(λ)/A(V) of Cardelli, Clayton & Mathis (1989), infrared and optical/near-UV parts (1000 Å < λ < 3.3 µm)."""
    x = 1e4 / np.asarray(wavelength, dtype=np.float64)  # inverse microns
    y = x - 1.82
    a_opt = np.polyval([0.32999, -0.77530, 0.01979, 0.72085, -0.02427, -0.50447, 0.17699, 1.0], y)
    b_opt = np.polyval([-2.09002, 5.30260, -0.62251, -5.38434, 1.07233, 2.28305, 1.41338, 0.0], y)
    a_ir, b_ir = 0.574 * x**1.61, -0.527 * x**1.61
    infrared = x < 1.1
    return np.where(infrared, a_ir, a_opt) + np.where(infrared, b_ir, b_opt) / r_v


def reddening_factor(wavelength: np.ndarray, ebv: float, r_v: float = R_V) -> np.ndarray:
    """Transmission 10^(-0.4 A(λ)) for colour excess E(B-V)."""
    return 10.0 ** (-0.4 * ebv * r_v * ccm_extinction(wavelength, r_v))


def tilt_coordinate(wavelength: np.ndarray) -> np.ndarray:
    """The calibration tilt's Legendre coordinate: -1 to 1 over 3600-10400 Å."""
    return (np.asarray(wavelength) - 7000.0) / 3400.0


def calibration_tilt(wavelength: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """A smooth multiplicative flux-calibration error exp(Σ c_k P_k(x)), x = ``tilt_coordinate``."""
    return np.exp(np.polynomial.legendre.legval(tilt_coordinate(wavelength), np.concatenate([[0.0], coefficients])))


def error_array(wavelength: np.ndarray, flux: np.ndarray, snr: float) -> np.ndarray:
    """1-sigma errors with median S/N ``snr``: photon noise of source plus sky, worse at the blue and red ends."""
    level = np.nanmedian(flux)
    ends = 1.0 + 3.0 * np.exp(-(wavelength - 3600.0) / 300.0) + 1.5 * np.exp((wavelength - 10400.0) / 600.0)
    shape = ends * np.sqrt(np.clip(flux / level, 0.0, None) + 0.3)
    return shape * np.nanmedian(np.abs(flux) / shape) / snr


def dropped_pixels(n: int, rng: np.random.Generator, fraction: float, segments: int, max_segment: int = MAX_SEGMENT) -> tuple[np.ndarray, np.ndarray]:
    """Pixels lost to cosmic rays and bad columns (scattered; the file keeps a flux value) and masked
    segments (half of them written as zero flux, as LAMOST files do): two boolean masks."""
    scattered = rng.random(n) < fraction
    zeroed = np.zeros(n, dtype=bool)
    for _ in range(segments):
        length = int(rng.integers(10, max_segment + 1))
        start = int(rng.integers(0, max(1, n - length)))
        scattered[start : start + length] = True
        if rng.random() < 0.5:
            zeroed[start : start + length] = True
    return scattered, zeroed


# -- one observation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Conditions:
    """Everything drawn for one simulated observation (recorded with the evaluation results)."""

    survey: str
    rv: float  # km/s, injected shift
    snr: float  # median S/N per pixel of the added noise (inf: none)
    ebv: float
    tilt: tuple[float, ...]
    scale: float  # median flux level, 1e-17 erg/s/cm²/Å
    blue_limit: float  # Å, observed coverage kept
    red_limit: float
    drop_fraction: float
    drop_segments: int
    extra_noise: float  # extra Gaussian noise in units of the error (paper's augmentation)
    pixel_offset: int  # shift of the survey grid start, pixels


@dataclass(frozen=True)
class Augmentation:
    """Ranges the conditions are drawn from."""

    boss_fraction: float = 0.7
    snr_range: tuple[float, float] = (3.0, 100.0)  # log-uniform
    rv_sigma: float = 60.0  # half the draws N(0, rv_sigma) ...
    rv_limit: float = 500.0  # ... the other half uniform in ±rv_limit
    ebv_max: float = 1.0
    ebv_scale: float = 0.25  # E(B-V) ~ exponential(ebv_scale), capped at ebv_max
    tilt_sigma: float = 0.08
    scale_range: tuple[float, float] = (0.3, 3000.0)  # log-uniform
    blue_loss_probability: float = 0.25
    blue_loss_max: float = 700.0  # Å
    red_loss_probability: float = 0.3
    red_loss_max: float = 3000.0  # Å
    drop_fraction_max: float = 0.02
    drop_segments_max: int = 3
    extra_noise_probability: float = 0.5

    def draw(self, rng: np.random.Generator, rv: float | None = None, snr: float | None = None, survey: str | None = None) -> Conditions:
        if survey is None:
            survey = BOSS.name if rng.random() < self.boss_fraction else LAMOST.name
        if rv is None:
            rv = rng.normal(0.0, self.rv_sigma) if rng.random() < 0.5 else rng.uniform(-self.rv_limit, self.rv_limit)
        if snr is None:
            snr = float(np.exp(rng.uniform(*np.log(self.snr_range))))
        blue = SURVEYS[survey].pixels()[0] + (rng.uniform(0, self.blue_loss_max) if rng.random() < self.blue_loss_probability else 0.0)
        red = SURVEYS[survey].pixels()[-1] - (rng.uniform(0, self.red_loss_max) if rng.random() < self.red_loss_probability else 0.0)
        return Conditions(
            survey=survey,
            rv=float(rv),
            snr=float(snr),
            ebv=float(min(rng.exponential(self.ebv_scale), self.ebv_max)),
            tilt=tuple(float(c) for c in rng.normal(0.0, self.tilt_sigma, 3) / np.arange(1, 4)),
            scale=float(np.exp(rng.uniform(*np.log(self.scale_range)))),
            blue_limit=float(blue),
            red_limit=float(red),
            drop_fraction=float(rng.uniform(0.0, self.drop_fraction_max)),
            drop_segments=int(rng.integers(0, self.drop_segments_max + 1)),
            extra_noise=float(rng.uniform(0.0, 1.0)) if rng.random() < self.extra_noise_probability else 0.0,
            pixel_offset=int(rng.integers(-40, 41)),
        )

    def eased(self, difficulty: float) -> "Augmentation":
        """The same ranges made easier for the start of training (difficulty 0) up to the full ranges (1):
        the lowest S/N falls from 30 to ``snr_range[0]``, drops and extra noise grow from none."""
        d = float(np.clip(difficulty, 0.0, 1.0))
        low = math.exp((1 - d) * math.log(30.0) + d * math.log(self.snr_range[0]))
        return replace(
            self,
            snr_range=(min(low, self.snr_range[1]), self.snr_range[1]),
            drop_fraction_max=self.drop_fraction_max * d,
            drop_segments_max=int(round(self.drop_segments_max * d)),
            extra_noise_probability=self.extra_noise_probability * d,
        )

    def clean(self, rv: float = 0.0, snr: float = 50.0, survey: str = BOSS.name) -> Conditions:
        """Plain conditions: full coverage, no reddening, tilt, drops or extra noise."""
        pixels = SURVEYS[survey].pixels()
        return Conditions(survey, rv, snr, 0.0, (0.0, 0.0, 0.0), 100.0, pixels[0], pixels[-1], 0.0, 0, 0.0, 0)


def observe_template(template: Template, conditions: Conditions, rng: np.random.Generator, meta: SpectrumMeta) -> Spectrum:
    """A simulated survey spectrum of a library star under ``conditions``."""
    wavelength = SURVEYS[conditions.survey].pixels(conditions.pixel_offset)
    rest = wavelength / (1.0 + conditions.rv / C_KMS)
    flux = template.at(rest)
    known = np.flatnonzero(np.isfinite(flux))
    lo, hi = rest[known[0]] * (1 + conditions.rv / C_KMS), rest[known[-1]] * (1 + conditions.rv / C_KMS)
    keep = _kept(wavelength, lo, hi, conditions)
    wavelength, flux = wavelength[keep], flux[keep] * _throughput(wavelength[keep], conditions)
    missing = ~np.isfinite(flux)  # gaps inside the library's range: pixels flagged bad, as a survey would
    flux = np.where(missing, 0.0, flux) * (conditions.scale / np.median(flux[~missing]))
    sigma = error_array(wavelength, np.where(missing, np.nan, flux), conditions.snr)
    sigma = np.where(missing, np.nanmedian(sigma), sigma)
    noisy = flux + sigma * rng.standard_normal(len(flux))
    return _finish(wavelength, noisy, sigma, missing, conditions, rng, meta)


def observe_spectrum(spectrum: Spectrum, conditions: Conditions, rng: np.random.Generator, meta: SpectrumMeta) -> Spectrum:
    """A survey spectrum augmented under ``conditions`` (its own noise kept; the RV shift is added to its own)."""
    wavelength = doppler_shift(spectrum.wavelength, conditions.rv)
    finite = wavelength[np.isfinite(spectrum.flux)]
    keep = np.isfinite(spectrum.flux) & _kept(wavelength, finite[0], finite[-1], conditions)
    wavelength = wavelength[keep]
    factor = _throughput(wavelength, conditions)
    flux, sigma = spectrum.flux[keep] * factor, spectrum.error[keep] * factor
    level = np.median(flux[spectrum.mask[keep]]) if spectrum.mask[keep].any() else np.median(flux)
    scale = conditions.scale / level if level > 0 else 1.0
    return _finish(wavelength, flux * scale, sigma * scale, ~spectrum.mask[keep], conditions, rng, meta)


def _kept(wavelength: np.ndarray, first: float, last: float, conditions: Conditions) -> np.ndarray:
    """Pixels inside the spectrum's range and the drawn coverage; the drawn loss is waived when it would
    leave fewer than ``MIN_PIXELS`` (a library spectrum that is already short)."""
    inside = (wavelength >= first) & (wavelength <= last)
    kept = inside & (wavelength >= conditions.blue_limit) & (wavelength <= conditions.red_limit)
    return kept if kept.sum() >= MIN_PIXELS else inside


def _throughput(wavelength: np.ndarray, conditions: Conditions) -> np.ndarray:
    return reddening_factor(wavelength, conditions.ebv) * calibration_tilt(wavelength, np.array(conditions.tilt))


def _finish(wavelength, flux, sigma, bad, conditions: Conditions, rng: np.random.Generator, meta: SpectrumMeta) -> Spectrum:
    """Extra noise, dropped pixels and segments (ivar 0), then the Spectrum a reader would build."""
    flux = flux + conditions.extra_noise * sigma * rng.standard_normal(len(flux))
    dropped, zeroed = dropped_pixels(len(flux), rng, conditions.drop_fraction, conditions.drop_segments)
    lost = bad | dropped
    flux = np.where(zeroed, 0.0, flux)
    ivar = np.where(lost, 0.0, 1.0 / sigma**2)
    meta = replace(meta, snr=math.nan)
    return spectrum_from_ivar(wavelength, flux.astype(np.float32), ivar.astype(np.float32), meta, bad_pixels=lost)
