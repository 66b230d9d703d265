"""``docs/model/report.md`` and its plots, from the numbers ``evaluate.measure`` returns."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..kiel import load_training_coverage
from ..model.weights import LoadedModel
from ..preprocess import GRID_SIZE
from .evaluate import FIT_CHECK_SNR, MINIMUM_SCATTER, PAPER_TABLE2, TEST_VIEWS, Predicted, meets_minimum
from .library import LABELS
from .plots import Panel, Series, save_png
from .white_dwarfs import FLAGGED, MEASURED, SILENT

UNITS = {"logTeff": "dex", "logg": "dex", "FeH": "dex", "rv": "km/s"}
NAMES = {"logTeff": "log Teff", "logg": "log g", "FeH": "[Fe/H]", "rv": "RV"}
BLUE, ORANGE, GREY, RED = (40, 90, 200), (230, 120, 0), (120, 120, 120), (200, 30, 30)
OUTCOME_COLOURS = {MEASURED: BLUE, FLAGGED: ORANGE, SILENT: RED}


def _f(value: float, digits: int = 3) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def accuracy_table(accuracy: dict, labels=("logTeff", "logg", "FeH", "rv"), reference: bool = True) -> list[str]:
    head = "| parameter | N | bias (median) | scatter (1.4826 MAD) | RMS |" + (" paper Table 2 scatter | our minimum |" if reference else "")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for label in labels:
        a = accuracy[label]
        digits = 1 if label == "rv" else 3
        row = f"| {NAMES[label]} ({UNITS[label]}) | {a['n']} | {_f(a['bias'], digits)} | {_f(a['scatter'], digits)} | {_f(a['rms'], digits)} |"
        if reference:
            paper = PAPER_TABLE2.get(label)
            row += f" {f'{paper[0]}–{paper[1]}' if paper else '–'} | {MINIMUM_SCATTER.get(label, '–')} |"
        rows.append(row)
    return rows


def ood_table(held_out: list[dict]) -> list[str]:
    rows = [f"| {h['name']} | {h['score']:.2f} | {'yes' if h['flagged'] else '**no**'} |" for h in held_out]
    return ["| held-out object | score | flagged |", "|---|---|---|", *rows]


def flag_rate_table(rates: list[dict]) -> list[str]:
    """Share of noise draws flagged per held-out object and S/N (empty for metadata written before it existed)."""
    if not rates:
        return []
    snrs = list(rates[0]["flagged_by_snr"])
    return [
        "Share of noise draws flagged, per object and S/N (plain BOSS observations, no reddening):",
        "",
        "| held-out object | " + " | ".join(f"S/N {s}" for s in snrs) + " |",
        "|---|" + "---|" * len(snrs),
        *[f"| {r['name']} | " + " | ".join(f"{100 * r['flagged_by_snr'][s]:.0f}%" for s in snrs) + " |" for r in rates],
        "",
    ]


def range_table(rows: list[dict], unit: str, scale: float = 1.0) -> list[str]:
    out = [f"| range ({unit}) | N | log Teff bias / scatter | log g bias / scatter | [Fe/H] bias / scatter |", "|---|---|---|---|---|"]
    for row in rows:
        low, high = row["range"]
        span = f"{low * scale:g}–{high * scale:g}" if np.isfinite(high) else f"≥ {low * scale:g}"
        cells = [f"{_f(row[k]['bias'])} / {_f(row[k]['scatter'])}" for k in ("logTeff", "logg", "FeH")]
        out.append(f"| {span} | {row['logTeff']['n']} | " + " | ".join(cells) + " |")
    return out


def _teff_span(low: float, high: float) -> str:
    return f"{low:,.0f}–{high:,.0f}" if np.isfinite(high) and high < 80_001 else f"≥ {low:,.0f}"


def outcome_table(rows: list[dict]) -> list[str]:
    out = ["| true Teff (K) | views | measured right | flagged | silent |", "|---|---|---|---|---|"]
    for r in rows:
        silent = f"**{r[SILENT]}**" if r[SILENT] else "0"
        out.append(f"| {_teff_span(*r['range'])} | {r['n']} | {r[MEASURED]} | {r[FLAGGED]} | {silent} |")
    return out


def confusion_table(confusion: dict) -> list[str]:
    bins = confusion["bins"]
    names = [_teff_span(lo, hi) for lo, hi in zip(bins[:-1], bins[1:])]
    out = ["| true \\ predicted (K) | " + " | ".join(names) + " | none |", "|---|" + "---|" * (len(names) + 1)]
    for name, counts in zip(names, confusion["counts"]):
        if sum(counts):
            out.append(f"| {name} | " + " | ".join(str(c) if c else "·" for c in counts) + " |")
    return out


def label_density_lines(shares: dict) -> list[str]:
    if not shares:
        return []
    return [
        "## Where the training labels are sparse",
        "",
        f"`outside_training_coverage` also fires where the smoothed density of training labels in (log Teff, log g) is below "
        f"{shares['threshold']:.2e} per cell (the 0.5% quantile of validation predictions): the gap between the main sequence and the "
        f"white dwarfs, hot subdwarfs' gravities. On ordinary held-out stars it fires for {100 * shares['test_flagged_fraction']:.1f}% of "
        f"simulated test views and {100 * shares['lamost_flagged_fraction']:.0f}% of LAMOST test spectra.",
        "",
    ]


def white_dwarf_tables(summary: dict, heading) -> list[str]:
    """Outcomes by Teff (S/N ≥ 20 and below) and the Teff confusion table, each under ``heading(text)``."""
    return [
        heading("By Teff, S/N ≥ 20"), "", *outcome_table(summary["by_teff_snr_ge_20"]), "",
        heading("By Teff, S/N 5–10"), "", *outcome_table(summary["by_teff_snr_lt_20"]), "",
        heading("Teff confusion, S/N ≥ 20 (rows: model Teff, columns: predicted; views)"), "", *confusion_table(summary["confusion_snr_ge_20"]), "",
    ]


def white_dwarf_section(summary: dict) -> list[str]:
    if not summary:
        return []
    target = summary["target"]
    outcomes = summary["outcomes"]
    lines = [
        f"## DA white dwarfs never trained on ({summary['models']} Koester models × S/N {', '.join(f'{s:g}' for s in summary['snr'])})",
        "",
        "The Koester models of the test blocks of the split (blocks of 4 Teff × 3 log g grid steps in a diagonal pattern over the grid, "
        "none trained on or used for early stopping), observed plainly by BOSS with a random RV and run through the app's own path, flags included. "
        "**Measured right**: Teff within 10% and log g within 0.5 dex. **Flagged**: otherwise, with at least one quality flag "
        "(a white dwarf measured on its sequence carries Astra's `unreliable_fe_h` anyway). **Silent**: wrong and unflagged.",
        "",
        f"- Target: {100 * target['measured_right']:.0f}% of the {target['views']} views with {target['teff'][0]:,.0f}–{target['teff'][1]:,.0f} K, "
        f"log g {target['logg'][0]:g}–{target['logg'][1]:g} and S/N ≥ {target['min_snr']:g} measured right (required: {100 * target['share_required']:.0f}%).",
        f"- All {summary['views']} views: {outcomes[MEASURED]} measured right, {outcomes[FLAGGED]} flagged, {outcomes[SILENT]} silent.",
        "",
        *white_dwarf_tables(summary, lambda text: f"### {text}"),
    ]
    if summary["silent"]:
        lines += ["### Silent", "", "| model | S/N | Teff | log g | OOD score |", "|---|---|---|---|---|"]
        lines += [f"| {r['model']} | {r['snr']:g} | {r['teff']:,.0f} | {r['logg']:.2f} | {r['ood_score']:.2f} |" for r in summary["silent"]]
        lines.append("")
    if summary.get("genuine"):
        lines += ["### Genuine white dwarfs", "", "| file | Teff (K) | log g | flags |", "|---|---|---|---|"]
        lines += [f"| {g['name']} | {g['teff']:,.0f} ± {g['teff_err']:,.0f} | {g['logg']:.2f} ± {g['logg_err']:.2f} | {g['flags'] or 'none'} |"
                  for g in summary["genuine"]]
        lines.append("")
    lines += ["![White dwarfs](white_dwarfs.png)", ""]
    return lines


def fit_by_part_table(parts: dict | None, heading: str) -> list[str]:
    """Training, validation and test stars under the same plain conditions, under ``heading``
    (nothing for metadata written before it existed)."""
    if not parts:
        return []
    rows = [f"| {'training' if part == 'train' else part} | {p['stars']} | "
            + " | ".join(_f(p["accuracy"][k]["scatter"]) for k in ("logTeff", "logg", "FeH")) + " |"
            for part, p in parts.items()]
    return [
        heading,
        "",
        f"Every library star of each part observed once as a plain BOSS spectrum at S/N {FIT_CHECK_SNR:g} (no reddening, tilt or lost "
        "coverage), point estimate against label. What the network reproduces on its training stars and not on new stars "
        "(the training row against the others) is star-to-star generalisation, the labels' own errors included; it is not noise.",
        "",
        "| stars | N | log Teff scatter | log g scatter | [Fe/H] scatter |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]


def noise_limit_table(limit: dict | None, heading: str) -> list[str]:
    """The Cramér-Rao bound on log g per S/N against the network, and the headline scatter it allows (nothing for older metadata)."""
    if not limit:
        return []
    snrs = list(limit["by_snr"])
    cells = [f"{_f(b['median'], 2)} ({_f(b['p16'], 2)}–{_f(b['p84'], 2)})" for b in limit["by_snr"].values()]
    network = limit["network"]
    best = network[snrs[-1]]  # the network's scatter where noise matters least
    combined = [_f(math.hypot(b["median"], best), 2) for b in limit["by_snr"].values()]
    low_teff, high_teff = limit["teff_range"]
    low_snr, high_snr = limit["snr_range"]
    return [
        heading,
        "",
        f"The least log g scatter that noise alone allows an unbiased estimator (Cramér-Rao bound) on {limit['test_stars']} test "
        f"stars of {low_teff:g}–{high_teff:g} K, observed as plain BOSS spectra ({limit['wavelength_range'][0]:.0f}–"
        f"{limit['wavelength_range'][1]:.0f} Å), with log Teff, [Fe/H], the RV and a cubic continuum left free; the label "
        f"derivatives come from a quadratic model of the flux fitted on {limit['training_stars']} training stars "
        "(`bossnet_gui/training/noise_limit.py`). Median (16–84%) over the stars:",
        "",
        "| S/N per pixel | " + " | ".join(snrs) + " |",
        "|---|" + "---|" * len(snrs),
        "| σ(log g) bound (dex) | " + " | ".join(cells) + " |",
        f"| bound ⊕ network at S/N {snrs[-1]} | " + " | ".join(combined) + " |",
        "| network, same stars and views | " + " | ".join(_f(network[snr], 2) for snr in snrs) + " |",
        "",
        f"The network is measured on {TEST_VIEWS} plain BOSS views of each of these stars per S/N. Where its scatter meets the "
        f"bound added in quadrature to its own scatter at S/N {snrs[-1]} (the middle row), it takes from the noisy pixels all the "
        "log g that an unbiased estimator can; what is left is the star-to-star error that S/N does not cure.",
        "",
        f"Added in quadrature to the star-to-star error of the test stars above ({_f(limit['floor'])} dex at S/N {FIT_CHECK_SNR:g}), "
        f"the bound allows a headline scatter of {_f(limit['headline'])} dex on views with S/N log-uniform in {low_snr:g}–{high_snr:g} "
        f"(the test views' range); a headline of {_f(limit['target'], 2)} dex needs that star-to-star error at or below "
        f"{_f(limit['floor_for_target'])} dex. Those test views also lose coverage, carry reddening and LAMOST sampling, "
        "which the bound leaves out; an estimator that leans on the training labels' distribution, as a network does, "
        "can do somewhat better than the bound at low S/N, so it is a yardstick rather than a hard limit.",
        "",
    ]


def write_report(folder: Path, model: LoadedModel, measured: dict, size_bytes: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    numbers = measured["numbers"]
    meta = model.metadata
    sim, lam, ood = numbers["test_simulated"], numbers["test_lamost_dr1"], numbers["ood"]
    training = meta.get("training", {})
    lines = [
        f"# {model.name}: held-out evaluation",
        "",
        "Written by `python -m bossnet_gui.training evaluate` (or `recalibrate`) from the shipped weights "
        f"(SHA-256 `{model.content_hash}`). Nothing here was used for training or early stopping.",
        "",
        f"- network: {meta.get('parameters', 0):,} parameters, {model.network.flops_per_spectrum(GRID_SIZE) / 1e6:.0f} MFLOP per spectrum "
        f"(published BOSS Net: 72.6 M, 1,100 MFLOP), {size_bytes / 1e6:.1f} MB on disk",
        f"- training: `{training.get('command', '')}` (seed {training.get('seed')}), "
        f"{training.get('epochs_run')} epochs, best {training.get('best_epoch')}, {training.get('total_seconds', 0) / 60:.1f} min on {training.get('cpu', 'a 2-core CPU')}",
        *([f"- distance-from-training scorer refitted: `{meta['scorer']['command']}` (commit `{meta['scorer']['git_commit'][:12]}`, network unchanged)"]
          if "scorer" in meta else []),
        "",
        "## Minimum to ship",
        "",
    ]
    lines += [f"- {'PASS' if ok else 'FAIL'}: {check}" for check, ok in meets_minimum(numbers).items()]
    lines += [
        "",
        f"## Test stars, simulated survey observations ({sim['stars']} stars × {sim['views_per_star']} views, S/N 3–100)",
        "",
        "Library stars of the test split observed through the training simulator (BOSS or LAMOST sampling, "
        "random RV, reddening, calibration tilt, coverage loss, masked pixels). Errors are point estimate − label. "
        "The paper's Table 2 scatter is for genuine BOSS spectra against external catalogues, so it is a guide, not a like-for-like comparison.",
        "",
        *accuracy_table(sim["accuracy"]),
        "",
        "RV here is against the injected shift (the library stars are at rest to ~10–15 km/s).",
        "",
        "### By Teff (label)",
        "",
        *range_table(sim["by_teff"], "K"),
        "",
        "### By S/N",
        "",
        *range_table(sim["by_snr"], "S/N per pixel"),
        "",
        *fit_by_part_table(sim.get("fit_by_part"), "### Training stars against held-out stars"),
        *noise_limit_table(sim.get("noise_limit"), "### Noise limit on log g"),
        f"## LAMOST DR1 test spectra, genuine survey data ({lam['spectra']} spectra, read from their files)",
        "",
        "Against the LAMOST pipeline (LASP DR1) labels, whose own errors are large (median σ: Teff 180 K, log g 0.48, [Fe/H] 0.48 dex, RV 15 km/s).",
        "",
        *accuracy_table(lam["accuracy"], reference=False),
        "",
        "## Calibration of the uncertainties",
        "",
        "Share of spectra whose error is within the reported 1σ (68.3% if calibrated). σ is the spread of 20 Monte-Carlo "
        "draws (flux + error × N(0,1)) plus the model-error term stored in the weights (`model_error`, fitted on validation views) in quadrature.",
        "",
        "| parameter | model-error term | test stars (simulated) | same, MC σ only | LAMOST DR1 | same, MC σ only |",
        "|---|---|---|---|---|---|",
    ]
    model_error = meta.get("model_error", {})
    for label in LABELS:
        lines.append(f"| {NAMES[label]} | {_f(model_error.get(label, math.nan), 3 if label != 'rv' else 1)} | "
                     f"{100 * sim['calibration'][label]:.0f}% | {100 * sim['calibration_mc_only'][label]:.0f}% | "
                     f"{100 * lam['calibration'][label]:.0f}% | {100 * lam['calibration_mc_only'][label]:.0f}% |")
    lines += [
        "",
        "## Distance from the training set (OOD score)",
        "",
        ("Score: the kNN distance in the last hidden layer or, when larger, the outlier probe's logit on the same scale "
         "(each part set to flag 1% of validation views). " if model.ood is not None and model.ood.probe is not None else "")
        + f"Threshold {ood['threshold']:.2f} (99th percentile of validation views). Flagged: {100 * ood['test_flagged_fraction']:.1f}% of "
        f"simulated test views, {100 * ood['lamost_flagged_fraction']:.0f}% of LAMOST test spectra.",
        "",
        *ood_table(ood["held_out"]),
        "",
        *flag_rate_table(ood.get("flag_rates", [])),
        *label_density_lines(numbers.get("label_density") or {}),
        *white_dwarf_section(numbers.get("white_dwarfs") or {}),
        "## Plots",
        "",
        "![Kiel diagram](kiel.png)",
        "",
        "![One-to-one](one_to_one.png)",
        "",
        "![LAMOST DR1](lamost.png)",
        "",
    ]
    write_plots(folder, measured)
    path = folder / "report.md"
    path.write_text("\n".join(lines))
    return path


def write_plots(folder: Path, measured: dict) -> None:
    sim: Predicted = measured["simulated"]
    lam: Predicted = measured["genuine"]
    t, g = LABELS.index("logTeff"), LABELS.index("logg")
    backdrop = load_training_coverage()
    save_png(folder / "kiel.png", [
        Panel("test-star labels on the training coverage", "log10 Teff", "log g", (4.6, 3.4), (6.0, -0.5),
              [Series(sim.labels[:, t], sim.labels[:, g], RED, "test label")], background=backdrop),
        Panel("predictions (simulated test views)", "log10 Teff", "log g", (4.6, 3.4), (6.0, -0.5),
              [Series(sim.point[:, t], sim.point[:, g], BLUE, "prediction", 2.0)], background=backdrop),
    ])
    panels = []
    for label, span in (("logTeff", (3.4, 4.6)), ("logg", (-0.5, 6.0)), ("FeH", (-3.0, 1.0)), ("rv", (-550, 550))):
        i = LABELS.index(label)
        truth = sim.labels[:, i] if label != "rv" else sim.extra["injected_rv"]
        panels.append(Panel(NAMES[label], f"label ({UNITS[label]})", "prediction", span, span,
                            [Series(truth, sim.point[:, i], BLUE, "", 2.0)], diagonal=True))
    save_png(folder / "one_to_one.png", panels)
    panels = []
    for label, span in (("logTeff", (3.55, 4.0)), ("logg", (1.0, 5.0)), ("FeH", (-1.5, 0.6)), ("rv", (-100, 100))):
        i = LABELS.index(label)
        panels.append(Panel(f"{NAMES[label]}: LAMOST DR1", f"LASP ({UNITS[label]})", "prediction", span, span,
                            [Series(lam.labels[:, i], lam.point[:, i], ORANGE, "", 3.0)], diagonal=True))
    save_png(folder / "lamost.png", panels)
    frame = measured.get("white_dwarfs")
    if frame is not None and len(frame):
        save_png(folder / "white_dwarfs.png", white_dwarf_panels(frame[frame["snr_drawn"] >= 20], backdrop))


def white_dwarf_panels(frame, backdrop) -> list[Panel]:
    """Predicted against true Teff and log g of the held-out DA models, coloured by outcome, and where they land."""
    def series(x, y):
        return [Series(frame.loc[frame["outcome"] == o, x].to_numpy(float), frame.loc[frame["outcome"] == o, y].to_numpy(float), colour, o, 2.5)
                for o, colour in OUTCOME_COLOURS.items() if (frame["outcome"] == o).any()]

    frame = frame.assign(true_logteff=np.log10(frame["true_teff"]), logteff=np.log10(frame["Teff"]))
    return [
        Panel("DA white dwarfs: Teff (S/N ≥ 20)", "log10 Teff (model)", "log10 Teff (predicted)", (3.6, 5.0), (3.6, 5.0),
              series("true_logteff", "logteff"), diagonal=True),
        Panel("DA white dwarfs: log g", "log g (model)", "log g (predicted)", (3.0, 10.0), (3.0, 10.0), series("true_logg", "logg"), diagonal=True),
        Panel("where they land", "log10 Teff", "log g", (5.0, 3.5), (10.0, -0.5), series("logteff", "logg"), background=backdrop),
    ]
