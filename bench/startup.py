"""Start-up time of the desktop app and the command line, each next to a baseline measured in the same run.

    .venv/bin/python bench/startup.py [--repeats 5]

Every figure is the wall-clock time of a fresh interpreter, from launch until the point named
(median over ``--repeats``; the first run of each kind is an untimed warm-up of the disk cache):
(a) ``import PySide6.QtWidgets, pyqtgraph`` and exit: the least a Qt/pyqtgraph window costs;
(b) ``bossnet-gui`` (the real entry, offscreen, a temporary settings and data home) until its main
    window has been shown and the event loop has turned once: the window is up and answering;
(c) ``import torch`` and exit;
(d) ``python -m bossnet_gui predict --help``.
Targets (issue 17): b/a <= 2 (the window costs little beyond Qt itself), d/c <= 0.5 (the command line
answers without loading torch). ``tests/test_imports.py`` and ``tests/gui/test_startup.py`` check that
torch is not imported on these paths.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# the app's own entry point; prints once its window is shown and the event loop has turned, then leaves at once.
# It imports the window's modules first only to time them (the entry would import them itself).
WINDOW_SHOWN = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

start = time.perf_counter()
from bossnet_gui.gui import app as gui_app
from bossnet_gui.gui.main_window import APP_NAME, MainWindow
imported = time.perf_counter() - start


def shown(torch_at_show):
    print("shown", torch_at_show, imported, flush=True)
    os._exit(0)  # not waiting for the model, which loads in a worker meanwhile


class FirstShow(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Show and isinstance(watched, MainWindow):
            torch_at_show = "torch" in sys.modules
            QTimer.singleShot(0, lambda: shown(torch_at_show))
        return False


app = QApplication([APP_NAME])
watcher = FirstShow()
app.installEventFilter(watcher)
gui_app.main([])
"""


def launch_time(args: list[str], env: dict, until: str | None = None) -> tuple[float, str]:
    """Seconds from launching ``python ARGS`` until it exits (or prints a line starting with ``until``), and its output."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    if until is None:
        output, _ = process.communicate(timeout=300)
        elapsed = time.perf_counter() - start
    else:
        output = ""
        for line in process.stdout:
            if line.startswith(until):
                elapsed, output = time.perf_counter() - start, line
                break
        else:
            raise RuntimeError(f"python {' '.join(args)} never printed {until!r}")
        process.wait(timeout=60)
    if process.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed with status {process.returncode}")
    return elapsed, output


def median_launch(args: list[str], env: dict, repeats: int, until: str | None = None) -> tuple[float, str]:
    launch_time(args, env, until)  # warm-up: the disk cache, Python's bytecode cache
    runs = [launch_time(args, env, until) for _ in range(repeats)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def row(label: str, seconds: float, comparison: str = "") -> None:
    print(f"    {label:<58}{seconds * 1000:8.0f} ms   {comparison}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k != "BOSSNET_GUI_WEIGHTS"}
        env.update(QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=f"{home}/data", XDG_CONFIG_HOME=f"{home}/config", PYTHONPATH=str(REPO))
        print(f"{os.cpu_count()} cores, offscreen Qt, fresh interpreter each run, median of {args.repeats}")
        qt, _ = median_launch(["-c", "import PySide6.QtWidgets, pyqtgraph"], env, args.repeats)
        window, said = median_launch(["-c", WINDOW_SHOWN], env, args.repeats, until="shown")
        torch, _ = median_launch(["-c", "import torch"], env, args.repeats)
        help_, _ = median_launch(["-m", "bossnet_gui", "predict", "--help"], env, args.repeats)
    torch_at_show, imports = said.split()[1] == "True", float(said.split()[2])
    print("(a), (b) the desktop app")
    row("(a) import PySide6.QtWidgets, pyqtgraph", qt, "1.00x")
    row("(b) bossnet-gui: main window shown, event loop turned", window, f"{window / qt:.2f}x (target <= 2)")
    row("    of which: importing the window's modules", imports, "(after PySide6; last run)")
    print(f"    torch imported when the window was shown: {'yes' if torch_at_show else 'no'}")
    print("(c), (d) the command line")
    row("(c) import torch", torch, "1.00x")
    row("(d) python -m bossnet_gui predict --help", help_, f"{help_ / torch:.2f}x (target <= 0.5)")


if __name__ == "__main__":
    main()
