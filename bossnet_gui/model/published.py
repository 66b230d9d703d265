"""Facts of the published BOSS Net release (hutchresearch/BOSSNet, MIT licence) that loading its
weights needs: the output order of each model and its label normalisation constants
(``bossnet/stats/boss.yaml`` and ``apogee.yaml`` of the release).
"""

from __future__ import annotations

from ..preprocess import APOGEE_PIXELS, GRID_SIZE
from ..spectrum import APOGEE, OPTICAL

BOSS_COLUMNS = ("logg", "logTeff", "FeH", "rv")
APOGEE_COLUMNS = ("logg", "logTeff", "FeH")

# (MEAN, STD) per label; value = raw * STD + MEAN
BOSS_STATS = {"logTeff": (3.8, 0.1), "logg": (3.9, 0.9), "FeH": (-0.4, 0.5), "rv": (-7.4, 60.9)}
APOGEE_STATS = {"logTeff": (3.7, 0.1), "logg": (3.2, 1.2), "FeH": (-0.2, 0.3)}

CHUNK_COUNT = 10  # model_chunk_0 ... model_chunk_9


def family_for_outputs(num_targets: int) -> tuple[str, tuple[str, ...], dict, int]:
    """(domain, output columns, default stats, input length) of a published model by its output count."""
    if num_targets == len(BOSS_COLUMNS):
        return OPTICAL, BOSS_COLUMNS, BOSS_STATS, GRID_SIZE
    if num_targets == len(APOGEE_COLUMNS):
        return APOGEE, APOGEE_COLUMNS, APOGEE_STATS, APOGEE_PIXELS
    raise ValueError(f"a published BOSS Net model has 3 (APOGEE) or 4 (BOSS) outputs, not {num_targets}")
