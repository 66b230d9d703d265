"""CatalogTable: the filter bar and the sortable table of loaded spectra.

Writes the current row, the picked rows and the filter to the CatalogModel; follows the model's
current row (scrolling to it). ``step`` walks the rows in the order shown, for the vetting sweep.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu, QPushButton, QTableView, QVBoxLayout, QWidget

from .catalog_model import CatalogModel
from .table_model import DEFAULT_VISIBLE, SUSPICION, CatalogTableModel


class CatalogTable(QWidget):
    columnsChanged = Signal()  # hidden columns changed (for settings)

    def __init__(self, catalog: CatalogModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.table_model = CatalogTableModel(catalog, self)
        self.view = self._make_view()
        self.search = QLineEdit(placeholderText="Filter by object or file name…", clearButtonEnabled=True, minimumWidth=120)
        self.flagged_only = QCheckBox("Flagged", toolTip="Show only predicted stars with an automatic quality flag")
        self.unvetted_only = QCheckBox("Unvetted", toolTip="Show only predicted stars without a user flag (verdict)")
        self.targets_only = QCheckBox("On list", visible=False, toolTip="Show only the stars on the imported target list (File ▸ Import target list)")
        self.clear_subset = QPushButton("All rows", visible=False, toolTip="Clear the box/lasso selection made on the Kiel diagram")
        self.count = QLabel()
        self._layout()
        self._updating = False
        self.search.textChanged.connect(lambda text: catalog.set_filter(text=text.strip()))
        self.flagged_only.toggled.connect(lambda on: catalog.set_filter(flagged_only=on))
        self.unvetted_only.toggled.connect(lambda on: catalog.set_filter(unvetted_only=on))
        self.targets_only.toggled.connect(lambda on: catalog.set_filter(targets_only=on))
        catalog.filterChanged.connect(lambda: self.targets_only.setVisible(catalog.targets is not None))
        self.clear_subset.clicked.connect(lambda: catalog.set_subset(None))
        self.view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.view.selectionModel().selectionChanged.connect(self._on_view_selection_changed)
        self.table_model.layoutChanged.connect(self._drop_hidden_from_selection)
        self.view.horizontalHeader().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.horizontalHeader().customContextMenuRequested.connect(self._on_header_menu)
        catalog.selectionChanged.connect(self._on_catalog_selection_changed)
        catalog.subsetChanged.connect(lambda subset: self.clear_subset.setVisible(subset is not None))
        for signal in (catalog.filterChanged, catalog.rowsAppended, catalog.rowsChanged, catalog.rowsCleared):
            signal.connect(self._update_count)
        self.set_hidden_columns([c for c in self.table_model.columns if c not in DEFAULT_VISIBLE])
        self._order_columns(DEFAULT_VISIBLE)
        self._update_count()

    def _make_view(self) -> QTableView:
        view = QTableView(self)
        view.setModel(self.table_model)
        view.setSortingEnabled(True)
        view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionsMovable(True)
        view.horizontalHeader().setDefaultSectionSize(80)
        view.horizontalHeader().setStretchLastSection(True)
        return view

    def _layout(self) -> None:
        bar = QHBoxLayout()
        for widget in (self.search, self.flagged_only, self.unvetted_only, self.targets_only, self.clear_subset, self.count):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view)

    # -- columns ------------------------------------------------------------------------------

    def hidden_columns(self) -> list[str]:
        return [name for i, name in enumerate(self.table_model.columns) if self.view.isColumnHidden(i)]

    def set_hidden_columns(self, names) -> None:
        names = set(names)
        for i, name in enumerate(self.table_model.columns):
            self.view.setColumnHidden(i, name in names)

    def _order_columns(self, names) -> None:
        """Show these columns first, in this order."""
        header = self.view.horizontalHeader()
        for target, name in enumerate(names):
            header.moveSection(header.visualIndex(self.table_model.columns.index(name)), target)
        for name, width in (("id", 190), ("source", 170), ("flag_names", 160), ("note", 160), ("status", 220)):
            self.view.setColumnWidth(self.table_model.columns.index(name), width)

    def _on_header_menu(self, pos) -> None:
        menu = QMenu(self)
        for i, name in enumerate(self.table_model.columns):
            action = menu.addAction(self.table_model.headerData(i, Qt.Orientation.Horizontal))
            action.setCheckable(True)
            action.setChecked(not self.view.isColumnHidden(i))
            action.toggled.connect(lambda on, i=i: self._set_column_shown(i, on))
        menu.popup(self.view.horizontalHeader().mapToGlobal(pos))

    def _set_column_shown(self, column: int, shown: bool) -> None:
        self.view.setColumnHidden(column, not shown)
        self.columnsChanged.emit()

    # -- selection ----------------------------------------------------------------------------

    def _on_current_row_changed(self, current, previous) -> None:
        if not self._updating and current.isValid():
            self.catalog.set_current(self.table_model.catalog_row(current.row()))

    def _drop_hidden_from_selection(self) -> None:
        """Rows the filter now hides are no longer picked (the view drops them from its selection silently)."""
        picked = self.catalog.selected_rows
        if len(picked) and not self.catalog.visible[picked].all():
            self.catalog.set_selected_rows(picked[self.catalog.visible[picked]])

    def _on_view_selection_changed(self, selected, deselected) -> None:
        """The picked rows, from the selection's ranges (a million selected rows are a few ranges, not a million indexes)."""
        spans = [(r.top(), r.bottom() + 1) for r in self.view.selectionModel().selection()]
        order = self.table_model.order
        self.catalog.set_selected_rows(np.concatenate([order[a:b] for a, b in spans]) if spans else [])

    def _on_catalog_selection_changed(self, row: int) -> None:
        shown = self.table_model.display_row(row) if row >= 0 else -1
        if shown == self.view.currentIndex().row() and shown >= 0:
            return
        self._updating = True
        try:
            selection = self.view.selectionModel()
            if shown < 0:
                selection.clearSelection()
                with QSignalBlocker(selection):
                    selection.setCurrentIndex(self.table_model.index(-1, -1), QItemSelectionModel.SelectionFlag.NoUpdate)
                self.view.viewport().update()
                return
            index = self.table_model.index(shown, 0)
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)
        finally:
            self._updating = False

    def current_display_row(self) -> int:
        return self.table_model.display_row(self.catalog.current) if self.catalog.current >= 0 else -1

    # -- navigation ---------------------------------------------------------------------------

    def sort_by_suspicion(self) -> None:
        """The vetting queue's order: most suspicious first (``catalog.flags.suspicion``); a header click sorts by a column again."""
        header = self.view.horizontalHeader()
        with QSignalBlocker(header):
            header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.table_model.sort(SUSPICION, Qt.SortOrder.DescendingOrder)

    def step(self, direction: int, among: np.ndarray | None = None) -> int:
        """Make the next (direction +1) or previous (-1) shown row current, among the catalog rows where ``among``
        is true (default: all); returns its catalog row or -1."""
        order = self.table_model.order
        if not len(order):
            return -1
        candidates = np.flatnonzero(among[order]) if among is not None else np.arange(len(order))
        if not len(candidates):
            return -1
        here = self.current_display_row()
        if here < 0:
            here = -1 if direction > 0 else len(order)
        if direction > 0:
            later = candidates[candidates > here]
            target = later[0] if len(later) else None
        else:
            earlier = candidates[candidates < here]
            target = earlier[-1] if len(earlier) else None
        if target is None:
            return -1
        row = int(order[target])
        self.catalog.set_current(row)
        return row

    def _update_count(self, *args) -> None:
        shown, total = int(self.catalog.visible.sum()), len(self.catalog)
        self.count.setText(f"{shown:,} of {total:,} shown" if shown != total else f"{total:,} rows")
