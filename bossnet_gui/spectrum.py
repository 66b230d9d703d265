"""The one spectrum type that every reader returns and everything downstream consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

OPTICAL = "optical"  # BOSS, LAMOST, generic optical: resampled onto the 3800-8900 Å grid
APOGEE = "apogee"  # APOGEE near-IR: used as is on the 8575-pixel apStar grid


@dataclass(frozen=True)
class SpectrumMeta:
    """Where a spectrum came from and what the file says about the star."""

    source: str  # path of the file
    hdu: str = ""  # which part of the file: "1", "BOSS/apo25m", "row 0", ...
    object_id: str = ""
    ra: float = float("nan")  # deg
    dec: float = float("nan")  # deg
    snr: float = float("nan")  # median S/N per pixel as the file reports it, else estimated
    instrument: str = ""  # "BOSS", "SDSS", "LAMOST", "APOGEE", ...
    survey: str = ""  # "SDSS-IV", "SDSS-V", "LAMOST DR1", ...
    file_format: str = ""  # name of the reader that produced it
    domain: str = OPTICAL  # which family of model can use it
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. ASPCAP parameters, LAMOST labels


@dataclass(frozen=True, eq=False)
class Spectrum:
    """A 1-D spectrum in vacuum wavelengths (Å).

    ``error`` is the 1-sigma error after the published pipeline's conversion from inverse
    variance (see ``preprocess.errors_from_ivar``); ``mask`` is True where a pixel is usable.
    Flux may contain NaN for pixels the file marks as missing; they are skipped when resampling.
    """

    wavelength: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    mask: np.ndarray
    meta: SpectrumMeta

    def __post_init__(self) -> None:
        n = len(self.flux)
        for name in ("wavelength", "error", "mask"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} pixels, flux has {n}")

    @property
    def n_pixels(self) -> int:
        return len(self.flux)

    @property
    def label(self) -> str:
        """Short human name: object id if known, else file name (+ HDU when the file holds several)."""
        from pathlib import Path

        name = self.meta.object_id or Path(self.meta.source).name
        return f"{name} [{self.meta.hdu}]" if self.meta.hdu and not self.meta.object_id else name
