"""The keyboard vetting sweep: one-key verdicts, next/previous, notes; saved at once and back after a restart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from bossnet_gui.catalog.session import SessionStore
from tests.gui.conftest import lamost_files, wait_for_run


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
    assert window.table.proxy.rowCount() == 3
    window.vet_actions.set_verdict("unsure")  # current moved to the next unvetted star, which now leaves the view
    assert window.table.proxy.rowCount() == 2 and window.catalog.current in np.flatnonzero(window.catalog.visible)
    window.table.unvetted_only.setChecked(False)
    window.table.flagged_only.setChecked(True)
    assert window.table.proxy.rowCount() == int(window.catalog.flagged().sum())


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
