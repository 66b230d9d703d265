"""Start-up time of the desktop app and the command line, each next to a baseline measured in the same run.

    .venv/bin/python bench/startup.py [--repeats 5]

Every figure is the wall-clock time of a fresh interpreter, from launch until the point named
(median over ``--repeats``; the first run of each kind is an untimed warm-up of the disk cache):
(a) ``import PySide6.QtWidgets, pyqtgraph`` and exit: the least a Qt/pyqtgraph window costs;
(b) ``bossnet-gui`` (the real entry, offscreen, a temporary settings and data home) until its main
    window has been shown and the event loop has turned once: the window is up and answering;
    then, as information, until its panels are built (their libraries are imported in a thread
    meanwhile, with the event loop turning);
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

# the app's own entry point; prints "shown" once its window is shown and the event loop has turned,
# then "built" once its panels are, and leaves at once (not waiting for the model, which loads in a worker).
WINDOW_SHOWN = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from bossnet_gui.gui import app as gui_app
from bossnet_gui.gui.main_window import APP_NAME, MainWindow


def shown(window, torch_at_show):
    print("shown", torch_at_show, flush=True)
    when_built(window)


def when_built(window):
    if not window.built:
        QTimer.singleShot(1, lambda: when_built(window))
        return
    print("built", flush=True)
    os._exit(0)


class FirstShow(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Show and isinstance(watched, MainWindow):
            torch_at_show = "torch" in sys.modules
            QTimer.singleShot(0, lambda: shown(watched, torch_at_show))
        return False


app = QApplication([APP_NAME])
watcher = FirstShow()
app.installEventFilter(watcher)
gui_app.main([])
"""


def launch_time(args: list[str], env: dict, marks: tuple[str, ...] = ()) -> tuple[list[float], str]:
    """Seconds from launching ``python ARGS`` until each line starting with one of ``marks`` (in order),
    or until it exits when there are none; and the output of the first mark."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    if not marks:
        process.communicate(timeout=300)
        times, first = [time.perf_counter() - start], ""
    else:
        times, first = [], ""
        for line in process.stdout:
            if line.startswith(marks[len(times)]):
                times.append(time.perf_counter() - start)
                first = first or line
                if len(times) == len(marks):
                    break
        if len(times) < len(marks):
            raise RuntimeError(f"python {' '.join(args)} never printed {marks[len(times)]!r}")
    process.wait(timeout=60)
    if process.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed with status {process.returncode}")
    return times, first


def median_launch(args: list[str], env: dict, repeats: int, marks: tuple[str, ...] = ()) -> tuple[list[float], str]:
    launch_time(args, env, marks)  # warm-up: the disk cache, Python's bytecode cache
    runs = [launch_time(args, env, marks) for _ in range(repeats)]
    return [statistics.median(times[i] for times, _ in runs) for i in range(len(runs[0][0]))], runs[-1][1]


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
        (qt,), _ = median_launch(["-c", "import PySide6.QtWidgets, pyqtgraph"], env, args.repeats)
        (window, built), said = median_launch(["-c", WINDOW_SHOWN], env, args.repeats, marks=("shown", "built"))
        (torch,), _ = median_launch(["-c", "import torch"], env, args.repeats)
        (help_,), _ = median_launch(["-m", "bossnet_gui", "predict", "--help"], env, args.repeats)
    torch_at_show = said.split()[1] == "True"
    print("(a), (b) the desktop app")
    row("(a) import PySide6.QtWidgets, pyqtgraph", qt, "1.00x")
    row("(b) bossnet-gui: main window shown, event loop turned", window, f"{window / qt:.2f}x (target <= 2)")
    row("    then: its panels built (libraries imported in a thread)", built, f"{built / qt:.2f}x")
    print(f"    torch imported when the window was shown: {'yes' if torch_at_show else 'no'}")
    print("(c), (d) the command line")
    row("(c) import torch", torch, "1.00x")
    row("(d) python -m bossnet_gui predict --help", help_, f"{help_ / torch:.2f}x (target <= 0.5)")


if __name__ == "__main__":
    main()
