"""The keyboard vetting sweep: one-key verdicts, next/previous, notes; saved at once and back after a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from bossnet_gui.catalog.session import SessionStore
from tests.gui.conftest import lamost_files, save_screenshot, wait_for_run


def press(qtbot, window, key: str) -> None:
    widget = window.focusWidget() or window.table.view
    qtbot.keyClick(widget, key)


def by_file(window) -> dict[str, tuple[str, str]]:
    frame = window.catalog.frame
    return {Path(s).name: (f, n) for s, f, n in zip(frame["source"], frame["user_flag"], frame["note"])}


def test_keys_set_verdicts_and_notes_that_survive_a_restart(make_window, qtbot, tmp_path):
    files = lamost_files(5)
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(files))
    window.activateWindow()
    window.table.view.setFocus()
    qtbot.waitUntil(lambda: window.table.view.hasFocus())
    assert window.catalog.current == 0
    press(qtbot, window, "2")  # bad, then on to the next star
    assert window.catalog.value(0, "user_flag") == "bad" and window.catalog.current == 1
    press(qtbot, window, "w")  # white dwarf
    assert window.catalog.value(1, "user_flag") == "white dwarf" and window.catalog.current == 2
    press(qtbot, window, "n")  # skip a star without a verdict
    assert window.catalog.current == 3
    press(qtbot, window, "p")
    press(qtbot, window, "p")
    assert window.catalog.current == 1
    assert [b.isChecked() for b in window.vetting.buttons.buttons() if b.property("user_flag") == "white dwarf"] == [True]
    press(qtbot, window, "e")
    assert window.vetting.note.hasFocus()
    qtbot.keyClicks(window.vetting.note, "DA? broad Balmer wings")
    qtbot.keyClick(window.vetting.note, Qt.Key.Key_Return)
    assert window.catalog.value(1, "note") == "DA? broad Balmer wings"
    # saved already, before any window is closed
    saved = SessionStore(tmp_path / "session.sqlite").vetting([window.catalog.key(0), window.catalog.key(1)])
    assert saved == {window.catalog.key(0): ("bad", ""), window.catalog.key(1): ("white dwarf", "DA? broad Balmer wings")}
    before = by_file(window)
    window.close()

    again = make_window()
    wait_for_run(qtbot, again, lambda: again.open_paths(files))
    assert by_file(again) == before
    assert again.catalog.predicted().all()


def test_only_unvetted_and_only_flagged_filters(make_window, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(4)))
    window.vet_actions.set_verdict("good")
    window.table.unvetted_only.setChecked(True)
    assert window.table.table_model.rowCount() == 3
    window.vet_actions.set_verdict("unsure")  # current moved to the next unvetted star, which now leaves the view
    assert window.table.table_model.rowCount() == 2 and window.catalog.current in np.flatnonzero(window.catalog.visible)
    window.table.unvetted_only.setChecked(False)
    window.table.flagged_only.setChecked(True)
    assert window.table.table_model.rowCount() == int(window.catalog.flagged().sum())


def test_next_flagged_star_skips_unflagged_ones(make_window, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(4)))
    window.catalog.cells.set(slice(None), "result_flags", 0)
    window.catalog.cells.set(2, "result_flags", 1 << 7)  # low_snr, as if the rule had fired
    window.catalog.set_current(0)
    window.vet_actions.next_flagged.trigger()
    assert window.catalog.current == 2
    window.vet_actions.next_flagged.trigger()
    assert window.catalog.current == 2  # no further flagged star: stays


def test_queue_keys_sort_by_suspicion_and_walk_the_unvetted_with_progress_shown(make_window, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(4)))
    window.catalog.cells.set(slice(None), "result_flags", 0)
    window.catalog.cells.set(3, "result_flags", 1 << 7)
    press(qtbot, window, "Q")  # most suspicious first
    assert window.table.table_model.catalog_row(0) == 3
    window.catalog.set_current(3)
    press(qtbot, window, "1")  # a verdict, and on to the next star
    qtbot.waitUntil(lambda: window.vet_progress.text() == "1 / 4 vetted", timeout=2000)
    window.catalog.set_current(3)
    press(qtbot, window, "V")  # next unvetted star in the queue's order
    assert window.catalog.current == window.table.table_model.catalog_row(1)
    lines = [a.text() for a in window.vet_actions.actions() if a is not None and a.shortcuts()]
    assert {"Next unvetted star", "Previous unvetted star", "Most suspicious first"} <= set(lines)


def test_undo_and_redo_of_verdicts_and_notes_are_saved(make_window, qtbot, tmp_path):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(3)))
    catalog, key = window.catalog, window.catalog.key(0)
    catalog.set_vetting(0, user_flag="white dwarf")
    catalog.set_vetting(0, note="DA, broad Balmer lines")
    catalog.set_vetting(0, user_flag="white dwarf")  # no change: nothing to undo
    assert catalog.history.count() == 2

    def stored():
        return SessionStore(tmp_path / "session.sqlite").vetting([key]).get(key, ("", ""))

    window.vet_actions.undo.trigger()
    assert (catalog.value(0, "user_flag"), catalog.value(0, "note")) == ("white dwarf", "") == stored()
    window.vet_actions.undo.trigger()
    assert (catalog.value(0, "user_flag"), catalog.value(0, "note")) == ("", "") == stored()
    window.vet_actions.redo.trigger()
    assert stored() == ("white dwarf", "") == (catalog.value(0, "user_flag"), catalog.value(0, "note"))
    assert [a.shortcuts()[0].toString() for a in (window.vet_actions.undo, window.vet_actions.redo)] == ["Ctrl+Z", "Ctrl+Shift+Z"]
    assert window.vet_actions.undo in window.vet_actions.actions() and window.vet_actions.redo in window.vet_actions.actions()


def test_undo_key_in_the_window_undoes_the_last_verdict(make_window, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(3)))
    window.activateWindow()
    window.table.view.setFocus()
    qtbot.waitUntil(lambda: window.table.view.hasFocus())
    press(qtbot, window, "2")
    assert window.catalog.value(0, "user_flag") == "bad"
    qtbot.keyClick(window.table.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.catalog.value(0, "user_flag") == ""
    qtbot.keyClick(window.table.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.catalog.value(0, "user_flag") == "bad"


def test_a_refused_write_is_shown_marked_unsaved_and_retried(make_window, qtbot, monkeypatch):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(2)))
    store, real_write = window.store, window.store.set_vetting

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "set_vetting", refuse)
    with qtbot.waitSignal(window.catalog.message) as said:
        window.catalog.set_vetting(1, user_flag="binary")
    assert "could not save" in said.args[0] and "disk is full" in said.args[0]
    assert window.catalog.value(1, "user_flag") == "binary" and 1 in window.catalog.unsaved
    table = window.table.table_model
    assert table.data(table.index(int(table.position[1]), 0)).endswith("unsaved")
    monkeypatch.setattr(store, "set_vetting", real_write)
    qtbot.waitUntil(lambda: not window.catalog.unsaved, timeout=10_000)  # the retry lands
    assert store.vetting([window.catalog.key(1)]) == {window.catalog.key(1): ("binary", "")}


def test_a_note_typed_just_before_close_all_or_closing_is_saved(make_window, qtbot, tmp_path):
    files = lamost_files(2)
    for close in ("close_all", "close"):
        window = make_window()
        wait_for_run(qtbot, window, lambda: window.open_paths(files))
        window.catalog.set_current(1)
        window.vetting.note.setFocus()
        window.vetting.note.selectAll()  # the second window shows the note the first one saved
        qtbot.keyClicks(window.vetting.note, f"typed before {close}")  # no Enter, no pause
        key = window.catalog.key(1)
        getattr(window, close)()
        saved = SessionStore(tmp_path / "session.sqlite").vetting([key])
        assert saved == {key: ("", f"typed before {close}")}


def test_an_imported_target_list_marks_and_filters_its_stars(make_window, qtbot, tmp_path):
    window = make_window()
    files = lamost_files(4)
    wait_for_run(qtbot, window, lambda: window.open_paths(files))
    listed = tmp_path / "my targets.csv"
    listed.write_text(f"file,comment\n/somewhere/else/{files[1].name},second\n{files[3].name},fourth\n")
    with qtbot.waitSignal(window.catalog.filterChanged, timeout=10_000):
        window.import_targets(str(listed))
    qtbot.waitUntil(lambda: window.table.targets_only.isChecked(), timeout=5000)
    shown = {Path(window.catalog.value(window.table.table_model.catalog_row(r), "source")).name for r in range(window.table.table_model.rowCount())}
    assert shown == {files[1].name, files[3].name}
    assert window.table.targets_only.isVisibleTo(window) and "2 of 4 rows on the list" in window.statusBar().currentMessage()
    window.table.targets_only.setChecked(False)
    assert window.table.table_model.rowCount() == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("g,r\n1,2\n")
    window.import_targets(str(bad))
    qtbot.waitUntil(lambda: any("Target list not imported" in m and "no RA/Dec" in m for m in window.messages.history), timeout=5000)


def test_two_models_side_by_side_with_segments_and_largest_disagreement_first(make_window, qtbot, tiny_model):
    from PySide6.QtCore import Qt

    from bossnet_gui.model import resolve_model

    window = make_window(model=resolve_model())
    files = lamost_files(5)
    wait_for_run(qtbot, window, lambda: window.open_paths(files))
    wait_for_run(qtbot, window, lambda: window.runner.set_comparison(tiny_model))  # predicts every file again, with both
    catalog = window.catalog
    predicted = catalog.predicted()
    assert predicted.sum() == 5 and set(catalog.column("cmp_model")[predicted]) == {tiny_model.name}
    delta = catalog.column("delta_logg")[predicted]
    np.testing.assert_allclose(delta, catalog.column("logg")[predicted] - catalog.column("cmp_logg")[predicted])
    window.kiel.flush()
    x, y = window.kiel.links.getData()
    assert len(x) == 2 * 5  # one segment per star: its two positions
    np.testing.assert_allclose(sorted(x[1::2]), sorted(np.log10(catalog.column("cmp_Teff")[predicted])))
    save_screenshot(window.kiel, "kiel_two_models.png")
    column = window.table.table_model.columns.index("disagreement")
    window.table.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    first = window.table.table_model.catalog_row(0)
    assert catalog.column("disagreement")[first] == np.nanmax(catalog.column("disagreement"))
    window.runner.set_comparison(None)
    qtbot.waitUntil(lambda: not window.runner.running, timeout=60_000)
    window.kiel.flush()
    assert len(window.kiel.links.getData()[0] or []) == 0
