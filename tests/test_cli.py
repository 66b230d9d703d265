"""`bossnet-gui predict`: the batch command's contract."""

import io
import os
import shutil

import numpy as np
import pytest

from bossnet_gui.__main__ import main as entry_point
from bossnet_gui import batch
from bossnet_gui.batch import Progress, journal_path
from bossnet_gui.catalog.export import read_catalog
from bossnet_gui.cli import build_parser, main
from bossnet_gui.model import Predictor

from .conftest import DATA, REFERENCE, require


@pytest.fixture
def mixed_folder(tmp_path):
    """Six genuine BOSS files (two of them listed in a text file), an empty file and a non-FITS .fits."""
    spectra = require(REFERENCE / "tiny_boss_spectra")
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    files = sorted(spectra.glob("*.fits"))
    for f in files[:4]:
        shutil.copy(f, folder / "sub" / f.name)
    (folder / "empty.fits").write_bytes(b"")
    (folder / "notes.fits").write_text("not a FITS file\n")
    (folder / "readme.txt").write_text("skipped when walking folders\n")
    listed = tmp_path / "more"
    listed.mkdir()
    for f in files[4:]:
        shutil.copy(f, listed / f.name)
    listing = tmp_path / "list.txt"
    listing.write_text("# two more\n" + "\n".join(f"more/{f.name}" for f in files[4:]) + "\n")
    return folder, listing


def tiny_boss():
    return str(require(REFERENCE / "official_tiny_boss"))


def test_one_row_per_spectrum_with_reasons(mixed_folder, tmp_path):
    folder, listing = mixed_folder
    out = tmp_path / "cat.fits"
    assert main([str(folder), str(listing), "-o", str(out), "--model", tiny_boss(), "--draws", "3", "--batch-size", "4"]) == 0
    frame, meta = read_catalog(out)
    assert len(frame) == 8
    status = dict(zip(frame["source"].map(os.path.basename), frame["status"]))
    assert status["empty.fits"] == "empty file (0 bytes)"
    assert status["notes.fits"].startswith("not a FITS file")
    assert sum(s == "ok" for s in status.values()) == 6
    ok = frame[frame["status"] == "ok"]
    assert np.isfinite(ok[["logTeff", "logg", "FeH", "rv", "logTeff_median", "logTeff_err"]].to_numpy()).all()
    assert meta["DRAWS"] == 3 and meta["MODEL"] == "official_tiny_boss"
    assert not journal_path(out).exists() and not list(tmp_path.glob("*.lock"))


def test_point_estimates_match_the_published_numbers(tmp_path):
    import csv

    spectra = require(REFERENCE / "tiny_boss_spectra")
    out = tmp_path / "cat.csv"
    assert main([str(spectra), "-o", str(out), "--model", tiny_boss(), "-u", "0", "--stats", str(REFERENCE / "official_stats_boss.yaml")]) == 0
    frame, _ = read_catalog(out)
    expected = {row["file"]: row for row in csv.DictReader(open(spectra / "expected_predictions.csv"))}
    for _, row in frame.iterrows():
        want = expected[os.path.basename(row["source"])]
        for column in ("logg", "logTeff", "FeH", "rv"):
            assert row[column] == pytest.approx(float(want[column]), rel=1e-5, abs=1e-6)
    assert "logTeff_err" not in frame.columns


def test_interrupted_run_keeps_rows_and_resume_skips_them(mixed_folder, tmp_path, monkeypatch):
    folder, _ = mixed_folder
    out = tmp_path / "cat.ecsv"
    original = Predictor.predict
    calls = {"n": 0}

    def interrupt_on_second_batch(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Predictor, "predict", interrupt_on_second_batch)
    args = [str(folder), "-o", str(out), "--model", tiny_boss(), "--draws", "2", "--batch-size", "3"]
    assert main(args) == 130
    first, _ = read_catalog(out)
    assert len(first) == 3 and journal_path(out).exists()
    monkeypatch.setattr(Predictor, "predict", original)
    assert main(args + ["--resume"]) == 0
    final, _ = read_catalog(out)
    assert len(final) == 6 and final["source"].is_unique
    assert final.iloc[:3].equals(first.iloc[:3])


def test_exit_status_is_nonzero_only_when_nothing_was_processed(tmp_path):
    (tmp_path / "a.fits").write_bytes(b"")
    assert main([str(tmp_path / "a.fits"), "-o", str(tmp_path / "out.csv"), "--model", tiny_boss()]) == 1


def test_bad_output_extension_and_unknown_model_are_usage_errors(tmp_path, capsys):
    assert main([str(tmp_path), "-o", str(tmp_path / "out.txt"), "--model", tiny_boss()]) == 2
    assert "unknown catalog extension" in capsys.readouterr().err
    assert main([str(tmp_path), "-o", str(tmp_path / "out.csv"), "--model", "no-such-model"]) == 2
    assert "model_chunk_0..9" in capsys.readouterr().err


def test_help_maps_the_published_options():
    text = build_parser().format_help()
    for option in ("-d/--data_source", "-u/--num_uncertainty_draws", "-b/--batch_size", "-o/--output_file"):
        assert option in text


def test_entry_point_dispatches_predict(tmp_path):
    spectra = require(REFERENCE / "tiny_boss_spectra")
    assert entry_point(["predict", str(spectra / "spec-0000-00000-0000.fits"), "-o", str(tmp_path / "o.vot"), "--model", tiny_boss(), "-u", "0"]) == 0
    assert len(read_catalog(tmp_path / "o.vot")[0]) == 1


@pytest.mark.slow
def test_everything_in_shared_data(tmp_path):
    """Every genuine spectrum predicted (optical + APOGEE models together); the two zero-byte files
    and the white-dwarf model grid (a stack of 1,066 models, not an observed spectrum) fail with their reason."""
    data = require(DATA)
    out = tmp_path / "all.fits"
    apogee = str(REFERENCE / "official_tiny_apogee")
    assert main([str(data), "-o", str(out), "--model", tiny_boss(), "--model", apogee, "-u", "0", "-b", "64"]) == 0
    frame, _ = read_catalog(out)
    failed = frame.set_index(frame["source"].map(os.path.basename)).query("status != 'ok'")["status"]
    grids = [name for name in failed.index if name.startswith("koester")]
    assert sorted(set(failed.index) - set(grids)) == ["apVisit-2M03122509+0021585-0.fits", "apVisit-2M03122509+0021585-1.fits"]
    assert set(failed.drop(grids)) == {"empty file (0 bytes)"}
    assert all(failed[grids].str.startswith("no spectrum layout this app knows"))
    assert frame["source"].map(os.path.basename).str.startswith("apStar").sum() == 24
    assert np.isfinite(frame.loc[frame["status"] == "ok", "logTeff"]).all()


def test_a_model_without_rv_leaves_the_rv_columns_empty_with_draws(tmp_path):
    apstar = sorted(require(DATA / "apogee" / "apStar").glob("*.fits"))[0]
    out = tmp_path / "apogee.ecsv"
    assert main([str(apstar), "-o", str(out), "--model", str(REFERENCE / "official_tiny_apogee"), "-u", "3"]) == 0
    frame, _ = read_catalog(out)
    assert list(frame["status"]) == ["ok"]
    assert np.isfinite(frame[["logTeff_median", "logTeff_err", "logg_err", "FeH_err"]].to_numpy()).all()
    assert np.isnan(frame[["rv", "rv_median", "rv_err"]].to_numpy(dtype=float)).all()


def test_time_left_on_a_resumed_run_counts_only_the_files_done_in_this_run(monkeypatch):
    clock = iter([0.0, 10.0])
    monkeypatch.setattr(batch.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress(1000, initial=900, stream=stream)  # 900 done by the interrupted run
    progress.update(910, spectra=10, failed=0, final=True)  # 10 more in 10 s: 90 left take 90 s
    assert "910/1000 files" in stream.getvalue() and "1m30s left" in stream.getvalue()


def test_a_second_run_on_the_same_output_is_refused_while_the_first_writes(tmp_path, capsys):
    from filelock import FileLock

    spectrum = sorted(require(REFERENCE / "tiny_boss_spectra").glob("*.fits"))[0]
    out = tmp_path / "cat.ecsv"
    with FileLock(str(journal_path(out)) + ".lock"):  # the first run, still writing
        assert main([str(spectrum), "-o", str(out), "--model", tiny_boss(), "-u", "0", "--resume"]) == 2
    assert "another run is writing" in capsys.readouterr().err
    assert not out.exists() and not journal_path(out).exists()
    assert main([str(spectrum), "-o", str(out), "--model", tiny_boss(), "-u", "0"]) == 0


def test_compare_runs_a_second_model_on_the_same_spectra(mixed_folder, tmp_path):
    folder, _ = mixed_folder
    out = tmp_path / "both.fits"
    assert main([str(folder), "-o", str(out), "--model", tiny_boss(), "--compare", "bossnet-gui-boss-small", "--draws", "2"]) == 0
    frame, meta = read_catalog(out)
    ok = frame[frame["status"] == "ok"]
    assert len(ok) == 4 and set(ok["cmp_model"]) == {"bossnet-gui-boss-small"} and np.isfinite(ok["cmp_Teff"]).all()
    np.testing.assert_allclose(ok["delta_logg"], ok["logg"] - ok["cmp_logg"], atol=1e-4)
    assert "compared with bossnet-gui-boss-small" in str(meta["MODEL"])
