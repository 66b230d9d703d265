"""ProgressPanel: count, rate and time left of the running prediction, with a Cancel button."""

from __future__ import annotations

import math

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .prediction_runner import Progress

REFRESH_MS = 250


def duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "estimating…"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class ProgressPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bar = QProgressBar(minimumWidth=180, format="%v / %m")
        self.rate = QLabel()
        self.cancel = QPushButton("Cancel", toolTip="Stop after the current batch")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.bar, self.rate, self.cancel):
            layout.addWidget(widget)
        self._latest = Progress(0, 0, 0.0, math.nan, False)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self._show_latest)
        self._show(self._latest)

    def set_progress(self, progress: Progress) -> None:
        """Shown at most every REFRESH_MS while running (QProgressBar.setValue repaints the window at once)."""
        self._latest = progress
        if not progress.running:
            self._timer.stop()
            self._show(progress)
        elif not self._timer.isActive():
            self._timer.start()

    def _show_latest(self) -> None:
        self._show(self._latest)

    def _show(self, progress: Progress) -> None:
        self.bar.setMaximum(max(progress.total, 1))
        self.bar.setValue(progress.done)
        self.cancel.setEnabled(progress.running)
        if progress.running:
            self.rate.setText(f"{progress.rate:.1f} spectra/s, {duration(progress.seconds_left)} left")
        else:
            self.rate.setText(f"{progress.done:,} done" if progress.done else "")
        self.setVisible(progress.running or progress.done > 0)
