"""The real app in a subprocess, for ``test_startup.py``: ``python startup_app.py [FILE...]`` (no files: the demo set).

Records whether torch and pandas had been imported when the main window was first shown, how often the
event loop turned while its panels were imported, and what the window said once they were built; then
waits until the model is loaded and every file is predicted, prints one JSON line and quits.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bossnet_gui.gui import app as gui_app  # noqa: E402
from bossnet_gui.gui.main_window import APP_NAME, MainWindow  # noqa: E402

TIMEOUT_S = 240
started = time.monotonic()
seen: dict = {}


class FirstShow(QObject):
    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, MainWindow) and "torch_at_show" not in seen:
            seen.update(
                torch_at_show="torch" in sys.modules,
                pandas_at_show="pandas" in sys.modules,
                built_at_show=watched.built,
                status_at_show=watched.statusBar().currentMessage(),
            )
            QTimer.singleShot(0, lambda: first_turn(watched))
        return False


def first_turn(window: MainWindow) -> None:
    """The event loop turns while the panels are imported, then once more after they are built."""
    seen.setdefault("turns_before_built", 0)
    if not window.built:
        seen["turns_before_built"] += 1
        QTimer.singleShot(5, lambda: first_turn(window))
        return
    seen.update(
        status_after_build=window.statusBar().currentMessage(),
        model_label_after_build=window.model_label.text(),
        model_loaded_after_build=window.runner.model is not None,
    )
    wait_until_predicted(window)


def wait_until_predicted(window: MainWindow) -> None:
    states = set(window.catalog.states())
    ready = window.runner.model is not None and not window.runner.running and len(window.catalog) > 0 and states == {"predicted"}
    timed_out = time.monotonic() - started > TIMEOUT_S
    if not ready and not timed_out:
        QTimer.singleShot(50, lambda: wait_until_predicted(window))
        return
    seen.update(
        timed_out=not ready,
        rows=len(window.catalog),
        states=sorted(states),
        model=window.runner.model.name if window.runner.model else None,
        status_at_end=window.statusBar().currentMessage(),
        torch_at_end="torch" in sys.modules,
    )
    print(json.dumps(seen), flush=True)
    window.close()
    QApplication.instance().quit()


app = QApplication([APP_NAME])
watcher = FirstShow()
app.installEventFilter(watcher)
sys.exit(gui_app.main(sys.argv[1:]))
