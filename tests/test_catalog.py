"""Catalog rows, quality flags and export round trips."""

import json

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from bossnet_gui.catalog.export import arrow_table, provenance, read_catalog, write_catalog, write_part
from bossnet_gui.catalog.flags import FLAGS, Thresholds, compute_flags, describe
from bossnet_gui.catalog.table import DESCRIPTIONS, all_columns, frame_from_batch
from bossnet_gui.errors import SpectrumReadError
from bossnet_gui.model import Predictor

from .test_predictor import small_model, synthetic


def _frame(**values):
    base = {"Teff": 5800.0, "logTeff": np.log10(5800), "logg": 4.4, "FeH": 0.0, "snr": 50.0, "extrapolated_fraction": 0.0, "bad_flux_fraction": 0.0, "ood_score": 1.0}
    return pd.DataFrame([{**base, **values}])


@pytest.mark.parametrize(
    "values, expected",
    [
        ({}, []),
        ({"Teff": np.nan, "logTeff": np.nan, "logg": np.nan, "FeH": np.nan}, ["runtime_exception"]),
        ({"Teff": 1500.0}, ["unreliable_teff", "unreliable_fe_h", "suspicious_fe_h"]),
        ({"logg": 10.5}, ["unreliable_logg", "unreliable_fe_h"]),
        ({"FeH": -4.5}, ["unreliable_fe_h"]),
        ({"Teff": 3800.0, "logg": 4.8}, ["suspicious_fe_h"]),
        ({"Teff": 6000.0, "logg": 6.5}, ["unreliable_fe_h", "ms_wd_gap"]),
        ({"Teff": 12000.0, "logg": 6.5}, ["unreliable_fe_h"]),  # hot subdwarf territory, not the cool gap
        ({"snr": 3.0}, ["low_snr"]),
        ({"extrapolated_fraction": 0.5}, ["large_extrapolation"]),
        ({"bad_flux_fraction": 0.5}, ["bad_flux"]),
        ({"logg_err": 0.8}, ["large_uncertainty"]),
    ],
)
def test_each_flag_follows_its_rule(values, expected):
    bits = int(compute_flags(_frame(**values))["result_flags"][0])
    assert [f.name for f in FLAGS if bits & (1 << f.bit)] == expected


def test_astra_summaries():
    flags = compute_flags(pd.concat([_frame(Teff=3800.0, logg=4.8), _frame(logg=10.5), _frame()], ignore_index=True))
    assert flags["flag_warn"].tolist() == [True, True, False]
    assert flags["flag_bad"].tolist() == [False, True, False]


def test_model_coverage_and_distance_thresholds():
    limits = Thresholds.for_model({"label_coverage": {"logTeff": [3.5, 3.9], "logg": [0, 5]}}, ood_threshold=3.0)
    frame = pd.concat([_frame(), _frame(Teff=20000.0, logTeff=np.log10(20000)), _frame(ood_score=4.0)], ignore_index=True)
    bits = compute_flags(frame, limits)["result_flags"]
    coverage, far = 1 << 5, 1 << 11
    assert [bool(b & coverage) for b in bits] == [False, True, False]
    assert [bool(b & far) for b in bits] == [False, False, True]
    assert describe(far) == [f"far_from_training: {FLAGS[11].rule}"]


def _catalog(draws=3):
    model = small_model()
    items = [synthetic("a"), SpectrumReadError("/x/broken, \"odd\".fits", "empty file (0 bytes)"), synthetic("b", start=5000, stop=6000)]
    return frame_from_batch(Predictor(model).predict(items, draws=draws), model), model


def test_one_row_per_input_with_published_column_names():
    frame, _ = _catalog()
    assert list(frame.columns) == all_columns(3)
    assert {"logTeff", "logg", "FeH", "rv", "logTeff_median", "logg_err", "FeH_err", "rv_err", "Teff_err"} <= set(frame.columns)
    assert frame["status"].tolist() == ["ok", "empty file (0 bytes)", "ok"]
    assert frame.loc[1, "result_flags"] & 1  # runtime_exception
    assert frame.loc[2, "flag_names"].split(";").count("large_extrapolation") == 1
    assert "logTeff_err" not in frame_from_batch(Predictor(small_model()).predict([synthetic("a")], draws=0), small_model()).columns


@pytest.mark.parametrize("suffix", [".fits", ".ecsv", ".csv", ".vot", ".xml", ".parquet"])
def test_export_round_trip_is_lossless(tmp_path, suffix):
    frame, model = _catalog()
    frame.loc[0, "note"] = 'naïve, "quoted" # note'
    frame.loc[2, "user_flag"] = "white dwarf"
    path = write_catalog(frame, tmp_path / f"cat{suffix}", provenance(model.name, model.content_hash, draws=3, seed=7))
    back, meta = read_catalog(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["hdu"].tolist() == ["1", "", "1"]  # text stays text
    if suffix != ".csv":
        assert meta["MODEL"] == "small" and meta["DRAWS"] == 3 and meta["SEED"] == 7
        assert meta["FLAG10"].startswith("ms_wd_gap")


def test_fits_export_has_units_that_fits_readers_accept(tmp_path):
    import warnings

    from astropy.io import fits

    frame, model = _catalog()
    path = write_catalog(frame, tmp_path / "cat.fits", provenance(model.name, model.content_hash, 3, 0))
    header = fits.getheader(path, "CATALOG")
    column = {header[f"TTYPE{i}"]: i for i in range(1, header["TFIELDS"] + 1)}
    units = {name: header.get(f"TUNIT{i}") for name, i in column.items()}
    assert units["Teff"] == "K" and units["rv"] == "km/s" and units["ra"] == "deg"
    assert units["logg"] is None and header[f"TCOMM{column['logg']}"].endswith("[dex]")  # FITS has no unit 'dex'
    assert header["MODELSHA"] == model.content_hash
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Table.read(path)
        assert read_catalog(path)[1]["MODELSHA"] == model.content_hash


def test_parquet_carries_units_descriptions_and_provenance_for_pandas_and_pyarrow(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    frame, model = _catalog()
    path = write_catalog(frame, tmp_path / "cat.parquet", provenance(model.name, model.content_hash, draws=3, seed=7))
    schema = pq.read_schema(path)
    assert schema.field("Teff").metadata[b"unit"] == b"K" and schema.field("logg").metadata[b"unit"] == b"dex"
    assert schema.field("ood_score").metadata[b"description"].decode() == DESCRIPTIONS["ood_score"]
    assert json.loads(schema.metadata[b"MODELSHA"]) == model.content_hash
    assert str(schema.field("result_flags").type) == "int64" and str(schema.field("flag_bad").type) == "bool"
    plain = pd.read_parquet(path)  # what a user does with it, no bossnet-gui involved
    np.testing.assert_array_equal(plain["Teff"], frame["Teff"])
    assert plain["status"].tolist() == frame["status"].tolist()


def test_a_folder_of_parquet_parts_reads_as_one_table(tmp_path):
    pytest.importorskip("pyarrow")
    frame, model = _catalog()
    meta = provenance(model.name, model.content_hash, draws=3, seed=7)
    folder = tmp_path / "cat.parquet"
    write_part(arrow_table(frame.iloc[:2], meta), folder, "part-000000.parquet")
    write_part(arrow_table(frame.iloc[2:], meta), folder, "part-000001.parquet")
    assert sorted(p.name for p in folder.iterdir()) == ["part-000000.parquet", "part-000001.parquet"]  # no temporary left
    back, back_meta = read_catalog(folder)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back_meta["SEED"] == 7
    assert pd.read_parquet(folder)["source"].tolist() == frame["source"].tolist()


def test_unknown_extension_is_refused(tmp_path):
    frame, _ = _catalog()
    with pytest.raises(ValueError, match="unknown catalog extension '.txt'"):
        write_catalog(frame, tmp_path / "cat.txt")
