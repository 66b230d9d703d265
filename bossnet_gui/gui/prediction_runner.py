"""PredictionRunner: loads the model, finds the files opened and runs the model over them, in worker threads.

One run at a time takes every queued file; files opened during a run are queued in the catalog and
picked up by the next run. Results go straight into the ``CatalogModel``; views follow its signals.

Every run, folder scan and model load carries a token (a generation number). Cancel, Close all
(the catalog's ``rowsCleared``) and a newer request move the token on, so whatever an older worker
still delivers is dropped, and new work starts at once instead of waiting for the old worker to
reach its next batch. The old workers stop there; ``workers_idle`` tells when all have.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from itertools import count
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

from ..errors import ModelLoadError
from .catalog_job import OpenedCatalog, open_catalog
from .catalog_model import CANCELLED, QUEUED, CatalogModel
from .model_job import load_model
from .predict_job import NO_MODEL, PredictionBatch, predict_files
from .scan_job import CatalogFile, scan_opened
from .settings import RunSettings
from .throughput import Throughput

if TYPE_CHECKING:
    from ..model import LoadedModel

ROWS_ADDED_PER_TURN = 1000
WORKER_PAUSE_S = 0.005  # after each batch: the GUI thread gets the interpreter to show it (see predict_files)
ADD_EVERY_MS = 1  # a timer, not a posted event: other timers and painting get their turn in between

__all__ = ["NO_MODEL", "PredictionRunner", "Progress", "RunSettings", "workers_idle"]


def workers_idle() -> bool:
    """No worker thread of the app is running (superqt runs them all in Qt's global thread pool)."""
    return QThreadPool.globalInstance().activeThreadCount() == 0


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    rate: float  # spectra per second
    seconds_left: float  # NaN while unknown
    running: bool


class PredictionRunner(QObject):
    progressChanged = Signal(object)  # Progress
    runningChanged = Signal(bool)  # finding or predicting opened files, or not
    modelChanged = Signal(object)  # LoadedModel or None
    modelFailed = Signal(str)  # why no model could be loaded (the app stays usable for viewing)
    comparisonChanged = Signal(object)  # the second model run beside the first (LoadedModel), or None
    scanFinished = Signal(int)  # how many new files one ``open`` found
    catalogOpened = Signal(str, int)  # path, rows: a catalog file's rows are shown
    catalogFailed = Signal(str, str)  # path, why it could not be opened
    catalogFound = Signal(str)  # an opened FITS file turned out to be a catalog: open it as one

    def __init__(self, catalog: CatalogModel, settings: RunSettings | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.settings = settings or RunSettings()
        self.model: LoadedModel | None = None
        self.comparison: LoadedModel | None = None
        self.model_error = ""
        self.throughput = Throughput()
        self._tokens = count(1)
        self._worker = None
        self._run = 0  # token of the run going on (0: none)
        self._run_files: list[str] = []
        self._batches: list[PredictionBatch] = []  # delivered by the run's worker, not yet in the catalog
        self._scans: dict[int, object] = {}  # token -> worker of each folder scan going on
        self._pending: dict[int, list[str]] = {}  # token -> files its scan found, not yet in the catalog
        self._found: dict[int, int] = {}  # token -> new files an open has put in the catalog so far
        self._adding = False
        self._model_request = 0  # token of the latest model load
        self._catalog_load = 0  # token of the catalog file being read (0: none)
        self._shut_down = False
        self._was_running = False
        catalog.rowsCleared.connect(self._drop_all)

    # -- model --------------------------------------------------------------------------------

    @property
    def loading_model(self) -> bool:
        return self._model_request != 0

    def load_model(self, spec: str | None = None) -> None:
        """Load the bundled model (spec None) or a published model directory, off the GUI thread; the latest request wins."""
        token = self._model_request = next(self._tokens)
        create_worker(load_model, spec, _connect={"returned": partial(self._on_model_loaded, token), "errored": partial(self._on_model_failed, token)})

    def load_comparison(self, spec: str | None) -> None:
        """Load a second model (a published directory, or None for the bundled one) to run beside the first."""
        self._comparison_job = create_worker(
            load_model, spec, _connect={"returned": self.set_comparison, "errored": lambda error: self.modelFailed.emit(f"Comparison model not loaded: {error}")}
        )

    def set_comparison(self, model: LoadedModel | None) -> None:
        """The model run beside the first from the next run on (Predict again redoes loaded files)."""
        self.comparison = model
        self.comparisonChanged.emit(model)

    def set_model(self, model: LoadedModel | None, error: str = "") -> None:
        self.model, self.model_error, self._model_request = model, error, 0
        self.modelChanged.emit(model)
        if model is None and error:
            self.modelFailed.emit(error)
        self._start_next()

    def _on_model_loaded(self, token: int, model: LoadedModel) -> None:
        if token == self._model_request and not self._shut_down:
            self.set_model(model)

    def _on_model_failed(self, token: int, error: Exception) -> None:
        if token != self._model_request or self._shut_down:
            return
        message = str(error) if isinstance(error, ModelLoadError) else f"{type(error).__name__}: {error}"
        if self.model is not None:  # keep predicting with the model already loaded
            self._model_request = 0
            self.modelFailed.emit(f"{message} (still using {self.model.name})")
            self._start_next()
            return
        self.set_model(None, message)

    # -- opening ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Finding or predicting opened files."""
        return self._worker is not None or bool(self._found)

    @property
    def listing(self) -> bool:
        """Opened files are still being found or put into the table."""
        return bool(self._scans) or any(self._pending.values())

    def open(self, paths) -> None:
        """Queue the spectra files in ``paths`` (files, folders, list files) as a scan finds them, off the GUI thread.

        Rows appear chunk by chunk and the first chunk starts a run at once; ``scanFinished`` says how many were new.
        """
        token = next(self._tokens)
        self._found[token], self._pending[token] = 0, []
        self._scans[token] = create_worker(
            scan_opened, [str(p) for p in paths],
            _connect={"yielded": partial(self._on_found, token), "finished": partial(self._on_scan_finished, token)},
        )
        self._update_running()

    def open_catalog(self, path: str) -> None:
        """Show the rows of a catalog file written by ``predict`` or exported, read in a worker; they replace
        the rows shown (a run going on is cancelled then) and nothing is predicted."""
        token = self._catalog_load = next(self._tokens)
        create_worker(
            open_catalog, path, self.catalog.store,
            _connect={"returned": partial(self._on_catalog_read, token), "errored": partial(self._on_catalog_failed, token, path)},
        )

    def _on_catalog_read(self, token: int, opened: OpenedCatalog) -> None:
        if token == self._catalog_load and not self._shut_down:
            self._catalog_load = 0
            self.catalog.show_catalog(opened)
            self.catalogOpened.emit(opened.path, len(opened))

    def _on_catalog_failed(self, token: int, path: str, error: Exception) -> None:
        if token == self._catalog_load and not self._shut_down:
            self._catalog_load = 0
            reason = " ".join(str(error).split()) or type(error).__name__
            self.catalogFailed.emit(path, reason if isinstance(error, (OSError, ValueError)) else f"{type(error).__name__}: {reason}")

    def _on_found(self, token: int, files: list[str] | CatalogFile) -> None:
        if isinstance(files, CatalogFile):  # no spectra to list: that open is a catalog's, and ends here
            if self._pending.pop(token, None) is not None:
                self._found.pop(token, None)
                self._update_running()
                self.catalogFound.emit(str(files))
            return
        if token in self._pending:
            self._pending[token].extend(files)
            self._add_found_soon()

    def _on_scan_finished(self, token: int) -> None:
        if self._scans.pop(token, None) is not None:
            self._add_found_soon()

    def _add_found_soon(self) -> None:
        """Found files go into the catalog from a timer, a few thousand per event-loop turn: chunks that
        arrive together (Qt delivers every queued signal in one pass) do not add up to one long stall."""
        if not self._adding:
            self._adding = True
            QTimer.singleShot(ADD_EVERY_MS, self, self._add_found)

    def _add_found(self) -> None:
        self._adding = False
        room = ROWS_ADDED_PER_TURN
        for token, files in list(self._pending.items()):
            taken, files[:room] = files[:room], []
            room -= len(taken)
            self._found[token] += len(self.catalog.add_files(taken))
            if not files and token not in self._scans:  # that scan has ended and all it found is in
                del self._pending[token]
                self.scanFinished.emit(self._found.pop(token))
                self._show_first_result()
        if any(self._pending.values()):
            self._add_found_soon()
        self._start_next()
        self._update_running()

    # -- runs ---------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop finding and predicting: the rows still queued say so at once, and what the workers still deliver is dropped."""
        self._stop_workers()
        self.catalog.mark_unfinished(self.catalog.queued_sources(), CANCELLED)
        self._update_running()
        self._emit_progress()

    def _drop_all(self) -> None:
        """The catalog was cleared (Close all, Predict again): nothing running belongs to it any more.

        The workers are dropped now; the views hear of it on the next event-loop turn, once every
        view has caught up with the cleared catalog (a repaint from inside ``rowsCleared`` would draw
        a view that still counts the old rows).
        """
        self._stop_workers()
        QTimer.singleShot(0, self, self._after_drop)

    def _after_drop(self) -> None:
        self._update_running()
        self._emit_progress()

    def _stop_workers(self) -> None:
        for worker in [self._worker, *self._scans.values()]:
            if worker is not None:
                worker.quit()  # stops at its next batch; its results no longer match a token
        self._worker, self._run, self._run_files, self._batches = None, 0, [], []
        self._catalog_load = 0
        self._scans.clear()
        self._pending.clear()
        self._found.clear()

    def shut_down(self) -> None:
        """Cancel, and ignore whatever the workers still deliver (the window is closing)."""
        self._shut_down = True
        self._model_request = 0
        self._stop_workers()

    def _start_next(self) -> None:
        files = self.catalog.queued_sources()
        if self._worker is not None or self.loading_model or not files or self._shut_down:
            return
        token = self._run = next(self._tokens)
        self._run_files = files
        s = self.settings
        self.throughput.start(len(files), time.perf_counter())
        self._worker = create_worker(
            predict_files, files, self.model, s.device, s.draws, s.seed, s.batch_size, self.catalog.store, WORKER_PAUSE_S, self.comparison,
            _connect={"yielded": partial(self._on_batch, token), "errored": partial(self._on_error, token), "finished": partial(self._on_finished, token)},
        )
        self._update_running()
        self._emit_progress()

    def _on_batch(self, token: int, batch: PredictionBatch) -> None:
        if token == self._run:
            self._batches.append(batch)
            if len(self._batches) == 1:
                QTimer.singleShot(ADD_EVERY_MS, self, self._apply_batches)

    def _apply_batches(self) -> None:
        """The batches that arrived since the last event-loop turn, into the catalog in one step (one
        repaint), however many a fast worker delivered at once."""
        batches, self._batches = self._batches, []
        if not batches:
            return
        frame = batches[0].frame if len(batches) == 1 else pd.concat([b.frame for b in batches], ignore_index=True)
        rows = self.catalog.apply_results(frame, [s for b in batches for s in b.spectra])
        n = len(frame)
        self.throughput.add(n, time.perf_counter(), total=len(self.catalog.queued_sources()) + self.throughput.done + n)
        self._show_first_result(rows)
        self._emit_progress()

    def _show_first_result(self, rows=None) -> None:
        """With no star chosen, show the first with a result, once the opened files are all listed: drawing a
        spectrum while thousands of rows still arrive would stall the window (``rows``: those just in)."""
        if self.catalog.current >= 0 or self.listing:
            return
        if rows is None:
            rows = np.flatnonzero(self.catalog.states() != QUEUED)
        if len(rows):
            self.catalog.set_current(int(rows[0]))

    def _on_error(self, token: int, error: Exception) -> None:
        if token != self._run:
            return
        self._apply_batches()
        self.catalog.message.emit(f"prediction stopped: {type(error).__name__}: {error}")
        self.catalog.mark_unfinished(self._run_files, f"not predicted: {error}")

    def _on_finished(self, token: int) -> None:
        if token != self._run:
            return
        self._apply_batches()
        self.catalog.mark_unfinished(self._run_files, "no spectrum found in the file")
        self._worker, self._run, self._run_files = None, 0, []
        self._start_next()
        self._update_running()
        self._emit_progress()

    def _update_running(self) -> None:
        if self.running != self._was_running:
            self._was_running = self.running
            self.runningChanged.emit(self.running)

    def _emit_progress(self) -> None:
        now = time.perf_counter()
        t = self.throughput
        self.progressChanged.emit(Progress(t.done, t.total, t.rate(now), t.seconds_left(now), self.running))

    @property
    def no_model_status(self) -> str:
        return NO_MODEL
