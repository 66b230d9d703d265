"""The BOSS Net network, its weight loaders and the batched Predictor."""

from .network import BossNet, ModelArgs
from .predictor import BatchResult, Predictor
from .weights import LoadedModel, available_models, load_bundled, load_published, resolve_model, save_bundled

__all__ = [
    "BatchResult",
    "BossNet",
    "LoadedModel",
    "ModelArgs",
    "Predictor",
    "available_models",
    "load_bundled",
    "load_published",
    "resolve_model",
    "save_bundled",
]
