"""First-launch demo spectra: simulated BOSS observations of named library stars, in SDSS spec-lite layout.

Each file is one MILES (or STELIB) star observed through the training simulator and written the
way SDSS writes a ``spec-lite`` file (HDU 1 ``COADD`` table: float32 ``flux``, ``loglam``, ``ivar``,
int32 ``and_mask``), so the app's BOSS reader opens it like a real one. The headers say plainly
what it is: OBJECT = the library star, a COMMENT that it is a simulation and not an SDSS spectrum,
the true labels (TRUE_TEFF, TRUE_LOGG, TRUE_FEH, TRUE_RV) and made-up plate/MJD/fibre numbers
and sky positions. Stars come from the test split where one fits, so the bundled model has not
trained on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from astropy.io import fits

from ..spectrum import SpectrumMeta
from .library import KOESTER, LABELS, MILES, STAR, STELIB, WHITE_DWARF, LabelledStar
from .simulate import BOSS, Augmentation, Conditions, broaden_to_survey, observe_template
from .split import TEST, split_by_star

LIBRARY_REFERENCES = {MILES: "Sanchez-Blazquez et al. 2006; Cenarro et al. 2007", STELIB: "Le Borgne et al. 2003",
                      KOESTER: "Koester 2010 DA white-dwarf model"}
FULLREJECT = 1 << 18  # SDSS and_mask bit for pixels rejected in every exposure
FAKE_RA, FAKE_DEC = 150.0, 2.2  # made-up field centre (COSMOS-like sky, no real object there)


@dataclass(frozen=True)
class DemoTarget:
    """Which kind of star to pick (closest labels in the test split) and how to observe it."""

    title: str
    teff: float
    logg: float
    feh: float
    snr: float = 40.0
    red_limit: float | None = None  # Å: partial coverage
    library: str = MILES
    kind: str = STAR


TARGETS = (
    DemoTarget("hot dwarf (late B / early A)", 11000, 4.0, 0.0),
    DemoTarget("A dwarf", 8500, 4.1, 0.0),
    DemoTarget("F dwarf", 6500, 4.2, 0.0),
    DemoTarget("solar-type G dwarf", 5800, 4.4, 0.0),
    DemoTarget("K dwarf", 4700, 4.6, 0.0),
    DemoTarget("M dwarf", 3500, 4.8, 0.0),
    DemoTarget("red-clump giant", 4800, 2.5, 0.0),
    DemoTarget("M giant", 3700, 1.0, 0.0),
    DemoTarget("F/G supergiant", 6000, 1.0, 0.0),
    DemoTarget("metal-poor giant", 4800, 1.8, -2.2),
    DemoTarget("metal-poor dwarf (halo)", 5900, 4.3, -1.8),
    DemoTarget("G dwarf at low S/N", 5500, 4.4, -0.3, snr=5.0),
    DemoTarget("K giant, red end missing (partial coverage)", 4500, 2.3, 0.0, red_limit=6300.0),
    DemoTarget("white dwarf (outside the training set)", math.nan, math.nan, math.nan, library=STELIB, kind=WHITE_DWARF),
    DemoTarget("DA white dwarf (held-out model)", 14000, 8.0, math.nan, snr=30.0, library=KOESTER, kind=WHITE_DWARF),
    DemoTarget("cool DA white dwarf, A/F-star look-alike (held-out model)", 7000, 8.0, math.nan, snr=30.0, library=KOESTER, kind=WHITE_DWARF),
)


def pick(stars: list[LabelledStar], split: dict[str, str], target: DemoTarget, taken: set[str]) -> LabelledStar:
    """The test-split star of the target's library and kind nearest in (log Teff, log g, [Fe/H]), the labels
    the target gives; the first of its kind for a target without labels."""
    pool = [s for s in stars if s.library == target.library and s.kind == target.kind and s.spectrum_id not in taken]
    if math.isnan(target.teff):
        return pool[0]
    goal = np.array([target.logg, math.log10(target.teff), target.feh])
    given = np.isfinite(goal)
    pool = [s for s in pool if split[s.spectrum_id] == TEST and np.isfinite(s.labels[:3][given]).all()] or pool
    scale = np.array([1.0, 0.05, 0.5])[given]  # log g, log Teff, [Fe/H] distances weighted alike
    return min(pool, key=lambda s: float(np.sum(((s.labels[:3][given] - goal[given]) / scale) ** 2)))


def demo_conditions(target: DemoTarget, rng: np.random.Generator) -> Conditions:
    """BOSS sampling, a plausible RV, light reddening and tilt; no extra noise or masked pixels."""
    base = Augmentation().clean(rv=float(rng.normal(0.0, 40.0)), snr=target.snr * float(rng.uniform(0.9, 1.1)))
    return replace(
        base,
        ebv=float(rng.uniform(0.0, 0.08)),
        tilt=tuple(float(c) for c in rng.normal(0.0, 0.03, 3)),
        scale=float(np.exp(rng.uniform(np.log(5.0), np.log(80.0)))),
        red_limit=target.red_limit or base.red_limit,
    )


def write_spec_lite(path: Path, spectrum, star: LabelledStar, target: DemoTarget, conditions: Conditions, fiber: int) -> Path:
    """One file in the SDSS spec-lite layout with honest provenance in the primary header."""
    ivar = np.where(spectrum.mask, 1.0 / np.square(spectrum.error.astype(np.float64)), 0.0)
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column("flux", "E", array=spectrum.flux.astype(np.float32)),
            fits.Column("loglam", "E", array=np.log10(spectrum.wavelength).astype(np.float32)),
            fits.Column("ivar", "E", array=ivar.astype(np.float32)),
            fits.Column("and_mask", "J", array=np.where(spectrum.mask, 0, FULLREJECT).astype(np.int32)),
        ],
        name="COADD",
    )
    header = fits.Header()
    name = star.extra.get("name", star.spectrum_id)
    teff, logg, feh = (star.labels[LABELS.index(k)] for k in ("logTeff", "logg", "FeH"))
    header["OBJECT"] = (name, "library star that was observed (simulated)")
    header["PLUG_RA"] = (FAKE_RA + 0.05 * fiber, "deg, MADE UP (not a real position)")
    header["PLUG_DEC"] = (FAKE_DEC + 0.03 * fiber, "deg, MADE UP (not a real position)")
    header["PLATEID"] = (0, "made up: not an SDSS plate")
    header["MJD"] = (0, "made up")
    header["FIBERID"] = (fiber, "made up")
    header["TRUE_TEFF"] = (round(10**teff, 1) if np.isfinite(teff) else "unknown", "K, library label")
    header["TRUE_LOGG"] = (round(float(logg), 3) if np.isfinite(logg) else "unknown", "library label")
    header["TRUE_FEH"] = (round(float(feh), 3) if np.isfinite(feh) else "unknown", "library label")
    header["TRUE_RV"] = (round(conditions.rv, 2), "km/s, injected Doppler shift")
    header["SIM_SNR"] = (round(conditions.snr, 1), "median S/N per pixel of the added noise")
    header["SIM_EBV"] = (round(conditions.ebv, 3), "E(B-V) of the added reddening (CCM89, R_V=3.1)")
    header["SPECTYPE"] = (star.spectral_type, f"{star.library} spectral type")
    header["DEMOKIND"] = target.title
    header["COMMENT"] = f"Simulated observation of {star.library} star {name} ({star.spectrum_id}) by bossnet-gui,"
    header["COMMENT"] = "not a real SDSS spectrum: BOSS-like resolution, sampling and noise added to a library spectrum"
    header["COMMENT"] = "(python -m bossnet_gui.training demo). Plate, MJD, fibre and positions are made up."
    header["COMMENT"] = f"Library: {star.library} ({LIBRARY_REFERENCES[star.library]})."
    fits.HDUList([fits.PrimaryHDU(header=header), table]).writeto(path, overwrite=True)
    return path


def write_demo_set(out: Path, stars: list[LabelledStar], seed: int = 0) -> list[Path]:
    """The demo spectra, picked from ``stars`` (MILES, STELIB and the Koester DA models) by the split of ``seed``."""
    split = split_by_star(stars, seed)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 2718])
    paths, taken = [], set()
    for fiber, target in enumerate(TARGETS, start=1):
        star = pick(stars, split, target, taken)
        taken.add(star.spectrum_id)
        conditions = demo_conditions(target, rng)
        template = broaden_to_survey(star.wavelength, star.flux, star.fwhm, BOSS)
        meta = SpectrumMeta(source=f"demo-{fiber}", object_id=star.spectrum_id)
        spectrum = observe_template(template, conditions, rng, meta)
        paths.append(write_spec_lite(out / f"spec-0000-00000-{fiber:04d}.fits", spectrum, star, target, conditions, fiber))
    return paths
