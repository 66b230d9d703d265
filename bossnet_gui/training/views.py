"""Simulated observations of labelled stars, turned into network inputs by the Predictor's own code.

A "view" is one simulated survey spectrum of one star under drawn ``Conditions``. Its network
input comes from ``Predictor._prepare`` (resampling onto the 3800-8900 Å grid, log scaling and
the coverage channel), exactly as at inference, so training never sees an input that a real
file would not produce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..model.network import BossNet
from ..model.predictor import Predictor
from ..model.weights import LoadedModel
from ..preprocess import GRID_SIZE
from ..spectrum import OPTICAL, Spectrum, SpectrumMeta
from .library import LABELS, STAR, WHITE_DWARF, LabelledStar
from .simulate import (
    BOSS,
    SURVEYS,
    Augmentation,
    Conditions,
    Template,
    balmer_dwarf,
    blackbody,
    blend,
    broaden_to_survey,
    lines_weakened,
    observe_spectrum,
    observe_template,
    velocity_broadened,
)

RV = LABELS.index("rv")
OUTLIER_SIGMA_KMS = (800.0, 4000.0)  # line broadening of the outlier examples (stars: ≲ 200 km/s)
OUTLIER_STRENGTH = (1.0, 4.0)  # their lines deepened: depth ** strength (equivalent widths grow)
OUTLIER_TEFF = (3000.0, 60000.0)  # featureless blackbody outlier examples
# the OOD probe's extra kinds (see ``unlike_stars``)
WHITE_DWARF_TEFF = (6000.0, 80000.0)
WHITE_DWARF_HALF_WIDTH = (8.0, 60.0)  # Å, Lorentzian Hα
WHITE_DWARF_DEPTH = (0.2, 0.8)
SUBDWARF_SIGMA_KMS = (150.0, 800.0)  # sdB lines: wider than any B star's, narrower than the outlier examples'
SUBDWARF_STRENGTH = (1.0, 2.5)
HOT = 4.2  # log10 Teff: training stars whose lines the subdwarf-like examples broaden
WARM = 3.85  # log10 Teff (7,000 K): training stars whose lines the featureless examples weaken
WEAKENED_STRENGTH = (0.0, 0.35)
BLEND_HOT, BLEND_COOL = 3.81, 3.65  # log10 Teff (6,500 K, 4,500 K): the two stars of a blended pair
BLEND_RATIO = (0.3, 3.0)  # the cool star's flux over the hot star's at 6,000-6,200 Å
WHITE_DWARF_LIKE, SUBDWARF_LIKE, VERY_BROAD, PLANCK, FEATURELESS, BLEND = range(6)  # the unlike kinds


@dataclass(frozen=True)
class LabelScaling:
    """Label normalisation: network output = (label - mean) / std, per column."""

    mean: np.ndarray  # (4,)
    std: np.ndarray  # (4,)

    @classmethod
    def from_labels(cls, labels: np.ndarray, rv_std: float) -> "LabelScaling":
        mean, std = np.nanmean(labels, axis=0), np.nanstd(labels, axis=0)
        mean[RV], std[RV] = 0.0, rv_std  # RV labels are the injected shifts, centred on 0
        return cls(mean, np.where(std > 0, std, 1.0))

    def normalise(self, labels: np.ndarray) -> np.ndarray:
        return (labels - self.mean) / self.std

    def as_stats(self) -> dict[str, tuple[float, float]]:
        return {name: (float(m), float(s)) for name, m, s in zip(LABELS, self.mean, self.std)}


@dataclass
class Batch:
    inputs: torch.Tensor  # (B, C, 3900)
    labels: np.ndarray  # (B, 4) physical, NaN = unknown
    conditions: list[Conditions]
    spectra: list[Spectrum]


class ViewMaker:
    """Simulates views of stars and prepares them as the Predictor would."""

    def __init__(self, stars: list[LabelledStar], args_network: BossNet, augmentation: Augmentation = Augmentation()):
        self.stars = stars
        self.augmentation = augmentation
        self.trains_white_dwarfs = any(s.kind == WHITE_DWARF and s.trains for s in stars)
        self.templates: list[Template | None] = [
            None if s.observed is not None else broaden_to_survey(s.wavelength, s.flux, s.fwhm) for s in stars
        ]
        # only the pre-processing of this Predictor is used; its network is never run here
        model = LoadedModel("training", args_network, LABELS, {c: (0.0, 1.0) for c in LABELS}, OPTICAL, GRID_SIZE, "", "")
        self.predictor = Predictor(model)

    def conditions(self, index: int, rng: np.random.Generator, augmentation: Augmentation | None = None, **fixed) -> Conditions:
        """Draw conditions; a survey spectrum keeps its own survey (its instrument, when the simulator knows it) and noise."""
        observed = self.stars[index].observed
        if observed is not None:
            fixed.setdefault("survey", observed.meta.instrument if observed.meta.instrument in SURVEYS else BOSS.name)
        return (augmentation or self.augmentation).draw(rng, **fixed)

    def view(self, index: int, conditions: Conditions, rng: np.random.Generator, tag: str) -> Spectrum:
        star = self.stars[index]
        meta = SpectrumMeta(
            source=f"simulated/{star.spectrum_id.replace(' ', '_')}/{tag}",
            object_id=star.spectrum_id,
            instrument=conditions.survey,
            survey="simulated",
            file_format="simulation",
        )
        template = self.templates[index]
        if template is not None:
            return observe_template(template, conditions, rng, meta)
        return observe_spectrum(star.observed, conditions, rng, meta)

    def labels(self, index: int, conditions: Conditions) -> np.ndarray:
        labels = self.stars[index].labels.copy()
        labels[RV] = labels[RV] + conditions.rv
        return labels

    def inputs(self, spectra: list[Spectrum]) -> torch.Tensor:
        point, _, _ = self.predictor._prepare(spectra, draws=0, seed=0)
        return point[0]

    def batch(self, indices, rng: np.random.Generator, tag: str = "train", augmentation: Augmentation | None = None, **fixed) -> Batch:
        conditions = [self.conditions(i, rng, augmentation, **fixed) for i in indices]
        spectra = [self.view(i, c, rng, f"{tag}{n}") for n, (i, c) in enumerate(zip(indices, conditions))]
        labels = np.array([self.labels(i, c) for i, c in zip(indices, conditions)])
        return Batch(self.inputs(spectra), labels, conditions, spectra)

    def unlike_stars(self, indices, rng: np.random.Generator, augmentation: Augmentation | None = None, sources=None,
                     kinds: tuple[int, ...] | None = None) -> list[Spectrum]:
        """One simulated spectrum per index of kinds absent from training, in equal shares (``kinds``, default
        ``unlike_kinds``): white-dwarf-like (``balmer_dwarf``; left out when model white dwarfs are trained on),
        hot-subdwarf-like (a hot training star's lines broadened 150-800 km/s and deepened), featureless (a training
        star above 7,000 K with its lines all but removed, telluric bands kept: DB/DC-like), lines broadened
        800-4000 km/s, featureless Planck continua, and (``BLEND``) an ordinary star above 6,500 K and one below
        4,500 K in one fibre (``blend``).
        ``indices`` are training stars; their templates seed the other kinds, the hot and warm stars behind the
        subdwarf-like and featureless kinds come from ``sources`` (default: ``indices``). Training shows them to
        the network (outlier exposure) with a batch's few indices as sources, as the bundled weights were trained;
        the OOD probe is fitted on them with all training stars as sources, so that every subdwarf-like and
        featureless example is seeded by a hot or warm star (ten indices often hold none)."""
        sources = indices if sources is None else sources
        hot, warm = (
            [i for i in sources if self.templates[i] is not None and self.stars[i].kind == STAR
             and self.stars[i].labels[LABELS.index("logTeff")] > limit]
            for limit in (HOT, WARM)
        )
        kinds = kinds or self.unlike_kinds
        cool = [i for i in sources if self.templates[i] is not None and self.stars[i].kind == STAR
                and self.stars[i].labels[LABELS.index("logTeff")] < BLEND_COOL]
        blend_hot = [i for i in sources if self.templates[i] is not None and self.stars[i].kind == STAR
                     and self.stars[i].labels[LABELS.index("logTeff")] > BLEND_HOT]
        spectra = []
        for n, index in enumerate(indices):
            template = self.templates[index] or self._any_template()
            kind = kinds[n % len(kinds)]
            if kind == WHITE_DWARF_LIKE:
                template = balmer_dwarf(
                    float(np.exp(rng.uniform(*np.log(WHITE_DWARF_TEFF)))),
                    float(rng.uniform(*WHITE_DWARF_HALF_WIDTH)), float(rng.uniform(*WHITE_DWARF_DEPTH)), template,
                )
            elif kind == SUBDWARF_LIKE:
                template = velocity_broadened(self._one_of(hot, rng, template), float(rng.uniform(*SUBDWARF_SIGMA_KMS)), float(rng.uniform(*SUBDWARF_STRENGTH)))
            elif kind == VERY_BROAD:
                template = velocity_broadened(template, float(rng.uniform(*OUTLIER_SIGMA_KMS)), float(rng.uniform(*OUTLIER_STRENGTH)))
            elif kind == PLANCK:
                template = blackbody(float(np.exp(rng.uniform(*np.log(OUTLIER_TEFF)))), template)
            elif kind == FEATURELESS:
                template = lines_weakened(self._one_of(warm, rng, template), float(rng.uniform(*WEAKENED_STRENGTH)))
            else:
                template = blend(self._one_of(blend_hot, rng, template), self._one_of(cool, rng, template), float(np.exp(rng.uniform(*np.log(BLEND_RATIO)))))
            spectra.append(self._observe_outlier(template, rng, augmentation, f"unlike/{n}"))
        return spectra

    @property
    def unlike_kinds(self) -> tuple[int, ...]:
        """The kinds ``unlike_stars`` makes; no white-dwarf-like ones when real white-dwarf models are trained on."""
        ordinary = (SUBDWARF_LIKE, VERY_BROAD, PLANCK, FEATURELESS)
        return ordinary if self.trains_white_dwarfs else (WHITE_DWARF_LIKE, *ordinary)

    def _one_of(self, indices: list[int], rng: np.random.Generator, fallback: Template) -> Template:
        """The template of a star drawn from ``indices``, or ``fallback`` when there are none."""
        return self.templates[int(rng.choice(indices))] if indices else fallback

    def _any_template(self) -> Template:
        return next(t for t in self.templates if t is not None)

    def _observe_outlier(self, template: Template, rng: np.random.Generator, augmentation: Augmentation | None, tag: str) -> Spectrum:
        conditions = (augmentation or self.augmentation).draw(rng)
        meta = SpectrumMeta(source=f"simulated/{tag}", survey="simulated", file_format="simulation")
        return observe_template(template, conditions, rng, meta)
