"""CatalogModel: the one object that owns the catalog rows, the current star, the filter and the plot subset.

Views (table, Kiel diagram, spectrum and results panels) subscribe to its signals and write back
through its methods; they never talk to each other (glue's "data collection owns data and
selection, viewers subscribe", expressed as Qt signals).

Row numbers are stable for the life of a catalog: a file opened gets one ``queued`` row at once;
its first spectrum's result replaces that row in place, further spectra of the same file are
appended. Rows are never removed except by ``clear``. The rows live in a ``ColumnStore`` (NumPy
arrays changed in place); ``frame`` is the catalog DataFrame, built when asked.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..catalog.flags import suspicion
from ..catalog.targets import TargetList, match
from ..catalog.session import SessionStore
from ..catalog.table import USER_FLAGS
from ..results import OK
from ..spectrum import Spectrum
from .catalog_job import OpenedCatalog, SearchIndex
from .column_store import COLUMNS, ColumnStore, as_arrays, blank_arrays, conform
from .spectrum_cache import SpectrumCache

QUEUED = "queued"
SAVE_RETRY_MS = 3000  # a verdict or note the store refused is written again after this pause
CANCELLED = "cancelled before prediction"
NOT_PREDICTED = ("not predicted", "cancelled")  # statuses that say why no prediction was tried (not a failure)
__all__ = ["CANCELLED", "COLUMNS", "QUEUED", "CatalogModel", "RowFilter", "conform", "row_state"]


def row_state(status: str) -> str:
    """queued, predicted, not predicted (no model, cancelled) or failed, from a row's status."""
    if status == QUEUED:
        return "queued"
    if status == OK:
        return "predicted"
    return "not predicted" if str(status).startswith(NOT_PREDICTED) else "failed"


class VettingEdit(QUndoCommand):
    """One person's change of a star's verdict and note; undo and redo are saved like the edit itself."""

    def __init__(self, catalog: "CatalogModel", row: int, before: tuple[str, str], after: tuple[str, str]):
        what = "note" if before[0] == after[0] else f"verdict '{after[0] or 'none'}'"
        super().__init__(f"{what} of {catalog.value(row, 'id') or Path(catalog.key(row)[0]).name}")
        self.catalog, self.row, self.before, self.after = catalog, row, before, after

    def redo(self) -> None:
        self.catalog._write_vetting(self.row, *self.after)

    def undo(self) -> None:
        self.catalog._write_vetting(self.row, *self.before)


@dataclass(frozen=True)
class RowFilter:
    """What the table shows: a text match on id/file name, only flagged stars, only unvetted stars."""

    text: str = ""
    flagged_only: bool = False  # predicted rows with any automatic quality flag
    unvetted_only: bool = False  # predicted rows without a user flag
    targets_only: bool = False  # rows on the imported target list

    @property
    def active(self) -> bool:
        return bool(self.text) or self.flagged_only or self.unvetted_only or self.targets_only


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
        self.cells = ColumnStore()
        self.current = -1
        self.selected_rows = np.empty(0, dtype=int)
        self.subset: np.ndarray | None = None
        self.filter = RowFilter()
        self.targets: TargetList | None = None
        self._on_list: tuple[int, np.ndarray] | None = None  # (catalog version, rows on the target list)
        self.visible = np.empty(0, dtype=bool)
        self._queued: dict[str, int] = {}  # file -> its queued row
        self._keyed: dict[tuple[str, str], int] = {}  # (file, hdu) -> row with a result
        self._files: set[str] | None = set()  # every file with a row (None: not known yet, see ``files``)
        self.opened_catalog: str | None = None  # the catalog file the rows came from, if they did
        self._search: SearchIndex | None = None
        self.spectra = SpectrumCache(self)
        self.spectra.loaded.connect(self._on_spectrum_loaded)
        self.history = QUndoStack(self)  # the vetting edits, for undo and redo
        self.unsaved: set[int] = set()  # rows whose verdict or note the store has not taken yet
        self._save_retry = QTimer(self, singleShot=True, interval=SAVE_RETRY_MS)
        self._save_retry.timeout.connect(self.save_unsaved)

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def frame(self) -> pd.DataFrame:
        """The catalog as a DataFrame (published column names); do not modify it."""
        return self.cells.frame()

    @property
    def version(self) -> int:
        """Changes whenever any value does."""
        return self.cells.version

    def column(self, name: str) -> np.ndarray:
        return self.cells.column(name)

    def value(self, row: int, name: str):
        return self.cells.value(row, name)

    def key(self, row: int) -> tuple[str, str]:
        return str(self.cells.value(row, "source")), str(self.cells.value(row, "hdu"))

    def record(self, row: int) -> dict:
        return self.cells.record(row)

    def sources(self) -> list[str]:
        return list(dict.fromkeys(self.column("source")))

    def states(self) -> np.ndarray:
        codes, statuses = pd.factorize(self.column("status"))  # few distinct statuses, however many rows
        return np.array([row_state(s) for s in statuses], dtype=object)[codes]

    def predicted(self) -> np.ndarray:
        return self.column("status") == OK

    def flagged(self) -> np.ndarray:
        """Predicted rows with any automatic flag."""
        return self.predicted() & (self.column("result_flags") != 0)

    def set_targets(self, targets: TargetList | None) -> None:
        """The imported target list (None: none); the "targets only" filter shows its rows."""
        self.targets, self._on_list = targets, None
        self._update_visible()
        self.filterChanged.emit()

    def on_target_list(self) -> np.ndarray:
        """Rows on the target list (all False without one), matched once per catalog version."""
        if self.targets is None:
            return np.zeros(len(self), dtype=bool)
        if self._on_list is None or self._on_list[0] != self.version or len(self._on_list[1]) != len(self):
            rows = match(self.targets, *(self.column(c) for c in ("source", "id", "ra", "dec")))
            self._on_list = (self.version, rows)
        return self._on_list[1]

    def unvetted(self) -> np.ndarray:
        """Predicted rows without the person's verdict yet."""
        return self.predicted() & (self.column("user_flag") == "")

    def suspicion(self) -> np.ndarray:
        """``catalog.flags.suspicion`` of every row: the vetting queue's order, highest first."""
        return suspicion(self.column, self.predicted())

    def _search_index(self) -> SearchIndex:
        """What the text filter searches (object id and file name), made again only when rows come or go."""
        if self._search is None or len(self._search) != len(self):
            self._search = SearchIndex(self.column("id"), self.column("source"))
        return self._search

    def files(self) -> set[str]:
        """Every file with a row (so that opening it again adds no row)."""
        if self._files is None:
            self._files = set(self.column("source"))
        return self._files

    def queued_sources(self) -> list[str]:
        return list(self._queued)

    # -- rows ---------------------------------------------------------------------------------

    def add_files(self, sources: Iterable[str]) -> list[str]:
        """One queued row per file not already in the catalog; returns the files added."""
        known = self.files()
        new = [s for s in dict.fromkeys(str(s) for s in sources) if s not in known]
        if new:
            first = self.cells.append(blank_arrays(len(new), source=new, status=QUEUED))
            self._queued.update({s: first + i for i, s in enumerate(new)})
            known.update(new)
            self._update_visible()
            self.rowsAppended.emit(first, len(self) - 1)
        return new

    def apply_results(self, results: pd.DataFrame, spectra: Sequence[Spectrum | None] = ()) -> np.ndarray:
        """Put result rows in place (replacing queued rows of their files); returns their row numbers.

        Verdicts and notes saved in the store come with the rows (the worker looked them up): this runs on
        the GUI thread and touches no file and no store.
        """
        arrays = as_arrays(results)
        for spectrum in spectra:
            if spectrum is not None:
                self.spectra.put(spectrum)
        targets, appended = self._target_rows(arrays)
        self._search = None  # ids arrive with results
        in_place = np.flatnonzero(targets >= 0)
        if len(in_place):
            self._keep_vetting(targets[in_place], arrays, in_place)
            self.cells.assign(targets[in_place], {name: values[in_place] for name, values in arrays.items()})
        first_new = len(self)
        if appended:
            targets[appended] = self.cells.append({name: values[appended] for name, values in arrays.items()}) + np.arange(len(appended))
        for source, hdu, row in zip(arrays["source"], arrays["hdu"], targets):
            self._keyed[(source, hdu)] = int(row)
        self.files().update(arrays["source"][appended])
        self._update_visible()
        if len(in_place):
            self.rowsChanged.emit(np.sort(targets[in_place]))
        if appended:
            self.rowsAppended.emit(first_new, len(self) - 1)
        if self.current in targets:
            self.spectra.request(self.key(self.current))
        return targets

    def show_catalog(self, opened: OpenedCatalog) -> None:
        """Rows of a catalog file, as they are (they replace whatever was shown)."""
        if len(self):
            self.clear()
        self.cells.adopt(opened.arrays)
        self._files = None  # a million-row catalog's set of files is made only if files are opened beside it
        self._search = opened.search
        self.opened_catalog = opened.path
        self._update_visible()
        self.rowsAppended.emit(0, len(self) - 1)

    def mark_unfinished(self, sources: Iterable[str], status: str = CANCELLED) -> None:
        """Queued rows of these files get a status saying why they were not predicted."""
        unfinished = [s for s in sources if s in self._queued]
        rows = np.array(sorted(self._queued.pop(s) for s in unfinished), dtype=int)
        self.files().difference_update(unfinished)  # opening such a file again queues it again
        if len(rows):
            self.cells.set(rows, "status", status)
            self._update_visible()
            self.rowsChanged.emit(rows)

    def clear(self) -> None:
        self.save_unsaved()
        if self.unsaved:
            self.message.emit(f"{len(self.unsaved)} verdict(s) or note(s) the session file refused were closed unsaved")
        self.history.clear()
        self.unsaved.clear()
        self.cells.clear()
        self.spectra.clear()
        self._queued.clear()
        self._keyed.clear()
        self._files = set()
        self._search = None
        self.opened_catalog = None
        self.current = -1
        self.selected_rows = np.empty(0, dtype=int)
        self.subset = None
        self.visible = np.empty(0, dtype=bool)
        self.rowsCleared.emit()
        self.selectionChanged.emit(-1)

    def _target_rows(self, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, list[int]]:
        targets = np.full(len(arrays["source"]), -1, dtype=int)
        appended = []
        for i, key in enumerate(zip(arrays["source"], arrays["hdu"])):
            if key in self._keyed:
                targets[i] = self._keyed[key]
            elif key[0] in self._queued:
                targets[i] = self._queued.pop(key[0])
            else:
                appended.append(i)
        return targets, appended

    def _keep_vetting(self, rows: np.ndarray, arrays: dict[str, np.ndarray], positions: np.ndarray) -> None:
        """A re-predicted row keeps the verdict and note it had (the store may not have them)."""
        for name in ("user_flag", "note"):
            new = arrays[name][positions]
            arrays[name][positions] = np.where(new == "", self.cells.column(name)[rows], new)

    # -- current star and selections ----------------------------------------------------------

    def set_current(self, row: int) -> None:
        row = int(row) if 0 <= int(row) < len(self) else -1
        if row == self.current:
            return
        self.current = row
        self.selectionChanged.emit(row)
        if row >= 0:
            self.spectra.request(self.key(row))

    def set_selected_rows(self, rows: Iterable[int]) -> None:
        self.selected_rows = _sorted_unique(rows)
        self.selectedRowsChanged.emit(self.selected_rows)

    def set_subset(self, rows: Iterable[int] | None) -> None:
        """Rows picked on a plot (box or lasso); None shows every row again."""
        self.subset = None if rows is None else _sorted_unique(rows)
        self._update_visible()
        self.subsetChanged.emit(self.subset)
        self.filterChanged.emit()

    def set_filter(self, **changes) -> None:
        self.filter = replace(self.filter, **changes)
        self._update_visible()
        self.filterChanged.emit()

    def _update_visible(self) -> None:
        n = len(self)
        visible = np.ones(n, dtype=bool)
        f = self.filter
        if f.flagged_only:
            visible &= self.flagged()
        if f.unvetted_only:
            visible &= self.unvetted()
        if f.targets_only:
            visible &= self.on_target_list()
        if f.text:
            visible &= self._search_index().matches(f.text)
        if self.subset is not None:
            in_subset = np.zeros(n, dtype=bool)
            in_subset[self.subset[self.subset < n]] = True
            visible &= in_subset
        self.visible = visible

    # -- vetting ------------------------------------------------------------------------------

    def set_vetting(self, row: int, user_flag: str | None = None, note: str | None = None) -> None:
        """A person's verdict and/or note for one row: into the catalog and the session store at once, undoably."""
        if not 0 <= row < len(self):
            return
        if user_flag is not None and user_flag not in USER_FLAGS:
            raise ValueError(f"unknown user flag {user_flag!r}; one of {USER_FLAGS}")
        before = (str(self.value(row, "user_flag")), str(self.value(row, "note")))
        after = (before[0] if user_flag is None else user_flag, before[1] if note is None else note)
        if after != before:
            self.history.push(VettingEdit(self, row, before, after))

    def _write_vetting(self, row: int, user_flag: str, note: str) -> None:
        self.cells.set(row, "user_flag", user_flag)
        self.cells.set(row, "note", note)
        self._save_vetting(row)
        self._update_visible()
        self.rowsChanged.emit(np.array([row]))

    def _save_vetting(self, row: int) -> bool:
        """Write one row's verdict and note to the store; a refusal is said, and retried until it lands."""
        if self.store is None:
            return True
        source, hdu = self.key(row)
        try:
            self.store.set_vetting(source, hdu, user_flag=str(self.value(row, "user_flag")), note=str(self.value(row, "note")))
        except (sqlite3.Error, OSError) as exc:
            if row not in self.unsaved:
                self.message.emit(f"could not save the verdict and note of {Path(source).name} ({exc}); kept here, saving again shortly")
            self.unsaved.add(row)
            self._save_retry.start()
            return False
        self.unsaved.discard(row)
        return True

    def save_unsaved(self) -> None:
        """Try again to store the rows the store refused (on a timer, and before the rows go away)."""
        pending = sorted(self.unsaved)
        saved = [row for row in pending if row < len(self) and self._save_vetting(row)]
        if saved:
            self.message.emit(f"saved the verdicts and notes of {len(saved)} star(s) that could not be saved before")
            self.rowsChanged.emit(np.array(saved))

    # -- spectra ------------------------------------------------------------------------------

    def _on_spectrum_loaded(self, key: tuple[str, str], spectrum: Spectrum | None, reason: str) -> None:
        if self.current >= 0 and self._matches(self.current, key):
            self.spectrumReady.emit(self.current, spectrum, reason)

    def _matches(self, row: int, key: tuple[str, str]) -> bool:
        source, hdu = self.key(row)
        return source == key[0] and (hdu == key[1] or hdu == "")


def _sorted_unique(rows: Iterable[int]) -> np.ndarray:
    """Row numbers as a sorted array without repeats (half a million from a lasso are that already: kept as they are)."""
    rows = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=int)
    return rows if np.all(rows[1:] > rows[:-1]) else np.unique(rows)
