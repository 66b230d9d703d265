"""Prediction off the GUI thread, as plain Python: a generator that yields once per batch.

Each ``yield`` is both the progress tick and the point where superqt's ``GeneratorWorker`` checks
``abort_requested``, so a cancel takes effect within one batch. Everything that touches the file
system or the session store for a batch happens here, in the worker: reading, predicting, storing
the results and looking up the verdicts and notes saved for them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Iterator, Sequence

import pandas as pd

from ..catalog.session import SessionStore
from ..catalog.table import unpredicted_frame
from ..engine import predict_frames
from ..errors import SpectrumReadError
from ..io import iter_spectra
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
    pause: float = 0.0,
    comparison: LoadedModel | None = None,
) -> Iterator[PredictionBatch]:
    """Read and predict ``files``, one ``PredictionBatch`` per batch; stop iterating to cancel.

    Results stored for the same files, model, draws and seed come back first, from the session
    store, without reading the files. Unreadable files come back as rows with their reason;
    without a model, rows carry what the files say (id, S/N) and why nothing was predicted.
    After each batch the worker sleeps ``pause`` seconds: reading is Python work that holds the
    interpreter lock, and without a pause the GUI thread waits behind it to show the batch.
    With a ``comparison`` model every row also gets its values; such runs neither use nor fill the store's results.
    """
    files = [str(f) for f in files]
    predictor = make_predictor(model, device) if model is not None else None
    compare = make_predictor(comparison, device) if comparison is not None and predictor is not None else None
    store_results = store if compare is None else None  # cached rows hold no comparison
    if store_results is not None and model is not None:
        cached = store.cached_results(files, model.content_hash, draws, seed)
        if len(cached):
            yield PredictionBatch(with_saved_vetting(cached, store), from_cache=True)
            done = set(cached["source"])
            files = [f for f in files if f not in done]
    items = iter_spectra(files)
    for size in batch_sizes(batch_size):
        chunk = list(islice(items, size))
        if not chunk:
            return
        frame = predict_chunk(chunk, predictor, draws, seed, compare)
        if store_results is not None and predictor is not None:
            store_results.save_results(frame, draws, seed)
        yield PredictionBatch(with_saved_vetting(frame, store), [None if isinstance(item, SpectrumReadError) else item for item in chunk])
        time.sleep(pause)


def with_saved_vetting(frame: pd.DataFrame, store: SessionStore | None) -> pd.DataFrame:
    """The rows with the verdicts and notes saved for them (looked up in the worker, not on the GUI thread)."""
    if store is None or frame.empty:
        return frame
    keys = list(zip(frame["source"], frame["hdu"]))
    saved = store.vetting(keys)
    if not saved:
        return frame
    vetting = [saved.get(key, ("", "")) for key in keys]
    return frame.assign(user_flag=[flag for flag, _ in vetting], note=[note for _, note in vetting])


def predict_chunk(chunk: list[Spectrum | SpectrumReadError], predictor: Predictor | None, draws: int, seed: int,
                  compare: Predictor | None = None) -> pd.DataFrame:
    if predictor is None:
        return unpredicted_frame(chunk, NO_MODEL)
    return next(predict_frames([predictor], chunk, draws=draws, seed=seed, batch_size=len(chunk), compare=compare))


def make_predictor(model: LoadedModel, device: str) -> Predictor:
    from ..model import Predictor

    return Predictor(model, device=device)
