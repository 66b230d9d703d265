"""Comparing two training recipes: the paired change of the held-out scatter and its interval."""

import numpy as np
import pytest

from bossnet_gui.training.__main__ import parser
from bossnet_gui.training.compare import Change, scatter_change, table


def errors(rng, n_stars, views, scale):
    return rng.normal(0.0, scale, n_stars * views)


def test_a_real_change_is_beyond_noise_and_no_change_is_not():
    rng = np.random.default_rng(1)
    stars = np.repeat(np.arange(200), 4)
    before = [errors(rng, 200, 4, 0.30), errors(rng, 200, 4, 0.30)]
    worse = [errors(rng, 200, 4, 0.45), errors(rng, 200, 4, 0.45)]
    change, low, high = scatter_change(before, worse, stars)
    assert change == pytest.approx(0.15, abs=0.04) and low > 0
    same = [errors(rng, 200, 4, 0.30), errors(rng, 200, 4, 0.30)]
    change, low, high = scatter_change(before, same, stars)
    assert low < 0 < high


def test_the_same_model_on_both_sides_changes_by_exactly_nothing():
    rng = np.random.default_rng(2)
    model = errors(rng, 50, 1, 0.2)
    assert scatter_change([model], [model.copy()], np.arange(50)) == (0.0, 0.0, 0.0)


def test_views_of_one_star_are_resampled_together():
    """Four identical views of each star are one star's worth of evidence, not four: the interval
    must be as wide as with one view per star."""
    rng = np.random.default_rng(3)
    one = [errors(rng, 40, 1, 0.3) for _ in range(2)]
    four = [np.repeat(e, 4) for e in one]
    _, low1, high1 = scatter_change([one[0]], [one[1]], np.arange(40), seed=5)
    _, low4, high4 = scatter_change([four[0]], [four[1]], np.repeat(np.arange(40), 4), seed=5)
    assert (low4, high4) == pytest.approx((low1, high1), rel=1e-9)


def test_table_gives_each_model_and_the_verdict():
    rows = [Change("held out (3)", "logg", [0.11, 0.10], [0.15, 0.15], 0.045, -0.01, 0.10),
            Change("held out (3)", "rv", [9.2], [12.0], 2.8, 0.5, 5.0)]
    text = table(rows).splitlines()
    assert text[2] == "| held out (3) | logg | 0.110 / 0.100 | 0.150 / 0.150 | +0.045 | [-0.010, +0.100] | within noise |"
    assert text[3].endswith("| +2.8 | [+0.5, +5.0] | worse |")


def test_command_needs_models_on_both_sides():
    args = parser().parse_args(["compare", "--before", "a.pt", "--before", "b.pt", "--after", "c.pt", "--seed", "0"])
    assert [str(p) for p in args.before] == ["a.pt", "b.pt"] and [str(p) for p in args.after] == ["c.pt"]
    with pytest.raises(SystemExit):
        parser().parse_args(["compare", "--before", "a.pt"])


def test_a_model_trained_without_a_source_shares_the_split_of_the_stars_it_saw(tmp_path):
    from types import SimpleNamespace

    from bossnet_gui.training.pipeline import check_recorded_split

    (tmp_path / "split.csv").write_text("spectrum_id,split\nMILES m1,train\nMILES m2,test\n")
    model = SimpleNamespace(metadata={"split_csv": "split.csv"})  # all the check reads of a model
    weights = tmp_path / "old.pt"
    check_recorded_split(model, weights, {"MILES m1": "train", "MILES m2": "test", "KOESTER k1": "test"}, 0)
    with pytest.raises(RuntimeError, match="1 stars in another part"):
        check_recorded_split(model, weights, {"MILES m1": "test", "MILES m2": "test"}, 0)
