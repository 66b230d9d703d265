"""Target lists: read from CSV, ECSV or FITS; matched to catalog rows by position, file name or object id."""

import numpy as np
import pytest
from astropy.table import Table

from bossnet_gui.catalog.targets import TargetListError, match, read_target_list

SOURCES = np.array(["/data/a/spec-1.fits", "/data/b/spec-2.fits", "/data/c/spec-3.fits", "/data/d/spec-4.fits"])
IDS = np.array(["LAMOST J0001", "2M00452143+1634446", "", "star 4"])
RA = np.array([10.0, 120.0, 359.9995, np.nan])
DEC = np.array([-5.0, 45.0, 0.0, np.nan])


def test_positions_match_within_two_arcseconds_across_ra_zero(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("RA,Dec,comment\n10.0004,-5.0,1.4 arcsec away\n0.0002,0.0,across RA 0: 2.5 arcsec? no: 0.0007 deg = 2.5\"\n120.01,45,36 arcsec away\n")
    targets = read_target_list(path)
    assert len(targets.ra) == 3 and not targets.files
    assert match(targets, SOURCES, IDS, RA, DEC).tolist() == [True, False, False, False]
    wider = match(targets, SOURCES, IDS, RA, DEC, radius_arcsec=3.0)
    assert wider.tolist() == [True, False, True, False]  # 359.9995 and 0.0002 are 2.5" apart


def test_file_names_and_ids_match_whatever_the_folder_or_case(tmp_path):
    path = tmp_path / "targets.fits"
    Table({"FILENAME": ["/elsewhere/spec-2.fits", "spec-9.fits"], "OBJECT": ["STAR 4", "nobody"]}).write(path)
    targets = read_target_list(path)
    assert targets.files == {"spec-2.fits", "spec-9.fits"} and targets.ids == {"star 4", "nobody"}
    assert match(targets, SOURCES, IDS, RA, DEC).tolist() == [False, True, False, True]
    ecsv = tmp_path / "targets.ecsv"
    Table({"designation": ["lamost j0001"]}).write(ecsv)
    assert match(read_target_list(ecsv), SOURCES, IDS, RA, DEC).tolist() == [True, False, False, False]


def test_a_list_that_names_nothing_we_can_match_says_why(tmp_path):
    path = tmp_path / "magnitudes.csv"
    path.write_text("g,r\n15.1,14.2\n")
    with pytest.raises(TargetListError, match="no RA/Dec, file name or object id column"):
        read_target_list(path)
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE  =                    T" + b"\0" * 10)
    with pytest.raises(TargetListError, match="not a readable table"):
        read_target_list(broken)


@pytest.mark.parametrize("text", [
    "file\nspec-2.fits\n/elsewhere/spec-4.fits\n",  # one column: no delimiter to find (letters are never one)
    "# my list\nra  dec\n120.0  45.0\n10.5 -5\n",  # blank-separated
    "ra;dec\n120.0;45.0\n",
    "ra\tdec\n120.0\t45.0\n",
])
def test_plain_text_lists_in_the_shapes_people_write_them(tmp_path, text):
    path = tmp_path / "list.txt"
    path.write_text(text)
    hits = match(read_target_list(path), SOURCES, IDS, RA, DEC)
    assert hits[1] and not hits[0] and not hits[2]
