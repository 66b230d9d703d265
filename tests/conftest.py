"""Shared test fixtures: where ``../shared`` is, and skipping cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"
DATA = SHARED / "data"


def require(path: Path) -> Path:
    """The path, or skip the test when ../shared (or this part of it) is not beside the clone."""
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is not beside this clone)")
    return path


@pytest.fixture
def reference() -> Path:
    return require(REFERENCE)


@pytest.fixture
def data_dir() -> Path:
    return require(DATA)


@pytest.fixture(scope="module")
def bundled():
    """The shipped model, whatever BOSSNET_GUI_WEIGHTS says."""
    from bossnet_gui.model import resolve_model
    from bossnet_gui.model.weights import WEIGHTS_ENV

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(WEIGHTS_ENV, raising=False)
        return resolve_model()
