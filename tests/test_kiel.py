import csv

import numpy as np

from bossnet_gui.catalog.flags import compute_flags
from bossnet_gui.kiel import gap_zone, main_sequence, white_dwarf_sequence, zams_luminosity, zams_radius


def test_zams_sun():
    # Tout et al. (1996): the zero-age Sun had ~0.7 Lsun and ~0.89 Rsun
    assert 0.65 < float(zams_luminosity(1.0)) < 0.75
    assert 0.85 < float(zams_radius(1.0)) < 0.92


def test_main_sequence_follows_pecaut_mamajek(reference):
    with open(reference / "kiel" / "main_sequence_mamajek.csv") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    teff = np.array([float(r["teff"]) for r in rows])
    logg = np.array([float(r["logg"]) for r in rows])
    ours_teff, ours_logg = main_sequence()
    keep = (teff > 3000) & (teff < 40000)
    ours = np.interp(np.log10(teff[keep]), np.log10(ours_teff), ours_logg)
    offset = ours - logg[keep]
    # a zero-age sequence sits a little above (more compact than) the mean dwarf sequence
    assert (offset > -0.1).all() and offset.max() < 0.3 and np.median(offset) < 0.2


def test_white_dwarf_band_and_gap_outline_agree_with_the_flag():
    teff, centre, half = white_dwarf_sequence()
    assert teff.min() == 4000 and teff.max() == 100000 and (centre == 8).all() and (half == 0.3).all()
    polygon = gap_zone()
    inside = {"Teff": 6000.0, "logg": 6.5, "logTeff": np.log10(6000), "FeH": 0.0}
    import pandas as pd

    bits = compute_flags(pd.DataFrame([inside]))["result_flags"][0]
    assert bits & (1 << 10)
    assert polygon[:, 0].max() == 10000 and polygon[:, 1].min() == 5.5 and polygon[:, 1].max() == 7.5
