"""Smoke test of an installed bossnet-gui, run by ``tests/test_wheel.py`` with the fresh venv's Python
from an empty folder: ``bossnet-gui`` with no arguments, offscreen, until the demo set is predicted.

Prints one JSON line of what the window showed and saves a picture of it to ``argv[1]``.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bossnet_gui.bundled import DEMO_DIR  # noqa: E402
from bossnet_gui.gui import app as gui_app  # noqa: E402
from bossnet_gui.gui.main_window import MainWindow  # noqa: E402

TIMEOUT_S = 240
picture = sys.argv[1]
expected_rows = len(list(DEMO_DIR.glob("*.fits")))
started = time.monotonic()
seen: dict = {"demo_files": expected_rows, "demo_dir": str(DEMO_DIR)}


def inspect_and_quit() -> None:
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible() and w.built]
    window = windows[-1] if windows else None
    done = window is not None and len(window.catalog) == expected_rows and set(window.catalog.states()) == {"predicted"}
    if not done and time.monotonic() - started < TIMEOUT_S:
        QTimer.singleShot(100, inspect_and_quit)
        return
    if window is not None:
        window.kiel.flush()
        seen.update(
            rows=len(window.catalog),
            states=sorted(set(window.catalog.states())),
            model=window.runner.model.name if window.runner.model else None,
            kiel_points=len(window.kiel.rows),
            kiel_backdrop=window.kiel.coverage is not None,
            title=window.windowTitle(),
        )
        window.grab().save(picture)
        window.close()
    QApplication.instance().quit()


app = QApplication.instance() or QApplication([])
app.setQuitOnLastWindowClosed(False)
QTimer.singleShot(100, inspect_and_quit)
seen["exit"] = gui_app.main([])
print(json.dumps(seen))
