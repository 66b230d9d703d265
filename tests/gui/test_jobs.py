"""The plain-Python jobs behind the GUI: batch ramp, streaming predictions, failures as rows, cache, the real worker's cancel."""

from __future__ import annotations

import math

import pytest

from bossnet_gui.catalog.session import SessionStore
from bossnet_gui.gui.predict_job import NO_MODEL, batch_sizes, predict_files
from bossnet_gui.gui.scan_job import expand_paths
from bossnet_gui.gui.throughput import Throughput
from bossnet_gui.results import OK
from tests.gui.conftest import lamost_files


def test_batches_start_small_then_use_the_batch_size():
    sizes = batch_sizes(16)
    assert [next(sizes) for _ in range(5)] == [1, 4, 16, 16, 16]
    sizes = batch_sizes(3)
    assert [next(sizes) for _ in range(3)] == [1, 3, 3]


def test_predictions_stream_per_batch_with_failures_as_rows(tiny_model, spectra_folder):
    files = expand_paths([spectra_folder])
    assert len(files) == 9 and all(f.startswith("/") for f in files)
    batches = list(predict_files(files, tiny_model, draws=2, batch_size=4))
    assert [len(b) for b in batches] == [1, 4, 4]
    frame = __import__("pandas").concat([b.frame for b in batches], ignore_index=True)
    reasons = dict(zip(frame["source"].map(lambda s: s.rsplit("/", 1)[1]), frame["status"]))
    assert "empty" in reasons["empty.fits"] and reasons["not_fits.fits"] != OK
    assert sum(s == OK for s in frame["status"]) == 7
    assert frame.loc[frame["status"] == OK, "Teff"].between(1000, 100_000).all()
    spectra = [s for b in batches for s in b.spectra]
    assert sum(s is not None for s in spectra) == 7


def test_quitting_the_worker_stops_reading_and_predicting_after_the_batch_in_hand(tiny_model, qtbot, monkeypatch):
    """The real superqt worker, told to quit at its first batch, reads no file beyond the next batch."""
    from superqt.utils import create_worker

    import bossnet_gui.io.scan as scan

    opened = []
    real_read = scan.read_spectra
    monkeypatch.setattr(scan, "read_spectra", lambda path: (opened.append(path), real_read(path))[1])
    files = [str(p) for p in lamost_files(12)]
    delivered = []
    worker = create_worker(predict_files, files, tiny_model, "cpu", 1, 0, 4, _start_thread=False)
    worker.yielded.connect(lambda batch: (delivered.append(len(batch)), worker.quit()))
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        worker.start()
    assert delivered[0] == 1
    assert len(opened) <= 1 + 4 < len(files)  # the batch of four may have been under way when quit came; nothing after it


def test_without_a_model_rows_say_why(spectra_folder):
    import pandas as pd

    frame = pd.concat([b.frame for b in predict_files(expand_paths([spectra_folder]), None, batch_size=20)])
    assert (frame["status"] == NO_MODEL).sum() == 7
    assert frame["id"].str.len().gt(0).sum() >= 6  # identity from the files is still there


def test_stored_results_come_back_without_reading(tmp_path, tiny_model):
    store = SessionStore(tmp_path / "s.sqlite")
    files = [str(p) for p in lamost_files(3)]
    fresh = [b for b in predict_files(files, tiny_model, draws=2, store=store)]
    again = list(predict_files(files, tiny_model, draws=2, store=store))
    assert len(again) == 1 and again[0].from_cache
    assert sorted(again[0].frame["Teff"]) == pytest.approx(sorted(t for b in fresh for t in b.frame["Teff"]))
    assert len(list(predict_files(files, tiny_model, draws=3, store=store))) == 2  # other draws: predicted again


def test_throughput_rate_and_time_left():
    t = Throughput()
    t.start(100, now=0.0)
    assert math.isnan(t.seconds_left(0.0))
    t.add(10, now=2.0)
    assert t.rate(2.0) == pytest.approx(5.0) and t.seconds_left(2.0) == pytest.approx(18.0)
    assert t.first_done == pytest.approx(2.0)
