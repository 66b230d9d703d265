"""The table: model/view over the catalog columns, NumPy sorting and filtering,
walking the shown rows, and batches landing among many rows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from bossnet_gui.gui.catalog_model import CatalogModel
from bossnet_gui.gui.catalog_table import CatalogTable
from bossnet_gui.gui.table_model import STATE, format_value, header
from tests.gui.conftest import image_variation
from tests.gui.test_kiel_plot import star_rows


@pytest.fixture
def table(qtbot):
    catalog = CatalogModel()
    widget = CatalogTable(catalog)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    return catalog, widget


def fill(catalog, teff, **more):
    frame = star_rows(len(teff), np.asarray(teff, float), 4.5, **more)
    catalog.add_files(frame["source"])
    catalog.apply_results(frame)
    return frame


def column(widget, name):
    return widget.table_model.columns.index(name)


def test_rows_states_and_formatting(table):
    catalog, widget = table
    catalog.add_files(["/a.fits", "/b.fits", "/c.fits"])
    fill_frame = star_rows(1, np.array([5777.4]), 4.44).assign(source="/a.fits")
    catalog.apply_results(fill_frame)
    catalog.mark_unfinished(["/c.fits"], "unreadable FITS (truncated)")
    model = widget.table_model
    assert model.rowCount() == 3
    cells = [model.index(r, column(widget, STATE)).data() for r in range(3)]
    assert cells == ["predicted", "queued", "failed"]
    assert model.index(0, column(widget, "Teff")).data() == "5777"
    assert model.index(2, column(widget, STATE)).data(Qt.ItemDataRole.ToolTipRole) == "unreadable FITS (truncated)"
    assert model.index(0, column(widget, "source")).data() == "a.fits"
    assert header("Teff_err") == "σ Teff [K]" and header("rv") == "RV [km/s]"
    assert format_value("logg", np.nan) == "" and format_value("flag_bad", True) == "✓"


def test_a_cell_answers_every_role_in_one_call_as_it_does_one_by_one(table, qtbot):
    """What a delegate asks through ``multiData`` (one call into Python per painted cell) is what ``data`` gives."""
    from PySide6.QtCore import QModelRoleData
    from PySide6.QtGui import QImage

    catalog, widget = table
    catalog.add_files(["/a.fits", "/b.fits", "/c.fits"])
    catalog.apply_results(star_rows(1, np.array([5777.4]), 4.44).assign(source="/a.fits"))
    catalog.mark_unfinished(["/c.fits"], "unreadable FITS (truncated)")
    model = widget.table_model
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ToolTipRole,
             Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.CheckStateRole]
    asked = 0
    for row in range(3):
        for name in (STATE, "source", "Teff", "logg"):
            index = model.index(row, column(widget, name))
            answers = [QModelRoleData(int(role)) for role in roles]
            model.multiData(index, answers)
            for role, answer in zip(roles, answers):
                assert answer.data() == model.data(index, role), (row, name, role)
                asked += answer.data() is not None
    assert asked >= 3 * 4 * 2  # text and more came back, not only empty answers
    painted = QImage(widget.view.viewport().grab().toImage())
    assert image_variation(painted) > 5


def test_sorting_with_numpy_keeps_missing_values_last(table, qtbot):
    catalog, widget = table
    fill(catalog, [5000, 3000, np.nan, 8000])
    widget.view.sortByColumn(column(widget, "Teff"), Qt.SortOrder.AscendingOrder)
    shown = [widget.table_model.catalog_row(r) for r in range(4)]
    assert shown == [1, 0, 3, 2]
    widget.view.sortByColumn(column(widget, "Teff"), Qt.SortOrder.DescendingOrder)
    assert [widget.table_model.catalog_row(r) for r in range(4)] == [3, 0, 1, 2]
    # a result arriving while sorted goes to its row without re-sorting everything
    catalog.apply_results(star_rows(1, np.array([9000.0]), 4.0).assign(source="/stars/s000001.fits"))
    assert widget.table_model.index(2, column(widget, "Teff")).data() == "9000"
    widget.table_model.resort()  # what the window does when a run ends
    assert [widget.table_model.catalog_row(r) for r in range(4)] == [1, 3, 0, 2]


def test_filters_choose_the_rows_shown(table, qtbot):
    catalog, widget = table
    fill(catalog, [5000, 5100, 5200, 5300], result_flags=[0, 1 << 7, 0, 1 << 10])
    widget.flagged_only.setChecked(True)
    assert widget.table_model.rowCount() == 2 and "2 of 4" in widget.count.text()
    widget.flagged_only.setChecked(False)
    widget.search.setText("star 2")
    assert [widget.table_model.catalog_row(r) for r in range(widget.table_model.rowCount())] == [2]
    widget.search.clear()
    catalog.set_vetting(0, user_flag="good")
    widget.unvetted_only.setChecked(True)
    assert widget.table_model.rowCount() == 3
    catalog.set_vetting(1, user_flag="bad")  # a verdict makes the row leave the unvetted view at once
    assert widget.table_model.rowCount() == 2


def test_step_walks_the_shown_order(table):
    catalog, widget = table
    fill(catalog, [5000, 3000, 8000, 4000], result_flags=[0, 1 << 7, 0, 1 << 7])
    widget.view.sortByColumn(column(widget, "Teff"), Qt.SortOrder.AscendingOrder)  # rows 1, 3, 0, 2
    assert [widget.step(+1) for _ in range(5)] == [1, 3, 0, 2, -1]
    assert widget.step(-1) == 0 and catalog.current == 0
    assert widget.step(-1, catalog.flagged()) == 3
    assert widget.step(+1, catalog.flagged()) == -1 and catalog.current == 3


def test_the_vetting_queue_puts_the_most_suspicious_first_and_walks_the_unvetted(table, qtbot):
    """Suspicion = flags set + distance from training + disagreement with the survey: two flags and a far score
    first, a star 0.5 dex from the survey's log g before one flag; a failed row (nothing to vet) last.
    V / Shift+V step through stars without a verdict."""
    from bossnet_gui.gui.vetting_bar import VettingProgress

    catalog, widget = table
    two_flags = (1 << 7) | (1 << 11)
    fill(catalog, [5000, 3000, 8000, 4000], result_flags=[0, 1 << 7, two_flags, 0], ood_score=[1.0, 1.5, 4.0, 2.0],
         survey_logg=[np.nan, np.nan, np.nan, 5.0])
    catalog.add_files(["/unreadable.fits"])
    widget.view.sortByColumn(column(widget, "Teff"), Qt.SortOrder.AscendingOrder)
    widget.sort_by_suspicion()
    shown = [widget.table_model.catalog_row(r) for r in range(widget.table_model.rowCount())]
    assert shown == [2, 3, 1, 0, 4]  # 2+4.0, 0+2.0+1.0 (0.5 dex from the survey), 1+1.5, 0+1.0, then the row without a prediction
    assert widget.view.horizontalHeader().sortIndicatorSection() == -1
    progress = VettingProgress(catalog)
    assert progress.text() == "0 / 4 vetted"
    catalog.set_vetting(2, user_flag="bad")
    catalog.set_vetting(1, user_flag="good")
    qtbot.waitUntil(lambda: progress.text() == "2 / 4 vetted", timeout=2000)
    catalog.set_current(2)
    assert widget.step(+1, catalog.unvetted()) == 3
    assert widget.step(+1, catalog.unvetted()) == 0  # row 1 has its verdict: skipped
    assert widget.step(+1, catalog.unvetted()) == -1  # the failed row is not a star to vet
    assert widget.step(-1, catalog.unvetted()) == 3


def test_table_follows_the_current_row(table, qtbot):
    catalog, widget = table
    fill(catalog, [5000, 5100, 5200])
    catalog.set_current(2)
    assert widget.table_model.catalog_row(widget.view.currentIndex().row()) == 2
    widget.view.setCurrentIndex(widget.table_model.index(0, 1))
    assert catalog.current == 0


def test_hidden_columns_and_header_menu(table):
    catalog, widget = table
    assert "model_hash" in widget.hidden_columns() and "Teff" not in widget.hidden_columns()
    widget.set_hidden_columns(["Teff"])
    assert widget.view.isColumnHidden(column(widget, "Teff"))


def test_a_batch_keeps_its_place_in_twenty_thousand_sorted_rows_until_the_resort(table, qtbot):
    """Streaming rows do not jump under the user; the end of a run sorts again (bench/gui.py times this)."""
    catalog, widget = table
    n = 20_000
    fill(catalog, np.random.default_rng(0).uniform(3000, 9000, n))
    widget.view.sortByColumn(column(widget, "Teff"), Qt.SortOrder.DescendingOrder)
    shown_order = [widget.table_model.catalog_row(i) for i in range(n)]
    changed = np.arange(100, 116)
    catalog.apply_results(star_rows(16, np.full(16, 6000.0), 4.0).assign(source=[f"/stars/s{i:06d}.fits" for i in changed]))
    assert [widget.table_model.catalog_row(i) for i in range(n)] == shown_order
    assert all(widget.table_model.index(widget.table_model.display_row(row), column(widget, "Teff")).data() == "6000" for row in changed)
    widget.table_model.resort()
    teff = catalog.column("Teff")[[widget.table_model.catalog_row(i) for i in range(n)]]
    assert widget.table_model.rowCount() == n and np.all(np.diff(teff) <= 0) and (teff == 6000.0).sum() == 16
    assert image_variation(widget.view) > 10
