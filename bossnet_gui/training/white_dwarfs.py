"""DA white dwarfs the network never trained on: measured right, flagged, or silent.

The held-out Koester models (the test blocks of the split: no neighbour on the grid was trained
on) are observed plainly by BOSS (R ≈ 2,000, vacuum, log-linear pixels, noise) at each S/N of
``WD_SNR`` and go through the app's own path (``engine.predict_frames``), so each gets the flags a
catalog row would. Each outcome is one of:

  measured right  Teff within 10% and log g within 0.5 dex of the model's;
  flagged         not measured right, and at least one quality flag set: a person vetting sees it;
  silent          neither: a wrong result that passes as an ordinary one. There must be none.

``summarise`` gives the issue's target (share measured right among 5,000-40,000 K, log g 7-9, at
S/N ≥ 20), the outcomes by Teff and the Teff confusion table; the report shows them with plots.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine import predict_frames
from ..io import read_spectra
from ..model.predictor import Predictor
from .library import KOESTER, LABELS
from .simulate import Augmentation
from .split import TEST
from .views import ViewMaker

WD_SNR = (5.0, 10.0, 20.0, 30.0, 50.0, 100.0)
TEFF_TOLERANCE, LOGG_TOLERANCE = 0.10, 0.5  # relative, dex: "measured right"
TARGET_TEFF, TARGET_LOGG, TARGET_MIN_SNR, TARGET_SHARE = (5_000.0, 40_000.0), (7.0, 9.0), 20.0, 0.8
TEFF_BINS = (5_000, 6_000, 7_000, 8_500, 10_000, 15_000, 20_000, 30_000, 40_000, 80_001)
CONFUSION_BINS = (0, 4_000, 5_000, 6_000, 7_000, 8_500, 10_000, 15_000, 20_000, 40_000, math.inf)
MEASURED, FLAGGED, SILENT = "measured right", "flagged", "silent"
DRAWS = 20


def held_out_models(views: ViewMaker, split: dict[str, str]) -> list[int]:
    return [i for i, s in enumerate(views.stars) if s.library == KOESTER and split[s.spectrum_id] == TEST]


def observe(views: ViewMaker, indices: list[int], seed: int, snrs=WD_SNR) -> tuple[list, pd.DataFrame]:
    """Plain BOSS views of each model at each S/N, with a radial velocity drawn as for any star."""
    rng = np.random.default_rng([seed, 8008])
    spectra, rows = [], []
    for i in indices:
        star = views.stars[i]
        for snr in snrs:
            rv = float(rng.normal(0.0, 50.0))
            spectra.append(views.view(i, Augmentation().clean(rv=rv, snr=snr), rng, f"wd-snr{snr:g}"))
            rows.append({"wd_model": star.spectrum_id, "true_teff": round(star.teff, 3), "true_logg": star.labels[LABELS.index("logg")], "snr_drawn": snr})
    return spectra, pd.DataFrame(rows)


def outcomes(frame: pd.DataFrame) -> np.ndarray:
    """MEASURED / FLAGGED / SILENT per row of a catalog frame with ``true_teff`` and ``true_logg``."""
    with np.errstate(invalid="ignore"):
        right = (np.abs(frame["Teff"] / frame["true_teff"] - 1) <= TEFF_TOLERANCE) & (np.abs(frame["logg"] - frame["true_logg"]) <= LOGG_TOLERANCE)
    flagged = frame["result_flags"].to_numpy() != 0
    return np.where(right, MEASURED, np.where(flagged, FLAGGED, SILENT))


def predict_views(predictor: Predictor, spectra: list, truth: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Catalog rows (values and flags as the app computes them) beside the true labels, with the outcome."""
    frame = pd.concat(list(predict_frames([predictor], spectra, draws=DRAWS, seed=seed, batch_size=64)), ignore_index=True)
    frame = pd.concat([truth.reset_index(drop=True), frame], axis=1)
    frame["outcome"] = outcomes(frame)
    return frame


def in_target(frame: pd.DataFrame) -> np.ndarray:
    return (
        frame["true_teff"].between(*TARGET_TEFF) & frame["true_logg"].between(*TARGET_LOGG) & (frame["snr_drawn"] >= TARGET_MIN_SNR)
    ).to_numpy()


def by_teff(frame: pd.DataFrame) -> list[dict]:
    """Counts of each outcome per true-Teff bin."""
    rows = []
    for low, high in zip(TEFF_BINS[:-1], TEFF_BINS[1:]):
        part = frame[(frame["true_teff"] >= low) & (frame["true_teff"] < high)]
        rows.append({"range": (low, high), "n": len(part), **{o: int((part["outcome"] == o).sum()) for o in (MEASURED, FLAGGED, SILENT)}})
    return rows


def confusion(frame: pd.DataFrame) -> dict:
    """Rows: true Teff bins; columns: predicted Teff bins (``CONFUSION_BINS``); cells: counts."""
    true_bin = np.digitize(frame["true_teff"], CONFUSION_BINS) - 1
    predicted = frame["Teff"].to_numpy(dtype=float)
    predicted_bin = np.where(np.isfinite(predicted), np.digitize(np.nan_to_num(predicted), CONFUSION_BINS) - 1, -1)
    n = len(CONFUSION_BINS) - 1
    counts = np.zeros((n, n + 1), dtype=int)  # last column: no value
    for t, p in zip(true_bin, predicted_bin):
        counts[t, p if p >= 0 else n] += 1
    return {"bins": [float(b) for b in CONFUSION_BINS], "counts": counts.tolist()}


def summarise(frame: pd.DataFrame) -> dict:
    """Plain numbers for the weights' metadata and the report."""
    target = frame[in_target(frame)]
    bright = frame[frame["snr_drawn"] >= TARGET_MIN_SNR]
    silent = frame[frame["outcome"] == SILENT]
    return {
        "models": int(frame["wd_model"].nunique()),
        "views": len(frame),
        "snr": [float(s) for s in sorted(frame["snr_drawn"].unique())],
        "target": {
            "teff": list(TARGET_TEFF), "logg": list(TARGET_LOGG), "min_snr": TARGET_MIN_SNR, "share_required": TARGET_SHARE,
            "views": len(target), "measured_right": float(np.mean(target["outcome"] == MEASURED)) if len(target) else math.nan,
        },
        "outcomes": {o: int((frame["outcome"] == o).sum()) for o in (MEASURED, FLAGGED, SILENT)},
        "by_teff_snr_ge_20": by_teff(bright),
        "by_teff_snr_lt_20": by_teff(frame[frame["snr_drawn"] < TARGET_MIN_SNR]),
        "confusion_snr_ge_20": confusion(bright),
        "silent": [
            {"model": r.wd_model, "snr": float(r.snr_drawn), "teff": float(r.Teff), "logg": float(r.logg), "ood_score": float(r.ood_score)}
            for r in silent.itertuples()
        ],
    }


def genuine(predictor: Predictor, paths: list[Path]) -> list[dict]:
    """The real white-dwarf files: where they land and which flags they carry."""
    rows = []
    for path in paths:
        spectra = read_spectra(path)
        frame = pd.concat(list(predict_frames([predictor], spectra, draws=DRAWS)), ignore_index=True)
        for r in frame.itertuples():
            rows.append({"name": Path(path).name, "teff": float(r.Teff), "logg": float(r.logg), "teff_err": float(r.Teff_err) if hasattr(r, "Teff_err") else math.nan,
                         "logg_err": float(r.logg_err), "flags": r.flag_names, "ood_score": float(r.ood_score)})
    return rows


def measure(predictor: Predictor, views: ViewMaker, split: dict[str, str], sdss_white_dwarfs: list[Path], seed: int = 0) -> tuple[dict, pd.DataFrame]:
    indices = held_out_models(views, split)
    if not indices:
        return {}, pd.DataFrame()
    spectra, truth = observe(views, indices, seed)
    frame = predict_views(predictor, spectra, truth, seed)
    return {**summarise(frame), "genuine": genuine(predictor, sdss_white_dwarfs)}, frame
