"""A synthetic results catalog as `predict` writes one, of any size (tests and bench/catalog_scale.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bossnet_gui.catalog.flags import Thresholds, compute_flags
from bossnet_gui.catalog.table import all_columns, flag_names


def synthetic_catalog(n: int, seed: int = 0) -> pd.DataFrame:
    """n catalog rows with the columns and value ranges of a `predict` run over a survey."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n, p=[0.7, 0.27, 0.03])  # dwarfs, giants, white dwarfs
    log_teff = np.where(kind == 0, rng.uniform(3.5, 3.95, n), np.where(kind == 1, rng.uniform(3.55, 3.75, n), rng.uniform(3.7, 4.6, n)))
    logg = np.where(kind == 0, 4.6 - 1.2 * (log_teff - 3.5), np.where(kind == 1, 1.0 + 10 * (log_teff - 3.55), 8.0)) + rng.normal(0, 0.15, n)
    frame = pd.DataFrame({name: np.nan for name in all_columns(1)}, index=range(n))
    frame["source"] = [f"/survey/lamost/dr8/{i // 250:05d}/spec-{i:08d}.fits.gz" for i in range(n)]
    frame["hdu"] = "0"
    failed = rng.random(n) < 0.03
    frame["status"] = np.where(failed, "unreadable FITS (truncated)", "ok")
    frame["id"] = [f"J{i:08d}" for i in range(n)]
    frame["ra"], frame["dec"] = rng.uniform(0, 360, n), rng.uniform(-10, 60, n)
    frame["snr"] = rng.lognormal(3, 0.8, n)
    frame["instrument"], frame["survey"], frame["file_format"] = "LAMOST", "LAMOST DR8", "LAMOST LRS"
    values = {"logTeff": log_teff, "logg": logg, "FeH": rng.normal(-0.3, 0.4, n), "rv": rng.normal(0, 40, n)}
    values["Teff"] = 10**log_teff
    for name, v in values.items():
        v = np.where(failed, np.nan, v)
        frame[name] = frame[f"{name}_median"] = v
        frame[f"{name}_err"] = np.abs(v) * 0.01
    frame["extrapolated_fraction"] = 0.0
    frame["bad_flux_fraction"] = rng.uniform(0, 0.05, n)
    frame["ood_score"] = rng.lognormal(0, 0.4, n)
    flags = compute_flags(frame, Thresholds())
    for name in flags.columns:
        frame[name] = flags[name]
    frame["flag_names"] = [flag_names(int(b)) for b in frame["result_flags"]]
    frame["model"], frame["model_hash"], frame["user_flag"], frame["note"] = "bossnet-gui-boss-small", "ab4af0403674", "", ""
    return frame[all_columns(1)]
