"""The work done off the GUI thread, as plain Python: generators yield once per batch.

Each ``yield`` is both the progress tick and the point where superqt's ``GeneratorWorker`` checks
``abort_requested``, so a cancel takes effect within one batch. Nothing here imports widgets, and
nothing imports torch until a model is loaded (``load_model``, in a worker), so the window opens first.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

import pandas as pd

from ..catalog.export import provenance, write_catalog
from ..catalog.session import SessionStore
from ..catalog.table import PARAMETERS, frame_from_batch
from ..engine import predict_frames
from ..errors import SpectrumReadError
from ..io import find_spectrum_files, iter_spectra
from ..results import BatchResult
from ..spectrum import Spectrum

if TYPE_CHECKING:
    from ..model import LoadedModel, Predictor

FIRST_BATCHES = (1, 4)  # small first batches: the first star is on screen within a second
NO_MODEL = "not predicted: no model loaded"


@dataclass
class PredictionBatch:
    """Catalog rows for consecutive inputs, with the spectra read for them (None for failures)."""

    frame: pd.DataFrame
    spectra: list[Spectrum | None] = field(default_factory=list)
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.frame)


def batch_sizes(batch_size: int, first: Sequence[int] = FIRST_BATCHES) -> Iterator[int]:
    """1, 4, then ``batch_size`` forever (the ramp is skipped where it exceeds ``batch_size``)."""
    for size in first:
        if size < batch_size:
            yield size
    while True:
        yield max(1, batch_size)


def predict_files(
    files: Sequence[str],
    model: LoadedModel | None,
    device: str = "cpu",
    draws: int = 20,
    seed: int = 0,
    batch_size: int = 16,
    store: SessionStore | None = None,
) -> Iterator[PredictionBatch]:
    """Read and predict ``files``, one ``PredictionBatch`` per batch; stop iterating to cancel.

    Results stored for the same files, model, draws and seed come back first, from the session
    store, without reading the files. Unreadable files come back as rows with their reason;
    without a model, rows carry what the files say (id, S/N) and why nothing was predicted.
    """
    files = [str(f) for f in files]
    predictor = make_predictor(model, device) if model is not None else None
    if store is not None and model is not None:
        cached = store.cached_results(files, model.content_hash, draws, seed)
        if len(cached):
            yield PredictionBatch(cached, from_cache=True)
            done = set(cached["source"])
            files = [f for f in files if f not in done]
    items = iter_spectra(files)
    for size in batch_sizes(batch_size):
        chunk = list(islice(items, size))
        if not chunk:
            return
        frame = predict_chunk(chunk, predictor, draws, seed)
        if store is not None and predictor is not None:
            store.save_results(frame, draws, seed)
        yield PredictionBatch(frame, [None if isinstance(item, SpectrumReadError) else item for item in chunk])


def predict_chunk(chunk: list[Spectrum | SpectrumReadError], predictor: Predictor | None, draws: int, seed: int) -> pd.DataFrame:
    if predictor is None:
        return unpredicted_frame(chunk, NO_MODEL)
    return next(predict_frames([predictor], chunk, draws=draws, seed=seed, batch_size=len(chunk)))


def unpredicted_frame(items: Sequence[Spectrum | SpectrumReadError], reason: str) -> pd.DataFrame:
    """Catalog rows (identity, S/N, read failures) for spectra no model looked at."""
    return frame_from_batch(BatchResult.unpredicted(items, tuple(PARAMETERS), reason), None)


def load_model(spec: str | None = None) -> LoadedModel:
    """The bundled default model (``spec`` None or a bundled name) or a published model directory.

    The first call imports torch (seconds): the app calls it off the GUI thread.
    """
    from ..model import resolve_model

    spare_a_core_for_the_gui()
    return resolve_model(spec or None)


def spare_a_core_for_the_gui() -> int:
    """torch uses one core fewer than the machine has, so the GUI thread keeps a core; returns the previous count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    return previous


def make_predictor(model: LoadedModel, device: str) -> Predictor:
    from ..model import Predictor

    return Predictor(model, device=device)


def export_catalog(frame: pd.DataFrame, path: str | Path, meta: dict) -> Path:
    return write_catalog(frame, path, meta)


def export_meta(model: LoadedModel | None, draws: int, seed: int) -> dict:
    return provenance(model.name if model else "", model.content_hash if model else "", draws, seed)


@dataclass
class Throughput:
    """Count, rate and time left of a run, from batch completions."""

    total: int = 0
    done: int = 0
    started: float = 0.0
    first_done: float = math.nan
    _history: list[tuple[float, int]] = field(default_factory=list)

    def start(self, total: int, now: float) -> None:
        self.total, self.done, self.started, self.first_done = total, 0, now, math.nan
        self._history = [(now, 0)]

    def add(self, n: int, now: float, total: int | None = None) -> None:
        self.done += n
        if total is not None:
            self.total = max(total, self.done)
        if math.isnan(self.first_done) and n:
            self.first_done = now - self.started
        self._history.append((now, self.done))
        self._history = [h for h in self._history if now - h[0] <= 20.0] or [(now, self.done)]

    def rate(self, now: float) -> float:
        """Spectra per second over the last 20 s."""
        t0, n0 = self._history[0]
        return (self.done - n0) / (now - t0) if now > t0 and self.done > n0 else 0.0

    def seconds_left(self, now: float) -> float:
        rate = self.rate(now)
        return (self.total - self.done) / rate if rate > 0 else math.nan


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Absolute file names for what a person pointed at (files, folders, list files)."""
    return [os.path.abspath(p) for p in find_spectrum_files([os.path.abspath(os.path.expanduser(str(p))) for p in paths])]
