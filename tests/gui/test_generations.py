"""Run generations, no I/O on the GUI thread and a clean shutdown: what a cancelled or superseded
worker still delivers is dropped, new work starts at once, and the store is never closed under a worker."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

import bossnet_gui.gui.predict_job as predict_job
from bossnet_gui.gui import main_window, prediction_runner, scan_job
from bossnet_gui.gui.prediction_runner import workers_idle
from tests.gui.conftest import lamost_files, wait_for_run


@pytest.fixture
def slow_batches(monkeypatch):
    """Each batch takes at least ``seconds`` more (set the value), so that a test can act while one runs."""
    delay = {"seconds": 0.3}
    real = predict_job.predict_chunk

    def slow(*args, **kwargs):
        time.sleep(delay["seconds"])
        return real(*args, **kwargs)

    monkeypatch.setattr(predict_job, "predict_chunk", slow)
    return delay


def settle(qtbot) -> None:
    """Wait until every worker has stopped and its last signals have been delivered."""
    qtbot.waitUntil(workers_idle, timeout=30_000)
    qtbot.wait(100)


def test_close_all_drops_the_old_run_and_newly_opened_files_start_at_once(make_window, qtbot, slow_batches, tmp_path):
    window = make_window(batch_size=4)
    first, other = lamost_files(12)[:9], lamost_files(12)[9:]
    with qtbot.waitSignal(window.catalog.rowsChanged, timeout=30_000):  # the first star is in; the next batch is under way
        window.open_paths(first)
    window.close_all()
    wait_for_run(qtbot, window, lambda: window.open_paths(other))
    settle(qtbot)
    assert sorted(window.catalog.sources()) == sorted(str(p) for p in other)  # no stale rows of the first folder
    assert list(window.catalog.states()) == ["predicted"] * 3


def test_predict_again_during_a_run_cancels_and_runs_again(make_window, qtbot, slow_batches):
    window = make_window(batch_size=4)
    files = lamost_files(9)
    with qtbot.waitSignal(window.catalog.rowsChanged, timeout=30_000):
        window.open_paths(files)
    assert window.runner.running
    wait_for_run(qtbot, window, window.rerun)
    settle(qtbot)
    assert len(window.catalog) == 9 and list(window.catalog.states()) == ["predicted"] * 9


def test_cancel_marks_the_run_cancelled_at_once_and_drops_its_last_batch(make_window, qtbot, slow_batches):
    window = make_window(batch_size=4)
    with qtbot.waitSignal(window.catalog.rowsChanged, timeout=30_000):
        window.open_paths(lamost_files(9))
    window.runner.cancel()
    states = list(window.catalog.states())
    assert states.count("predicted") == 1 and states.count("not predicted") == 8 and not window.runner.running
    settle(qtbot)  # the batch that was under way ends, and is not shown
    assert list(window.catalog.states()) == states


def test_only_the_latest_model_load_counts(make_window, qtbot, monkeypatch, tiny_model):
    window = make_window(model=None)
    later = object.__new__(type(tiny_model))
    later.__dict__.update(tiny_model.__dict__)

    def load(spec):
        if spec == "slow":
            time.sleep(0.5)
            return tiny_model
        return later

    monkeypatch.setattr(prediction_runner, "load_model", load)
    window.runner.load_model("slow")
    window.runner.load_model("fast")
    settle(qtbot)
    assert window.runner.model is later and not window.runner.loading_model


def test_a_spectrum_read_from_before_close_all_is_dropped(make_window, qtbot):
    window = make_window()
    cache = window.catalog.spectra
    delivered = []
    cache.loaded.connect(lambda key, spectrum, reason: delivered.append(key))
    cache.request((str(lamost_files(1)[0]), ""))
    window.close_all()
    settle(qtbot)
    assert delivered == [] and cache.get((str(lamost_files(1)[0]), "")) is None


def test_folders_are_scanned_off_the_gui_thread_with_rows_appearing_chunk_by_chunk(make_window, qtbot, monkeypatch, tmp_path):
    folder = tmp_path / "many"
    for part in range(4):
        (folder / f"part{part}").mkdir(parents=True)
        for i in range(250):
            (folder / f"part{part}" / f"s{i:04d}.fits").write_bytes(b"")
    walked_on = set()
    real = scan_job.iter_spectrum_names

    def recording(paths):
        walked_on.add(threading.current_thread() is threading.main_thread())
        yield from real(paths)

    monkeypatch.setattr(scan_job, "iter_spectrum_names", recording)
    monkeypatch.setattr(scan_job.scan_files, "__defaults__", (scan_job.CHUNK_SECONDS, 100, 0.0))
    monkeypatch.setattr(prediction_runner, "ROWS_ADDED_PER_TURN", 100)  # so that 1,000 files take ten turns
    window = make_window(model=None)
    appended = []
    window.catalog.rowsAppended.connect(lambda first, last: appended.append(last - first + 1))
    wait_for_run(qtbot, window, lambda: window.open_paths([folder]))
    assert walked_on == {False}
    assert len(window.catalog) == 1000 and len(appended) >= 10 and max(appended) <= 100
    assert set(window.catalog.states()) == {"failed"}  # empty files, each with its reason


def test_closing_never_closes_the_store_under_a_running_worker(make_window, qtbot, slow_batches, monkeypatch):
    monkeypatch.setattr(main_window, "SHUTDOWN_WAIT_S", 0.05)  # give up waiting long before the batch ends
    slow_batches["seconds"] = 1.0
    window = make_window(batch_size=4)
    store = window.store
    saved, failed = [], []
    real_save = store.save_results

    def save(frame, draws, seed):
        try:
            real_save(frame, draws, seed)
            saved.append(len(frame))
        except sqlite3.Error as exc:
            failed.append(exc)
            raise

    monkeypatch.setattr(store, "save_results", save)
    with qtbot.waitSignal(window.catalog.rowsChanged, timeout=30_000):
        window.open_paths(lamost_files(9))
    window.close()
    assert not window.isVisible() and not workers_idle()  # closed while the second batch runs
    assert store_is_open(store)
    settle(qtbot)
    qtbot.waitUntil(lambda: not store_is_open(store), timeout=5_000)  # closed once the worker stopped
    assert failed == [] and saved == [1, 4]


def store_is_open(store) -> bool:
    try:
        store._db.execute("SELECT 1")
        return True
    except sqlite3.ProgrammingError:
        return False


def test_the_first_star_is_shown_once_the_opened_files_are_all_listed(qtbot, monkeypatch, tiny_model):
    """Drawing a spectrum while thousands of rows still arrive stalls the window: with nothing chosen, the runner
    shows the first result when the listing has ended, not when it comes. (No table here: a table view that gets
    the focus makes its first row current by itself.)"""
    from bossnet_gui.gui.catalog_model import CatalogModel
    from bossnet_gui.gui.prediction_runner import PredictionRunner, RunSettings

    files = [str(f) for f in lamost_files(6)]
    listing_may_end = threading.Event()

    def slow_scan(paths):
        yield files[:3]  # predicted while the rest is still being looked for
        listing_may_end.wait(30)
        yield files[3:]

    monkeypatch.setattr(prediction_runner, "scan_opened", slow_scan)
    catalog = CatalogModel()
    runner = PredictionRunner(catalog, RunSettings(draws=2, batch_size=8))
    runner.set_model(tiny_model)
    runner.open(["/a/big/folder"])
    qtbot.waitUntil(lambda: (catalog.states() != "queued").sum() >= 3, timeout=30_000)
    qtbot.wait(100)
    assert runner.listing and catalog.current == -1
    with qtbot.waitSignal(runner.scanFinished, timeout=30_000):
        listing_may_end.set()
    assert catalog.current == 0
    qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
    runner.shut_down()
