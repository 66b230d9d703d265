"""Why the network said what it said about one star: which wavelengths drove it (``saliency``) and which
training spectra it resembles most in the network's own feature space (the distance scorer's reference
views, when the weights record whose they are)."""

from __future__ import annotations

from dataclasses import dataclass

from ..spectrum import Spectrum
from .predictor import Predictor
from .saliency import Saliency, saliency

NEIGHBOURS = 5


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


def nearest_training(predictor: Predictor, spectrum: Spectrum, k: int = NEIGHBOURS) -> list[Neighbour]:
    """The ``k`` training spectra nearest in the network's last hidden layer, one entry per spectrum (the scorer
    keeps several simulated views of each); empty when the weights do not record them."""
    scorer = predictor.model.ood
    if scorer is None or not scorer.reference_names:
        return []
    inputs, _, _ = predictor._prepare([spectrum], draws=0, seed=0)
    _, hidden = predictor._run_network(inputs[0])
    indices, distances = scorer.neighbours(hidden, k * 4)
    found: dict[str, Neighbour] = {}
    for index, distance in zip(indices[0].tolist(), distances[0].tolist()):
        name = scorer.reference_names[index]
        if name not in found:
            teff, logg, feh = (float(v) for v in scorer.reference_labels[index])
            found[name] = Neighbour(name, teff, logg, feh, float(distance))
    return list(found.values())[:k]


def explain(model, spectrum: Spectrum, labels=("logTeff", "logg", "FeH")) -> Explanation:
    predictor = Predictor(model)
    return Explanation(saliency(predictor, spectrum, labels=labels), nearest_training(predictor, spectrum))
