"""The model report's plots (matplotlib): the picture holds the panels, the backdrop and the points where they belong."""

from __future__ import annotations

import numpy as np
import pytest

from bossnet_gui.kiel import load_training_coverage
from bossnet_gui.training.plots import DPI, PANEL_INCHES, Panel, Series, save_png
from tests.conftest import REPO

pytest.importorskip("matplotlib")

RED, BLUE = (200, 40, 40), (40, 80, 200)


def test_report_panels_draw_backdrop_points_and_diagonal(tmp_path):
    rng = np.random.default_rng(0)
    teff, logg = rng.uniform(3.6, 3.9, 300), rng.uniform(3.5, 5.0, 300)
    backdrop = load_training_coverage()
    assert backdrop is not None
    path = save_png(REPO / "test-output" / "report_plots.png", [
        Panel("labels on the training coverage", "log10 Teff", "log g", (4.6, 3.4), (6.0, -0.5), [Series(teff, logg, RED, "test label")], background=backdrop),
        Panel("one to one", "label", "prediction", (3.4, 4.6), (3.4, 4.6), [Series(teff, teff + 0.01, BLUE, "", 2.0)], diagonal=True),
    ])
    from matplotlib.image import imread

    image = imread(path)[..., :3]
    height, width = image.shape[:2]
    assert (width, height) == (int(2 * PANEL_INCHES * DPI), int(PANEL_INCHES * DPI))
    red = (image[..., 0] > 0.6) & (image[..., 1] < 0.45) & (image[..., 2] < 0.45)
    blue = (image[..., 2] > 0.6) & (image[..., 0] < 0.45)
    grey = (np.ptp(image, axis=2) < 0.03) & (image[..., 0] > 0.3) & (image[..., 0] < 0.9)
    assert red[:, : width // 2].sum() > 500 and red[:, width // 2 :].sum() == 0  # the labels, in the left panel only
    assert blue[:, width // 2 :].sum() > 300 and blue[:, : width // 2].sum() == 0
    assert grey[:, : width // 2].sum() > 5_000  # the training coverage behind them
    rows, cols = np.nonzero(red)
    assert cols.mean() > width * 0.2  # log Teff decreases to the right: cool stars sit right of the middle
