"""Nothing a person did is lost when the app is killed: the real app in a subprocess makes each kind of
vetting edit (verdict, note, undo, redo), dies with ``os._exit``, and a new app shows the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.gui.conftest import lamost_files

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).with_name("session_app.py")


def run_app(mode: str, files: list[Path], home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "BOSSNET_GUI_WEIGHTS"}
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, str(SCRIPT), mode, *map(str, files)], capture_output=True, text=True, timeout=600, env=env, cwd=home)


def test_edits_survive_a_killed_app(tmp_path):
    files = lamost_files(4)
    killed = run_app("edit", files, tmp_path)
    assert killed.returncode == 9, killed.stderr[-3000:]
    before = json.loads(killed.stdout.strip().splitlines()[-1])
    names = [f.name for f in files]
    assert before == {
        names[0]: ["bad", ""],
        names[1]: ["", "broad Balmer lines, DA?"],
        names[2]: ["", ""],  # set, then undone
        names[3]: ["white dwarf", ""],  # set, undone, redone
    }
    again = run_app("show", files, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout.strip().splitlines()[-1]) == before
    assert (tmp_path / "data" / "bossnet-gui" / "session.sqlite").is_file()
