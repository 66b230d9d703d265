"""Is a change to the training recipe better or worse than the old one beyond noise?

``python -m bossnet_gui.training compare --before OLD.pt [--before OLD_SEED1.pt] --after NEW.pt [...]``

Every model is measured on the same held-out stars of their common split: the simulated test views
of the report (``evaluate.test_views``) and the genuine LAMOST DR1 spectra that none of them trained
on (test and validation parts; validation only chose the epoch). For each set and label it gives
each model's robust scatter, and the mean scatter of the "after" models minus that of the "before"
models with a 95% interval from resampling the stars: the same resampled stars for every model, so
the comparison is paired, and all views of a star go together. Runs with several seeds on each side
bring the seed-to-seed spread into the means.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.stats import mad_std

from ..model.predictor import Predictor
from ..model.weights import load_bundled
from . import evaluate
from .split import TEST, VALIDATION

COMPARED = ("logTeff", "logg", "FeH", "rv")
RESAMPLES = 2000


@dataclass
class Change:
    """One label on one set of spectra: each model's scatter and the paired change of the mean."""

    spectra: str
    label: str
    before: list[float]
    after: list[float]
    change: float  # mean scatter after − mean scatter before
    low: float  # 95% interval of the change over resampled stars
    high: float

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return "worse"
        if self.high < 0:
            return "better"
        return "within noise"


def scatter_change(before: list[np.ndarray], after: list[np.ndarray], stars: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """Mean robust scatter of ``after`` minus that of ``before`` (errors of each model on the same
    spectra, in the same order) and its 95% interval from resampling ``stars`` (a star's spectra
    are drawn together)."""
    _, star_of = np.unique(stars, return_inverse=True)
    members = [np.flatnonzero(star_of == k) for k in range(star_of.max() + 1)]

    def change(rows: np.ndarray) -> float:
        return float(np.mean([mad_std(e[rows], ignore_nan=True) for e in after]) - np.mean([mad_std(e[rows], ignore_nan=True) for e in before]))

    rng = np.random.default_rng(seed)
    resampled = [change(np.concatenate([members[k] for k in rng.integers(0, len(members), len(members))])) for _ in range(RESAMPLES)]
    low, high = np.percentile(resampled, [2.5, 97.5])
    return change(np.arange(len(stars))), float(low), float(high)


def compare(before: list[Path], after: list[Path], sources, split_seed: int, log=print) -> list[Change]:
    from .pipeline import check_recorded_split, prepare

    models = {path: load_bundled(path) for path in [*before, *after]}
    data = prepare(sources, split_seed, log)
    for path, model in models.items():
        check_recorded_split(model, path, data.split, split_seed)
    stars = data.stars
    library_test = evaluate.library_test_stars(stars, data.split)
    survey_held_out = [i for i, s in enumerate(stars) if data.split[s.spectrum_id] in (TEST, VALIDATION) and s.observed is not None]
    spectra, labels, names, _ = evaluate.test_views(data.views, library_test, split_seed)
    sets = {
        f"simulated test views ({len(library_test)} stars)": (spectra, labels, names),
        f"survey spectra, held out ({len(survey_held_out)})": (
            [stars[i].observed for i in survey_held_out],
            np.array([stars[i].labels for i in survey_held_out]).reshape(-1, len(COMPARED)),
            [stars[i].spectrum_id for i in survey_held_out],
        ),
    }
    changes = []
    for name, (spectra, labels, names) in sets.items():
        if not spectra:
            continue
        log(f"predicting {len(spectra)} {name} with {len(models)} models")
        predicted = {path: evaluate.predict(Predictor(m), spectra, labels, names, draws=0) for path, m in models.items()}
        for label in COMPARED:
            errors = {path: p.error(label) for path, p in predicted.items()}
            change, low, high = scatter_change([errors[p] for p in before], [errors[p] for p in after], np.array(names), split_seed)
            scatter = {path: evaluate.bias_scatter(e)["scatter"] for path, e in errors.items()}
            changes.append(Change(name, label, [scatter[p] for p in before], [scatter[p] for p in after], change, low, high))
    return changes


def table(changes: list[Change]) -> str:
    lines = ["| spectra | label | before (each model) | after (each model) | change of the mean | 95% interval | |", "|---|---|---|---|---|---|---|"]
    for c in changes:
        digits = 1 if c.label == "rv" else 3
        each = lambda values: " / ".join(f"{v:.{digits}f}" for v in values)  # noqa: E731
        lines.append(f"| {c.spectra} | {c.label} | {each(c.before)} | {each(c.after)} | {c.change:+.{digits}f} | "
                     f"[{c.low:+.{digits}f}, {c.high:+.{digits}f}] | {c.verdict} |")
    return "\n".join(lines)
