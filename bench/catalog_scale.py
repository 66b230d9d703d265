"""Opening big catalogs in the app: load time, memory and event-loop stalls at 10k, 100k and 1M rows.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/catalog_scale.py [--rows 10000 100000 1000000]

For each size it writes a Parquet catalog like `predict`'s (stars along the main sequence, the
giant branch and the white-dwarf sequence, 3% failed rows, flags), opens it in the main window
as a user does (File > Open catalog) and prints, as the cost grows with the rows:
  * load: from the request until the rows are shown and the window has painted them;
  * memory: the process's peak resident memory added by the load;
  * the longest event-loop gap (a 5 ms heartbeat) during each of: scrolling the table, sorting by
    Teff, filtering by text, showing only flagged rows, zooming the Kiel diagram into a small
    region and out again, a lasso selection, clicking a star, clearing the selection.
Targets (issue 19): load <= 5 s and <= 1 GB at 1M rows; no gap > 100 ms once loaded.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bossnet_gui.catalog.export import provenance, write_catalog  # noqa: E402
from tests.catalog_factory import synthetic_catalog  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Heartbeat:
    """The longest gap between ticks of a 5 ms timer: how long the event loop was kept from running."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0
        self.timer.start()

    def _tick(self):
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def reset(self):
        self.last, self.longest = time.perf_counter(), 0.0


def run_events(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        QApplication.processEvents()
        time.sleep(0.001)


def measure(path: Path, rows: int) -> dict:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from bossnet_gui.catalog.session import SessionStore
    from bossnet_gui.gui.main_window import MainWindow
    from bossnet_gui.gui.settings import AppSettings

    _app = QApplication.instance() or QApplication(["bench"])  # kept alive while measuring
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(settings=AppSettings(QSettings(f"{tmp}/settings.ini", QSettings.Format.IniFormat)), store=SessionStore(Path(tmp) / "session.sqlite"))
        window.resize(1440, 900)
        window.show()
        run_events(0.5)
        beat = Heartbeat()
        before_rss, before_peak = rss_mb(), peak_mb()
        opened = []
        window.runner.catalogOpened.connect(lambda p, n: opened.append(time.perf_counter()))
        start = time.perf_counter()
        window.open_catalog(str(path))
        while not opened:
            QApplication.processEvents()
            time.sleep(0.001)
        beat.reset()
        run_events(0.3)  # the views catch up and paint
        load = opened[0] - start
        settle = beat.longest
        memory = max(peak_mb() - before_peak, rss_mb() - before_rss)
        assert len(window.catalog) == rows
        gaps = {}
        table, kiel = window.table, window.kiel

        def action(name, fn, settle_s=0.25):
            beat.reset()
            fn()
            run_events(settle_s)
            gaps[name] = beat.longest

        bar = table.view.verticalScrollBar()
        action("scroll table", lambda: [(bar.setValue(int(bar.maximum() * f)), QApplication.processEvents()) for f in np.linspace(0, 1, 20)])
        teff = table.table_model.columns.index("Teff")
        action("sort by Teff", lambda: table.view.sortByColumn(teff, table.view.horizontalHeader().sortIndicatorOrder()))
        action("filter text", lambda: window.catalog.set_filter(text="J0000"))
        action("clear text", lambda: window.catalog.set_filter(text=""))
        action("flagged only", lambda: window.catalog.set_filter(flagged_only=True))
        action("all rows", lambda: window.catalog.set_filter(flagged_only=False))
        action("zoom Kiel in", lambda: kiel.view_box.setRange(xRange=(3.70, 3.72), yRange=(4.2, 4.4), padding=0))
        action("zoom Kiel out", kiel.reset_view)
        lasso = np.array([(3.75, 3.5), (3.6, 3.6), (3.55, 4.8), (3.72, 5.0), (3.8, 4.2)])
        action("lasso", lambda: kiel.select_shape("lasso", lasso))
        action("click star", lambda: kiel.click_at(3.65, 4.5))
        action("clear selection", lambda: window.catalog.set_subset(None))
        window.close()
        run_events(0.2)
    return {"load": load, "settle": settle, "memory": memory, "gaps": gaps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.rows:
            path = Path(tmp) / f"catalog_{n}.parquet"
            write_catalog(synthetic_catalog(n), path, provenance("bossnet-gui-boss-small", "ab4af0403674", 1, 0))
            results[n] = measure(path, n)
            r = results[n]
            print(f"{n:>9,} rows: load {r['load']:5.2f} s, memory +{r['memory']:5.0f} MB, longest gap while the views catch up {1000 * r['settle']:4.0f} ms", flush=True)
            print("           longest gap per action (ms): " + ", ".join(f"{k} {1000 * v:.0f}" for k, v in r["gaps"].items()), flush=True)
    if len(results) > 1:
        sizes = sorted(results)
        growth = results[sizes[-1]]["load"] / max(results[sizes[0]]["load"], 1e-9)
        print(f"load time grows {growth:.1f}x for {sizes[-1] / sizes[0]:.0f}x the rows")


if __name__ == "__main__":
    main()
