"""Target lists: a CSV, ECSV or FITS table of the stars a person wants to look at, matched to catalog rows.

A list names its stars by position (columns like ``ra``/``dec``, degrees), by file name (``file``,
``filename``, ``source``, ``path``: matched on the file's base name, so a list made on another
machine still matches), or by object id (``id``, ``object``, ``designation``, ``name``: matched
exactly, case-insensitive). Positions match within ``RADIUS_ARCSEC``. A row matches by any of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RADIUS_ARCSEC = 2.0  # fibre-sized: BOSS fibres are 2", LAMOST 3.3"
RA_NAMES = ("ra", "ra_deg", "radeg", "raj2000", "ra_icrs", "plug_ra")
DEC_NAMES = ("dec", "dec_deg", "dedeg", "decdeg", "dej2000", "decj2000", "de_icrs", "plug_dec")
FILE_NAMES = ("file", "filename", "file_name", "source", "path", "spectrum")
ID_NAMES = ("id", "object", "objid", "obj_id", "object_id", "designation", "desig", "name", "star")


@dataclass(frozen=True)
class TargetList:
    path: str
    files: frozenset[str] = frozenset()  # base names
    ids: frozenset[str] = frozenset()  # lower case
    ra: np.ndarray = field(default_factory=lambda: np.empty(0))  # deg
    dec: np.ndarray = field(default_factory=lambda: np.empty(0))

    def describe(self) -> str:
        parts = [f"{len(self.ra):,} positions"] * bool(len(self.ra)) + [f"{len(self.files):,} file names"] * bool(self.files)
        parts += [f"{len(self.ids):,} object ids"] * bool(self.ids)
        return f"{Path(self.path).name}: " + (", ".join(parts) or "nothing to match")


class TargetListError(ValueError):
    """A target list that could not be read, or names no star in a way we can match; one line."""


def read_target_list(path: str | Path) -> TargetList:
    table = _read_table(Path(path))
    columns = {name.lower(): name for name in table.columns}
    ra_name, dec_name = _first(columns, RA_NAMES), _first(columns, DEC_NAMES)
    file_name, id_name = _first(columns, FILE_NAMES), _first(columns, ID_NAMES)
    if not ((ra_name and dec_name) or file_name or id_name):
        raise TargetListError(f"{Path(path).name}: no RA/Dec, file name or object id column (columns: {', '.join(table.columns)})")
    ra = dec = np.empty(0)
    if ra_name and dec_name:
        ra, dec = (pd_numbers(table[c]) for c in (ra_name, dec_name))
        good = np.isfinite(ra) & np.isfinite(dec)
        ra, dec = ra[good], dec[good]
    files = frozenset(os.path.basename(t) for t in _texts(table, file_name))
    ids = frozenset(t.lower() for t in _texts(table, id_name))
    return TargetList(str(path), files, ids, ra, dec)


def _texts(table, name: str | None) -> list[str]:
    """A column's non-empty cells as stripped text (FITS gives bytes)."""
    if name is None:
        return []
    texts = (v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in table[name])
    return [t.strip() for t in texts if t.strip() and t.strip().lower() != "nan"]


def pd_numbers(values) -> np.ndarray:
    """A column as floats, NaN where a cell is not a number."""
    import pandas as pd

    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _first(columns: dict[str, str], names) -> str | None:
    return next((columns[n] for n in names if n in columns), None)


def _read_table(path: Path):
    """A pandas frame of the list: FITS (first table HDU) or ECSV through astropy, other text through pandas."""
    import pandas as pd

    try:
        with open(path, "rb") as fh:
            start = fh.read(2880)
        if start.startswith(b"SIMPLE"):
            from astropy.table import Table

            return Table.read(path).to_pandas()
        if start.startswith(b"# %ECSV"):
            from astropy.table import Table

            return Table.read(path, format="ascii.ecsv").to_pandas()
        delimiter = _delimiter(path)
        return pd.read_csv(path, sep=r"\s+" if delimiter == " " else delimiter, engine="python", comment="#")
    except (OSError, ValueError, TypeError, UnicodeDecodeError) as error:
        raise TargetListError(f"{path.name}: not a readable table ({error})") from error


def _delimiter(path: Path) -> str:
    """The text table's delimiter among comma, tab, semicolon, bar and blanks; a comma (one column) when none is
    consistent: a plain list of file names has none, and letters must never be taken for one."""
    import csv

    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = [line for line, _ in zip((line for line in fh if line.strip() and not line.startswith("#")), range(50))]
    try:
        return csv.Sniffer().sniff("".join(lines), delimiters=",\t;| ").delimiter
    except csv.Error:  # runs of blanks of varying length defeat the sniffer
        fields = {len(line.split()) for line in lines}
        return " " if len(fields) == 1 and fields.pop() > 1 else ","


def match(targets: TargetList, sources: np.ndarray, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray,
          radius_arcsec: float = RADIUS_ARCSEC) -> np.ndarray:
    """Which catalog rows (columns ``source``, ``id``, ``ra``, ``dec``) are on the list."""
    hit = np.zeros(len(sources), dtype=bool)
    if targets.files:
        hit |= np.array([os.path.basename(str(s)) in targets.files for s in sources], dtype=bool)
    if targets.ids:
        hit |= np.array([str(i).strip().lower() in targets.ids for i in ids], dtype=bool)
    ra, dec = np.asarray(ra, dtype=float), np.asarray(dec, dtype=float)
    known = np.isfinite(ra) & np.isfinite(dec)
    if len(targets.ra) and known.any():
        hit[np.flatnonzero(known)[_near(ra[known], dec[known], targets.ra, targets.dec, radius_arcsec)]] = True
    return hit


def _near(ra, dec, target_ra, target_dec, radius_arcsec: float) -> np.ndarray:
    """For each (ra, dec): whether a target lies within the radius (unit vectors in a KD-tree: fast for millions)."""
    from scipy.spatial import cKDTree

    def unit(a, d):
        a, d = np.radians(a), np.radians(d)
        return np.column_stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])

    chord = 2 * np.sin(np.radians(radius_arcsec / 3600.0) / 2)
    distance, _ = cKDTree(unit(target_ra, target_dec)).query(unit(ra, dec), k=1, distance_upper_bound=chord)
    return np.isfinite(distance)
