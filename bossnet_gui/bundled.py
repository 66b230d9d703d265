"""Files that ship with the package: the bundled weights and the app's resources.

The repository keeps them in its top-level ``weights/`` and ``resources/`` folders; the build maps
those folders into the package as ``bossnet_gui.weights`` and ``bossnet_gui.resources``
(``pyproject.toml``), so an installed wheel, an sdist install and an editable checkout all find
them here through ``importlib.resources``, whatever the working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    # pip installs wheels unpacked, so the package's files are plain files on disk
    return Path(str(files(package)))


WEIGHTS_DIR = _folder("bossnet_gui.weights")
RESOURCES_DIR = _folder("bossnet_gui.resources")

DEMO_DIR = RESOURCES_DIR / "demo"  # the first-launch demo spectra
TRAINING_COVERAGE = RESOURCES_DIR / "training_coverage.npz"  # the bundled model's training labels, written by training
ICON = RESOURCES_DIR / "bossnet-gui.svg"
DESKTOP_TEMPLATE = RESOURCES_DIR / "bossnet-gui.desktop"
