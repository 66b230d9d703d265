"""Why the network said what it said about one star: which wavelengths drove it (``saliency``), which
training spectra it resembles most in the network's own feature space (the distance scorer's reference
views, when the weights record whose they are), and what the network expects such a star to look like
(``expected``: a library template at the predicted parameters and those nearest training spectra, from
the training spectra shipped beside the weights)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..preprocess import on_grid
from ..spectrum import OPTICAL, Spectrum
from .expected import Expected, expected, training_spectra
from .predictor import Predictor
from .saliency import Saliency, saliency

NEIGHBOURS = 5
NEIGHBOURS_SHOWN = 3  # drawn over the spectrum; more would hide it


@dataclass(frozen=True)
class Neighbour:
    name: str  # e.g. "MILES m0647", "KOESTER da12000_800.dk.dat.txt"
    teff: float
    logg: float
    feh: float
    distance: float  # 1 = a typical validation star's mean distance to its neighbours


@dataclass(frozen=True)
class Explanation:
    saliency: Saliency | None
    neighbours: list[Neighbour]
    expected: Expected | None = None


def point_and_features(predictor: Predictor, spectrum: Spectrum) -> tuple[dict[str, float], torch.Tensor]:
    """The noiseless prediction (label -> value) and the last hidden layer, from one pass of the network."""
    inputs, _, _ = predictor._prepare([spectrum], draws=0, seed=0)
    values, hidden = predictor._run_network(inputs[0])
    return dict(zip(predictor.model.columns, values[0].tolist())), hidden


def nearest_training(predictor: Predictor, spectrum: Spectrum, k: int = NEIGHBOURS, hidden=None) -> list[Neighbour]:
    """The ``k`` training spectra nearest in the network's last hidden layer, one entry per spectrum (the scorer
    keeps several simulated views of each); empty when the weights do not record them."""
    scorer = predictor.model.ood
    if scorer is None or not scorer.reference_names:
        return []
    if hidden is None:
        hidden = point_and_features(predictor, spectrum)[1]
    indices, distances = scorer.neighbours(hidden, k * 4)
    found: dict[str, Neighbour] = {}
    for index, distance in zip(indices[0].tolist(), distances[0].tolist()):
        name = scorer.reference_names[index]
        if name not in found:
            teff, logg, feh = (float(v) for v in scorer.reference_labels[index])
            found[name] = Neighbour(name, teff, logg, feh, float(distance))
    return list(found.values())[:k]


def expected_spectra(model, spectrum: Spectrum, point: dict[str, float], neighbours: list[Neighbour]) -> Expected | None:
    """The template at the predicted parameters and the nearest training spectra, over this star's grid flux;
    None for a model without shipped training spectra, or a spectrum not on the optical grid."""
    spectra = training_spectra(model.source)
    if spectra is None or spectrum.meta.domain != OPTICAL or model.domain != OPTICAL:
        return None
    observed, outside = on_grid(spectrum)
    observed = np.where(outside, np.nan, observed)  # the flat fill beyond the coverage is not flux to match
    return expected(spectra, observed, 10 ** point.get("logTeff", np.nan), point.get("logg", np.nan), point.get("FeH", np.nan),
                    point.get("rv", 0.0), [n.name for n in neighbours[:NEIGHBOURS_SHOWN]])


def explain(model, spectrum: Spectrum, labels=("logTeff", "logg", "FeH")) -> Explanation:
    predictor = Predictor(model)
    point, hidden = point_and_features(predictor, spectrum)
    neighbours = nearest_training(predictor, spectrum, hidden=hidden)
    return Explanation(saliency(predictor, spectrum, labels=labels), neighbours, expected_spectra(model, spectrum, point, neighbours))
