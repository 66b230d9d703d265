"""``bossnet-gui predict`` / ``bossnet-predict``: the headless batch command's arguments.

Only the standard library is imported before the arguments are parsed, so ``--help`` answers at
once; the run itself is ``batch.run``."""

from __future__ import annotations

import argparse

from . import __version__

DESCRIPTION = """Predict Teff, log g, [Fe/H] (and RV) with BOSS Net for every spectrum in PATH...

PATH is any mix of FITS files, folders (searched recursively) and text files listing paths.
The format of each file is recognised from its content (SDSS/BOSS spec, SDSS-V mwmStar/mwmVisit,
LAMOST, APOGEE apStar/aspcapStar/apVisit, generic 1-D FITS), so there is no -d/--data_source.
"""

EPILOG = """Compared with the published BOSS Net command line (python -m bossnet ...):
  -d/--data_source          not needed: formats are sniffed from file content
  -u/--num_uncertainty_draws  = --draws (-u works too; default here 20, the paper's value)
  -b/--batch_size           = --batch-size (-b works too)
  -o/--output_file          = -o/--output (the extension picks FITS, ECSV, CSV, VOTable or Parquet)
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
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="catalog file: .fits, .ecsv, .csv, .vot, .xml or .parquet")
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
    parser.add_argument("--compare", metavar="NAME_OR_DIR",
                        help="a second model (bundled name or published directory) run on the same spectra: adds cmp_*, delta_* and disagreement columns")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed of the draws (default 0)")
    parser.add_argument("-b", "--batch-size", type=int, default=32, metavar="B", help="spectra per batch (default 32)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda when PyTorch sees a GPU")
    parser.add_argument("--resume", action="store_true", help="skip files already in OUT.partial.csv or OUT (with --parts: in OUT's part files)")
    parser.add_argument("--parts", action="store_true", help="write OUT (a name ending in .parquet) as a folder of Parquet part files, one per finished batch or task: for runs too big for one file")
    cluster = parser.add_argument_group("on a Dask cluster (needs: pip install 'bossnet-gui[distributed]')")
    where = cluster.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="start a local Dask cluster of N worker processes, one core each")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on the Dask cluster whose scheduler is at this address")
    where.add_argument("--scheduler-file", metavar="FILE", help="run on the Dask cluster described by this scheduler file (dask scheduler --scheduler-file)")
    cluster.add_argument("--chunk-files", type=int, default=64, metavar="N", help="files per Dask task (default 64)")
    parser.add_argument("--version", action="version", version=f"bossnet-gui {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .batch import run  # pandas, astropy and torch load only once there is work to do

    return run(args)
