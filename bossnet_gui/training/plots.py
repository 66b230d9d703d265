"""PNG scatter plots for the model report, drawn with matplotlib (the ``train`` extra).

``Panel`` describes one set of axes; ``save_png`` lays panels out in a row and writes the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..kiel import Coverage

PANEL_INCHES = 4.2
DPI = 100


@dataclass
class Series:
    x: np.ndarray
    y: np.ndarray
    colour: tuple[int, int, int]
    label: str
    size: float = 3.0  # marker radius in pixels


@dataclass
class Panel:
    title: str
    x_label: str
    y_label: str
    x_range: tuple[float, float]  # (left, right): give (high, low) to invert
    y_range: tuple[float, float]  # (bottom, top): give (high, low) to invert
    series: list[Series] = field(default_factory=list)
    diagonal: bool = False  # draw y = x
    background: Coverage | None = None  # training-label histogram drawn behind the points


def save_png(path: str | Path, panels: list[Panel]) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no Qt
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(panels), figsize=(PANEL_INCHES * len(panels), PANEL_INCHES), dpi=DPI, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        _draw(ax, panel)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path


def _draw(ax, panel: Panel) -> None:
    if panel.background is not None:
        b = panel.background
        shown = np.where(b.counts > 0, np.log1p(b.counts), np.nan).T
        peak = np.nanmax(shown)  # light greys, so that the points stand out against the densest cells
        ax.pcolormesh(b.logteff_edges, b.logg_edges, shown, cmap="Greys", vmin=-0.8 * peak, vmax=1.6 * peak, shading="flat", rasterized=True)
    if panel.diagonal:
        low, high = max(min(panel.x_range), min(panel.y_range)), min(max(panel.x_range), max(panel.y_range))
        ax.plot([low, high], [low, high], ls="--", lw=1, color="0.45")
    for s in panel.series:
        ax.scatter(s.x, s.y, s=(2 * s.size * 72 / DPI) ** 2, color=np.array(s.colour) / 255, alpha=0.67, linewidths=0, label=s.label or None)
    ax.set(xlim=panel.x_range, ylim=panel.y_range, xlabel=panel.x_label, ylabel=panel.y_label, title=panel.title)
    if any(s.label for s in panel.series):
        ax.legend(loc="upper left", frameon=False, markerscale=2)
