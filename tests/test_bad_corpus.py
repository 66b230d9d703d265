"""Bad input never passes as good: ``bossnet-gui predict`` over a corpus of damaged and odd files made from
genuine ones (see ``tests/bad_corpus.py``) gives every file exactly one row, each with a one-line
status, predicts the good files, never says ``ok`` without values, and prints nothing but its progress."""

from __future__ import annotations

import re
import shutil
import tracemalloc
import warnings

import numpy as np
import pytest
from astropy.table import Table

from bossnet_gui.catalog.export import file_text, read_catalog
from bossnet_gui.cli import main
from bossnet_gui.errors import SpectrumReadError
from bossnet_gui.io import read_spectra

from .bad_corpus import CASES, LAMOST_DR1, NON_UTF8_NAME, REFUSED, SAME_AS, TRUNCATED, build_corpus
from .conftest import DATA, require

LABELS = ["logTeff", "logg", "FeH"]
PROGRESS_LINE = re.compile(r"\d+ files \(.*|\[[#.]+\] \d+/\d+ files, .*|\d+ rows \(.*")  # the command's plan, progress, summary


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    build_corpus(require(DATA), folder)
    return folder


@pytest.fixture(scope="module")
def catalog(corpus, tmp_path_factory):
    """The corpus predicted by the batch command with the bundled model and 2 draws, by file name."""
    out = tmp_path_factory.mktemp("out") / "catalog.fits"
    assert main([str(corpus), "-o", str(out), "-u", "2"]) == 0
    frame, _ = read_catalog(out)
    return frame.set_index("source", drop=False)


def _source(corpus, case) -> str:
    return file_text(str(corpus / case.name))


def test_every_file_gets_one_row_and_nothing_but_progress_reaches_stderr(corpus, tmp_path, capfd):
    out = tmp_path / "catalog.fits"
    assert main([str(corpus), "-o", str(out), "-u", "0"]) == 0
    printed, complaints = capfd.readouterr()
    assert printed == ""
    assert all(PROGRESS_LINE.fullmatch(line) for line in complaints.splitlines()), complaints
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. astropy's UnitsWarning for a unit FITS does not know
        table = Table.read(out)
    assert sorted(table["source"]) == sorted(_source(corpus, case) for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_file_gives_what_it_must(catalog, corpus, case):
    row = catalog.loc[_source(corpus, case)]
    status = row["status"]
    assert status and "\n" not in status
    values = row[LABELS + [f"{label}_median" for label in LABELS]].to_numpy(dtype=float)
    if case.expect == REFUSED:
        assert status != "ok" and case.reason in status
        assert np.isnan(values).all()
    else:
        assert status == "ok"
        assert np.isfinite(values).all()
        assert ("truncated_file" in row["flag_names"].split(";")) == (case.expect == TRUNCATED)


def test_no_row_says_ok_without_values(catalog):
    ok = catalog[catalog["status"] == "ok"]
    assert len(ok) == sum(case.expect != REFUSED for case in CASES)
    assert np.isfinite(ok[LABELS].to_numpy(dtype=float)).all()


@pytest.mark.parametrize("reordered, genuine", SAME_AS.items())
def test_reordered_pixels_give_the_genuine_prediction(catalog, corpus, reordered, genuine):
    values = [catalog.loc[file_text(str(corpus / name)), LABELS].to_numpy(dtype=float) for name in (reordered, genuine)]
    np.testing.assert_allclose(*values, atol=1e-5)


@pytest.mark.parametrize("name", ["image claiming 4e9 pixels.fits", "table claiming 1e9 rows.fits"])
def test_headers_claiming_huge_data_cost_no_memory(corpus, name):
    tracemalloc.start()
    try:
        with pytest.raises(SpectrumReadError, match="truncated FITS file"):
            read_spectra(corpus / name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20e6


def test_a_file_name_that_is_not_utf8_is_written_readably_and_resumed(tmp_path, capfd):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(require(DATA) / LAMOST_DR1, folder / NON_UTF8_NAME)
    out = tmp_path / "catalog.csv"
    assert main([str(folder), "-o", str(out), "-u", "0"]) == 0
    assert main([str(folder), "-o", str(out), "-u", "0", "--resume"]) == 0
    assert "1 files (1 already done)" in capfd.readouterr().err
    frame, _ = read_catalog(out)
    assert list(frame["source"]) == [str(folder / "latin-1 \\xe9toile.fits")] and list(frame["status"]) == ["ok"]
