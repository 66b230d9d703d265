"""The real app in a subprocess, for ``test_crash_recovery.py``: ``python session_app.py MODE FILE...``.

``edit``: once every file is predicted, make each kind of vetting edit through the window's own
actions and widgets (verdict keys, a note typed and confirmed, undo, redo), print what the window
shows, then die at once with ``os._exit`` (no close event, nothing flushed by a shutdown).
``show``: once every file is predicted, print what the window shows and quit normally.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bossnet_gui.gui import app as gui_app  # noqa: E402
from bossnet_gui.gui.main_window import MainWindow  # noqa: E402

TIMEOUT_S = 240
mode, files = sys.argv[1], sys.argv[2:]
started = time.monotonic()


def shown(window: MainWindow) -> dict:
    catalog = window.catalog
    return {os.path.basename(s): [str(catalog.value(r, "user_flag")), str(catalog.value(r, "note"))] for r, s in enumerate(catalog.column("source"))}


def edit(window: MainWindow) -> None:
    vet = window.vet_actions
    vet.advance.setChecked(False)
    window.catalog.set_current(0)
    vet.set_verdict("bad")
    window.catalog.set_current(1)
    window.vetting.note.setFocus()
    QTest.keyClicks(window.vetting.note, "broad Balmer lines, DA?")
    QTest.keyClick(window.vetting.note, Qt.Key.Key_Return)
    window.table.view.setFocus()
    window.catalog.set_current(2)
    vet.set_verdict("good")
    vet.undo.trigger()  # row 2 back to no verdict
    window.catalog.set_current(3)
    vet.set_verdict("white dwarf")
    vet.undo.trigger()
    vet.redo.trigger()  # row 3: white dwarf again


def when_predicted() -> None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible() and w.built]
    window = windows[-1] if windows else None
    ready = window is not None and len(window.catalog) == len(files) and set(window.catalog.states()) == {"predicted"}
    if not ready:
        if time.monotonic() - started > TIMEOUT_S:
            print(json.dumps({"error": "timed out before every file was predicted"}), flush=True)
            os._exit(3)
        QTimer.singleShot(100, when_predicted)
        return
    if mode == "edit":
        edit(window)
        print(json.dumps(shown(window)), flush=True)
        os._exit(9)  # killed: no closeEvent, no flush
    print(json.dumps(shown(window)), flush=True)
    window.close()
    QApplication.instance().quit()


app = QApplication.instance() or QApplication([])
app.setQuitOnLastWindowClosed(False)
QTimer.singleShot(100, when_predicted)
sys.exit(gui_app.main(files))
