"""CatalogModel: rows stay put, results replace queued rows, filters, vetting saved and restored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bossnet_gui.catalog.session import SessionStore
from bossnet_gui.gui.predict_job import with_saved_vetting
from bossnet_gui.gui.catalog_model import CANCELLED, COLUMNS, QUEUED, CatalogModel, conform


def results(sources, hdus=None, teff=5000.0, **columns) -> pd.DataFrame:
    n = len(sources)
    frame = pd.DataFrame({"source": sources, "hdu": hdus or ["1"] * n, "status": "ok", "logTeff": np.log10(teff), "Teff": teff, "logg": 4.5, "id": [f"star{i}" for i in range(n)]})
    for name, values in columns.items():
        frame[name] = values
    return conform(frame)


@pytest.fixture
def catalog(qtbot):
    return CatalogModel()


def test_conform_gives_every_column_with_its_dtype():
    frame = conform(pd.DataFrame({"source": ["a"], "Teff": ["5000"], "flag_bad": [None]}))
    assert list(frame.columns) == COLUMNS
    assert frame.at[0, "Teff"] == 5000.0 and frame["Teff"].dtype == float
    assert frame["flag_bad"].dtype == bool and frame["result_flags"].dtype == np.int64
    assert frame.at[0, "user_flag"] == "" and np.isnan(frame.at[0, "logg"])


def test_files_are_queued_once(catalog, qtbot):
    with qtbot.waitSignal(catalog.rowsAppended) as appended:
        assert catalog.add_files(["/a.fits", "/b.fits", "/a.fits"]) == ["/a.fits", "/b.fits"]
    assert appended.args == [0, 1]
    assert catalog.add_files(["/b.fits"]) == []
    assert list(catalog.frame["status"]) == [QUEUED, QUEUED]
    assert list(catalog.states()) == ["queued", "queued"]


def test_results_replace_queued_rows_in_place_and_extra_spectra_are_appended(catalog, qtbot):
    catalog.add_files(["/a.fits", "/b.fits", "/c.fits"])
    with qtbot.waitSignal(catalog.rowsChanged) as changed, qtbot.waitSignal(catalog.rowsAppended) as appended:
        rows = catalog.apply_results(results(["/b.fits", "/b.fits"], hdus=["1", "2"], teff=[6000.0, 7000.0]))
    assert list(rows) == [1, 3]
    assert list(changed.args[0]) == [1] and appended.args == [3, 3]
    assert catalog.frame.at[1, "Teff"] == 6000.0 and catalog.frame.at[3, "Teff"] == 7000.0
    assert catalog.frame.at[0, "status"] == QUEUED and catalog.queued_sources() == ["/a.fits", "/c.fits"]
    # the same star again (a re-run) updates its row
    assert list(catalog.apply_results(results(["/b.fits"], hdus=["2"], teff=7100.0))) == [3]
    assert len(catalog) == 4 and catalog.frame.at[3, "Teff"] == 7100.0


def test_unfinished_files_get_a_reason(catalog):
    catalog.add_files(["/a.fits", "/b.fits"])
    catalog.apply_results(results(["/a.fits"]))
    catalog.mark_unfinished(catalog.queued_sources())
    assert catalog.frame.at[1, "status"] == CANCELLED and catalog.queued_sources() == []
    assert list(catalog.states()) == ["predicted", "not predicted"]


def test_filters_and_plot_subset(catalog, qtbot):
    catalog.add_files([f"/s{i}.fits" for i in range(5)])
    catalog.apply_results(results([f"/s{i}.fits" for i in range(4)], result_flags=[0, 1 << 7, 0, 1 << 10]))
    catalog.set_vetting(2, user_flag="good")
    with qtbot.waitSignal(catalog.filterChanged):
        catalog.set_filter(flagged_only=True)
    assert list(np.flatnonzero(catalog.visible)) == [1, 3]
    catalog.set_filter(flagged_only=False, unvetted_only=True)
    assert list(np.flatnonzero(catalog.visible)) == [0, 1, 3]  # predicted rows without a verdict
    catalog.set_filter(unvetted_only=False, text="STAR3")
    assert list(np.flatnonzero(catalog.visible)) == [3]
    catalog.set_filter(text="s1.fits")
    assert list(np.flatnonzero(catalog.visible)) == [1]
    catalog.set_filter(text="")
    with qtbot.waitSignal(catalog.subsetChanged):
        catalog.set_subset([0, 4])
    assert list(np.flatnonzero(catalog.visible)) == [0, 4]
    catalog.set_subset(None)
    assert catalog.visible.all()


def test_vetting_goes_to_the_store_and_comes_back_with_the_results(tmp_path, qtbot):
    store = SessionStore(tmp_path / "s.sqlite")
    first = CatalogModel(store)
    first.add_files(["/x/a.fits", "/x/b.fits"])
    first.apply_results(results(["/x/a.fits", "/x/b.fits"]))
    first.set_vetting(1, user_flag="white dwarf", note="DA, broad Balmer lines")
    with pytest.raises(ValueError):
        first.set_vetting(0, user_flag="maybe")
    again = CatalogModel(store)
    again.add_files(["/x/a.fits", "/x/b.fits"])
    again.apply_results(with_saved_vetting(results(["/x/a.fits", "/x/b.fits"]), store))  # as the prediction worker does
    assert list(again.frame["user_flag"]) == ["", "white dwarf"]
    assert again.frame.at[1, "note"] == "DA, broad Balmer lines"


def test_results_go_in_without_touching_the_store_or_the_files(tmp_path, qtbot, monkeypatch):
    """apply_results runs on the GUI thread: the saved verdicts came with the rows, looked up by the worker."""
    store = SessionStore(tmp_path / "s.sqlite")
    catalog = CatalogModel(store)
    catalog.add_files(["/x/a.fits"])

    def no_io(*args, **kwargs):
        raise AssertionError("store or file-system call on the GUI thread")

    for name in ("vetting", "cached_results", "save_results"):
        monkeypatch.setattr(store, name, no_io)
    monkeypatch.setattr("os.stat", no_io)
    monkeypatch.setattr("os.path.realpath", no_io)
    rows = catalog.apply_results(results(["/x/a.fits"]).assign(user_flag="good", note="fine"))
    assert list(rows) == [0] and catalog.value(0, "user_flag") == "good" and catalog.value(0, "note") == "fine"


def test_current_row_is_owned_by_the_model(catalog, qtbot):
    catalog.add_files(["/a.fits", "/b.fits"])
    with qtbot.waitSignal(catalog.selectionChanged) as selected:
        catalog.set_current(1)
    assert selected.args == [1] and catalog.current == 1
    with qtbot.assertNotEmitted(catalog.selectionChanged):
        catalog.set_current(1)
    catalog.set_current(99)
    assert catalog.current == -1
    catalog.clear()
    assert len(catalog) == 0 and catalog.current == -1
