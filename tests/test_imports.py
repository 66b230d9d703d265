"""The torch-free core: reading, pre-processing, catalogs, the window's modules and every ``--help`` load
without torch (seconds to import), so the app and the command line answer at once. Each check runs in a
fresh interpreter, since this one has torch loaded already."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

TORCH_FREE = [
    "bossnet_gui.io",
    "bossnet_gui.preprocess",
    "bossnet_gui.results",
    "bossnet_gui.catalog",
    "bossnet_gui.catalog.export",
    "bossnet_gui.catalog.session",
    "bossnet_gui.kiel",
    "bossnet_gui.engine",
    "bossnet_gui.cli",
    "bossnet_gui.gui.app",
    "bossnet_gui.gui.main_window",
    "bossnet_gui.gui.panels",
]

REPORT_FIRST_TORCH_IMPORTER = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if "torch" in sys.modules:
        print(name)
        break
"""


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess]:
    """Run ``python -X importtime ARGS``; the names of the modules it imported, and the run."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=120, cwd=REPO)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return names, done


def test_core_modules_import_without_torch():
    done = subprocess.run([sys.executable, "-c", REPORT_FIRST_TORCH_IMPORTER, *TORCH_FREE], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"importing {done.stdout.strip()} loads torch"


@pytest.mark.parametrize(
    "args, entry",
    [(["predict", "--help"], "bossnet_gui.cli"), (["predict", "--version"], "bossnet_gui.cli"), (["--help"], "bossnet_gui.gui.app")],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_help_and_version_do_not_import_torch(args, entry):
    names, done = imported_modules("-m", "bossnet_gui", *args)
    assert done.returncode == 0 and "bossnet-gui" in done.stdout, done.stderr[-2000:]
    assert entry in names  # the command went through the code it means to judge
    assert "torch" not in names


@pytest.mark.parametrize("args", [["predict", "--help"], ["install-desktop", "--help"]], ids=" ".join)
def test_command_help_imports_no_data_libraries(args):
    """--help of the headless commands answers from the standard library alone (a few tens of ms)."""
    names, done = imported_modules("-m", "bossnet_gui", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not {"torch", "pandas", "astropy", "numpy"} & names


def test_the_window_frame_imports_only_qt():
    """What the app shows first needs Qt alone; the panels' libraries load in a thread after it is shown."""
    names, done = imported_modules("-c", "import bossnet_gui.gui.app, bossnet_gui.gui.main_window")
    assert done.returncode == 0, done.stderr[-2000:]
    assert not {"torch", "pandas", "astropy", "pyqtgraph", "superqt"} & names


def test_the_model_still_loads_torch_when_imported():
    names, done = imported_modules("-c", "import bossnet_gui.model")
    assert done.returncode == 0 and "torch" in names
