"""CatalogModel: the one object that owns the catalog rows, the current star, the filter and the plot subset.

Views (table, Kiel diagram, spectrum and results panels) subscribe to its signals and write back
through its methods; they never talk to each other (glue's "data collection owns data and
selection, viewers subscribe", expressed as Qt signals).

Row numbers are stable for the life of a catalog: a file opened gets one ``queued`` row at once;
its first spectrum's result replaces that row in place, further spectra of the same file are
appended. Rows are never removed except by ``clear``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, Signal

from ..catalog.export import TEXT_COLUMNS
from ..catalog.session import SessionStore
from ..catalog.table import USER_FLAGS, all_columns
from ..model.predictor import OK
from ..spectrum import Spectrum
from .spectrum_cache import SpectrumCache

COLUMNS = all_columns(1)  # always with the _median/_err columns (NaN when run without draws)
BOOL_COLUMNS = ("flag_warn", "flag_bad", "flag_vet")
INT_COLUMNS = ("result_flags",)
QUEUED = "queued"
CANCELLED = "cancelled before prediction"


def row_state(status: str) -> str:
    """queued, predicted or failed, from a row's status."""
    if status == QUEUED:
        return "queued"
    return "predicted" if status == OK else "failed"


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the catalog columns, in order, with their dtypes (missing ones filled)."""
    n = len(frame)
    columns = {}
    for name in COLUMNS:
        present = name in frame.columns
        if name in TEXT_COLUMNS:
            values = frame[name].fillna("").astype(str).to_numpy(dtype=object) if present else np.full(n, "", dtype=object)
            columns[name] = pd.array(values, dtype=str)
        elif name in BOOL_COLUMNS:
            columns[name] = frame[name].fillna(False).astype(bool).to_numpy() if present else np.zeros(n, dtype=bool)
        elif name in INT_COLUMNS:
            columns[name] = frame[name].fillna(0).astype(np.int64).to_numpy() if present else np.zeros(n, dtype=np.int64)
        else:
            columns[name] = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float) if present else np.full(n, np.nan)
    return pd.DataFrame(columns)


def queued_rows(sources: Sequence[str]) -> pd.DataFrame:
    return conform(pd.DataFrame({"source": list(sources), "hdu": "", "status": QUEUED}))


@dataclass(frozen=True)
class RowFilter:
    """What the table shows: a text match on id/file name, only flagged stars, only unvetted stars."""

    text: str = ""
    flagged_only: bool = False  # predicted rows with any automatic quality flag
    unvetted_only: bool = False  # predicted rows without a user flag

    @property
    def active(self) -> bool:
        return bool(self.text) or self.flagged_only or self.unvetted_only


class CatalogModel(QObject):
    rowsAppended = Signal(int, int)  # first, last (inclusive)
    rowsChanged = Signal(object)  # sorted np.ndarray of row numbers whose values changed
    rowsCleared = Signal()
    selectionChanged = Signal(int)  # the current star's row, -1 for none
    selectedRowsChanged = Signal(object)  # rows picked in the table (np.ndarray), for export
    subsetChanged = Signal(object)  # rows picked on a plot (np.ndarray) or None
    filterChanged = Signal()  # ``visible`` changed
    spectrumReady = Signal(int, object, str)  # row, Spectrum or None, reason when None
    message = Signal(str)  # something a person should know, shown without a modal dialog

    def __init__(self, store: SessionStore | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store
        self.frame = queued_rows([])
        self.current = -1
        self.selected_rows = np.empty(0, dtype=int)
        self.subset: np.ndarray | None = None
        self.filter = RowFilter()
        self.visible = np.empty(0, dtype=bool)
        self._queued: dict[str, int] = {}  # file -> its queued row
        self._rows: dict[tuple[str, str], int] = {}  # (file, hdu) -> row with a result
        self.spectra = SpectrumCache(self)
        self.spectra.loaded.connect(self._on_spectrum_loaded)
        if store is not None and store.warning:
            self.message.emit(store.warning)  # nobody listens yet; main window re-reads store.warning

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.frame)

    def key(self, row: int) -> tuple[str, str]:
        return str(self.frame.at[row, "source"]), str(self.frame.at[row, "hdu"])

    def record(self, row: int) -> dict:
        return self.frame.iloc[row].to_dict()

    def sources(self) -> list[str]:
        return list(dict.fromkeys(self.frame["source"]))

    def states(self) -> np.ndarray:
        status = self.frame["status"].to_numpy(dtype=object)
        return np.where(status == QUEUED, "queued", np.where(status == OK, "predicted", "failed"))

    def predicted(self) -> np.ndarray:
        return (self.frame["status"] == OK).to_numpy()

    def flagged(self) -> np.ndarray:
        """Predicted rows with any automatic flag."""
        return self.predicted() & (self.frame["result_flags"].to_numpy() != 0)

    def queued_sources(self) -> list[str]:
        return list(self._queued)

    # -- rows ---------------------------------------------------------------------------------

    def add_files(self, sources: Iterable[str]) -> list[str]:
        """One queued row per file not already in the catalog; returns the files added."""
        known = set(self._queued) | {source for source, _ in self._rows}
        new = [s for s in dict.fromkeys(str(s) for s in sources) if s not in known]
        if new:
            first = len(self.frame)
            self.frame = pd.concat([self.frame, queued_rows(new)], ignore_index=True)
            self._queued.update({s: first + i for i, s in enumerate(new)})
            self._after_rows_added(first)
        return new

    def apply_results(self, results: pd.DataFrame, spectra: Sequence[Spectrum | None] = ()) -> np.ndarray:
        """Put result rows in place (replacing queued rows of their files); returns their row numbers."""
        results = conform(results).reset_index(drop=True)
        self._restore_vetting(results)
        for spectrum in spectra:
            if spectrum is not None:
                self.spectra.put(spectrum)
        targets, appended = self._target_rows(results)
        first_new = len(self.frame)
        in_place = targets >= 0
        if in_place.any():
            self._assign(targets[in_place], results[in_place])
        if appended:
            extra = results.iloc[appended]
            self.frame = pd.concat([self.frame, extra], ignore_index=True)
            targets[appended] = np.arange(first_new, first_new + len(appended))
        for (source, hdu), row in zip(zip(results["source"], results["hdu"]), targets):
            self._rows[(str(source), str(hdu))] = int(row)
        self._update_visible()
        if in_place.any():
            self.rowsChanged.emit(np.sort(targets[in_place]))
        if appended:
            self.rowsAppended.emit(first_new, len(self.frame) - 1)
        if self.current in targets:
            self.spectra.request(self.key(self.current))
        return targets

    def mark_unfinished(self, sources: Iterable[str], status: str = CANCELLED) -> None:
        """Queued rows of these files get a status saying why they were not predicted."""
        rows = np.array(sorted(self._queued.pop(s) for s in sources if s in self._queued), dtype=int)
        if len(rows):
            self.frame.iloc[rows, self.frame.columns.get_loc("status")] = status
            self._update_visible()
            self.rowsChanged.emit(rows)

    def clear(self) -> None:
        self.frame = queued_rows([])
        self._queued.clear()
        self._rows.clear()
        self.current = -1
        self.selected_rows = np.empty(0, dtype=int)
        self.subset = None
        self.visible = np.empty(0, dtype=bool)
        self.rowsCleared.emit()
        self.selectionChanged.emit(-1)

    def _after_rows_added(self, first: int) -> None:
        self._update_visible()
        self.rowsAppended.emit(first, len(self.frame) - 1)

    def _target_rows(self, results: pd.DataFrame) -> tuple[np.ndarray, list[int]]:
        targets = np.full(len(results), -1, dtype=int)
        appended = []
        for i, (source, hdu) in enumerate(zip(results["source"], results["hdu"])):
            key = (str(source), str(hdu))
            if key in self._rows:
                targets[i] = self._rows[key]
            elif key[0] in self._queued:
                targets[i] = self._queued.pop(key[0])
            else:
                appended.append(i)
        return targets, appended

    def _assign(self, rows: np.ndarray, values: pd.DataFrame) -> None:
        old_flag = self.frame["user_flag"].to_numpy(dtype=object)[rows]
        old_note = self.frame["note"].to_numpy(dtype=object)[rows]
        new_flag, new_note = values["user_flag"].to_numpy(dtype=object), values["note"].to_numpy(dtype=object)
        values = values.assign(user_flag=np.where(new_flag == "", old_flag, new_flag), note=np.where(new_note == "", old_note, new_note))
        for j, name in enumerate(COLUMNS):
            self.frame.iloc[rows, j] = values[name].to_numpy()

    def _restore_vetting(self, results: pd.DataFrame) -> None:
        if self.store is None or results.empty:
            return
        keys = list(zip(results["source"].astype(str), results["hdu"].astype(str)))
        saved = self.store.vetting(keys)
        if saved:
            flags = [saved.get(k, ("", ""))[0] for k in keys]
            notes = [saved.get(k, ("", ""))[1] for k in keys]
            results["user_flag"] = pd.array(flags, dtype=str)
            results["note"] = pd.array(notes, dtype=str)

    # -- current star and selections ----------------------------------------------------------

    def set_current(self, row: int) -> None:
        row = int(row) if 0 <= int(row) < len(self.frame) else -1
        if row == self.current:
            return
        self.current = row
        self.selectionChanged.emit(row)
        if row >= 0:
            self.spectra.request(self.key(row))

    def set_selected_rows(self, rows: Iterable[int]) -> None:
        self.selected_rows = np.unique(np.asarray(list(rows), dtype=int))
        self.selectedRowsChanged.emit(self.selected_rows)

    def set_subset(self, rows: Iterable[int] | None) -> None:
        """Rows picked on a plot (box or lasso); None shows every row again."""
        self.subset = None if rows is None else np.unique(np.asarray(list(rows), dtype=int))
        self._update_visible()
        self.subsetChanged.emit(self.subset)
        self.filterChanged.emit()

    def set_filter(self, **changes) -> None:
        self.filter = replace(self.filter, **changes)
        self._update_visible()
        self.filterChanged.emit()

    def _update_visible(self) -> None:
        n = len(self.frame)
        visible = np.ones(n, dtype=bool)
        f = self.filter
        if f.flagged_only:
            visible &= self.flagged()
        if f.unvetted_only:
            visible &= self.predicted() & (self.frame["user_flag"].to_numpy(dtype=object) == "")
        if f.text:
            names = self.frame["source"].map(lambda s: Path(s).name)
            hit = self.frame["id"].str.contains(f.text, case=False, regex=False) | names.str.contains(f.text, case=False, regex=False)
            visible &= hit.to_numpy(dtype=bool)
        if self.subset is not None:
            in_subset = np.zeros(n, dtype=bool)
            in_subset[self.subset[self.subset < n]] = True
            visible &= in_subset
        self.visible = visible

    # -- vetting ------------------------------------------------------------------------------

    def set_vetting(self, row: int, user_flag: str | None = None, note: str | None = None) -> None:
        """A person's verdict and/or note for one row: into the frame and the session store at once."""
        if not 0 <= row < len(self.frame):
            return
        if user_flag is not None and user_flag not in USER_FLAGS:
            raise ValueError(f"unknown user flag {user_flag!r}; one of {USER_FLAGS}")
        if user_flag is not None:
            self.frame.iloc[row, self.frame.columns.get_loc("user_flag")] = user_flag
        if note is not None:
            self.frame.iloc[row, self.frame.columns.get_loc("note")] = note
        if self.store is not None:
            source, hdu = self.key(row)
            self.store.set_vetting(source, hdu, user_flag=user_flag, note=note)
        self._update_visible()
        self.rowsChanged.emit(np.array([row]))

    # -- spectra ------------------------------------------------------------------------------

    def _on_spectrum_loaded(self, key: tuple[str, str], spectrum: Spectrum | None, reason: str) -> None:
        if self.current >= 0 and self._matches(self.current, key):
            self.spectrumReady.emit(self.current, spectrum, reason)

    def _matches(self, row: int, key: tuple[str, str]) -> bool:
        source, hdu = self.key(row)
        return source == key[0] and (hdu == key[1] or hdu == "")
