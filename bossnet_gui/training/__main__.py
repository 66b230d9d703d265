"""Command line: ``python -m bossnet_gui.training {train,evaluate,demo} ...``.

    train     train the small BOSS model and write weights/bossnet-gui-boss-small.pt and its card,
              docs/model/split.csv, docs/model/report.md and resources/training_coverage.npz
              (with --out DIR: all of them in DIR)
    evaluate  measure the shipped weights on held-out data; write docs/model/report.md + PNGs
    demo      write the first-launch demo spectra (SDSS spec-lite layout) into resources/demo
    card      rewrite the model card weights/README.md from the metadata in the weights
    compare   old recipe against new: each model's held-out scatter and the paired change, with its
              95% interval over resampled stars (--before A.pt --after B.pt, several seeds each)
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
from .sources import DEFAULT_SOURCES, SOURCES, chosen

SHIPPED_WEIGHTS = WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt"


def _data_arguments(parser: argparse.ArgumentParser, default_libraries=DEFAULT_SOURCES) -> None:
    known = ", ".join(f"{s.name} ({s.default_path})" for s in SOURCES.values())
    parser.add_argument("--library", action="append", default=None, metavar="NAME[=PATH]",
                        help=f"a training source, repeatable (default: {' '.join(default_libraries)}); known: {known}")
    parser.set_defaults(default_libraries=default_libraries)
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
    train.add_argument("--out", type=Path, default=None,
                       help="folder for everything the run writes: weights, card, split.csv, training_coverage.npz, report/ "
                            "(default: the checkout's weights/, docs/model/ and resources/, which the package ships)")
    train.add_argument("--epochs", type=int, default=None, help="maximum epochs (default: the schedule's)")
    train.add_argument("--steps", type=int, default=None, help="steps per epoch (default: the schedule's)")
    train.add_argument("--device", default="cuda" if _has_cuda() else "cpu", help="where the network trains: cpu, cuda, cuda:1 (default: cuda when there is one)")
    train.add_argument("--threads", type=int, default=None, help="CPU threads (default: the cores this process may use)")
    train.add_argument("--split-seed", type=int, default=None,
                       help="seed of the split and of the validation and test views (default: --seed); "
                            "keep it and change --seed to measure seed-to-seed spread on the same held-out stars")
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
    spectra = commands.add_parser("spectra", help="write the training spectra beside saved weights (what the app overlays as expected)")
    _data_arguments(spectra)
    spectra.add_argument("--model", type=Path, default=SHIPPED_WEIGHTS)
    compare = commands.add_parser("compare", help="held-out scatter of models trained two ways, and whether the change is beyond noise")
    _data_arguments(compare)
    compare.add_argument("--before", type=Path, action="append", required=True, help="weights of the old recipe (repeat for more seeds)")
    compare.add_argument("--after", type=Path, action="append", required=True, help="weights of the new recipe (repeat for more seeds)")
    card = commands.add_parser("card", help="write the model card (README.md beside the weights)")
    card.add_argument("--model", type=Path, default=SHIPPED_WEIGHTS)
    return root


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _sources(args) -> tuple:
    if not hasattr(args, "library"):
        return ()
    return tuple(chosen(args.library or list(args.default_libraries)))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    try:
        sources = _sources(args)
    except ValueError as error:
        parser().error(str(error))
    command = "python -m bossnet_gui.training " + " ".join(shlex.quote(a) for a in argv)
    if args.command == "train":
        from .pipeline import Outputs, TrainConfig, available_threads, run
        from .train import Schedule

        schedule = Schedule()
        if args.epochs is not None:
            schedule = replace(schedule, max_epochs=args.epochs)
        if args.steps is not None:
            schedule = replace(schedule, steps_per_epoch=args.steps)
        outputs = Outputs.under(args.out) if args.out else Outputs.shipped()
        config = TrainConfig(sources, outputs, args.seed, _white_dwarfs(args), schedule=schedule, command=command,
                             device=args.device, threads=args.threads or available_threads(), split_seed=args.split_seed)
        metadata = run(config)
        for check, ok in metadata["meets_minimum"].items():
            print(f"{'PASS' if ok else 'FAIL'}: {check}")
        return 0
    if args.command == "evaluate":
        from .pipeline import evaluate_saved

        path = evaluate_saved(args.model, sources, _white_dwarfs(args), args.report, args.seed)
        print(f"wrote {path}")
        return 0
    if args.command == "recalibrate":
        from .pipeline import recalibrate

        path = recalibrate(args.model, sources, _white_dwarfs(args), args.report, args.seed, command)
        print(f"wrote {path}")
        return 0
    if args.command == "spectra":
        from .pipeline import write_training_spectra

        print(f"wrote {write_training_spectra(args.model, sources, args.seed)}")
        return 0
    if args.command == "demo":
        from .demo import write_demo_set

        from .sources import load_sources

        for path in write_demo_set(args.out, load_sources(list(sources)), args.seed):
            print(path)
        return 0
    if args.command == "compare":
        from .compare import compare, table
        from .pipeline import available_threads

        import torch

        torch.set_num_threads(available_threads())
        print(table(compare(args.before, args.after, sources, args.seed)))
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
