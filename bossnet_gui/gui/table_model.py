"""Qt item models over the CatalogModel's DataFrame: a table model and a filtering proxy.

Cells are read straight from the catalog's NumPy columns. Sorting is done here with one NumPy argsort (the display order is a permutation of catalog
rows), not by ``QSortFilterProxyModel.lessThan``: with 100,000 rows that would be ~3 million
Python comparisons. The proxy only filters, reading the catalog's precomputed ``visible`` mask.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from ..catalog.flags import describe
from ..catalog.table import DESCRIPTIONS, UNITS, column_dtype
from .catalog_model import COLUMNS, CatalogModel, row_state

STATE = "state"
HEADERS = {
    STATE: "State",
    "source": "File",
    "hdu": "HDU",
    "status": "Status",
    "id": "Object",
    "ra": "RA",
    "dec": "Dec",
    "snr": "S/N",
    "instrument": "Instrument",
    "survey": "Survey",
    "file_format": "Format",
    "logTeff": "log Teff",
    "logg": "log g",
    "FeH": "[Fe/H]",
    "rv": "RV",
    "Teff": "Teff",
    "extrapolated_fraction": "Extrapolated",
    "bad_flux_fraction": "Bad flux",
    "ood_score": "Distance from training",
    "result_flags": "Flag bits",
    "flag_warn": "Warn",
    "flag_bad": "Bad",
    "flag_vet": "Vet",
    "flag_names": "Flags",
    "model": "Model",
    "model_hash": "Model hash",
    "user_flag": "User flag",
    "note": "Note",
}
DEFAULT_VISIBLE = (STATE, "id", "source", "Teff", "Teff_err", "logg", "logg_err", "FeH", "FeH_err", "rv", "rv_err", "snr", "flag_names", "user_flag", "note")
DECIMALS = {"Teff": 0, "rv": 1, "logTeff": 3, "logg": 2, "FeH": 2, "ra": 5, "dec": 5, "snr": 1, "extrapolated_fraction": 2, "bad_flux_fraction": 2, "ood_score": 2}
ERR_DECIMALS = {"Teff": 0, "rv": 2, "logTeff": 4, "logg": 3, "FeH": 3}
QUEUED_COLOUR = QColor(140, 140, 140)
FAILED_COLOUR = QColor(190, 40, 40)
CATALOG_ROW_ROLE = Qt.ItemDataRole.UserRole + 1
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
HANDLED_ROLES = {
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.TextAlignmentRole,
    CATALOG_ROW_ROLE,
}


def header(name: str) -> str:
    base, _, kind = name.partition("_")
    if name in HEADERS:
        label = HEADERS[name]
    elif kind == "err":
        label = f"σ {HEADERS.get(base, base)}"
    elif kind == "median":
        label = f"{HEADERS.get(base, base)} (median)"
    else:
        label = name
    unit = UNITS.get(base if kind in ("err", "median") else name)
    return f"{label} [{unit}]" if unit in ("K", "km/s") else label


def format_value(name: str, value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else ""
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        base, _, kind = name.partition("_")
        decimals = ERR_DECIMALS.get(base, 3) if kind == "err" else DECIMALS.get(base if kind == "median" else name, 3)
        return f"{value:.{decimals}f}"
    if name == "source":
        return Path(str(value)).name
    return str(value)


class CatalogTableModel(QAbstractTableModel):
    """Rows of the catalog in display order; column 0 is the derived state (queued/predicted/failed)."""

    def __init__(self, catalog: CatalogModel, parent=None):
        super().__init__(parent)
        self.catalog = catalog
        self.columns = [STATE, *COLUMNS]
        self._right_aligned = {name for name in COLUMNS if column_dtype(name) is float}
        self.order = np.arange(len(catalog), dtype=int)  # display position -> catalog row
        self.position = np.arange(len(catalog), dtype=int)  # catalog row -> display position
        self.sort_key: tuple[int, Qt.SortOrder] | None = None
        catalog.rowsAppended.connect(self._on_rows_appended)
        catalog.rowsChanged.connect(self._on_rows_changed)
        catalog.rowsCleared.connect(self._on_rows_cleared)

    # -- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        name = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return header(name)
        if role == Qt.ItemDataRole.ToolTipRole:
            return DESCRIPTIONS.get(name, DESCRIPTIONS.get(name.partition("_")[0], name))
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if role not in HANDLED_ROLES or not index.isValid():
            return None
        row = int(self.order[index.row()])
        name = self.columns[index.column()]
        value = self.catalog.value
        if role == Qt.ItemDataRole.DisplayRole:
            if name == STATE:
                return row_state(value(row, "status")) + (" · unsaved" if row in self.catalog.unsaved else "")
            return format_value(name, value(row, name))
        if role == Qt.ItemDataRole.ForegroundRole:
            state = row_state(value(row, "status"))
            return FAILED_COLOUR if state == "failed" else None if state == "predicted" else QUEUED_COLOUR
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT if name in self._right_aligned else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, name)
        return row  # CATALOG_ROW_ROLE

    def _tooltip(self, row: int, name: str) -> str | None:
        value = self.catalog.value
        if name in (STATE, "status"):
            return str(value(row, "status"))
        if name == "source":
            return str(value(row, "source"))
        if name in ("flag_names", "result_flags"):
            return "\n".join(describe(int(value(row, "result_flags")))) or None
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.sort_key = (column, order) if column >= 0 else None
        self.layoutAboutToBeChanged.emit()
        old_rows = [(index, int(self.order[index.row()])) for index in self.persistentIndexList()]
        self.order = self._sorted_order()
        self.position = np.empty_like(self.order)
        self.position[self.order] = np.arange(len(self.order))
        self.changePersistentIndexList(
            [index for index, _ in old_rows], [self.index(int(self.position[row]), index.column()) for index, row in old_rows]
        )
        self.layoutChanged.emit()

    def resort(self) -> None:
        """Sort again by the current key (rows that arrived or changed while streaming keep their place until then)."""
        if self.sort_key is not None:
            self.sort(*self.sort_key)

    def _sorted_order(self) -> np.ndarray:
        n = len(self.catalog)
        if self.sort_key is None:
            return np.arange(n, dtype=int)
        column, order = self.sort_key
        name = self.columns[column]
        values = self.catalog.states() if name == STATE else self.catalog.column(name)
        if values.dtype.kind in "fiub":
            values = values.astype(float)
            missing = np.isnan(values)
            key = np.where(missing, np.inf, values if order == Qt.SortOrder.AscendingOrder else -values)
            return np.lexsort((np.arange(n), key))  # stable; missing values last either way
        ranks = np.unique(np.asarray(values, dtype=str), return_inverse=True)[1].ravel()
        ranks = ranks if order == Qt.SortOrder.AscendingOrder else -ranks
        return np.lexsort((np.arange(n), ranks))

    # -- following the catalog ----------------------------------------------------------------

    def catalog_row(self, position: int) -> int:
        return int(self.order[position])

    def _on_rows_appended(self, first: int, last: int) -> None:
        start = len(self.order)
        self.beginInsertRows(QModelIndex(), start, start + last - first)
        self.order = np.concatenate([self.order, np.arange(first, last + 1)])
        self.position = np.concatenate([self.position, np.arange(start, start + last - first + 1)])
        self.endInsertRows()

    def _on_rows_changed(self, rows: np.ndarray) -> None:
        positions = np.sort(self.position[rows])
        breaks = np.flatnonzero(np.diff(positions) > 1)
        for lo, hi in zip(np.r_[positions[0], positions[breaks + 1]], np.r_[positions[breaks], positions[-1]]):
            self.dataChanged.emit(self.index(int(lo), 0), self.index(int(hi), len(self.columns) - 1))

    def _on_rows_cleared(self) -> None:
        self.beginResetModel()
        self.order = np.empty(0, dtype=int)
        self.position = np.empty(0, dtype=int)
        self.endResetModel()


class CatalogFilterProxy(QSortFilterProxyModel):
    """Shows the rows the catalog's filter lets through (text, only flagged, only unvetted, plot subset)."""

    def __init__(self, table: CatalogTableModel, parent=None):
        super().__init__(parent)
        self.table = table
        self.setSourceModel(table)
        table.catalog.filterChanged.connect(self._on_filter_changed)

    def _on_filter_changed(self) -> None:
        if hasattr(self, "endFilterChange"):  # Qt >= 6.10 (invalidateRowsFilter is deprecated there)
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        return bool(self.table.catalog.visible[self.table.order[source_row]])

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        self.table.sort(column, order)  # the source sorts with NumPy; the proxy keeps its order

    def catalog_row(self, proxy_row: int) -> int:
        return self.table.catalog_row(self.mapToSource(self.index(proxy_row, 0)).row())

    def proxy_row(self, catalog_row: int) -> int:
        """Row in this proxy showing ``catalog_row``, or -1 when filtered out."""
        if not 0 <= catalog_row < len(self.table.position):
            return -1
        index = self.mapFromSource(self.table.index(int(self.table.position[catalog_row]), 0))
        return index.row() if index.isValid() else -1
