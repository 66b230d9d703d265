"""The GUI thread stays responsive while a prediction runs: a 10 ms QTimer records the gaps between its ticks.

A gap is the time the event loop could not run the timer: GUI-thread work (slots, painting) plus
waiting for the GIL held by the worker, plus time the operating system gave the thread to other
processes. When the machine is already overloaded by other processes (load average above its
core count), the last part is not the app's doing: the test then asserts the GUI thread's own CPU
time per gap, and reports the wall-clock gaps too.
"""

from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtCore import QTimer

from tests.gui.conftest import lamost_files, wait_for_run

# GUI-thread work in one go: 100 ms is the limit of a response that feels instant (Nielsen 1993; RAIL).
# Typical gaps (99th percentile) must stay under half that, so frequent stalls are caught; a single
# wall-clock gap, which adds waiting for the worker's GIL, may reach 150 ms (a slow 2-core AVX2 machine
# showed 75-95 ms at each batch's arrival). Profiled on a 2-core AVX-512 machine: the GUI thread's own
# work is at most ~30 ms in one gap (apply_results 4-12 ms, of which as_arrays ~6 ms; the table, Kiel
# and spectrum repaints), the whole run's GUI-thread time 0.23 s for 40 files; wall gaps of 45-60 ms
# are that plus waiting for the GIL, which the worker holds while it reads files and builds frames.
MAX_GAP_MS = 100
TYPICAL_GAP_MS = 50
MAX_WALL_GAP_MS = 150


def test_event_loop_is_never_blocked_during_a_run(make_window, qtbot):
    window = make_window(draws=10, batch_size=8)
    wall: list[float] = []
    cpu: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: (wall.append(time.perf_counter()), cpu.append(time.thread_time())))
    timer.start()
    qtbot.wait(200)  # the window's first layout and paint happen here, before the run
    wall.clear()
    cpu.clear()
    load_before = os.getloadavg()[0]
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(40)))
    timer.stop()
    gaps, busy = np.diff(wall) * 1000, np.diff(cpu) * 1000
    assert window.catalog.predicted().sum() == 40 and len(gaps) > 50
    cores = os.cpu_count() or 1
    overloaded = load_before > cores
    print(
        f"\nevent loop during the run ({len(gaps)} ticks, load average {load_before:.1f} on {cores} cores): "
        f"wall gap median {np.median(gaps):.1f} ms, 99th percentile {np.percentile(gaps, 99):.1f} ms, max {gaps.max():.1f} ms; "
        f"GUI-thread CPU per gap max {busy.max():.1f} ms"
    )
    assert busy.max() < MAX_GAP_MS, f"the GUI thread worked {busy.max():.0f} ms without returning to the event loop"
    assert np.percentile(gaps, 99) < TYPICAL_GAP_MS
    if not overloaded:
        assert gaps.max() < MAX_WALL_GAP_MS, f"GUI thread blocked for {gaps.max():.0f} ms"
