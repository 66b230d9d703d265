"""The checks behind "never silent": the coverage flag's label density and the white-dwarf outcomes."""

import numpy as np
import pandas as pd

from bossnet_gui.catalog.flags import BY_NAME, LabelDensity, Thresholds, compute_flags
from bossnet_gui.training.calibrate import label_density
from bossnet_gui.training.library import LABELS
from bossnet_gui.training.white_dwarfs import FLAGGED, MEASURED, SILENT, confusion, outcomes

COVERAGE_BIT = 1 << BY_NAME["outside_training_coverage"].bit


def _labels(logteff, logg):
    labels = np.full((len(logteff), len(LABELS)), np.nan)
    labels[:, LABELS.index("logTeff")], labels[:, LABELS.index("logg")] = logteff, logg
    return labels


def _two_sequences(rng, n=400):
    """A main sequence (log g 4-4.6) and a white-dwarf sequence (log g 7.5-8.5): the gap between is empty."""
    main = _labels(rng.uniform(3.55, 4.0, n), rng.uniform(4.0, 4.6, n))
    white = _labels(rng.uniform(3.7, 4.6, n), rng.uniform(7.5, 8.5, n))
    return np.concatenate([main, white])


def _frame(logteff, logg):
    return pd.DataFrame({"logTeff": logteff, "logg": logg, "Teff": 10 ** np.asarray(logteff), "FeH": 0.0, "snr": 50.0})


def test_a_prediction_between_the_training_sequences_is_outside_the_coverage():
    rng = np.random.default_rng(0)
    train = _two_sequences(rng)
    validation = train[rng.choice(len(train), 300)] + rng.normal(0, 0.02, (300, len(LABELS)))
    density = label_density(train, validation, quantile=0.005)
    assert density["threshold"] > 0
    edge = LabelDensity.from_metadata(density)
    assert edge.at(np.array([edge.logteff_edges[-1]]), np.array([edge.logg_edges[-1]]))[0] >= 0  # the last edge is inside
    assert np.isnan(edge.at(np.array([np.nan]), np.array([4.0])))[0]
    thresholds = Thresholds.for_model({"label_coverage": {"logTeff": [3.5, 4.7], "logg": [0.0, 9.5]}, "label_density": density})
    frame = _frame([3.8, 4.2, 3.8, 4.2, 3.8], [4.3, 8.0, 6.0, 6.0, 1.0])  # MS, WD, gap, hot gap, a giant: none trained
    flagged = (compute_flags(frame, thresholds)["result_flags"].to_numpy() & COVERAGE_BIT) != 0
    assert flagged.tolist() == [False, False, True, True, True]
    # without a density (published models, older weights) only the ranges count
    ranges_only = Thresholds.for_model({"label_coverage": {"logTeff": [3.5, 4.7], "logg": [0.0, 9.5]}})
    assert not (compute_flags(frame, ranges_only)["result_flags"].to_numpy() & COVERAGE_BIT).any()


def test_outcomes_measured_right_before_flagged_before_silent():
    frame = pd.DataFrame({
        "true_teff": [10000.0, 10000.0, 10000.0, 10000.0],
        "true_logg": [8.0, 8.0, 8.0, 8.0],
        "Teff": [10900.0, 12000.0, 7000.0, np.nan],
        "logg": [7.6, 8.0, 4.0, np.nan],
        "result_flags": [8, 0, 2048, 1],
    })
    assert outcomes(frame).tolist() == [MEASURED, SILENT, FLAGGED, FLAGGED]


def test_the_confusion_table_counts_each_view_once_by_true_and_predicted_teff():
    frame = pd.DataFrame({"true_teff": [5000.0, 5000.0, 20000.0], "Teff": [5200.0, 7100.0, np.nan]})
    table = confusion(frame)
    counts = np.array(table["counts"])
    assert counts.sum() == 3
    row = np.searchsorted(table["bins"], 5000.0, side="right") - 1
    assert counts[row, row] == 1 and counts[row, row + 2] == 1  # 5,000-6,000 K: one right, one at 7,000-8,500 K
    assert counts[np.searchsorted(table["bins"], 20000.0, side="right") - 1, -1] == 1  # no value
