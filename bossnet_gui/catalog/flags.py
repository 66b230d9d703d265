"""Automatic quality flags: the SDSS-V Astra bits for BOSS Net results, then ours.

Bits 0-4 and the ``flag_warn``/``flag_bad`` summaries are exactly Astra's (DR19) rules, so our
catalog compares bit for bit with theirs. Bits 5 and up are ours; each has one documented rule
below. All rules read the point estimate (the pass without noise) and its Monte-Carlo spread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class LabelDensity:
    """How crowded each (log10 Teff, log g) cell is with the model's training spectra (smoothed, share per cell),
    and the density below which a prediction counts as lying where the model has seen no stars: calibrated so
    that a small share of validation views (``metadata["label_density"]["quantile"]``) falls below it."""

    logteff_edges: np.ndarray
    logg_edges: np.ndarray
    density: np.ndarray  # (len(logteff_edges) - 1, len(logg_edges) - 1)
    threshold: float

    @classmethod
    def from_metadata(cls, data: dict | None) -> "LabelDensity | None":
        if not data:
            return None
        arrays = (np.asarray(data[k], dtype=float) for k in ("logteff_edges", "logg_edges", "density"))
        return cls(*arrays, float(data["threshold"]))

    def at(self, logteff: np.ndarray, logg: np.ndarray) -> np.ndarray:
        """Density at each point; 0 outside the grid (its last edges belong to the last cells), NaN where a value is missing."""
        logteff, logg = np.asarray(logteff, dtype=float), np.asarray(logg, dtype=float)
        i = np.minimum(np.searchsorted(self.logteff_edges, logteff, side="right") - 1, self.density.shape[0] - 1)
        j = np.minimum(np.searchsorted(self.logg_edges, logg, side="right") - 1, self.density.shape[1] - 1)
        with np.errstate(invalid="ignore"):
            inside = (logteff >= self.logteff_edges[0]) & (logteff <= self.logteff_edges[-1]) & (logg >= self.logg_edges[0]) & (logg <= self.logg_edges[-1])
        values = np.where(inside, self.density[np.clip(i, 0, self.density.shape[0] - 1), np.clip(j, 0, self.density.shape[1] - 1)], 0.0)
        return np.where(np.isfinite(logteff) & np.isfinite(logg), values, np.nan)

    def sparse(self, logteff: np.ndarray, logg: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return self.at(logteff, logg) < self.threshold


@dataclass(frozen=True)
class Thresholds:
    max_err_logteff: float = 0.05  # dex
    max_err_logg: float = 0.5  # dex
    max_err_feh: float = 0.5  # dex
    min_snr: float = 5.0  # median S/N per pixel
    max_extrapolated: float = 0.2  # share of the 3800-8900 Å grid filled flat
    max_bad_flux: float = 0.2  # share of native pixels (in the grid range) missing, masked or <= 0
    gap_max_teff: float = 10_000.0  # K; the MS-WD gap zone of the paper, cool side only
    gap_logg: tuple[float, float] = (5.5, 7.5)
    balmer_teff: tuple[float, float] = (7_000.0, 30_000.0)  # K: every normal star here has strong Balmer absorption
    min_balmer_ew: float = 3.0  # Å, Hβ + Hγ + Hδ together (an A or B star: 10-40 Å)
    # from the model: training-label ranges and the calibrated distance threshold (None: not known)
    logteff_range: tuple[float, float] | None = None
    logg_range: tuple[float, float] | None = None
    label_density: LabelDensity | None = field(default=None, compare=False)
    ood_threshold: float | None = None

    @classmethod
    def for_model(cls, metadata: dict, ood_threshold: float | None = None, **overrides) -> "Thresholds":
        """Thresholds with the model's training coverage (``metadata["label_coverage"]`` and, where the model
        has one, ``metadata["label_density"]``) filled in."""
        metadata = metadata or {}
        coverage = metadata.get("label_coverage", {})
        ranges = {k: tuple(coverage[c]) for k, c in (("logteff_range", "logTeff"), ("logg_range", "logg")) if c in coverage}
        density = LabelDensity.from_metadata(metadata.get("label_density"))
        return cls(**ranges, label_density=density, ood_threshold=ood_threshold, **overrides)


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Flag:
    bit: int
    name: str
    rule: str  # what sets it, in words (shown in the UI and written into exported headers)
    test: Callable[[pd.DataFrame, Thresholds], np.ndarray]


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return frame[name].to_numpy(dtype=float) if name in frame else np.full(len(frame), np.nan)


def _between(x, low, high):
    with np.errstate(invalid="ignore"):
        return (x > low) & (x < high)


def _outside(x, low, high):
    with np.errstate(invalid="ignore"):
        return (x < low) | (x > high)


def _gt(x, limit):
    with np.errstate(invalid="ignore"):
        return x > limit


def _coverage(frame: pd.DataFrame, t: Thresholds) -> np.ndarray:
    outside = np.zeros(len(frame), dtype=bool)
    for column, limits in (("logTeff", t.logteff_range), ("logg", t.logg_range)):
        if limits is not None:
            outside |= _outside(_col(frame, column), *limits)
    if t.label_density is not None:
        outside |= t.label_density.sparse(_col(frame, "logTeff"), _col(frame, "logg"))
    return outside


FLAGS: tuple[Flag, ...] = (
    Flag(0, "runtime_exception", "no result (Teff missing)", lambda f, t: np.isnan(_col(f, "Teff"))),
    Flag(1, "unreliable_teff", "Teff < 1,700 K or > 100,000 K", lambda f, t: _outside(_col(f, "Teff"), 1700, 100_000)),
    Flag(2, "unreliable_logg", "log g < -1 or > 10", lambda f, t: _outside(_col(f, "logg"), -1, 10)),
    Flag(
        3,
        "unreliable_fe_h",
        "Teff < 3,200 K, or log g > 5, or [Fe/H] < -4 or > 2",
        lambda f, t: _outside(_col(f, "Teff"), 3200, np.inf) | _gt(_col(f, "logg"), 5) | _outside(_col(f, "FeH"), -4, 2),
    ),
    Flag(4, "suspicious_fe_h", "Teff < 3,900 K and 3 < log g < 6", lambda f, t: _outside(_col(f, "Teff"), 3900, np.inf) & _between(_col(f, "logg"), 3, 6)),
    Flag(
        5,
        "outside_training_coverage",
        "log Teff or log g outside the range of the model's training labels, or (log Teff, log g) where its training spectra are sparser than for 99.5% of validation views",
        _coverage,
    ),
    Flag(
        6,
        "large_uncertainty",
        "Monte-Carlo sigma above 0.05 dex in log Teff, 0.5 dex in log g or 0.5 dex in [Fe/H]",
        lambda f, t: _gt(_col(f, "logTeff_err"), t.max_err_logteff) | _gt(_col(f, "logg_err"), t.max_err_logg) | _gt(_col(f, "FeH_err"), t.max_err_feh),
    ),
    Flag(7, "low_snr", "median S/N per pixel below 5", lambda f, t: _outside(_col(f, "snr"), t.min_snr, np.inf)),
    Flag(8, "large_extrapolation", "more than 20% of the 3800-8900 A grid lies outside the spectrum and is filled flat", lambda f, t: _gt(_col(f, "extrapolated_fraction"), t.max_extrapolated)),
    Flag(9, "bad_flux", "more than 20% of pixels in 3800-8900 A are missing, masked or not positive", lambda f, t: _gt(_col(f, "bad_flux_fraction"), t.max_bad_flux)),
    Flag(
        10,
        "ms_wd_gap",
        "Teff < 10,000 K with 5.5 < log g < 7.5: between the main sequence and the white-dwarf sequence, where no stars live (paper, sec. 4)",
        lambda f, t: _outside(_col(f, "Teff"), t.gap_max_teff, np.inf) & _between(_col(f, "logg"), *t.gap_logg),
    ),
    Flag(11, "far_from_training", "distance from the training set above the model's calibrated threshold", lambda f, t: _gt(_col(f, "ood_score"), np.inf if t.ood_threshold is None else t.ood_threshold)),
    Flag(
        12,
        "truncated_file",
        "the file ends before its headers say it should; the spectrum lay whole before the cut and was read from there",
        lambda f, t: _gt(_col(f, "truncated_file"), 0),
    ),
    Flag(
        13,
        "lines_missing",
        "predicted 7,000-30,000 K, where every normal star shows strong Balmer absorption, but H-beta + H-gamma + H-delta "
        "hold less than 3 A of equivalent width at the predicted RV: featureless (DC white dwarf?), emission-filled or not a star",
        lambda f, t: _between(_col(f, "Teff"), *t.balmer_teff) & _outside(_col(f, "balmer_ew"), t.min_balmer_ew, np.inf),
    ),
)

BY_NAME = {flag.name: flag for flag in FLAGS}
WARN = ("unreliable_fe_h", "suspicious_fe_h")
BAD = ("runtime_exception", "unreliable_teff", "unreliable_logg", "unreliable_fe_h")
ASTRA_BITS = 5  # bits 0-4 are Astra's


def mask_of(names) -> int:
    return sum(1 << BY_NAME[n].bit for n in names)


def compute_flags(frame: pd.DataFrame, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """``result_flags`` (int bits), ``flag_warn``, ``flag_bad``, ``flag_vet`` (any of our bits) for each row."""
    bits = np.zeros(len(frame), dtype=np.int64)
    for flag in FLAGS:
        bits |= np.asarray(flag.test(frame, thresholds), dtype=bool).astype(np.int64) << flag.bit
    ours = ~((1 << ASTRA_BITS) - 1)
    return pd.DataFrame(
        {
            "result_flags": bits,
            "flag_warn": (bits & mask_of(WARN)) != 0,
            "flag_bad": (bits & mask_of(BAD)) != 0,
            "flag_vet": (bits & ours) != 0,
        },
        index=frame.index,
    )


def describe(bits: int) -> list[str]:
    """Names and rules of the flags set in ``bits``, for the results panel."""
    return [f"{flag.name}: {flag.rule}" for flag in FLAGS if bits & (1 << flag.bit)]


DISAGREEMENT_SCALES = {"logTeff": 0.05, "logg": 0.5, "FeH": 0.5}  # dex: one unit of disagreement, with the survey or another model


def suspicion(column: Callable[[str], np.ndarray], predicted: np.ndarray) -> np.ndarray:
    """How much a row asks to be looked at: the number of quality flags set, plus the distance from the training
    set (1 = a typical validation star), plus the largest disagreement with the survey's own log Teff, log g or
    [Fe/H] in units of ``DISAGREEMENT_SCALES`` (at most 5; none where the survey gives no value), plus the disagreement with a
    comparison model (column ``disagreement``, at most 5; none without one). NaN for rows without a
    prediction, which have nothing to vet. ``column(name)`` gives a catalog column. The vetting queue sorts by it."""
    bits = np.asarray(column("result_flags"), dtype=np.int64)
    count = sum(((bits >> flag.bit) & 1) for flag in FLAGS)
    score = np.nan_to_num(np.asarray(column("ood_score"), dtype=float), nan=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        survey = {"logTeff": np.log10(np.asarray(column("survey_teff"), dtype=float)), "logg": np.asarray(column("survey_logg"), dtype=float),
                  "FeH": np.asarray(column("survey_feh"), dtype=float)}
        apart = [np.abs(np.asarray(column(name), dtype=float) - survey[name]) / scale for name, scale in DISAGREEMENT_SCALES.items()]
    disagreement = np.minimum(np.nan_to_num(np.fmax.reduce(apart), nan=0.0), 5.0)
    models_apart = np.minimum(np.nan_to_num(np.asarray(column("disagreement"), dtype=float), nan=0.0), 5.0)
    return np.where(predicted, count + score + disagreement + models_apart, np.nan)
