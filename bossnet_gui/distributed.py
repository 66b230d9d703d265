"""``predict`` on a Dask distributed cluster: chunks of files are tasks, Arrow tables come back.

Each task reads its own files (from a filesystem the workers share with the client), predicts
them with models it loads once per worker process and keeps, and returns the catalog rows as an
Arrow table; the client only writes. Dask reruns a task whose worker died, and the client takes
each chunk's result once, so every input spectrum appears exactly once. A chunk that cannot be
finished (a file that kills every worker it meets, a worker without the model) comes back as
rows that say so, and ``--resume`` tries those files again. Draws are seeded per spectrum
(``model.predictor.noise_seed``), so the numbers do not depend on where or with whom a file ran.

Needs the ``distributed`` extra (dask[distributed], pyarrow); plain ``predict`` does not.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from typing import Iterator, Sequence

import pandas as pd

from .catalog.export import arrow_table, frame_from_arrow
from .catalog.table import unpredicted_frame
from .errors import ModelLoadError, SpectrumReadError

TASK_FAILED = "not predicted: the Dask task failed"
NEEDS = "running on Dask needs the 'distributed' extra: pip install 'bossnet-gui[distributed]'"
SPAWN_ENVIRON = "distributed.nanny.pre-spawn-environ"
TASKS_PER_THREAD = 2  # chunks in flight per worker thread: enough to keep workers busy, few results held

_loaded: dict[tuple, list] = {}
_loading = threading.Lock()


@dataclass(frozen=True)
class ModelSpec:
    """What a worker needs to load a model itself, and the hash the client loaded, to check against."""

    spec: str | None
    stats: str | None
    content_hash: str


@dataclass(frozen=True)
class RunOptions:
    draws: int
    seed: int
    batch_size: int
    device: str


def connect(scheduler: str | None, scheduler_file: str | None, workers: int | None):
    """A Dask client: to the scheduler at an address, from a scheduler file, or of a new local cluster."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise ModelLoadError(NEEDS) from None
    if scheduler:
        return Client(scheduler)
    if scheduler_file:
        return Client(scheduler_file=scheduler_file)
    # One thread per worker process: each process runs the network single-threaded on its core.
    # Dask's fixed malloc trim threshold turns off glibc's adaptive mmap threshold, and every
    # large array is then mapped and unmapped afresh: 25% slower here (bench/distributed.py).
    with dask.config.set({f"{SPAWN_ENVIRON}.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    client.close_cluster = True  # our own cluster goes when the client does
    return client


def close(client) -> None:
    cluster = client.cluster if getattr(client, "close_cluster", False) else None
    client.close()
    if cluster is not None:
        cluster.close()


def cluster_frames(client, files: Sequence[str], models: Sequence[ModelSpec], options: RunOptions, chunk_files: int,
                   compare: ModelSpec | None = None) -> Iterator[pd.DataFrame]:
    """Catalog rows of each chunk of ``chunk_files`` files, in the order chunks finish (with a ``compare`` model's
    values beside them, as ``engine.predict_frames`` gives them)."""
    from distributed import as_completed

    chunks = [list(files[i : i + chunk_files]) for i in range(0, len(files), chunk_files)]
    in_flight = max(2, TASKS_PER_THREAD * sum(client.nthreads().values()))
    pending = iter(chunks)
    submitted = {}

    def submit(chunk):
        future = client.submit(predict_chunk, chunk, tuple(models), options, compare, pure=False)
        submitted[future.key] = chunk
        return future

    running = as_completed([submit(chunk) for chunk in _take(pending, in_flight)])
    for future in running:
        chunk = submitted.pop(future.key)
        try:
            frame = frame_from_arrow(future.result())
        except Exception as exc:  # the task raised, or its files killed the workers it was tried on
            reason = f"{TASK_FAILED} ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
            frame = unpredicted_frame([SpectrumReadError(path, reason) for path in chunk], reason, draws=options.draws)
        future.release()
        yield frame
        for chunk in _take(pending, 1):
            running.add(submit(chunk))


def _take(iterator, count: int) -> list:
    return [item for _, item in zip(range(count), iterator)]


def predict_chunk(files: list[str], models: tuple[ModelSpec, ...], options: RunOptions, compare: ModelSpec | None = None):
    """One task: the catalog rows of ``files`` as an Arrow table (runs on a worker)."""
    from .engine import predict_frames
    from .io.scan import iter_spectra, read_ahead

    predictors = _predictors(models + ((compare,) if compare else ()), options.device)
    predictors, comparison = (predictors[:-1], predictors[-1]) if compare else (predictors, None)
    frames = list(predict_frames(predictors, read_ahead(iter_spectra(files), options.batch_size), draws=options.draws, seed=options.seed, batch_size=options.batch_size,
                                 compare=comparison))
    return arrow_table(pd.concat(frames, ignore_index=True))


def _predictors(models: tuple[ModelSpec, ...], device: str) -> list:
    """This worker process's predictors for ``models``: loaded on first use, then kept."""
    key = (models, device)
    with _loading:
        if key not in _loaded:
            from .model import Predictor, resolve_model

            loaded = [resolve_model(m.spec, m.stats) for m in models]
            for model, wanted in zip(loaded, models):
                if model.content_hash != wanted.content_hash:
                    raise ModelLoadError(
                        f"worker {socket.gethostname()} (pid {os.getpid()}) loaded {model.name} with weights "
                        f"{model.content_hash[:12]}, the client {wanted.content_hash[:12]}: give every machine the same weights"
                    )
            _loaded[key] = [Predictor(model, device=device) for model in loaded]
        return _loaded[key]
