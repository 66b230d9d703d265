"""Command line: ``python -m bossnet_gui.training {train,evaluate,demo} ...``.

    train     train the small BOSS model and write weights/bossnet-gui-boss-small.pt,
              docs/model/split.csv and resources/training_coverage.npz
    evaluate  measure the shipped weights on held-out data; write docs/model/report.md + PNGs
    demo      write the first-launch demo spectra (SDSS spec-lite layout) into resources/demo
    card      rewrite the model card weights/README.md from the metadata in the weights
    recalibrate  refit the distance-from-training scorer of saved weights (network unchanged),
              re-measure, rewrite the weights' metadata, the model card and the report
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from ..bundled import DEMO_DIR, WEIGHTS_DIR
from ..model.weights import DEFAULT_MODEL
from . import REPO, SHARED_DATA

SHIPPED_WEIGHTS = WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt"


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--miles", type=Path, default=SHARED_DATA / "training" / "miles", help="MILES v9.1 folder")
    parser.add_argument("--stelib", type=Path, default=SHARED_DATA / "training" / "stelib", help="STELIB v3.2 folder")
    parser.add_argument("--lamost", type=Path, default=SHARED_DATA / "lamost_dr1", help="LAMOST DR1 folder with labels_lasp.csv ('' to leave out)")
    parser.add_argument("--sdss-wd", type=Path, action="append", default=None,
                        help="SDSS spec file(s) of white dwarfs for the OOD test (default: shared/data/sdss/spec-0266-51602-0031.fits)")
    parser.add_argument("--seed", type=int, default=0)


def _white_dwarfs(args) -> tuple[Path, ...]:
    if args.sdss_wd is not None:
        return tuple(args.sdss_wd)
    default = SHARED_DATA / "sdss" / "spec-0266-51602-0031.fits"
    return (default,) if default.exists() else ()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bossnet_gui.training", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train, calibrate, measure and save the model")
    _data_arguments(train)
    train.add_argument("--out", type=Path, default=SHIPPED_WEIGHTS)
    train.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the schedule's)")
    train.add_argument("--steps", type=int, default=None, help="steps per epoch (default: the schedule's)")
    evaluate = commands.add_parser("evaluate", help="held-out report for a bundled model")
    _data_arguments(evaluate)
    evaluate.add_argument("--model", type=Path, default=SHIPPED_WEIGHTS)
    evaluate.add_argument("--report", type=Path, default=REPO / "docs" / "model")
    demo = commands.add_parser("demo", help="write the demo spectra")
    _data_arguments(demo)
    demo.add_argument("--out", type=Path, default=DEMO_DIR)
    recalibrate = commands.add_parser("recalibrate", help="refit the OOD scorer of saved weights, re-measure, rewrite card and report")
    _data_arguments(recalibrate)
    recalibrate.add_argument("--model", type=Path, default=SHIPPED_WEIGHTS)
    recalibrate.add_argument("--report", type=Path, default=REPO / "docs" / "model")
    card = commands.add_parser("card", help="write the model card (README.md beside the weights)")
    card.add_argument("--model", type=Path, default=SHIPPED_WEIGHTS)
    return root


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    lamost = args.lamost if str(getattr(args, "lamost", "")) not in ("", ".") else None
    command = "python -m bossnet_gui.training " + " ".join(shlex.quote(a) for a in argv)
    if args.command == "train":
        from .pipeline import TrainConfig, run
        from .train import Schedule

        schedule = Schedule()
        if args.epochs is not None:
            schedule = replace(schedule, max_epochs=args.epochs)
        if args.steps is not None:
            schedule = replace(schedule, steps_per_epoch=args.steps)
        config = TrainConfig(args.miles, args.stelib, lamost, args.out, args.seed, _white_dwarfs(args), schedule=schedule, command=command)
        metadata = run(config)
        for check, ok in metadata["meets_minimum"].items():
            print(f"{'PASS' if ok else 'FAIL'}: {check}")
        return 0
    if args.command == "evaluate":
        from .pipeline import evaluate_saved

        path = evaluate_saved(args.model, args.miles, args.stelib, lamost, _white_dwarfs(args), args.report, args.seed)
        print(f"wrote {path}")
        return 0
    if args.command == "recalibrate":
        from .pipeline import recalibrate

        path = recalibrate(args.model, args.miles, args.stelib, lamost, _white_dwarfs(args), args.report, args.seed, command)
        print(f"wrote {path}")
        return 0
    if args.command == "demo":
        from .demo import write_demo_set

        for path in write_demo_set(args.out, args.miles, args.stelib, lamost, args.seed):
            print(path)
        return 0
    if args.command == "card":
        from ..model.weights import load_bundled
        from .model_card import write_card

        print(f"wrote {write_card(load_bundled(args.model), args.model)}")
        return 0
    return 2


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
