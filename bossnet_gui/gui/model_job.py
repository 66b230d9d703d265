"""Loading a model off the GUI thread: the first load imports torch (seconds)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import LoadedModel


def load_model(spec: str | None = None) -> LoadedModel:
    """The bundled default model (``spec`` None or a bundled name) or a published model directory.

    The first call imports torch (seconds): the app calls it off the GUI thread.
    """
    from ..model import resolve_model

    spare_a_core_for_the_gui()
    return resolve_model(spec or None)


def spare_a_core_for_the_gui() -> int:
    """torch uses one core fewer than the machine has, so the GUI thread keeps a core; returns the previous count."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    return previous
