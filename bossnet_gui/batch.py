"""The batch run behind ``bossnet-gui predict``: files in, one catalog out, journalled as it goes.

Rows are appended to ``OUT.partial.csv`` as batches finish, so an interrupted run resumes where it
stopped (``--resume``); a lock beside that journal keeps two runs from writing into it at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from filelock import FileLock, Timeout

from .catalog.export import append_csv, catalog_format, file_text, provenance, read_catalog, write_catalog
from .catalog.table import all_columns
from .engine import predict_frames
from .errors import ModelLoadError
from .io.scan import find_spectrum_files, iter_spectra


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


def _load_done(output: Path, journal: Path) -> pd.DataFrame:
    """Rows finished by an earlier run: the journal if it exists, else a previous OUT."""
    if journal.exists():
        return read_catalog(journal)[0]
    if output.exists():
        return read_catalog(output)[0]
    return pd.DataFrame()


def run(args: argparse.Namespace) -> int:
    """Predict every spectrum in ``args.paths`` into ``args.output`` (see ``cli.build_parser``); the exit status."""
    from .model import resolve_model

    output = Path(args.output)
    try:
        catalog_format(output)
        specs = args.model or [None]
        stats = (args.stats or []) + [None] * len(specs)
        models = [resolve_model(spec, stats_path) for spec, stats_path in zip(specs, stats)]
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
        return _run_locked(args, models, output, journal)
    finally:
        lock.release()
        Path(lock.lock_file).unlink(missing_ok=True)


def _run_locked(args: argparse.Namespace, models: list, output: Path, journal: Path) -> int:
    from .model import Predictor

    files = find_spectrum_files(args.paths)
    done = _load_done(output, journal) if args.resume else pd.DataFrame()
    if len(done) and list(done.columns) != all_columns(args.draws):
        print(f"bossnet-gui predict: cannot resume: {output} was made with other options (draws); start without --resume", file=sys.stderr)
        return 2
    if not args.resume:
        journal.unlink(missing_ok=True)
    skip = set(done["source"]) if len(done) else set()
    todo = [f for f in files if file_text(str(f)) not in skip]
    names = ", ".join(f"{m.name} ({m.domain}, {m.content_hash[:12]})" for m in models)
    print(f"{len(files)} files ({len(files) - len(todo)} already done); model {names}; {args.draws} draws", file=sys.stderr)

    predictors = [Predictor(model, device=args.device) for model in models]
    frames = [done] if len(done) else []
    sources_done = len(skip)
    progress = Progress(len(files), initial=sources_done)
    seen: set[str] = set()
    interrupted = False
    try:
        for frame in predict_frames(predictors, iter_spectra(todo), draws=args.draws, seed=args.seed, batch_size=args.batch_size):
            append_csv(frame, journal)
            frames.append(frame)
            seen.update(frame["source"])
            failed = sum(int((f["status"] != "ok").sum()) for f in frames)
            progress.update(sources_done + len(seen), sum(len(f) for f in frames) - len(done), failed)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: writing what is finished; run again with --resume to continue", file=sys.stderr)
    catalog = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    n_ok = int((catalog["status"] == "ok").sum()) if len(catalog) else 0
    progress.update(sources_done + len(seen), len(catalog) - len(done), len(catalog) - n_ok, final=True)
    if len(catalog):
        meta = provenance(" + ".join(m.name for m in models), " ".join(m.content_hash for m in models), args.draws, args.seed)
        write_catalog(catalog, output, meta)
        if not interrupted:
            journal.unlink(missing_ok=True)
    print(f"{len(catalog)} rows ({n_ok} predicted, {len(catalog) - n_ok} failed) -> {output}", file=sys.stderr)
    if interrupted:
        return 130
    return 0 if n_ok else 1
