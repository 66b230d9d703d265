"""The whole training run behind ``python -m bossnet_gui.training train``, step by step.

load labelled spectra (``sources``) → split by star (CSV) → draw weights and label scaling →
simulated validation views → train with early stopping → out-of-distribution scorer and
model-error term on validation views → held-out measurements → label coverage (npz) →
``save_bundled`` → model card. ``Outputs`` says where each file goes: the shipped places in the
checkout, or all of them in one folder (``--out DIR``).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from ..bundled import TRAINING_COVERAGE, WEIGHTS_DIR
from ..model.predictor import Predictor
from ..model.weights import DEFAULT_MODEL, LoadedModel, load_bundled, update_bundled, save_bundled, state_dict_hash
from ..preprocess import GRID_SIZE
from ..spectrum import OPTICAL
from . import REPO, calibrate, evaluate, training_spectra
from .model_card import write_card
from .report import write_report
from .library import LABELS, LabelledStar
from .simulate import Augmentation
from .sources import Chosen, citations, draw_weights, load_sources
from .split import TRAIN, VALIDATION, counts, read_split, split_by_star, write_split
from .train import SMALL_ARGS, Batch, History, Schedule, fit, fixed_views
from .views import BLEND, LabelScaling, ViewMaker

RV_SCALE = 200.0  # km/s, normalisation of the RV output (the injected shifts span ±500 km/s)
OOD_COMPONENTS, OOD_NEIGHBOURS, OOD_QUANTILE = 64, 5, 0.99
OOD_TRAIN_VIEWS = 2
OOD_UNLIKE = 2500  # simulated unlike-star spectra for the outlier probe (an equal share of each kind)
OOD_BLENDS = 625  # simulated blended pairs for the second probe
COVERAGE_LOGTEFF = np.linspace(3.2, 5.0, 73)  # 0.025 dex bins
COVERAGE_LOGG = np.linspace(-0.5, 9.5, 81)  # 0.125 dex bins


@dataclass(frozen=True)
class Outputs:
    """Every file a training run writes."""

    weights: Path
    split_csv: Path
    coverage_npz: Path
    report: Path  # folder: report.md and plots

    @classmethod
    def shipped(cls) -> "Outputs":
        """The checkout's own places, which the package ships."""
        return cls(WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt", REPO / "docs" / "model" / "split.csv", TRAINING_COVERAGE, REPO / "docs" / "model")

    @classmethod
    def under(cls, folder: Path) -> "Outputs":
        folder = Path(folder)
        return cls(folder / f"{DEFAULT_MODEL}.pt", folder / "split.csv", folder / "training_coverage.npz", folder / "report")


def available_threads() -> int:
    """The cores this process may run on (a batch job's allocation, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class TrainConfig:
    sources: tuple[Chosen, ...]
    outputs: Outputs
    seed: int = 0
    sdss_white_dwarfs: tuple[Path, ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    command: str = ""
    device: str = "cpu"
    threads: int = field(default_factory=available_threads)
    split_seed: int | None = None

    @property
    def held_out_seed(self) -> int:
        """Seeds the split and the validation and test views; ``seed`` alone then only changes the training itself."""
        return self.seed if self.split_seed is None else self.split_seed


@dataclass
class Prepared:
    stars: list[LabelledStar]
    split: dict[str, str]
    train: list[int]
    validation: list[int]
    scaling: LabelScaling
    weights: np.ndarray
    views: ViewMaker


def prepare(sources: tuple[Chosen, ...], seed: int, log=print) -> Prepared:
    stars = load_sources(list(sources))
    split = split_by_star(stars, seed)
    train = [i for i, s in enumerate(stars) if split[s.spectrum_id] == TRAIN]
    validation = [i for i, s in enumerate(stars) if split[s.spectrum_id] == VALIDATION]
    labels = np.array([stars[i].labels for i in train])
    log(f"{len(stars)} spectra; split {counts(split, stars)}")
    views = ViewMaker(stars, _blank_network(), Augmentation())
    return Prepared(stars, split, train, validation, LabelScaling.from_labels(labels, RV_SCALE), draw_weights(stars, train), views)


def _blank_network():
    from ..model.network import BossNet

    return BossNet(SMALL_ARGS)


def loaded_model(network, scaling: LabelScaling, name: str = "training") -> LoadedModel:
    stats = scaling.as_stats()
    return LoadedModel(name, network, LABELS, stats, OPTICAL, GRID_SIZE, state_dict_hash(network.state_dict()), "memory")


def label_coverage(stars: list[LabelledStar], indices: list[int]) -> dict[str, list[float]]:
    labels = np.array([stars[i].labels for i in indices])
    return {name: [float(np.nanmin(labels[:, k])), float(np.nanmax(labels[:, k]))] for k, name in enumerate(LABELS) if name != "rv"}


def write_coverage(path: Path, stars: list[LabelledStar], indices: list[int]) -> None:
    """2-D histogram of training labels over log10 Teff × log g (stars without log g left out)."""
    labels = np.array([stars[i].labels for i in indices])
    teff, logg = labels[:, LABELS.index("logTeff")], labels[:, LABELS.index("logg")]
    known = np.isfinite(teff) & np.isfinite(logg)
    counts_, _, _ = np.histogram2d(teff[known], logg[known], bins=(COVERAGE_LOGTEFF, COVERAGE_LOGG))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        counts=counts_.astype(np.int32),
        logteff_edges=COVERAGE_LOGTEFF,
        logg_edges=COVERAGE_LOGG,
        description=np.array("training spectra per (log10 Teff, log g) bin of bossnet-gui-boss-small; counts[i, j] for logteff_edges[i:i+2], logg_edges[j:j+2]"),
    )


def plain(metadata: dict) -> dict:
    """Only built-in types (numbers, strings, lists, dicts), so ``torch.load(weights_only=True)`` reads it."""
    return json.loads(json.dumps(metadata, default=lambda value: value.item() if hasattr(value, "item") else str(value)))


def cpu_description() -> str:
    """E.g. 'AMD EPYC, 2 cores, AVX2': training time depends on the vector units as much as on the core count."""
    model = platform.processor() or platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {torch.backends.cpu.get_cpu_capability()}"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run(config: TrainConfig, log=print) -> dict:
    """Train, calibrate, measure and save; returns the metadata written into the weights."""
    torch.set_num_threads(config.threads)
    started = time.time()
    out = config.outputs
    data = prepare(config.sources, config.held_out_seed, log)
    write_split(out.split_csv, data.stars, data.split)
    validation = fixed_views(data.views, data.validation, config.schedule.validation_views, config.held_out_seed, "validation")
    network, history = fit(data.views, data.train, data.weights, validation, data.scaling, SMALL_ARGS, config.schedule, config.seed, log, config.device)
    train_seconds = time.time() - started

    scorer = fit_scorer(Predictor(loaded_model(network, data.scaling)), data, validation, config.seed)
    validated = _validation_predictions(replace(loaded_model(network, data.scaling), ood=scorer), validation)
    model_error = calibrate.model_error_terms(validated.point, validated.std, validated.labels)
    density = _label_density(data, validated)
    model = LoadedModel(
        "training", network, LABELS, data.scaling.as_stats(), OPTICAL, GRID_SIZE, "", "memory",
        metadata={"model_error": model_error, "label_coverage": label_coverage(data.stars, data.train), "label_density": density}, ood=scorer,
    )
    measured = evaluate.measure(Predictor(model), data.views, data.split, list(config.sdss_white_dwarfs), config.held_out_seed)
    write_coverage(out.coverage_npz, data.stars, data.train)
    metadata = _metadata(config, data, history, train_seconds, time.time() - started, model_error, measured["numbers"], network)
    metadata["label_density"] = density
    metadata = plain(metadata)
    out.weights.parent.mkdir(parents=True, exist_ok=True)
    metadata["sha256"] = save_bundled(out.weights, network, LABELS, data.scaling.as_stats(), OPTICAL, GRID_SIZE, metadata, ood=scorer)
    log(f"saved {out.weights} ({out.weights.stat().st_size / 1e6:.1f} MB) in {time.time() - started:.0f} s")
    log(f"wrote {training_spectra.write(out.weights, data.views, data.train)}")
    saved = load_bundled(out.weights)
    log(f"wrote {write_card(saved, out.weights)}")
    log(f"wrote {write_report(out.report, saved, measured, out.weights.stat().st_size)}")
    return metadata


def fit_scorer(predictor: Predictor, data: Prepared, validation: Batch, seed: int):
    """The distance-from-training scorer with its outlier probe, from views of the training stars."""
    train_views = fixed_views(data.views, data.train, OOD_TRAIN_VIEWS, seed, "ood-train")
    rng = np.random.default_rng([seed, 2718])
    unlike = data.views.unlike_stars([int(i) for i in rng.choice(data.train, size=OOD_UNLIKE)], rng, sources=data.train)
    # blended pairs of unlike stars (unresolved binaries) get a probe of their own: one probe for them and the other kinds
    # together read the featureless ones less well. The bundled network's outlier exposure never showed it blends:
    # the probes are refitted on saved weights by ``recalibrate``, the network is not retrained
    blends = data.views.unlike_stars([int(i) for i in rng.choice(data.train, size=OOD_BLENDS)], rng, sources=data.train, kinds=(BLEND,))
    unlike_inputs, blend_inputs = (torch.cat([data.views.inputs(spectra[s : s + 256]) for s in range(0, len(spectra), 256)]) for spectra in (unlike, blends))
    return calibrate.fit_feature_distance(predictor, train_views, validation, OOD_COMPONENTS, OOD_NEIGHBOURS, OOD_QUANTILE, unlike_inputs, blend_inputs)


def recalibrate(model_path: Path, sources: tuple[Chosen, ...], white_dwarfs, report_folder: Path, seed: int, command: str) -> Path:
    """Refit the scorer of saved weights with this code (the network is kept byte for byte), re-measure,
    and rewrite the weights' metadata, the model card and the report."""
    torch.set_num_threads(available_threads())
    started = time.time()
    model = load_bundled(model_path)
    data = _prepare_recorded(model, model_path, sources, seed)
    views = model.metadata.get("training", {}).get("schedule", {}).get("validation_views", Schedule().validation_views)
    validation = fixed_views(data.views, data.validation, views, seed, "validation")
    scorer = fit_scorer(Predictor(model), data, validation, seed)
    density = _label_density(data, _validation_predictions(replace(model, ood=scorer), validation))
    model = replace(model, ood=scorer, metadata={**model.metadata, "label_density": density})
    measured = evaluate.measure(Predictor(model), data.views, data.split, list(white_dwarfs), seed)
    metadata = plain({
        **model.metadata,
        "held_out": measured["numbers"],
        "meets_minimum": evaluate.meets_minimum(measured["numbers"]),
        "blind_spots": BLIND_SPOTS,
        "scorer": {"command": command, "seed": seed, "git_commit": git_commit(), "seconds": round(time.time() - started, 1)},
    })
    update_bundled(model_path, metadata, scorer)
    saved = load_bundled(model_path)
    write_card(saved, model_path)
    return write_report(report_folder, saved, measured, model_path.stat().st_size)


def write_training_spectra(model_path: Path, sources: tuple[Chosen, ...], seed: int) -> Path:
    """The training spectra beside saved weights (``model.expected``), from the model's own split."""
    data = _prepare_recorded(load_bundled(model_path), model_path, sources, seed)
    return training_spectra.write(model_path, data.views, data.train)


def _prepare_recorded(model: LoadedModel, model_path: Path, sources: tuple[Chosen, ...], seed: int) -> Prepared:
    """The data of a saved model's own split; refuses a seed whose split differs from the recorded one."""
    data = prepare(sources, seed)
    check_recorded_split(model, model_path, data.split, seed)
    return data


def check_recorded_split(model: LoadedModel, model_path: Path, split: dict[str, str], seed: int) -> None:
    """Refuses a split that puts a star the model trained with into another part. Stars only one side
    knows are fine: a model trained without a source never saw its stars."""
    recorded = _recorded_split(model, model_path)
    if not recorded.exists():
        return
    known = read_split(recorded)
    moved = [k for k in known.keys() & split.keys() if known[k] != split[k]]
    if moved:
        raise RuntimeError(f"the split from seed {seed} puts {len(moved)} stars in another part than {recorded} (e.g. {sorted(moved)[0]})")


def _recorded_split(model: LoadedModel, model_path: Path) -> Path:
    """The split CSV a model's metadata names: relative to the checkout for the shipped model, else beside the weights."""
    name = Path(model.metadata.get("split_csv", "docs/model/split.csv"))
    beside = Path(model_path).parent / name.name
    return beside if beside.exists() and not (REPO / name).exists() else REPO / name


def evaluate_saved(model_path: Path, sources: tuple[Chosen, ...], white_dwarfs, report_folder: Path, seed: int) -> Path:
    """Re-measure a saved model on the held-out data of its own split and write the report."""
    torch.set_num_threads(available_threads())
    model = load_bundled(model_path)
    data = _prepare_recorded(model, model_path, sources, seed)
    measured = evaluate.measure(Predictor(model), data.views, data.split, list(white_dwarfs), seed)
    return write_report(report_folder, model, measured, model_path.stat().st_size)


def _validation_predictions(model: LoadedModel, validation: Batch) -> evaluate.Predicted:
    """Monte-Carlo predictions of the validation views (for the model-error term and the label density)."""
    return evaluate.predict(Predictor(model), validation.spectra, validation.labels, [""] * len(validation.labels))


def _label_density(data: Prepared, validated: evaluate.Predicted) -> dict:
    labels = np.array([data.stars[i].labels for i in data.train])
    return calibrate.label_density(labels, validated.point, calibrate.LABEL_DENSITY_QUANTILE)


def _metadata(config, data: Prepared, history: History, train_seconds, total_seconds, model_error, numbers, network) -> dict:
    libraries = sorted({data.stars[i].library for i in data.train})
    out = config.outputs
    return {
        "name": out.weights.stem,
        "description": "BOSS Net-family network trained by bossnet-gui on simulated BOSS/LAMOST observations of MILES and STELIB stars "
                       "and of Koester DA white-dwarf models, plus LAMOST DR1 spectra",
        "training": {
            "command": config.command,
            "seed": config.seed,
            "split_seed": config.held_out_seed,
            "git_commit": git_commit(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "device": config.device,
            "libraries": [f"{c.source.name}={c.path}" for c in config.sources],
            "cpu": cpu_description(),
            "schedule": asdict(config.schedule),
            "augmentation": asdict(Augmentation()),
            "epochs_run": len(history.validation_loss),
            "best_epoch": history.best_epoch,
            "train_loss": history.train_loss,
            "validation_loss": history.validation_loss,
            "fit_seconds": round(history.seconds, 1),
            "train_seconds": round(train_seconds, 1),
            "total_seconds": round(total_seconds, 1),
        },
        "data_sources": citations(libraries),
        "split_counts": counts(data.split, data.stars),
        "split_csv": str(out.split_csv.relative_to(REPO)) if out.split_csv.is_relative_to(REPO) else out.split_csv.name,
        "label_coverage": label_coverage(data.stars, data.train),
        "model_error": model_error,
        "flops_per_spectrum": network.flops_per_spectrum(GRID_SIZE),
        "parameters": int(sum(p.numel() for p in network.parameters())),
        "held_out": numbers,
        "meets_minimum": evaluate.meets_minimum(numbers),
        "blind_spots": BLIND_SPOTS,
    }


BLIND_SPOTS = [
    "White dwarfs are known to the network only as DA (pure-hydrogen) models; no hot subdwarfs, brown dwarfs, Wolf-Rayet or emission-line stars in training: their labels are meaningless (use the flags).",
    "The OOD score's outlier probe knows hot subdwarfs, featureless objects and unresolved pairs only from simple simulations (hot stars' lines broadened 150-800 km/s; stars above 7,000 K with their lines stripped; Planck continua; a hot and a cool library star added together): fast rotators can score high, and kinds it never saw (brown dwarfs, emission-line objects, QSOs) rest on the distance part alone.",
    "Few stars hotter than 10,000 K or cooler than 3,500 K; log g and [Fe/H] there rest on a handful of library stars.",
    "Library spectra end at 7,410 Å (MILES) or have gaps (STELIB): the red half of the grid is learned from fewer stars.",
    "Library labels are compilations (MILES: Cenarro et al. 2007; STELIB: header values), LAMOST labels are LASP DR1 values with ~0.4 dex log g errors; none are APOGEE-calibrated like the published model's.",
    "RV is learned from injected shifts of rest-frame library spectra (their own RVs are ~0 ± 10-15 km/s) and from LASP RVs of LAMOST spectra, which have a ~-7 km/s offset against a MILES template cross-correlation.",
    "Noise, flux-calibration errors, sky and masking are simulated; real BOSS spectra can show artefacts (sky residuals, dichroic edges) that the simulation lacks.",
]
