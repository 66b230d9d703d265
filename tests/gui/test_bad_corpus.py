"""The app over the corpus of damaged and odd files (``tests/bad_corpus.py``): every file gets a row, the
good ones are predicted, the bad ones fail with their reason, each can be shown, and no file opens a dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.bad_corpus import CASES, REFUSED, build_corpus
from tests.conftest import DATA, require
from tests.gui.conftest import wait_for_run


@pytest.fixture
def no_dialogs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a dialog was opened: {args[1:3]}")

    for name in ("critical", "warning", "information", "question", "exec"):
        monkeypatch.setattr(QMessageBox, name, refuse)


def test_every_corpus_file_gets_a_row_and_no_dialog(make_window, qtbot, tmp_path, no_dialogs):
    folder = tmp_path / "corpus"
    build_corpus(require(DATA), folder)
    window = make_window(draws=2)
    wait_for_run(qtbot, window, lambda: window.open_paths([folder]))
    frame = window.catalog.frame
    assert sorted(frame["source"]) == sorted(str(folder / case.name) for case in CASES)
    states = dict(zip(frame["source"], window.catalog.states()))
    statuses = dict(zip(frame["source"], frame["status"]))
    for case in CASES:
        source = str(folder / case.name)
        assert states[source] == ("failed" if case.expect == REFUSED else "predicted"), (case.name, statuses[source])
        assert case.reason in statuses[source]
    for row in range(len(frame)):  # each one on screen: spectrum, results and table cope with every file
        window.catalog.set_current(row)
        qtbot.wait(20)
