"""The session store: vetting survives restarts and crashes; a corrupt store is set aside, not overwritten."""

import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from bossnet_gui.catalog.session import SessionStore, default_store_path
from bossnet_gui.catalog.table import frame_from_batch
from bossnet_gui.model import Predictor

from .test_predictor import small_model, synthetic


def test_flags_and_notes_survive_a_new_store(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite")
    store.set_vetting("/data/a.fits", "1", user_flag="white dwarf")
    store.set_vetting("/data/a.fits", "1", note="DA? broad Balmer lines")
    store.set_vetting("/data/b.fits", "1", user_flag="good")
    store.close()
    again = SessionStore(tmp_path / "s.sqlite")
    assert again.vetting([("/data/a.fits", "1"), ("/data/b.fits", "1"), ("/data/c.fits", "1")]) == {
        ("/data/a.fits", "1"): ("white dwarf", "DA? broad Balmer lines"),
        ("/data/b.fits", "1"): ("good", ""),
    }
    assert again.warning == ""


def test_a_killed_process_loses_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    code = (
        "import os; from bossnet_gui.catalog.session import SessionStore; "
        f"s = SessionStore({str(path)!r}); s.set_vetting('/d/x.fits', '1', user_flag='bad', note='cosmic ray'); os._exit(9)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert SessionStore(path).vetting([("/d/x.fits", "1")]) == {("/d/x.fits", "1"): ("bad", "cosmic ray")}


def test_corrupt_store_is_set_aside_and_reported(tmp_path):
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    store = SessionStore(path)
    assert "kept it as s.sqlite.corrupt-" in store.warning
    aside = list(tmp_path.glob("s.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not sqlite")
    store.set_vetting("/d/x.fits", "1", user_flag="good")
    assert store.vetting([("/d/x.fits", "1")])


def test_unwritable_location_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = SessionStore(blocker / "sub" / "s.sqlite")
    assert "memory only" in store.warning
    store.set_vetting("/d/x.fits", "1", note="kept for this run")
    assert store.vetting([("/d/x.fits", "1")]) == {("/d/x.fits", "1"): ("", "kept for this run")}


def test_results_are_reused_only_for_unchanged_files_and_same_settings(tmp_path):
    spectrum_file = tmp_path / "a.fits"
    spectrum_file.write_bytes(b"0" * 10)
    model = small_model()
    spectrum = synthetic("a")
    object.__setattr__(spectrum.meta, "source", str(spectrum_file))
    frame = frame_from_batch(Predictor(model).predict([spectrum], draws=2), model)
    store = SessionStore(tmp_path / "s.sqlite")
    store.save_results(frame, draws=2, seed=0)
    cached = store.cached_results([str(spectrum_file)], model.content_hash, draws=2, seed=0)
    pd.testing.assert_frame_equal(cached[frame.columns.drop(["user_flag", "note"])], frame.drop(columns=["user_flag", "note"]), check_dtype=False)
    assert store.cached_results([str(spectrum_file)], model.content_hash, draws=3, seed=0).empty
    spectrum_file.write_bytes(b"0" * 11)  # the file changed
    assert store.cached_results([str(spectrum_file)], model.content_hash, draws=2, seed=0).empty


def test_results_stored_by_older_flags_or_columns_are_predicted_again(tmp_path, monkeypatch):
    from bossnet_gui.catalog import table

    spectrum_file = tmp_path / "a.fits"
    spectrum_file.write_bytes(b"0" * 10)
    model = small_model()
    spectrum = synthetic("a")
    object.__setattr__(spectrum.meta, "source", str(spectrum_file))
    store = SessionStore(tmp_path / "s.sqlite")
    store.save_results(frame_from_batch(Predictor(model).predict([spectrum], draws=2), model), draws=2, seed=0)
    assert len(store.cached_results([str(spectrum_file)], model.content_hash, draws=2, seed=0)) == 1
    monkeypatch.setattr(table, "RESULTS_LOGIC", table.RESULTS_LOGIC + 1)  # the flags changed meaning
    assert store.cached_results([str(spectrum_file)], model.content_hash, draws=2, seed=0).empty
    monkeypatch.setattr(table, "RESULTS_LOGIC", table.RESULTS_LOGIC - 1)
    monkeypatch.setattr(table, "FLAG_COLUMNS", table.FLAG_COLUMNS + ["flag_new"])  # a column came
    assert store.cached_results([str(spectrum_file)], model.content_hash, draws=2, seed=0).empty


def test_store_is_plain_sqlite(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite")
    store.set_vetting("/d/x.fits", "1", user_flag="binary")
    rows = sqlite3.connect(tmp_path / "s.sqlite").execute("SELECT user_flag FROM vetting").fetchall()
    assert rows == [("binary",)]


def test_the_default_store_lives_in_the_apps_own_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    assert default_store_path() == tmp_path / "bossnet-gui" / "session.sqlite"


def test_an_earlier_versions_store_is_moved_over_with_its_vetting(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    doubled = tmp_path / "bossnet-gui" / "bossnet-gui" / "session.sqlite"  # Qt's AppDataLocation: organisation/app
    doubled.parent.mkdir(parents=True)
    old = SessionStore(doubled)
    old.set_vetting("/d/x.fits", "1", user_flag="white dwarf", note="DA")
    old.close()
    store = SessionStore()
    assert store.path == tmp_path / "bossnet-gui" / "session.sqlite" and not doubled.exists()
    assert store.vetting([("/d/x.fits", "1")]) == {("/d/x.fits", "1"): ("white dwarf", "DA")}
    store.close()
    doubled.parent.mkdir(exist_ok=True)
    SessionStore(doubled).close()  # a newer store is never replaced by an old one
    assert SessionStore().vetting([("/d/x.fits", "1")])


def test_a_failed_write_rolls_back_and_later_writes_still_land(tmp_path):
    store = SessionStore(tmp_path / "s.sqlite")
    frame = pd.DataFrame({"source": ["/d/a.fits", "/d/b.fits"], "hdu": ["1", "1"], "model_hash": ["h", None], "status": ["ok", "ok"]})
    with pytest.raises(sqlite3.IntegrityError):
        store.save_results(frame, draws=0, seed=0)  # the second row breaks NOT NULL after the first was written
    assert store.cached_results(["/d/a.fits"], "h", 0, 0).empty  # nothing half-written
    store.set_vetting("/d/a.fits", "1", user_flag="bad")
    store.close()
    assert SessionStore(tmp_path / "s.sqlite").vetting([("/d/a.fits", "1")]) == {("/d/a.fits", "1"): ("bad", "")}
