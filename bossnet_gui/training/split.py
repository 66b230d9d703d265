"""Train / validation / test split by star, before any augmentation, recorded as a CSV.

A star observed by several libraries (MILES and STELIB share ~100 stars) is one unit, so no
test star has a sibling spectrum in training. The split is stratified in Teff so that the
rare hot and cool stars reach every part; the library's white dwarfs and hot subdwarfs are held
out of all three as the out-of-distribution set, and spectra without a Teff label are not used.
Model grids (the Koester white dwarfs) are split by grid block in a fixed diagonal pattern, block
(i, j) of Teff and log g going to test when (i + 2j) mod 7 = 0 and to validation when it is 3, so that
held-out blocks are spread over the whole grid, cool and hot, low and high gravity, each with trained
blocks around it. Adding a grid leaves the split of the ordinary stars as it was.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from .library import LABELS, STAR, LabelledStar

TRAIN, VALIDATION, TEST, OOD, UNUSED = "train", "validation", "test", "ood", "unused"
LIBRARY_FRACTIONS = {VALIDATION: 0.15, TEST: 0.15}
LAMOST_FRACTIONS = {VALIDATION: 0.2, TEST: 0.4}  # keep enough genuine survey spectra to test on
TEFF_STRATA = 8
GRID_PATTERN, GRID_TEST, GRID_VALIDATION = 7, 0, 3


def _role(stars: list[LabelledStar]) -> str | None:
    """OOD / UNUSED for a whole star, or None when it takes part in the split."""
    if not all(s.trains for s in stars):
        return OOD
    if not any(s.has_teff for s in stars):
        return UNUSED
    return None


def _mean_log_teff(members: list[LabelledStar]) -> float:
    values = [s.labels[LABELS.index("logTeff")] for s in members if s.has_teff]
    return float(np.mean(values)) if values else np.nan


def split_by_star(stars: list[LabelledStar], seed: int = 0) -> dict[str, str]:
    """spectrum_id -> train / validation / test / ood / unused, deterministic for a seed."""
    groups: dict[str, list[LabelledStar]] = defaultdict(list)
    for star in stars:
        groups[star.star].append(star)
    assignment: dict[str, str] = {}
    log_teff = {key: _mean_log_teff(members) for key, members in groups.items()}
    populations: dict[str, list[str]] = defaultdict(list)
    for key in sorted(groups):
        role = _role(groups[key])
        block = groups[key][0].extra.get("grid_block")
        if role is not None:
            assignment[key] = role
        elif block is not None:
            assignment[key] = grid_part(block)
        else:
            populations[groups[key][0].kind].append(key)
    for n, kind in enumerate([STAR] + sorted(k for k in populations if k != STAR)):
        rng = np.random.default_rng(seed if kind == STAR else [seed, n])
        _assign(populations.get(kind, []), groups, log_teff, rng, assignment)
    return {s.spectrum_id: assignment[s.star] for s in stars}


def grid_part(block: tuple[int, int]) -> str:
    position = (block[0] + 2 * block[1]) % GRID_PATTERN
    return TEST if position == GRID_TEST else VALIDATION if position == GRID_VALIDATION else TRAIN


def _assign(keys: list[str], groups, log_teff, rng: np.random.Generator, assignment: dict[str, str]) -> None:
    """Split one population (sorted ``keys``) by Teff strata, survey spectra apart from library ones."""
    if not keys:
        return
    edges = np.quantile([log_teff[k] for k in keys], np.linspace(0, 1, TEFF_STRATA + 1)[1:-1])
    strata: dict[tuple, list[str]] = defaultdict(list)
    for key in keys:
        survey = groups[key][0].observed is not None
        strata[(survey, int(np.searchsorted(edges, log_teff[key])))].append(key)
    for (survey, _), members in sorted(strata.items()):
        fractions = LAMOST_FRACTIONS if survey else LIBRARY_FRACTIONS
        order = [members[i] for i in rng.permutation(len(members))]
        n_val = int(round(fractions[VALIDATION] * len(order)))
        n_test = int(round(fractions[TEST] * len(order)))
        for i, key in enumerate(order):
            assignment[key] = VALIDATION if i < n_val else TEST if i < n_val + n_test else TRAIN


def write_split(path: str | Path, stars: list[LabelledStar], split: dict[str, str]) -> None:
    """One row per spectrum: id, star, library, split, kind, spectral type, labels."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["spectrum_id", "star", "library", "split", "kind", "spectral_type", "teff", "logg", "feh", "rv"])
        for s in stars:
            labels = dict(zip(LABELS, s.labels))
            teff = 10 ** labels["logTeff"] if np.isfinite(labels["logTeff"]) else np.nan
            row = [s.spectrum_id, s.star, s.library, split[s.spectrum_id], s.kind, s.spectral_type]
            writer.writerow(row + [_fmt(teff, 0), _fmt(labels["logg"], 3), _fmt(labels["FeH"], 3), _fmt(labels["rv"], 2)])


def read_split(path: str | Path) -> dict[str, str]:
    with open(path, newline="") as fh:
        return {row["spectrum_id"]: row["split"] for row in csv.DictReader(fh)}


def _fmt(value: float, digits: int) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"


def counts(split: dict[str, str], stars: list[LabelledStar]) -> dict[str, dict[str, int]]:
    """Per split, spectra per library (for the model's metadata)."""
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for s in stars:
        table[split[s.spectrum_id]][s.library] += 1
    return {k: dict(v) for k, v in sorted(table.items())}
