"""The survey pipeline's own values, read from each format into ``survey_*`` and carried as catalog columns."""

import math

import pytest

from bossnet_gui.catalog.table import SURVEY, UNITS, frame_from_batch
from bossnet_gui.io import read_spectra
from bossnet_gui.io.common import survey_values
from bossnet_gui.results import BatchResult

from ..conftest import DATA, require


def test_survey_values_keep_what_is_known_and_turn_a_redshift_into_a_velocity():
    assert survey_values(5800.0, math.nan, None, z=1e-4, star_class=["STAR", " G2 "]) == {
        "survey_teff": 5800.0, "survey_rv": pytest.approx(29.9792458), "survey_class": "STAR G2"}
    assert survey_values(rv=12.0, z=1.0) == {"survey_rv": 12.0}  # a stated RV wins over the redshift
    assert survey_values(rv=math.nan, star_class="") == {}


@pytest.mark.parametrize("path, expected", [
    ("sdss/spec-0266-51602-0031.fits", {"survey_class": "STAR WD", "survey_teff": 9000.0, "survey_logg": 4.0, "survey_feh": -2.5}),
    ("lamost_dr8/spec-55859-F5902_sp03-232.fits.gz", {"survey_class": "STAR F4", "survey_rv": pytest.approx(25.10252)}),
    ("lamost_dr1/spec-55862-B6212_sp06-003.fits", {"survey_class": "STAR F9", "survey_rv": pytest.approx(-26.3976499518)}),  # HELIO_RV, not c*Z
])
def test_each_reader_fills_the_survey_values_its_files_hold(path, expected):
    extra = read_spectra(require(DATA / path))[0].meta.extra
    assert {k: extra[k] for k in expected} == expected


def test_aspcap_values_and_velocity_become_survey_values():
    spectra = [read_spectra(p)[0] for p in sorted(require(DATA / "apogee" / "aspcapStar").glob("*.fits"))]
    assert all(math.isfinite(s.meta.extra["survey_rv"]) and s.meta.extra["survey_class"] for s in spectra)
    pairs = [(s.meta.extra.get(f"aspcap_{a}", math.nan), s.meta.extra.get(f"survey_{b}")) for s in spectra for a, b in (("teff", "teff"), ("logg", "logg"), ("m_h", "feh"))]
    assert any(math.isfinite(aspcap) for aspcap, _ in pairs)  # calibrated values among the files
    assert all(survey == aspcap if math.isfinite(aspcap) else survey is None for aspcap, survey in pairs)


def test_catalog_rows_carry_the_survey_columns_with_units():
    spectrum = read_spectra(require(DATA / "sdss" / "spec-0266-51602-0031.fits"))[0]
    frame = frame_from_batch(BatchResult.unpredicted([spectrum], ("logg", "logTeff", "FeH", "rv", "Teff")), None)
    assert frame.loc[0, "survey_class"] == "STAR WD" and frame.loc[0, "survey_teff"] == 9000.0
    assert set(SURVEY) <= set(frame.columns) and UNITS["survey_teff"] == "K" and UNITS["survey_rv"] == "km/s"
