"""The product is the wheel: built from the sdist (as ``python -m build`` does), installed into a fresh
venv outside the checkout, and run from an empty folder, the way a user gets it."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from bossnet_gui.catalog.export import read_catalog
from bossnet_gui.model.weights import DEFAULT_MODEL

from .conftest import REPO

pytestmark = pytest.mark.slow

BUNDLED_IN_WHEEL = (
    f"bossnet_gui/weights/{DEFAULT_MODEL}.pt",
    f"bossnet_gui/weights/{DEFAULT_MODEL}.spectra.npz",
    "bossnet_gui/weights/README.md",
    "bossnet_gui/resources/training_coverage.npz",
    "bossnet_gui/resources/bossnet-gui.svg",
    "bossnet_gui/resources/bossnet-gui.desktop",
    "bossnet_gui/resources/demo/spec-0000-00000-0001.fits",
)
SCREENSHOTS = REPO / "test-output" / "screenshots"


def run(command: list, cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def user_environment(home: Path) -> dict:
    """A user's environment: no checkout on the path, a home and XDG folders of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BOSSNET_GUI_WEIGHTS", "VIRTUAL_ENV")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="offscreen")
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dist")
    sdist = run([sys.executable, "-c", f"from setuptools import build_meta; print(build_meta.build_sdist({str(out)!r}))"], cwd=REPO).stdout.split()[-1]
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, out / sdist], cwd=out)
    return {"sdist": out / sdist, "wheel": next(out.glob("*.whl"))}


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("user")
    venv, home, workdir = root / "venv", root / "home", root / "empty"
    home.mkdir()
    workdir.mkdir()
    run([sys.executable, "-m", "venv", venv], cwd=root)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", "-c", REPO / "constraints.txt", dist["wheel"]], cwd=workdir, timeout=1800)
    return {"venv": venv, "bin": venv / "bin", "env": user_environment(home), "cwd": workdir}


def test_sdist_and_wheel_carry_the_bundled_files(dist):
    with tarfile.open(dist["sdist"]) as sdist:
        members = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for path in ("weights/" + DEFAULT_MODEL + ".pt", "weights/README.md", "resources/demo/spec-0000-00000-0001.fits", "resources/training_coverage.npz"):
        assert path in members
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert set(BUNDLED_IN_WHEEL) <= names
    assert not any(name.startswith(("tests/", "weights/", "resources/")) for name in names)  # mapped into the package only
    scripts = configparser.ConfigParser()
    scripts.read_string(entry_points)
    assert scripts["gui_scripts"]["bossnet-gui"] == "bossnet_gui.__main__:main"
    assert scripts["console_scripts"]["bossnet-predict"] == "bossnet_gui.cli:main"


def test_installed_package_reads_its_files_from_the_venv(installed):
    code = "import bossnet_gui.bundled as b; print(b.WEIGHTS_DIR); print(b.DEMO_DIR)"
    weights, demo = run([installed["bin"] / "python", "-c", code], cwd=installed["cwd"], env=installed["env"]).stdout.split()
    for folder in (Path(weights), Path(demo)):
        assert folder.is_relative_to(installed["venv"]) and folder.is_dir()


def test_predict_on_the_bundled_demo_from_an_empty_folder(installed):
    demo = run([installed["bin"] / "python", "-c", "from bossnet_gui.bundled import DEMO_DIR; print(DEMO_DIR)"], cwd=installed["cwd"], env=installed["env"]).stdout.strip()
    n_files = len(list(Path(demo).glob("*.fits")))
    for command, out in ((["bossnet-gui", "predict"], "demo.ecsv"), (["bossnet-predict"], "demo.csv")):
        run([installed["bin"] / command[0], *command[1:], demo, "-o", out, "-u", "3"], cwd=installed["cwd"], env=installed["env"])
        frame, _ = read_catalog(installed["cwd"] / out)
        assert len(frame) == n_files > 0 and (frame["status"] == "ok").all()
        assert (frame["model"] == DEFAULT_MODEL).all() and frame["logTeff"].notna().all()


def test_app_opens_the_demo_with_the_model_and_fills_the_kiel_diagram(installed):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    picture = SCREENSHOTS / "installed_app.png"
    script = (REPO / "tests" / "smoke_installed_app.py").read_text()
    result = run([installed["bin"] / "python", "-c", script, picture], cwd=installed["cwd"], env=installed["env"], timeout=600)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0 and Path(seen["demo_dir"]).is_relative_to(installed["venv"])
    assert seen["model"] == DEFAULT_MODEL
    assert seen["rows"] == seen["demo_files"] > 0 and seen["states"] == ["predicted"]
    assert seen["kiel_points"] == seen["rows"] and seen["kiel_backdrop"]
    assert picture.stat().st_size > 10_000


def test_desktop_launcher_points_at_the_installed_program(installed):
    env = installed["env"]
    run([installed["bin"] / "bossnet-gui", "install-desktop"], cwd=installed["cwd"], env=env)
    launcher = Path(env["XDG_DATA_HOME"]) / "applications" / "bossnet-gui.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(launcher)
    assert entry["Desktop Entry"]["Exec"] == f"{installed['bin'] / 'bossnet-gui'} %F"
    run([installed["bin"] / "bossnet-gui", "uninstall-desktop"], cwd=installed["cwd"], env=env)
    assert not launcher.exists()
