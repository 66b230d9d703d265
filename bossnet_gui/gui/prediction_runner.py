"""PredictionRunner: loads the model and runs it over the catalog's queued files in a worker thread.

One run at a time takes every queued file; files opened during a run are queued in the catalog and
picked up by the next run. Results go straight into the ``CatalogModel``; views follow its signals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from ..errors import ModelLoadError
from .catalog_model import CANCELLED, CatalogModel
from .settings import RunSettings
from .workers import NO_MODEL, PredictionBatch, Throughput, expand_paths, load_model, predict_files

if TYPE_CHECKING:
    from ..model import LoadedModel


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    rate: float  # spectra per second
    seconds_left: float  # NaN while unknown
    running: bool


class PredictionRunner(QObject):
    progressChanged = Signal(object)  # Progress
    runningChanged = Signal(bool)
    modelChanged = Signal(object)  # LoadedModel or None
    modelFailed = Signal(str)  # why no model could be loaded (the app stays usable for viewing)

    def __init__(self, catalog: CatalogModel, settings: RunSettings | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.settings = settings or RunSettings()
        self.model: LoadedModel | None = None
        self.model_error = ""
        self.throughput = Throughput()
        self._worker = None
        self._run_files: list[str] = []
        self._loading_model = False
        self._cancelled = False
        self._shut_down = False

    # -- model --------------------------------------------------------------------------------

    def load_model(self, spec: str | None = None) -> None:
        """Load the bundled model (spec None) or a published model directory, off the GUI thread."""
        self._loading_model = True
        create_worker(load_model, spec, _connect={"returned": self._on_model_loaded, "errored": self._on_model_failed})

    def set_model(self, model: LoadedModel | None, error: str = "") -> None:
        self.model, self.model_error, self._loading_model = model, error, False
        self.modelChanged.emit(model)
        if model is None and error:
            self.modelFailed.emit(error)
        self._start_next()

    def _on_model_loaded(self, model: LoadedModel) -> None:
        self.set_model(model)

    def _on_model_failed(self, error: Exception) -> None:
        message = str(error) if isinstance(error, ModelLoadError) else f"{type(error).__name__}: {error}"
        if self.model is not None:  # keep predicting with the model already loaded
            self._loading_model = False
            self.modelFailed.emit(f"{message} (still using {self.model.name})")
            self._start_next()
            return
        self.set_model(None, message)

    # -- runs ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._worker is not None

    def open(self, paths) -> list[str]:
        """Queue the spectra files in ``paths`` (files, folders, list files); returns the new files."""
        added = self.catalog.add_files(expand_paths(paths))
        if added:
            self._start_next()
        return added

    def cancel(self) -> None:
        if self._worker is not None:
            self._cancelled = True
            self._worker.quit()

    def shut_down(self) -> None:
        """Cancel, and ignore whatever the worker still delivers (the window is closing)."""
        self._shut_down = True
        self.cancel()

    def _start_next(self) -> None:
        files = self.catalog.queued_sources()
        if self._worker is not None or self._loading_model or not files or self._shut_down:
            return
        self._run_files, self._cancelled = files, False
        s = self.settings
        self.throughput.start(len(files), time.perf_counter())
        self._worker = create_worker(
            predict_files,
            files,
            self.model,
            s.device,
            s.draws,
            s.seed,
            s.batch_size,
            self.catalog.store,
            _connect={"yielded": self._on_batch, "errored": self._on_error, "finished": self._on_finished},
        )
        self.runningChanged.emit(True)
        self._emit_progress()

    def _on_batch(self, batch: PredictionBatch) -> None:
        if self._shut_down:
            return
        rows = self.catalog.apply_results(batch.frame, batch.spectra)
        self.throughput.add(len(batch), time.perf_counter(), total=len(self.catalog.queued_sources()) + self.throughput.done + len(batch))
        if self.catalog.current < 0 and len(rows):
            self.catalog.set_current(int(rows[0]))
        self._emit_progress()

    def _on_error(self, error: Exception) -> None:
        self.catalog.message.emit(f"prediction stopped: {type(error).__name__}: {error}")
        self.catalog.mark_unfinished(self._run_files, f"not predicted: {error}")

    def _on_finished(self) -> None:
        self._worker = None
        if self._shut_down:
            return
        leftover = self._run_files
        if self._cancelled:
            self.catalog.mark_unfinished(self.catalog.queued_sources(), CANCELLED)
        else:
            self.catalog.mark_unfinished(leftover, "no spectrum found in the file")
        self._run_files = []
        self.runningChanged.emit(False)
        self._emit_progress()
        if not self._cancelled:
            self._start_next()

    def _emit_progress(self) -> None:
        now = time.perf_counter()
        t = self.throughput
        self.progressChanged.emit(Progress(t.done, t.total, t.rate(now), t.seconds_left(now), self.running))

    @property
    def no_model_status(self) -> str:
        return NO_MODEL
