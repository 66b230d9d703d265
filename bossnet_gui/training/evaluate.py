"""Held-out measurements of a trained model: accuracy, RV, calibration, out-of-distribution scores.

Everything is measured on data the network never trained on:
  * simulated survey views of the test stars (library stars of the test split), S/N 3-100;
  * the LAMOST DR1 test spectra exactly as read from their files (genuine survey data);
  * the held-out white dwarfs and hot subdwarfs (simulated) and the SDSS white-dwarf file.
``measure`` returns plain numbers (stored in the weights' metadata); ``report.write_report``
turns them into ``docs/model/report.md`` and plots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.stats import mad_std

from ..io import read_spectra
from ..model.predictor import Predictor
from ..spectrum import Spectrum
from ..catalog.flags import LabelDensity
from . import white_dwarfs
from .calibrate import coverage_fraction
from .library import LABELS, STAR
from .noise_limit import BOUND_SNR, bounded, noise_limit
from .simulate import Augmentation
from .split import TEST, TRAIN, VALIDATION
from .views import ViewMaker

TEFF_RANGES = ((0, 4000), (4000, 5200), (5200, 6000), (6000, 7500), (7500, 10000), (10000, math.inf))
SNR_BINS = ((3, 10), (10, 30), (30, math.inf))
PAPER_TABLE2 = {"logTeff": (0.008, 0.048), "logg": (0.04, 0.30), "FeH": (0.045, 0.17)}  # scatter ranges, Sizemore+2024 Table 2
MINIMUM_SCATTER = {"logTeff": 0.02, "logg": 0.3, "FeH": 0.25}
OOD_SNR = (10.0, 30.0, 100.0)
OOD_DRAW_SNR = (5.0, 10.0, 30.0, 100.0)
OOD_DRAWS = 20  # noise draws per held-out object and S/N for the flag rates
TEST_VIEWS = 4
DRAWS = 20
FIT_CHECK_SNR = 50.0  # plain BOSS views of every library star of each part, for the training-vs-held-out check


@dataclass
class Predicted:
    """Predictions for a set of spectra with their true labels (LABELS order)."""

    names: list[str]
    labels: np.ndarray  # (N, 4)
    point: np.ndarray  # (N, 4) model columns
    std: np.ndarray  # (N, 4) Monte-Carlo σ, plus the model-error term if the model has one
    ood: np.ndarray  # (N,)
    snr: np.ndarray  # (N,) median S/N of the spectrum as built
    extra: dict = field(default_factory=dict)

    def error(self, label: str) -> np.ndarray:
        i = LABELS.index(label)
        return self.point[:, i] - self.labels[:, i]

    def select(self, keep: np.ndarray) -> "Predicted":
        keep = np.asarray(keep)
        return Predicted(
            [n for n, k in zip(self.names, keep) if k],
            self.labels[keep], self.point[keep], self.std[keep], self.ood[keep], self.snr[keep],
            {k: np.asarray(v)[keep] for k, v in self.extra.items()},
        )


def predict(predictor: Predictor, spectra: list[Spectrum], labels: np.ndarray, names: list[str], draws: int = DRAWS, **extra) -> Predicted:
    result = predictor.predict(spectra, draws=draws, seed=0, batch_size=64)
    columns = [result.columns.index(c) for c in LABELS]
    point = result.point[:, columns]
    std = result.std[:, columns] if result.std is not None else np.full_like(point, np.nan)  # none without draws
    return Predicted(
        names, np.asarray(labels, float), point, std, result.ood_score,
        np.array([s.meta.snr for s in spectra]), {k: np.asarray(v) for k, v in extra.items()},
    )


def bias_scatter(error: np.ndarray) -> dict[str, float]:
    """Median offset, robust scatter (1.4826 × MAD, astropy's ``mad_std``) and RMS of the finite errors."""
    error = error[np.isfinite(error)]
    if not len(error):
        return {"n": 0, "bias": math.nan, "scatter": math.nan, "rms": math.nan}
    bias = float(np.median(error))
    return {
        "n": int(len(error)),
        "bias": bias,
        "scatter": float(mad_std(error)),
        "rms": float(np.sqrt(np.mean(error**2))),
    }


def accuracy(predicted: Predicted, labels=("logTeff", "logg", "FeH", "rv")) -> dict[str, dict[str, float]]:
    return {label: bias_scatter(predicted.error(label)) for label in labels}


def by_range(predicted: Predicted, values: np.ndarray, ranges) -> list[dict]:
    rows = []
    for low, high in ranges:
        keep = (values >= low) & (values < high)
        rows.append({"range": (low, high), **accuracy(predicted.select(keep), ("logTeff", "logg", "FeH"))})
    return rows


def calibration(predicted: Predicted, model_error: dict[str, float] | None = None) -> dict[str, float]:
    """Per label, the share of spectra whose error is within the reported 1σ (68% if calibrated).
    With ``model_error``, the σ of the Monte-Carlo draws alone (the term taken back out in quadrature)."""
    shares = {}
    for i, label in enumerate(LABELS):
        sigma = predicted.std[:, i]
        if model_error:
            sigma = np.sqrt(np.clip(sigma**2 - model_error.get(label, 0.0) ** 2, 0.0, None))
        shares[label] = coverage_fraction(predicted.error(label), sigma)
    return shares


# -- the held-out sets --------------------------------------------------------------------------


def library_test_stars(stars, split: dict[str, str]) -> list[int]:
    """The ordinary library stars of the test split (what the simulated test views observe)."""
    return [i for i, s in enumerate(stars) if split[s.spectrum_id] == TEST and s.observed is None and s.kind == STAR]


def test_views(views: ViewMaker, indices: list[int], seed: int) -> tuple[list[Spectrum], np.ndarray, list[str], np.ndarray]:
    """``TEST_VIEWS`` simulated views of each test library star, full range of conditions."""
    rng = np.random.default_rng([seed, 4243])
    repeated = [i for i in indices for _ in range(TEST_VIEWS)]
    batch = views.batch(repeated, rng, tag="test")
    names = [views.stars[i].spectrum_id for i in repeated]
    injected = np.array([c.rv for c in batch.conditions])
    return batch.spectra, batch.labels, names, injected


def ood_views(views: ViewMaker, indices: list[int], seed: int) -> tuple[list[Spectrum], list[str]]:
    """Each held-out white dwarf / hot subdwarf observed plainly (BOSS, no reddening) at S/N 10, 30, 100."""
    rng = np.random.default_rng([seed, 31337])
    spectra, names = [], []
    for i in indices:
        for snr in OOD_SNR:
            conditions = Augmentation().clean(snr=snr)
            spectra.append(views.view(i, conditions, rng, f"ood-snr{snr:g}"))
            names.append(f"{views.stars[i].spectrum_id} ({views.stars[i].kind}, {views.stars[i].spectral_type}) S/N {snr:g}")
    return spectra, names


def ood_flag_rates(predictor: Predictor, views: ViewMaker, indices: list[int], seed: int) -> list[dict]:
    """Per held-out object, the share of ``OOD_DRAWS`` noise draws flagged at each S/N of ``OOD_DRAW_SNR``
    (one view per S/N says little near the threshold)."""
    rng = np.random.default_rng([seed, 4111])
    threshold = predictor.model.ood.threshold
    rows = []
    for i in indices:
        star = views.stars[i]
        rates = {}
        for snr in OOD_DRAW_SNR:
            spectra = [views.view(i, Augmentation().clean(snr=snr), rng, f"ood-draw{j}") for j in range(OOD_DRAWS)]
            rates[f"{snr:g}"] = float(np.mean(predictor.predict(spectra, draws=0).ood_score > threshold))
        rows.append({"name": f"{star.spectrum_id} ({star.kind}, {star.spectral_type})", "flagged_by_snr": rates})
    return rows


def fit_by_part(predictor: Predictor, views: ViewMaker, split: dict[str, str], seed: int) -> dict[str, dict]:
    """Point-estimate accuracy on one plain BOSS view (S/N ``FIT_CHECK_SNR``) of every library star of the training,
    validation and test parts. The same conditions for all three, so the gap between training and held-out stars
    is what the network learned of its training stars themselves (their labels' errors included) and does not
    carry over to new stars."""
    rng = np.random.default_rng([seed, 5050])
    parts = {}
    for part in (TRAIN, VALIDATION, TEST):
        indices = [i for i, s in enumerate(views.stars) if split[s.spectrum_id] == part and s.observed is None and s.kind == STAR]
        parts[part] = {"stars": len(indices), "accuracy": plain_accuracy(predictor, views, indices, FIT_CHECK_SNR, rng, f"fit-{part}")}
    return parts


def plain_accuracy(predictor: Predictor, views: ViewMaker, indices: list[int], snr: float, rng: np.random.Generator, tag: str) -> dict:
    """Point-estimate accuracy of log Teff, log g and [Fe/H] on plain BOSS views (``Augmentation.clean``) of ``indices``."""
    plain = Augmentation().clean(snr=snr)
    spectra = [views.view(i, plain, rng, f"{tag}-{n}") for n, i in enumerate(indices)]
    labels = np.array([views.stars[i].labels for i in indices]).reshape(-1, len(LABELS))
    predicted = predict(predictor, spectra, labels, [views.stars[i].spectrum_id for i in indices], draws=0)
    return accuracy(predicted, ("logTeff", "logg", "FeH"))


def plain_by_snr(predictor: Predictor, views: ViewMaker, indices: list[int], seed: int) -> dict[str, float]:
    """log g scatter on ``TEST_VIEWS`` plain BOSS views of each star at every S/N of ``BOUND_SNR``: the
    network under the conditions of the noise bound."""
    rng = np.random.default_rng([seed, 6060])
    repeated = [i for i in indices for _ in range(TEST_VIEWS)]
    return {f"{snr:g}": plain_accuracy(predictor, views, repeated, snr, rng, f"plain{snr:g}")["logg"]["scatter"] for snr in BOUND_SNR}


def log_g_against_noise(predictor: Predictor, views: ViewMaker, training: list[int], test: list[int], floor: float, seed: int) -> dict:
    """The noise bound on log g for the test stars, with the network measured under the same conditions."""
    limit = noise_limit(views.stars, views.templates, training, test, floor, MINIMUM_SCATTER["logg"], views.augmentation.snr_range)
    limit["network"] = plain_by_snr(predictor, views, [i for i in test if bounded(views.stars[i], views.templates[i])], seed)
    return limit


def measure(
    predictor: Predictor,
    views: ViewMaker,
    split: dict[str, str],
    sdss_white_dwarfs: list[Path],
    seed: int = 0,
) -> dict:
    """All held-out numbers as a plain dict (JSON-able) plus the per-spectrum predictions for plots."""
    stars = views.stars
    library_test = library_test_stars(stars, split)
    lamost_test = [i for i, s in enumerate(stars) if split[s.spectrum_id] == TEST and s.observed is not None]
    held_out = [i for i, s in enumerate(stars) if not s.trains]
    library_train = [i for i, s in enumerate(stars) if split[s.spectrum_id] == TRAIN and s.observed is None and s.kind == STAR]

    spectra, labels, names, injected = test_views(views, library_test, seed)
    simulated = predict(predictor, spectra, labels, names, injected_rv=injected)
    teff = 10 ** simulated.labels[:, LABELS.index("logTeff")]

    lamost_spectra = [stars[i].observed for i in lamost_test]
    genuine = predict(predictor, lamost_spectra, np.array([stars[i].labels for i in lamost_test]).reshape(-1, 4),
                      [stars[i].spectrum_id for i in lamost_test])

    ood_spectra, ood_names = ood_views(views, held_out, seed)
    for path in sdss_white_dwarfs:
        ood_spectra += read_spectra(path)
        ood_names.append(f"{Path(path).name} (SDSS white dwarf, genuine)")
    by_part = fit_by_part(predictor, views, split, seed)
    white_dwarf_summary, white_dwarf_frame = white_dwarfs.measure(predictor, views, split, sdss_white_dwarfs, seed)
    outliers = predict(predictor, ood_spectra, np.full((len(ood_spectra), 4), np.nan), ood_names)
    threshold = predictor.model.ood.threshold if predictor.model.ood is not None else math.nan
    model_error = predictor.model.metadata.get("model_error") or {}

    results = {
        "test_simulated": {
            "spectra": len(names),
            "stars": len(library_test),
            "views_per_star": TEST_VIEWS,
            "accuracy": accuracy(simulated),
            "by_teff": by_range(simulated, teff, TEFF_RANGES),
            "by_snr": by_range(simulated, simulated.snr, SNR_BINS),
            "calibration": calibration(simulated),
            "calibration_mc_only": calibration(simulated, model_error),
            "fit_by_part": by_part,
            "noise_limit": log_g_against_noise(predictor, views, library_train, library_test, by_part[TEST]["accuracy"]["logg"]["scatter"], seed),
        },
        "test_lamost_dr1": {
            "spectra": len(lamost_test),
            "accuracy": accuracy(genuine),
            "calibration": calibration(genuine),
            "calibration_mc_only": calibration(genuine, model_error),
        },
        "ood": {
            "threshold": threshold,
            "test_flagged_fraction": float(np.mean(simulated.ood > threshold)),
            "lamost_flagged_fraction": float(np.mean(genuine.ood > threshold)) if len(genuine.ood) else math.nan,
            "held_out": [{"name": n, "score": float(s), "flagged": bool(s > threshold)} for n, s in zip(outliers.names, outliers.ood)],
            "flag_rates": ood_flag_rates(predictor, views, held_out, seed) if predictor.model.ood is not None else [],
        },
        "white_dwarfs": white_dwarf_summary,
        "label_density": sparse_shares(predictor.model.metadata.get("label_density"), simulated, genuine),
    }
    return {"numbers": results, "simulated": simulated, "genuine": genuine, "outliers": outliers, "white_dwarfs": white_dwarf_frame}


def sparse_shares(density: dict | None, simulated: Predicted, genuine: Predicted) -> dict:
    """How often the label-density part of ``outside_training_coverage`` fires on ordinary held-out stars."""
    found = LabelDensity.from_metadata(density)
    if found is None:
        return {}
    t, g = LABELS.index("logTeff"), LABELS.index("logg")
    share = {name: float(np.mean(found.sparse(p.point[:, t], p.point[:, g]))) if len(p.point) else math.nan
             for name, p in (("test_flagged_fraction", simulated), ("lamost_flagged_fraction", genuine))}
    return {"threshold": found.threshold, **share}


def meets_minimum(numbers: dict) -> dict[str, bool]:
    """The minimum to ship: scatter limits on held-out stars; held-out DA models measured right (the share of
    ``white_dwarfs.TARGET_SHARE``) and none silent."""
    accuracy_ = numbers["test_simulated"]["accuracy"]
    checks = {f"scatter {k} <= {v}": accuracy_[k]["scatter"] <= v for k, v in MINIMUM_SCATTER.items()}
    summary = numbers.get("white_dwarfs") or {}
    if summary:
        target = summary["target"]
        checks[f">= {target['share_required']:.0%} of held-out DA white dwarfs measured right (S/N >= {target['min_snr']:g})"] = (
            target["measured_right"] >= target["share_required"]
        )
        checks["no held-out DA white dwarf silent (wrong and unflagged)"] = summary["outcomes"][white_dwarfs.SILENT] == 0
    return checks
