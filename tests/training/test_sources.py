"""Training sources: the registry and its command line, the Koester DA grid, split by grid block, draw shares."""

import math

import numpy as np
import pytest

from bossnet_gui.training.__main__ import main, parser
from bossnet_gui.training.library import KOESTER, MILES, STAR, WHITE_DWARF, LabelledStar, label_vector, load_koester_da
from bossnet_gui.training.pipeline import Outputs, available_threads
from bossnet_gui.training.sources import DEFAULT_SOURCES, SOURCES, chosen, draw_weights, parse_library
from bossnet_gui.training.split import TEST, TRAIN, VALIDATION, split_by_star

from ..conftest import DATA, require

KOESTER_FILE = DATA / "white_dwarfs" / "koester_da.fits"


def test_a_source_is_named_with_an_optional_path(tmp_path):
    assert parse_library("miles").path == SOURCES["miles"].default_path
    other = parse_library(f"koester_da={tmp_path / 'grid.fits'}")
    assert other.source.name == "koester_da" and other.path == tmp_path / "grid.fits"
    assert [c.source.name for c in chosen(None)] == list(DEFAULT_SOURCES)
    with pytest.raises(ValueError, match="unknown training source 'nope'"):
        parse_library("nope")


def test_the_command_line_refuses_an_unknown_source(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--library", "nope"])
    assert exit_.value.code == 2 and "known: miles, stelib, lamost, koester_da" in capsys.readouterr().err


def test_train_options_for_device_threads_and_one_output_folder(tmp_path):
    args = parser().parse_args(["train", "--out", str(tmp_path), "--device", "cuda:1", "--threads", "3"])
    assert (args.device, args.threads) == ("cuda:1", 3)
    out = Outputs.under(tmp_path)
    assert {p.parent for p in (out.weights, out.split_csv, out.coverage_npz)} == {tmp_path} and out.report.parent == tmp_path
    assert Outputs.shipped().weights.parent.name == "weights"
    assert 1 <= available_threads()


def _star(i: int, library: str, teff: float, logg: float, kind: str = STAR) -> LabelledStar:
    wave = np.linspace(3600, 9000, 10)
    feh = math.nan if kind == WHITE_DWARF else (i % 7 - 3) / 5
    return LabelledStar(f"{library} {i}", f"{library}{i}", library, "", wave, np.ones(10), label_vector(teff, logg, feh), kind, 2.5,
                        trainable=True if library == KOESTER else None)


def test_a_model_grid_gets_its_fixed_share_of_the_draws_and_the_stars_the_rest():
    rng = np.random.default_rng(0)
    stars = [_star(i, MILES, float(rng.uniform(4000, 7000)), float(rng.uniform(1, 5))) for i in range(300)]
    stars += [_star(1000 + i, KOESTER, float(rng.uniform(5000, 80000)), float(rng.uniform(6.5, 9.5)), WHITE_DWARF) for i in range(100)]
    weights = draw_weights(stars, list(range(len(stars))))
    assert weights.mean() == pytest.approx(1.0)
    assert weights[300:].sum() / weights.sum() == pytest.approx(SOURCES["koester_da"].draw_share)
    assert np.ptp(weights[300:]) == pytest.approx(0.0)  # even over the grid
    assert np.ptp(weights[:300]) > 0  # by label density among the stars


@pytest.fixture(scope="module")
def koester():
    return load_koester_da(require(KOESTER_FILE))


def test_the_koester_grid_loads_as_trainable_white_dwarfs_in_vacuum(koester):
    assert len(koester) == 1066
    assert all(s.kind == WHITE_DWARF and s.trains and s.library == KOESTER for s in koester)
    teff = np.array([s.teff for s in koester])
    logg = np.array([s.labels[0] for s in koester])
    assert (teff.min(), teff.max(), logg.min(), logg.max()) == pytest.approx((5000, 80000, 6.5, 9.5))
    assert all(np.isnan(s.labels[2]) for s in koester)  # no [Fe/H]: pure hydrogen
    hot = next(s for s in koester if round(s.teff) == 20000 and s.labels[0] == 8.0)
    window = (hot.wavelength > 6540) & (hot.wavelength < 6590)
    core = hot.wavelength[window][np.argmin(hot.flux[window])]
    assert core == pytest.approx(6564.6, abs=1.0)  # Hα in vacuum (6562.8 Å in air)


def test_koester_models_are_split_by_grid_block_and_the_library_stars_keep_their_split(koester):
    split = split_by_star(koester, seed=0)
    blocks = {}
    for s in koester:
        blocks.setdefault(s.star, set()).add(split[s.spectrum_id])
    assert len(blocks) > 50 and all(len(parts) == 1 for parts in blocks.values())
    parts = [split[s.spectrum_id] for s in koester]
    assert {TRAIN, VALIDATION, TEST} == set(parts)
    assert 0.1 < parts.count(TEST) / len(parts) < 0.25
    stars = [_star(i, MILES, 5000.0 + 10 * i, 4.0) for i in range(40)]
    alone = split_by_star(stars, seed=0)
    together = split_by_star(stars + koester, seed=0)
    assert all(together[k] == v for k, v in alone.items())  # adding the grid leaves the ordinary stars' split alone
