"""``bossnet-gui predict``: the headless batch command."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from . import __version__
from .catalog.export import append_csv, catalog_format, file_text, provenance, read_catalog, write_catalog
from .catalog.table import all_columns
from .engine import predict_frames
from .errors import ModelLoadError
from .io.scan import find_spectrum_files, iter_spectra

DESCRIPTION = """Predict Teff, log g, [Fe/H] (and RV) with BOSS Net for every spectrum in PATH...

PATH is any mix of FITS files, folders (searched recursively) and text files listing paths.
The format of each file is recognised from its content (SDSS/BOSS spec, SDSS-V mwmStar/mwmVisit,
LAMOST, APOGEE apStar/aspcapStar/apVisit, generic 1-D FITS), so there is no -d/--data_source.
"""

EPILOG = """Compared with the published BOSS Net command line (python -m bossnet ...):
  -d/--data_source          not needed: formats are sniffed from file content
  -u/--num_uncertainty_draws  = --draws (-u works too; default here 20, the paper's value)
  -b/--batch_size           = --batch-size (-b works too)
  -o/--output_file          = -o/--output (the extension picks FITS, ECSV, CSV or VOTable)
  the release's model_boss / model_apogee directories: --model DIR (with --stats YAML if needed)

The catalog has one row per input spectrum, failed ones included (status = the reason).
Rows are written as they finish (OUT.partial.csv while running); after an interruption,
run the same command with --resume to skip what is done. Exit status is non-zero only
when nothing could be processed.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bossnet-gui predict", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="FITS files, folders, or text files listing paths")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="catalog file: .fits, .ecsv, .csv, .vot or .xml")
    parser.add_argument("-u", "--draws", type=int, default=20, metavar="N", help="Monte-Carlo draws for uncertainties (0: point estimates only)")
    parser.add_argument(
        "--model",
        action="append",
        metavar="NAME_OR_DIR",
        help="bundled model name, or a published model directory; give it twice (an optical and an APOGEE model) "
        "to predict both kinds of spectra in one run (default: the bundled optical model)",
    )
    parser.add_argument(
        "--stats",
        action="append",
        metavar="YAML",
        help="label normalisation of a published model, one per --model in the same order (default: the release's constants)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed of the draws (default 0)")
    parser.add_argument("-b", "--batch-size", type=int, default=32, metavar="B", help="spectra per batch (default 32)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda when PyTorch sees a GPU")
    parser.add_argument("--resume", action="store_true", help="skip files already in OUT.partial.csv or OUT")
    parser.add_argument("--version", action="version", version=f"bossnet-gui {__version__}")
    return parser


class Progress:
    """One status line on stderr: count, rate, time left, failures."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream, self.start = total, stream, time.monotonic()
        self.tty = getattr(stream, "isatty", lambda: False)()
        self.last_print = 0.0

    def update(self, done: int, spectra: int, failed: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and not self.tty and now - self.last_print < 10:
            return
        self.last_print = now
        elapsed = max(now - self.start, 1e-9)
        rate = spectra / elapsed
        left = (self.total - done) * elapsed / done if done else float("nan")
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .model import Predictor, resolve_model  # torch loads only once there is work to do: --help stays instant

    output = Path(args.output)
    try:
        catalog_format(output)
        specs = args.model or [None]
        stats = (args.stats or []) + [None] * len(specs)
        models = [resolve_model(spec, stats_path) for spec, stats_path in zip(specs, stats)]
    except (ValueError, ModelLoadError) as exc:
        print(f"bossnet-gui predict: {exc}", file=sys.stderr)
        return 2
    files = find_spectrum_files(args.paths)
    journal = journal_path(output)
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
    progress = Progress(len(files))
    sources_done = len(skip)
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
