"""The batch run behind ``bossnet-gui predict``: files in, one catalog out, journalled as it goes.

Rows are appended to ``OUT.partial.csv`` as batches finish (or, with ``--parts``, written as Parquet
part files), so an interrupted run resumes where it stopped (``--resume``); a lock beside that
journal keeps two runs from writing into it at once. Batches run in this process, or as tasks on a
Dask cluster (``--workers``, ``--scheduler``; see ``distributed``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
from filelock import FileLock, Timeout

from .catalog.export import append_csv, arrow_table, catalog_format, file_text, provenance, read_catalog, write_catalog, write_part
from .catalog.table import all_columns
from .distributed import TASK_FAILED, ModelSpec, RunOptions
from .engine import predict_frames
from .errors import ModelLoadError
from .io.scan import find_spectrum_files, iter_spectra, read_ahead


class Progress:
    """One status line on stderr: count, rate, time left, failures.

    ``initial`` files were done by an earlier run (``--resume``): they count towards the total
    done, never towards the rate, so the time left is that of the files still to do.
    """

    def __init__(self, total: int, initial: int = 0, stream=None):
        stream = stream or sys.stderr  # looked up now: sys.stderr may have been replaced since import
        self.total, self.initial, self.stream, self.start = total, initial, stream, time.monotonic()
        self.tty = getattr(stream, "isatty", lambda: False)()
        self.last_print = 0.0

    def update(self, done: int, spectra: int, failed: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and not self.tty and now - self.last_print < 10:
            return
        self.last_print = now
        elapsed = max(now - self.start, 1e-9)
        rate = spectra / elapsed
        done_here = done - self.initial
        left = (self.total - done) * elapsed / done_here if done_here > 0 else float("nan")
        width = 30
        filled = int(width * done / self.total) if self.total else width
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} files, {spectra} spectra, "
            f"{rate:.1f} spectra/s, {_duration(left)} left, {failed} failed"
        )
        self.stream.write(("\r" + line if self.tty else line + "\n") + ("\n" if final and self.tty else ""))
        self.stream.flush()


def _duration(seconds: float) -> str:
    if seconds != seconds:
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


def journal_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial.csv")


class JournalSink:
    """Rows appended to ``OUT.partial.csv`` as they finish; the catalog written whole, in input order, at the end."""

    def __init__(self, output: Path, meta: dict):
        self.output, self.journal, self.meta = output, journal_path(output), meta
        self.frames: list[pd.DataFrame] = []
        self.columns: list[str] = []  # of the rows an earlier run finished

    def finished(self) -> pd.DataFrame:
        """Rows an earlier run finished: the journal if it exists, else a previous OUT (failed tasks left out: they run again)."""
        if self.journal.exists():
            done = read_catalog(self.journal)[0]
        elif self.output.exists():
            done = read_catalog(self.output)[0]
        else:
            return pd.DataFrame()
        self.frames, self.columns = [done[~_task_failed(done)]], list(done.columns)
        return self.frames[0]

    def start_afresh(self) -> None:
        self.journal.unlink(missing_ok=True)

    def add(self, frame: pd.DataFrame) -> None:
        append_csv(frame, self.journal)
        self.frames.append(frame)

    def finish(self, files: list[Path], complete: bool) -> None:
        catalog = pd.concat(self.frames, ignore_index=True) if self.frames else pd.DataFrame()
        if len(catalog):
            write_catalog(_in_input_order(catalog, files), self.output, self.meta)
            if complete:
                self.journal.unlink(missing_ok=True)


class PartsSink:
    """A folder of Parquet part files (``--parts``), one written as each batch or chunk finishes: the
    catalog never has to fit in memory, and the parts already written are the resume point."""

    def __init__(self, output: Path, meta: dict):
        self.output, self.meta, self.number = output, meta, 0
        self.columns: list[str] = []

    def _parts(self) -> list[Path]:
        return sorted(self.output.glob("part-*.parquet")) if self.output.is_dir() else []

    def finished(self) -> pd.DataFrame:
        """Source and status of the rows in the parts written so far (only these two columns are read);
        rows of failed tasks are dropped from their part, so that they run again."""
        import pyarrow.parquet as pq

        parts, frames = self._parts(), []
        for part in parts:
            frame = pq.read_table(part, columns=["source", "status"]).to_pandas()
            failed = _task_failed(frame).to_numpy()
            if failed.any():
                write_part(arrow_table(read_catalog(part)[0][~failed], self.meta), self.output, part.name)
            frames.append(frame[~failed])
        if parts:
            self.columns = pq.read_schema(parts[0]).names
            self.number = int(parts[-1].stem.split("-")[1]) + 1
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def start_afresh(self) -> None:
        for part in self._parts():
            part.unlink()

    def add(self, frame: pd.DataFrame) -> None:
        write_part(arrow_table(frame, self.meta), self.output, f"part-{self.number:06d}.parquet")
        self.number += 1

    def finish(self, files: list[Path], complete: bool) -> None:
        pass  # every row is already in a part


def _task_failed(frame: pd.DataFrame) -> pd.Series:
    return frame["status"].astype(str).str.startswith(TASK_FAILED)


def _in_input_order(catalog: pd.DataFrame, files: list[Path]) -> pd.DataFrame:
    """Rows sorted by the position of their file among the inputs (a file's spectra keep their order)."""
    position = {file_text(str(f)): i for i, f in enumerate(files)}
    order = catalog["source"].map(position).fillna(len(files))
    return catalog.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def run(args: argparse.Namespace) -> int:
    """Predict every spectrum in ``args.paths`` into ``args.output`` (see ``cli.build_parser``); the exit status."""
    from .model import resolve_model

    output = Path(args.output)
    try:
        if catalog_format(output) != "parquet" and args.parts:
            raise ValueError("--parts writes a folder of Parquet files: name OUT ending in .parquet")
        specs = args.model or [None]
        stats = (args.stats or []) + [None] * len(specs)
        models = [resolve_model(spec, stats_path) for spec, stats_path in zip(specs, stats)]
        args.compare_model = resolve_model(args.compare) if getattr(args, "compare", None) else None
    except (ValueError, ModelLoadError) as exc:
        print(f"bossnet-gui predict: {exc}", file=sys.stderr)
        return 2
    journal = journal_path(output)
    lock = FileLock(str(journal) + ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        print(f"bossnet-gui predict: another run is writing {output} now ({lock.lock_file} is held); wait for it, or choose another -o", file=sys.stderr)
        return 2
    try:
        specs = [ModelSpec(_as_worker_sees(spec), _as_worker_sees(stats_path), m.content_hash) for spec, stats_path, m in zip(specs, stats, models)]
        if args.compare_model is not None:
            args.compare_spec = ModelSpec(_as_worker_sees(args.compare), None, args.compare_model.content_hash)
        return _run_locked(args, models, specs, output)
    except ModelLoadError as exc:
        print(f"bossnet-gui predict: {exc}", file=sys.stderr)
        return 2
    finally:
        lock.release()
        Path(lock.lock_file).unlink(missing_ok=True)


def _as_worker_sees(spec: str | None) -> str | None:
    """A model name as it is; a model directory or file as an absolute path (workers run in other folders)."""
    return os.path.abspath(spec) if spec is not None and os.path.exists(spec) else spec


def _on_cluster(args: argparse.Namespace) -> bool:
    return bool(args.scheduler or args.scheduler_file or args.workers)


def _run_locked(args: argparse.Namespace, models: list, specs: list[ModelSpec], output: Path) -> int:
    files = find_spectrum_files(args.paths)
    if _on_cluster(args):  # workers may run elsewhere, in another folder
        files = [Path(os.path.abspath(f)) for f in files]
    compared = [args.compare_model] if getattr(args, "compare_model", None) is not None else []
    meta = provenance(" + ".join(m.name for m in models) + "".join(f" compared with {m.name}" for m in compared),
                      " ".join(m.content_hash for m in models + compared), args.draws, args.seed)
    sink = PartsSink(output, meta) if args.parts else JournalSink(output, meta)
    done = sink.finished() if args.resume else pd.DataFrame()
    if len(done) and sink.columns != all_columns(args.draws):
        print(f"bossnet-gui predict: cannot resume: {output} was made with other options (draws); start without --resume", file=sys.stderr)
        return 2
    if not args.resume:
        sink.start_afresh()
    skip = set(done["source"]) if len(done) else set()
    todo = [f for f in files if file_text(str(f)) not in skip]
    names = ", ".join(f"{m.name} ({m.domain}, {m.content_hash[:12]})" for m in models)
    print(f"{len(files)} files ({len(files) - len(todo)} already done); model {names}; {args.draws} draws", file=sys.stderr)

    progress = Progress(len(files), initial=len(skip))
    seen: set[str] = set()
    rows, ok = len(done), int((done["status"] == "ok").sum()) if len(done) else 0
    interrupted = False
    try:
        with _frames(args, models, specs, todo) as frames:
            for frame in frames:
                sink.add(frame)
                seen.update(frame["source"])
                rows += len(frame)
                ok += int((frame["status"] == "ok").sum())
                progress.update(len(skip) + len(seen), rows - len(done), rows - ok)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: writing what is finished; run again with --resume to continue", file=sys.stderr)
    progress.update(len(skip) + len(seen), rows - len(done), rows - ok, final=True)
    sink.finish(files, complete=not interrupted)
    print(f"{rows} rows ({ok} predicted, {rows - ok} failed) -> {output}", file=sys.stderr)
    if interrupted:
        return 130
    return 0 if ok else 1


@contextmanager
def _frames(args: argparse.Namespace, models: list, specs: list[ModelSpec], todo: list[Path]) -> Iterator[Iterator[pd.DataFrame]]:
    """Catalog rows batch by batch: in this process, or chunk by chunk on a Dask cluster."""
    if not _on_cluster(args):
        from .model import Predictor

        predictors = [Predictor(model, device=args.device) for model in models]
        compare = Predictor(args.compare_model, device=args.device) if getattr(args, "compare_model", None) is not None else None
        yield predict_frames(predictors, read_ahead(iter_spectra(todo), args.batch_size), draws=args.draws, seed=args.seed, batch_size=args.batch_size, compare=compare)
        return
    from .distributed import close, cluster_frames, connect

    client = connect(args.scheduler, args.scheduler_file, args.workers)
    try:
        workers = len(client.scheduler_info()["workers"])
        print(f"Dask: {workers} workers at {client.scheduler.address}; {args.chunk_files} files per task", file=sys.stderr)
        options = RunOptions(args.draws, args.seed, args.batch_size, args.device)
        yield cluster_frames(client, [str(f) for f in todo], specs, options, args.chunk_files, getattr(args, "compare_spec", None))
    finally:
        close(client)
