"""``weights/README.md``: the model card, written from the metadata stored in the weights file.

Every number comes from the weights' own metadata (recorded by the training run), so the card
cannot drift from the file it describes; ``python -m bossnet_gui.training card`` rewrites it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..bundled import WEIGHTS_DIR
from ..model.expected import TrainingSpectra, spectra_path
from ..model.weights import DEFAULT_MODEL, LoadedModel
from ..preprocess import GRID_SIZE
from .report import NAMES, accuracy_table, fit_by_part_table, flag_rate_table, ood_table, range_table, white_dwarf_tables
from .white_dwarfs import FLAGGED, MEASURED, SILENT


LICENCES = {
    "MILES": "MILES v9.1 spectra and Cenarro et al. (2007) parameters, as repackaged in sdss-mangadap 4.5.0 (BSD-3-Clause); "
             "cite Sánchez-Blázquez et al. 2006, MNRAS 371, 703 and Cenarro et al. 2007, MNRAS 374, 664.",
    "STELIB": "STELIB v3.2, as repackaged in sdss-mangadap 4.5.0 (BSD-3-Clause); cite Le Borgne et al. 2003, A&A 402, 433.",
    "LAMOST": "LAMOST DR1 low-resolution spectra and LASP labels (public LAMOST data release; cite Luo et al. 2015, RAA 15, 1095), "
              "as collected in grd349/LearningLAMOST (MIT).",
    "KOESTER": "Koester DA white-dwarf model spectra (pure hydrogen; Teff 5,000–80,000 K, log g 6.5–9.5), from the SVO Theoretical Model "
               "Services as collected in janvanroestel/Koester_DAmodels (MIT); cite Koester 2010, Mem. Soc. Astron. Ital. 81, 921.",
}

NOT_COVERED = (
    "White dwarfs other than DA: DB (helium lines), DC (featureless), DQ (carbon), DZ (metal lines) and mixed types were never trained on. "
    "A DC can look like a hot featureless continuum and a DZ like a metal-poor cool star; expect `far_from_training` or `outside_training_coverage` "
    "for most, not all: look at the spectrum.",
    "Magnetic white dwarfs (Zeeman-split Balmer lines), white dwarf + M dwarf binaries (a DA in the blue, TiO bands in the red), "
    "extremely low-mass white dwarfs (log g < 6.5) and hot subdwarfs (log g 5–6) are not in training either; the coverage flag catches predictions "
    "in the empty part of the Kiel diagram between the main sequence and the white dwarfs.",
    "The DA models are pure-hydrogen 1-D LTE atmospheres without 3-D convection corrections: below ~12,000 K, spectroscopic log g of real DAs "
    "runs ~0.1–0.3 dex high against 3-D models (Tremblay et al. 2013), and so will ours.",
)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(model: LoadedModel, path: Path) -> str:
    meta = model.metadata
    training = meta["training"]
    held_out = meta["held_out"]
    sim, lamost, ood = held_out["test_simulated"], held_out["test_lamost_dr1"], held_out["ood"]
    args = meta["model_args"]
    checks = meta["meets_minimum"]
    lines = [
        f"# Model card: {model.name}",
        "",
        f"{meta['description']}. "
        + ("The app and `bossnet-gui predict` load it by default; " if _is_default(path) else "Not loaded by default: pass this file's path to `--model`; ")
        + "published BOSS Net weights still load with `--model DIR` (GUI: Model ▸ Load published model).",
        "",
        "**Status against the minimum to ship:** " + ("all met." if all(checks.values()) else "not all met (see below); use with the flags on."),
        "",
        *[f"- {'PASS' if ok else 'FAIL'}: {check}" for check, ok in checks.items()],
        "",
        "## File",
        "",
        f"- `{path.name}`: {path.stat().st_size / 1e6:.1f} MB, file SHA-256 `{file_sha256(path)}`",
        f"- weights hash (SHA-256 over the state dict, shown by the app and written to catalog headers): `{model.content_hash}`",
        "- format `bossnet-gui-weights/1`: state dict + this metadata + the distance-from-training scorer; read by `bossnet_gui.model.load_bundled`",
        *_spectra_line(path),
        "",
        "## Network",
        "",
        f"BOSS Net family (1-D residual CNN with positional encoding, the published class and key names) with "
        f"model_dim {args['model_dim']}, dim_mults {args['dim_mults']}, kernel {args['kernel_size']}, adaptive pool {args['adapt_pool_output_dim']}, "
        f"{args['num_linear']} linear layers of {args['linear_dim']}, and one extra input channel (the share of each grid pixel covered by "
        f"good native pixels). {meta['parameters']:,} parameters and {meta['flops_per_spectrum'] / 1e6:.0f} MFLOP per spectrum per pass "
        f"(published: 72.6 M parameters, 1,100 MFLOP: {1.1e9 / meta['flops_per_spectrum']:.0f}× cheaper). "
        f"Input: the published pre-processing ({GRID_SIZE} points, 3800–8900 Å, log-scaled flux). Outputs: {', '.join(meta['columns'])}.",
        "",
        "## Training data",
        "",
        "| source | train | validation | test | held out (not stars) | unused (no labels) |",
        "|---|---|---|---|---|---|",
    ]
    counts = meta["split_counts"]
    for source in meta["data_sources"]:
        row = [counts.get(part, {}).get(source, 0) for part in ("train", "validation", "test", "ood", "unused")]
        lines.append(f"| {source} | " + " | ".join(str(n) for n in row) + " |")
    lines += [
        "",
        f"Split by star (a star in two libraries stays in one part) with seed {training['seed']}, before any augmentation; "
        f"the split is recorded in `{meta['split_csv']}`. Model white dwarfs are split in blocks of neighbouring grid points (4 Teff × 3 log g steps) in a diagonal pattern "
        "(block (i, j) is test when (i + 2j) mod 7 = 0, validation when it is 3), so held-out blocks lie all over the grid. The library's own white dwarfs and hot subdwarfs (labels of unknown quality) "
        "never enter training: they test the flags.",
        "",
        *[f"- {LICENCES.get(source, text)}" for source, text in meta["data_sources"].items()],
        "",
        "Library spectra (air wavelengths converted to vacuum) become survey observations on the fly: BOSS or LAMOST resolution "
        "and log-linear sampling, S/N 3–100 with a matching error array, random RV shifts (the RV label), reddening, "
        "flux-calibration tilts, lost blue/red ends, dropped pixels and segments. Labels missing from a star are masked out of the loss "
        "(the white-dwarf models have no [Fe/H]); stars are drawn by the inverse density of their labels, the white-dwarf models as a fixed "
        "share of the draws (20%).",
        "",
        "## Label coverage (training stars)",
        "",
        "| label | min | max |",
        "|---|---|---|",
        *[f"| {NAMES[k]} | {lo:.3f} | {hi:.3f} |" for k, (lo, hi) in meta["label_coverage"].items()],
        "",
        f"In Teff: {10 ** meta['label_coverage']['logTeff'][0]:,.0f}–{10 ** meta['label_coverage']['logTeff'][1]:,.0f} K. "
        "Predictions outside these log Teff and log g ranges get the `outside_training_coverage` flag, and so do predictions where the "
        "training labels are sparser than for 99.5% of validation views"
        + (f" (smoothed density below {meta['label_density']['threshold']:.2e} per cell)" if "label_density" in meta else "")
        + (f"; this fires for {100 * held_out['label_density']['test_flagged_fraction']:.1f}% of simulated test views and "
           f"{100 * held_out['label_density']['lamost_flagged_fraction']:.0f}% of LAMOST test spectra" if held_out.get("label_density") else "")
        + ": the gap between the main sequence and the white dwarfs, hot subdwarfs' gravities, hot giants. "
        "The 2-D distribution is `resources/training_coverage.npz`, the Kiel-diagram backdrop in the app.",
        "",
        f"## Held-out accuracy: simulated observations of test stars ({sim['stars']} stars × {sim['views_per_star']} views, S/N 3–100)",
        "",
        *accuracy_table(sim["accuracy"]),
        "",
        "By S/N (bias / scatter):",
        "",
        *range_table(sim["by_snr"], "S/N per pixel"),
        "",
        "By Teff:",
        "",
        *range_table(sim["by_teff"], "K"),
        "",
        *fit_by_part_table(sim.get("fit_by_part"), "Training stars against held-out stars:"),
        f"## Genuine survey data: LAMOST DR1 test spectra ({lamost['spectra']}), against LASP labels",
        "",
        *accuracy_table(lamost["accuracy"], reference=False),
        "",
        "## Uncertainties",
        "",
        "σ = spread of the Monte-Carlo draws (the published method) plus a model-error term fitted on validation views, in quadrature: "
        + ", ".join(f"{NAMES[k]} {v:.3f}" if k != "rv" else f"RV {v:.1f} km/s" for k, v in meta["model_error"].items())
        + ". Share of test errors within 1σ (68% if calibrated):",
        "",
        "| parameter | simulated test views | LAMOST DR1 |",
        "|---|---|---|",
        *[f"| {NAMES[k]} | {100 * sim['calibration'][k]:.0f}% | {100 * lamost['calibration'][k]:.0f}% |" for k in meta["columns"]],
        "",
        "## Distance from the training set",
        "",
        "`ood_score`: mean distance to the 5 nearest training views in the whitened last hidden layer, 1 = a typical validation star; "
        + (PROBE_SENTENCE if model.ood is not None and model.ood.probe is not None else "")
        + f"quality flag `far_from_training` (bit 11) above {ood['threshold']:.2f} (99th percentile of validation views). "
        f"Flagged: {100 * ood['test_flagged_fraction']:.1f}% of test views, {100 * ood['lamost_flagged_fraction']:.0f}% of LAMOST test spectra.",
        "",
        *ood_table(ood["held_out"]),
        "",
        *flag_rate_table(ood.get("flag_rates", [])),
        *_white_dwarfs(held_out.get("white_dwarfs")),
        "## Known blind spots",
        "",
        *[f"- {spot}" for spot in meta["blind_spots"]],
        *[f"- {spot}" for spot in NOT_COVERED],
        *_missed_outliers(ood["held_out"]),
        "",
        "## Reproduce",
        "",
        "```",
        training["command"],
        *([f"{meta['scorer']['command']}   # scorer refitted at commit {meta['scorer']['git_commit'][:12]} (network unchanged)"] if "scorer" in meta else []),
        "python -m bossnet_gui.training evaluate   # docs/model/report.md and plots",
        "python -m bossnet_gui.training card       # this file",
        "```",
        "",
        f"Seed {training['seed']}, git commit `{training['git_commit']}`, torch {training['torch']}, Python {training['python']}, "
        f"{training['threads']} CPU threads{' (' + training['cpu'] + ')' if 'cpu' in training else ''}; {training['epochs_run']} epochs (best {training['best_epoch']}) in "
        f"{training['total_seconds'] / 60:.0f} min. A run repeats exactly with the same seed, thread count and torch build (checked on a small run by `tests/training/test_training_run.py`).",
        "",
    ]
    return "\n".join(lines)


PROBE_SENTENCE = (
    "or, when larger, the logit of the outlier probe (logistic regression on the same layer: training views against "
    "simulated hot-subdwarf-like, very-broad-lined, line-stripped and Planck spectra, and white-dwarf-like ones when no white-dwarf "
    "models were trained on) or of a second probe against blends of an ordinary star above 6,500 K and one below 4,500 K in one "
    "fibre (unresolved pairs of unlike stars), each on the same scale; "
)


def _white_dwarfs(summary: dict | None) -> list[str]:
    """Held-out DA white dwarfs: the target, the outcomes by Teff, the confusion table (see docs/model/report.md)."""
    if not summary:
        return []
    target, outcomes = summary["target"], summary["outcomes"]
    return [
        f"## DA white dwarfs ({summary['models']} held-out Koester models × S/N {', '.join(f'{s:g}' for s in summary['snr'])}, plain BOSS views)",
        "",
        f"Measured right (Teff within 10%, log g within 0.5 dex) at {target['teff'][0]:,.0f}–{target['teff'][1]:,.0f} K, log g "
        f"{target['logg'][0]:g}–{target['logg'][1]:g}, S/N ≥ {target['min_snr']:g}: **{100 * target['measured_right']:.0f}%** of {target['views']} views "
        f"(required {100 * target['share_required']:.0f}%). All {summary['views']} views: {outcomes[MEASURED]} measured right, "
        f"{outcomes[FLAGGED]} wrong but flagged, **{outcomes[SILENT]} silent** (wrong and unflagged).",
        "",
        *white_dwarf_tables(summary, lambda text: f"{text}:"),
        *[f"Genuine: {g['name']} at {g['teff']:,.0f} ± {g['teff_err']:,.0f} K, log g {g['logg']:.2f} ± {g['logg_err']:.2f} (flags: {g['flags'] or 'none'})."
          for g in summary.get("genuine", [])],
        "",
    ]


def _missed_outliers(held_out: list[dict]) -> list[str]:
    """The held-out non-stars that the distance score did not flag, by object."""
    missed = sorted({h["name"].split(" S/N")[0] for h in held_out if not h["flagged"]})
    if not missed:
        return []
    return [f"- Measured, not flagged by the distance score in at least one held-out view: {'; '.join(missed)}. "
            "Their labels land among ordinary hot stars: check such objects by eye (spectrum panel) whatever the flags say."]


def _is_default(weights_path: Path) -> bool:
    return weights_path.resolve() == (WEIGHTS_DIR / f"{DEFAULT_MODEL}.pt").resolve()


def card_path(weights_path: Path) -> Path:
    """``weights/README.md`` for the default weights; for any other file ``NAME.md`` beside it, so that
    training into a folder of one's own, or a second file into weights/, never overwrites that README."""
    if _is_default(weights_path):
        return WEIGHTS_DIR / "README.md"
    return weights_path.with_suffix(".md")


def write_card(model: LoadedModel, weights_path: Path, out: Path | None = None) -> Path:
    out = out or card_path(weights_path)
    out.write_text(render(model, weights_path))
    return out


def _spectra_line(weights: Path) -> list[str]:
    path = spectra_path(weights)
    if not path.exists():
        return []
    spectra = TrainingSpectra.load(path)
    return [f"- `{path.name}`: {path.stat().st_size / 1e6:.1f} MB, the {len(spectra):,} training stars' spectra on the grid at rest as "
            f"{spectra.basis.shape[0]} principal components of the log flux (median reconstruction error {100 * np.median(spectra.error):.1f}%), "
            "with their labels: what the app draws as *Expected* (`bossnet_gui.model.expected`; written by `python -m bossnet_gui.training spectra`)"]
