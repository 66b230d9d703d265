"""How far a spectrum is from anything the network was trained on.

The network's last hidden layer is a learned summary of a spectrum. We keep a small sample of
training spectra's summaries (projected on their leading principal components); the score of a
new spectrum is its mean distance to its k nearest training neighbours, in units of the same
quantity measured on held-out validation spectra (so ~1 means "as typical as a validation star").
Object types absent from training (white dwarfs, brown dwarfs, hot subdwarfs) should land far away.

Some do not: a hot white dwarf or subdwarf can sit among the hot stars it resembles. So the scorer
may also carry an ``OutlierProbe``, a linear read-out of the same layer trained to tell training
stars from simulated spectra of those kinds; its logit is put on the distance's scale (validation
median -> 1, its own validation quantile -> the distance threshold) and the score is the larger
of the two. Each part flags ~1% of validation spectra, so together at most ~2%. A second probe of the
same kind may read out blended pairs of unlike stars (a white dwarf and an M dwarf in one fibre);
with it, at most ~3%.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

NEIGHBOUR_LABELS = ("Teff", "logg", "FeH")  # what ``reference_labels`` holds per training view


@dataclass(frozen=True)
class OutlierProbe:
    weight: torch.Tensor  # (F,) on the raw hidden features
    bias: float
    typical: float  # median logit of validation spectra
    limit: float  # logit at the validation quantile that flags

    def logit(self, features: torch.Tensor) -> torch.Tensor:
        return features.float() @ self.weight + self.bias

    def on_scale(self, features: torch.Tensor, threshold: float) -> torch.Tensor:
        """The logit mapped linearly so that ``typical`` -> 1 and ``limit`` -> ``threshold``."""
        slope = (threshold - 1.0) / max(self.limit - self.typical, 1e-6)
        return 1.0 + (self.logit(features) - self.typical) * slope

    def to_dict(self) -> dict:
        return {"weight": self.weight, "bias": self.bias, "typical": self.typical, "limit": self.limit}

    @classmethod
    def from_dict(cls, data: dict) -> "OutlierProbe":
        return cls(data["weight"], float(data["bias"]), float(data["typical"]), float(data["limit"]))


@dataclass(frozen=True)
class FeatureDistance:
    mean: torch.Tensor  # (F,) feature mean of the training sample
    components: torch.Tensor  # (F, K) principal axes, whitened
    reference: torch.Tensor  # (N, K) projected training features
    k: int  # neighbours averaged
    scale: float  # median score of validation spectra (raw units)
    threshold: float  # flag above this (in scaled units), set on validation data
    probe: OutlierProbe | None = None
    blend_probe: OutlierProbe | None = None  # a second read-out, for blended pairs of unlike stars (unresolved binaries)
    reference_names: tuple[str, ...] = ()  # the training spectrum behind each reference row, when recorded
    reference_labels: torch.Tensor | None = None  # (N, 3) its NEIGHBOUR_LABELS (NaN: unknown)

    @classmethod
    def fit(cls, train_features: torch.Tensor, n_components: int = 16, k: int = 5) -> "FeatureDistance":
        """Fit on training features; ``calibrate`` on validation features before use."""
        features = train_features.double()
        mean = features.mean(0)
        centred = features - mean
        _, singular, v = torch.linalg.svd(centred, full_matrices=False)
        n_components = min(n_components, v.shape[0])
        spread = singular[:n_components] / max(len(features) - 1, 1) ** 0.5
        components = v[:n_components].T / spread.clamp(min=1e-12)
        reference = centred @ components
        return cls(mean.float(), components.float(), reference.float(), k, 1.0, float("inf"))

    def neighbours(self, features: torch.Tensor, k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
        """Indices of the ``k`` nearest reference rows of each spectrum and their distances (scaled: 1 = a typical
        validation star's mean neighbour distance)."""
        distances = torch.cdist((features.float() - self.mean) @ self.components, self.reference)
        nearest = distances.topk(min(k, self.reference.shape[0]), dim=1, largest=False)
        return nearest.indices, nearest.values / self.scale

    def raw_score(self, features: torch.Tensor, exclude_self: bool = False) -> torch.Tensor:
        projected = (features.float() - self.mean) @ self.components
        distances = torch.cdist(projected, self.reference)
        k = min(self.k + int(exclude_self), self.reference.shape[0])
        nearest = distances.topk(k, dim=1, largest=False).values
        if exclude_self:
            nearest = nearest[:, 1:]
        return nearest.mean(1)

    def calibrate(self, validation_features: torch.Tensor, quantile: float = 0.99) -> "FeatureDistance":
        """Scale so the median validation spectrum scores 1; flag above the validation ``quantile``."""
        raw = self.raw_score(validation_features)
        scale = float(raw.median())
        threshold = float(torch.quantile(raw / scale, quantile))
        return replace(self, scale=scale, threshold=threshold)

    def with_probe(self, probe: OutlierProbe) -> "FeatureDistance":
        return replace(self, probe=probe)

    def score(self, features: torch.Tensor) -> torch.Tensor:
        score = self.raw_score(features) / self.scale
        for probe in (self.probe, self.blend_probe):
            if probe is not None:
                score = torch.maximum(score, probe.on_scale(features, self.threshold))
        return score

    def to_dict(self) -> dict:
        probe = {"probe": self.probe.to_dict()} if self.probe is not None else {}
        if self.blend_probe is not None:
            probe["blend_probe"] = self.blend_probe.to_dict()
        return {
            "kind": "feature-knn/2" if self.probe is not None else "feature-knn/1",
            "mean": self.mean,
            "components": self.components,
            "reference": self.reference,
            "k": self.k,
            "scale": self.scale,
            "threshold": self.threshold,
            **probe,
            **({"reference_names": list(self.reference_names), "reference_labels": self.reference_labels} if self.reference_names else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureDistance":
        if data.get("kind") not in ("feature-knn/1", "feature-knn/2"):
            raise ValueError(f"unknown out-of-distribution model kind {data.get('kind')!r}")
        probe, blend_probe = (OutlierProbe.from_dict(data[key]) if key in data else None for key in ("probe", "blend_probe"))
        names = tuple(data.get("reference_names", ()))
        return cls(data["mean"], data["components"], data["reference"], int(data["k"]), float(data["scale"]), float(data["threshold"]), probe,
                   blend_probe, names, data.get("reference_labels") if names else None)
