"""Loading weights: a published model directory, or our own single-file bundled format.

Published: ``model_args.yaml`` + ``model_chunk_0`` ... ``model_chunk_9``, consecutive byte ranges
of one ``torch.save``d state dict, plus a stats YAML (``MEAN``/``STD`` per label).

Bundled (``weights/*.pt``): ``torch.save({"format": FORMAT, "metadata": {...}, "state_dict": ...})``
where metadata holds the architecture args, output columns, label normalisation, domain, training
provenance, held-out metrics and the state dict's SHA-256, checked on load.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import torch
import yaml

from ..bundled import WEIGHTS_DIR
from ..errors import ModelLoadError
from . import published
from .network import BossNet, ModelArgs
from .ood import FeatureDistance

FORMAT = "bossnet-gui-weights/1"
WEIGHTS_ENV = "BOSSNET_GUI_WEIGHTS"
DEFAULT_MODEL = "bossnet-gui-boss-small"
PUBLISHED_HINT = (
    "point it at a published BOSS Net model directory (model_args.yaml + model_chunk_0..9, "
    "e.g. bossnet/model_boss from the BOSS Net release) with --model DIR, or in the app: Model > Load published model"
)


@dataclass(frozen=True)
class LoadedModel:
    """A network ready for inference and everything needed to read its outputs."""

    name: str
    network: BossNet
    columns: tuple[str, ...]  # output order of the network
    stats: Mapping[str, tuple[float, float]]  # label -> (mean, std)
    domain: str  # spectrum domain it accepts (spectrum.OPTICAL or spectrum.APOGEE)
    input_length: int
    content_hash: str
    source: str  # where it was loaded from
    metadata: Mapping[str, Any] = field(default_factory=dict)
    ood: FeatureDistance | None = None  # distance-from-training scorer, when the weights carry one

    def unnormalise(self, raw: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor([self.stats[c][0] for c in self.columns], dtype=raw.dtype)
        std = torch.tensor([self.stats[c][1] for c in self.columns], dtype=raw.dtype)
        return raw * std + mean


def weights_dir() -> Path:
    """Where bundled models live: $BOSSNET_GUI_WEIGHTS, else the weights installed with the package."""
    env = os.environ.get(WEIGHTS_ENV)
    return Path(env) if env else WEIGHTS_DIR


def available_models() -> list[str]:
    folder = weights_dir()
    return sorted(p.stem for p in folder.glob("*.pt")) if folder.is_dir() else []


def state_dict_hash(state_dict: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes, in key order."""
    digest = hashlib.sha256()
    for key, tensor in state_dict.items():
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.numpy().tobytes() if tensor.dtype != torch.bfloat16 else tensor.view(torch.int16).numpy().tobytes())
    return digest.hexdigest()


def check_state_dict(network: BossNet, state_dict: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise ``ModelLoadError`` naming missing, unexpected and wrongly shaped entries."""
    expected = network.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [
        f"{k} {tuple(state_dict[k].shape)} != expected {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    problems = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
        if items:
            shown = "; ".join(items[:5]) + (f"; and {len(items) - 5} more" if len(items) > 5 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise ModelLoadError(f"{source}: checkpoint does not fit the model_args ({' | '.join(problems)})")


def _build(args: ModelArgs, state_dict: Mapping[str, torch.Tensor], source: str) -> BossNet:
    network = BossNet(args)
    check_state_dict(network, state_dict, source)
    network.load_state_dict(state_dict)
    return network.eval()


def _read_yaml(path: Path) -> dict:
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ModelLoadError(f"{path}: cannot read ({exc})") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a mapping of keys to values")
    return data


def load_stats(path: str | Path, columns: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Label normalisation from a release-style stats YAML (``label: {MEAN: .., STD: ..}``)."""
    data = _read_yaml(Path(path))
    stats = {}
    for column in columns:
        entry = data.get(column)
        if not isinstance(entry, dict) or "MEAN" not in entry or "STD" not in entry:
            raise ModelLoadError(f"{path}: no MEAN/STD for '{column}' (the model outputs {', '.join(columns)})")
        stats[column] = (float(entry["MEAN"]), float(entry["STD"]))
    return stats


def _chunk_paths(model_dir: Path) -> list[Path]:
    chunks = sorted(
        (p for p in model_dir.iterdir() if re.fullmatch(r"model_chunk_\d+", p.name)),
        key=lambda p: int(p.name.rsplit("_", 1)[1]),
    )
    numbers = [int(p.name.rsplit("_", 1)[1]) for p in chunks]
    if not chunks or numbers != list(range(len(chunks))):
        raise ModelLoadError(f"{model_dir}: expected model_chunk_0 ... model_chunk_N, found {numbers or 'none'}")
    return chunks


def load_published(model_dir: str | Path, stats_path: str | Path | None = None) -> LoadedModel:
    """A model directory of the BOSS Net release, with its stats (default: the release's constants)."""
    model_dir = Path(model_dir)
    args_path = model_dir / "model_args.yaml"
    if not args_path.is_file():
        raise ModelLoadError(f"{model_dir}: no model_args.yaml; {PUBLISHED_HINT}")
    try:
        args = ModelArgs.from_dict(_read_yaml(args_path))
        domain, columns, default_stats, length = published.family_for_outputs(args.num_targets)
    except ValueError as exc:
        raise ModelLoadError(f"{args_path}: {exc}") from None
    blob = b"".join(p.read_bytes() for p in _chunk_paths(model_dir))
    try:
        state_dict = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelLoadError(f"{model_dir}: the model chunks do not form a torch checkpoint ({exc})") from None
    stats = load_stats(stats_path, columns) if stats_path else dict(default_stats)
    return LoadedModel(
        name=model_dir.name,
        network=_build(args, state_dict, str(model_dir)),
        columns=columns,
        stats=stats,
        domain=domain,
        input_length=length,
        content_hash=state_dict_hash(state_dict),
        source=str(model_dir),
        metadata={"format": "published BOSS Net release", "stats": str(stats_path or "release constants")},
    )


def save_bundled(
    path: str | Path,
    network: BossNet,
    columns,
    stats,
    domain: str,
    input_length: int,
    metadata: dict,
    ood: FeatureDistance | None = None,
) -> str:
    """Write a model in our single-file format; returns its content hash."""
    state_dict = {k: v.detach().cpu() for k, v in network.state_dict().items()}
    content_hash = state_dict_hash(state_dict)
    meta = {
        **metadata,
        "model_args": network.args.to_dict(),
        "columns": list(columns),
        "stats": {c: {"MEAN": float(stats[c][0]), "STD": float(stats[c][1])} for c in columns},
        "domain": domain,
        "input_length": int(input_length),
        "sha256": content_hash,
    }
    payload = {"format": FORMAT, "metadata": meta, "state_dict": state_dict}
    if ood is not None:
        payload["ood"] = ood.to_dict()
    torch.save(payload, Path(path))
    return content_hash


def update_bundled(path: str | Path, metadata: dict, ood: FeatureDistance | None) -> None:
    """Update the metadata and replace the scorer of a bundled file; the network's bytes stay as they are."""
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    payload["metadata"] = {**payload["metadata"], **metadata, "sha256": payload["metadata"]["sha256"]}
    payload.pop("ood", None)
    if ood is not None:
        payload["ood"] = ood.to_dict()
    torch.save(payload, Path(path))


def load_bundled(path: str | Path) -> LoadedModel:
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelLoadError(f"{path}: not a readable weights file ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelLoadError(f"{path}: not a {FORMAT} file; for published weights, {PUBLISHED_HINT}")
    meta, state_dict = payload["metadata"], payload["state_dict"]
    content_hash = state_dict_hash(state_dict)
    if meta.get("sha256") and meta["sha256"] != content_hash:
        raise ModelLoadError(f"{path}: weights do not match their recorded SHA-256 (file corrupted or edited)")
    columns = tuple(meta["columns"])
    return LoadedModel(
        name=path.stem,
        network=_build(ModelArgs.from_dict(meta["model_args"]), state_dict, str(path)),
        columns=columns,
        stats={c: (meta["stats"][c]["MEAN"], meta["stats"][c]["STD"]) for c in columns},
        domain=meta["domain"],
        input_length=int(meta["input_length"]),
        content_hash=content_hash,
        source=str(path),
        metadata=meta,
        ood=FeatureDistance.from_dict(payload["ood"]) if "ood" in payload else None,
    )


def resolve_model(spec: str | os.PathLike | None = None, stats_path: str | Path | None = None) -> LoadedModel:
    """A bundled model by name (default: the shipped one), a bundled ``.pt`` file, or a published directory."""
    if spec is not None and Path(spec).is_dir():
        return load_published(spec, stats_path)
    if spec is not None and Path(spec).is_file():
        return load_bundled(spec)
    names = available_models()
    name = str(spec) if spec is not None else (DEFAULT_MODEL if DEFAULT_MODEL in names else (names[0] if names else None))
    if name is None:
        raise ModelLoadError(f"no bundled weights in {weights_dir()}; {PUBLISHED_HINT}")
    if name not in names:
        known = ", ".join(names) or "none"
        raise ModelLoadError(f"unknown model '{name}' (bundled: {known}); {PUBLISHED_HINT}")
    return load_bundled(weights_dir() / f"{name}.pt")
