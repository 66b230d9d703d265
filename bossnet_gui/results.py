"""What a prediction run hands back, as plain NumPy: the catalog and the GUI read it without torch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SpectrumReadError
from .spectrum import Spectrum

OK = "ok"
DERIVED = {"Teff": "logTeff"}  # derived column -> the log column it is 10** of


@dataclass
class BatchResult:
    """Results for consecutive inputs; failed inputs have NaN values and a reason in ``status``."""

    start: int  # position of the first input of this batch in the whole stream
    sources: list[tuple[str, str]]  # (path, hdu) per input
    spectra: list[Spectrum | None]  # None where the file could not be read
    status: list[str]  # "ok" or a one-line reason
    columns: tuple[str, ...]  # model outputs then derived columns (Teff)
    point: np.ndarray  # (B, C) the pass without noise
    median: np.ndarray | None  # (B, C) over the draws, None when draws == 0
    std: np.ndarray | None  # (B, C) standard deviation over the draws
    extrapolated_fraction: np.ndarray  # (B,) share of the grid outside native coverage
    ood_score: np.ndarray  # (B,) distance from the training set (~1 typical); NaN if the model has no scorer

    def __len__(self) -> int:
        return len(self.sources)

    @classmethod
    def unpredicted(cls, items, columns: tuple[str, ...], reason: str = OK, draws: int = 0, start: int = 0) -> "BatchResult":
        """Rows for ``items`` with no values yet: read failures carry their reason, spectra ``reason``."""
        n, c = len(items), len(columns)
        return cls(
            start=start,
            sources=[(it.path, "") if isinstance(it, SpectrumReadError) else (it.meta.source, it.meta.hdu) for it in items],
            spectra=[None if isinstance(it, SpectrumReadError) else it for it in items],
            status=[it.reason if isinstance(it, SpectrumReadError) else reason for it in items],
            columns=columns,
            point=np.full((n, c), np.nan),
            median=np.full((n, c), np.nan) if draws else None,
            std=np.full((n, c), np.nan) if draws else None,
            extrapolated_fraction=np.full(n, np.nan),
            ood_score=np.full(n, np.nan),
        )
