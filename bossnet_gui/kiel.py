"""Reference sequences for judging a point on the Kiel diagram (Teff vs log g).

* Main sequence: the zero-age main sequence of Tout et al. (1996, MNRAS 281, 257), their
  analytic L(M) and R(M) fits for Z = 0.02, with Teff from L and R and
  log g = log10(M / R^2) + 4.438. Being zero-age it runs 0.05-0.3 dex (median < 0.2) above
  Pecaut & Mamajek's (2013) mean dwarf sequence from 3,000 to 40,000 K (checked in tests).
* White-dwarf sequence: log g = 8.0 +/- 0.3 (most white dwarfs are near 0.6 Msun) from 4,000 to
  100,000 K.
* The gap the BOSS Net paper warns about: cool objects (Teff below 10,000 K) between the two
  sequences (5.5 < log g < 7.5), where low-S/N cool white dwarfs get stranded. Its limits are
  those of the ``ms_wd_gap`` quality flag, so the outline and the flag cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bundled import TRAINING_COVERAGE
from .catalog.flags import DEFAULT_THRESHOLDS

TEFF_SUN = 5772.0
LOGG_SUN = 4.438
# Tout et al. (1996) Table 1 and 2 coefficients at Z = 0.02
_L = dict(alpha=0.39704170, beta=8.52762600, gamma=0.00025546, delta=5.43288900, epsilon=5.56357900, zeta=0.78866060, eta=0.00586685)
_R = dict(theta=1.71535900, iota=6.59778800, kappa=10.08855000, lam=1.01249500, mu=0.07490166, nu=0.01077422, xi=3.08223400, omicron=17.84778000, pi=0.00022582)

COUNT_KEYS = ("counts", "density", "hist", "histogram", "H")
X_KEYS = ("logteff_edges", "log_teff_edges", "x_edges", "xedges", "teff_edges")
Y_KEYS = ("logg_edges", "log_g_edges", "y_edges", "yedges")

WD_LOGG, WD_LOGG_SPREAD = 8.0, 0.3
WD_TEFF_RANGE = (4_000.0, 100_000.0)


def zams_luminosity(mass: np.ndarray) -> np.ndarray:
    m, c = np.asarray(mass, float), _L
    return (c["alpha"] * m**5.5 + c["beta"] * m**11) / (
        c["gamma"] + m**3 + c["delta"] * m**5 + c["epsilon"] * m**7 + c["zeta"] * m**8 + c["eta"] * m**9.5
    )


def zams_radius(mass: np.ndarray) -> np.ndarray:
    m, c = np.asarray(mass, float), _R
    return (c["theta"] * m**2.5 + c["iota"] * m**6.5 + c["kappa"] * m**11 + c["lam"] * m**19 + c["mu"] * m**19.5) / (
        c["nu"] + c["xi"] * m**2 + c["omicron"] * m**8.5 + m**18.5 + c["pi"] * m**19.5
    )


def main_sequence(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(Teff in K, log g) along the ZAMS from 0.1 to 80 solar masses, cool end first."""
    mass = np.geomspace(0.1, 80.0, n)
    luminosity, radius = zams_luminosity(mass), zams_radius(mass)
    teff = TEFF_SUN * luminosity**0.25 / radius**0.5
    logg = np.log10(mass / radius**2) + LOGG_SUN
    order = np.argsort(teff)
    return teff[order], logg[order]


def white_dwarf_sequence(n: int = 50) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Teff, log g centre, log g half-width) of the white-dwarf band."""
    teff = np.geomspace(*WD_TEFF_RANGE, n)
    return teff, np.full(n, WD_LOGG), np.full(n, WD_LOGG_SPREAD)


def gap_zone(min_teff: float = 1_700.0) -> np.ndarray:
    """Closed polygon (Teff, log g) outlining the MS-WD gap, as the ``ms_wd_gap`` flag defines it."""
    t = DEFAULT_THRESHOLDS
    low, high = t.gap_logg
    return np.array([(min_teff, low), (t.gap_max_teff, low), (t.gap_max_teff, high), (min_teff, high), (min_teff, low)])


@dataclass(frozen=True)
class Coverage:
    counts: np.ndarray  # (n_logteff, n_logg)
    logteff_edges: np.ndarray
    logg_edges: np.ndarray


def load_training_coverage(path: Path = TRAINING_COVERAGE) -> Coverage | None:
    """The training-label histogram, or None when the file is absent or not understood."""
    try:
        with np.load(path) as npz:
            data = {k: npz[k] for k in npz.files}
    except (OSError, ValueError):
        return None
    counts = next((data[k] for k in COUNT_KEYS if k in data), None)
    x_edges = next((data[k] for k in X_KEYS if k in data), None)
    y_edges = next((data[k] for k in Y_KEYS if k in data), None)
    if counts is None or x_edges is None or y_edges is None or counts.ndim != 2:
        return None
    x_edges = np.log10(x_edges) if np.nanmax(x_edges) > 100 else np.asarray(x_edges, float)  # Teff given in K
    if counts.shape == (len(y_edges) - 1, len(x_edges) - 1) and counts.shape != (len(x_edges) - 1, len(y_edges) - 1):
        counts = counts.T
    if counts.shape != (len(x_edges) - 1, len(y_edges) - 1):
        return None
    return Coverage(np.asarray(counts, float), np.asarray(x_edges, float), np.asarray(y_edges, float))
