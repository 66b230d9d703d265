"""Instant start: the window is up and answering before torch (and pandas, astropy) are imported; the
panels are built once their modules are imported in a thread; the model loads in a worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bossnet_gui.gui.main_window import DEMO_DIR, LOADING_MODEL, STARTING
from bossnet_gui.model.weights import DEFAULT_MODEL, WEIGHTS_ENV
from tests.conftest import REPO

SCRIPT = Path(__file__).with_name("startup_app.py")


def test_window_shows_before_torch_and_predicts_the_demo_once_the_model_loads(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != WEIGHTS_ENV}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["torch_at_show"] is False and seen["pandas_at_show"] is False
    assert seen["built_at_show"] is False and seen["status_at_show"] == STARTING
    assert seen["turns_before_built"] > 0  # the window answered while its panels were imported
    assert seen["status_after_build"] == LOADING_MODEL and seen["model_label_after_build"] == "Model: loading…"
    assert seen["model_loaded_after_build"] is False  # the event loop turned while the model was loading
    assert not seen["timed_out"] and seen["model"] == DEFAULT_MODEL and seen["torch_at_end"]
    assert seen["rows"] == len(list(DEMO_DIR.glob("*.fits"))) and seen["states"] == ["predicted"]
    assert seen["status_at_end"] != LOADING_MODEL
