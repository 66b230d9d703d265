"""Count, rate and time left of a prediction run, for the progress panel."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Throughput:
    """Count, rate and time left of a run, from batch completions."""

    total: int = 0
    done: int = 0
    started: float = 0.0
    first_done: float = math.nan
    _history: list[tuple[float, int]] = field(default_factory=list)

    def start(self, total: int, now: float) -> None:
        self.total, self.done, self.started, self.first_done = total, 0, now, math.nan
        self._history = [(now, 0)]

    def add(self, n: int, now: float, total: int | None = None) -> None:
        self.done += n
        if total is not None:
            self.total = max(total, self.done)
        if math.isnan(self.first_done) and n:
            self.first_done = now - self.started
        self._history.append((now, self.done))
        self._history = [h for h in self._history if now - h[0] <= 20.0] or [(now, self.done)]

    def rate(self, now: float) -> float:
        """Spectra per second over the last 20 s (0 before any run)."""
        if not self._history:
            return 0.0
        t0, n0 = self._history[0]
        return (self.done - n0) / (now - t0) if now > t0 and self.done > n0 else 0.0

    def seconds_left(self, now: float) -> float:
        rate = self.rate(now)
        return (self.total - self.done) / rate if rate > 0 else math.nan
