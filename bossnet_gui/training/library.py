"""The labelled spectra we train on: MILES and STELIB library stars and LAMOST DR1 survey spectra.

Every source becomes a list of ``LabelledStar``: vacuum wavelengths, flux (and an error array for
survey spectra), the four labels in the model's output order (NaN where unknown) and what kind of
object it is, so that white dwarfs and hot subdwarfs can be held out of training.

Label sources
  MILES v9.1  ``MILES_params.db`` (Cenarro et al. 2007): Teff, log g, [Fe/H]; 9999 (99999 for Teff)
              means unknown. Names and spectral types come from ``paramsMILES_v9.1.txt``.
  STELIB v3.2 FITS header keys TEFF, LOG_G, FE_H ('-' = unknown) and SPECTYPE.
  LAMOST DR1  ``labels_lasp.csv``: the LAMOST pipeline's (LASP) Teff, log g, [Fe/H], RV.
Library stars are in their rest frame (checked: MILES line centres agree with laboratory
wavelengths to ~1 km/s median; STELIB against MILES for 99 common stars: -9 km/s median,
12 km/s MAD, uncorrelated with the header RADVEL), so their RV label is 0 before a simulated shift.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits

from ..io import read_spectra
from ..io.common import air_to_vacuum
from ..spectrum import Spectrum

LABELS = ("logg", "logTeff", "FeH", "rv")  # the published BOSS model's output order
MILES, STELIB, LAMOST = "MILES", "STELIB", "LAMOST"
STAR, WHITE_DWARF, HOT_SUBDWARF = "star", "white dwarf", "hot subdwarf"
MILES_FWHM, STELIB_FWHM = 2.5, 3.0  # Å, instrumental resolution of the library spectra
MILES_UNKNOWN_TEFF, MILES_UNKNOWN = 99999.0, 9999.0  # placeholders in MILES_params.db

# Hot subdwarfs among the MILES stars: typed "A"/"B5" in the MILES table, but their labels
# (Teff 25,200 K / 36,000 K at log g 5.4 / 5.5) place them on the extreme horizontal branch.
MILES_HOT_SUBDWARFS = {"HD004539", "HD149382"}


@dataclass(frozen=True, eq=False)
class LabelledStar:
    """One labelled spectrum: a library star (no error array) or a survey spectrum."""

    spectrum_id: str  # unique, e.g. "MILES m0647" or "LAMOST spec-55862-B6212_sp06-003"
    star: str  # the same star in several libraries shares this key (split unit)
    library: str
    spectral_type: str
    wavelength: np.ndarray  # vacuum Å
    flux: np.ndarray
    labels: np.ndarray  # (4,) in LABELS order, NaN = unknown
    kind: str = STAR
    fwhm: float = math.nan  # Å, library resolution; NaN for survey spectra
    observed: Spectrum | None = None  # the survey spectrum as read, when this is one
    extra: dict = field(default_factory=dict)

    @property
    def teff(self) -> float:
        return 10 ** self.labels[LABELS.index("logTeff")]

    @property
    def has_teff(self) -> bool:
        return bool(np.isfinite(self.labels[LABELS.index("logTeff")]))


def star_key(name: str) -> str:
    """Cross-library identity of a star: upper case, spaces and observation suffixes ('lp', 'ss') dropped."""
    name = re.sub(r"\s+", "", name)
    return re.sub(r"[a-z]+$", "", name).upper()


def label_vector(teff: float, logg: float, feh: float, rv: float = 0.0) -> np.ndarray:
    values = {"logg": logg, "logTeff": math.log10(teff) if teff > 0 else math.nan, "FeH": feh, "rv": rv}
    return np.array([values[name] for name in LABELS], dtype=np.float64)


def linear_wavelength(header: fits.Header, n_pixels: int) -> np.ndarray:
    step = header.get("CDELT1", header.get("CD1_1"))
    return header["CRVAL1"] + step * (np.arange(n_pixels) + 1 - header.get("CRPIX1", 1))


# -- MILES --------------------------------------------------------------------------------------


def _miles_names(folder: Path) -> dict[str, tuple[str, str]]:
    """MILES number (e.g. '0647') -> (star name, spectral type), from the fixed-width table."""
    names = {}
    for line in (folder / "paramsMILES_v9.1.txt").read_text().splitlines()[3:]:
        number = line[22:29].strip()
        if number.isdigit():
            names[number] = (line[:22].strip(), line[35:50].strip())
    return names


def _miles_labels(folder: Path) -> dict[str, np.ndarray]:
    labels = {}
    for line in (folder / "MILES_params.db").read_text().splitlines():
        parts = line.split()
        if line.startswith("#") or len(parts) != 4:
            continue
        teff, logg, feh = (float(v) for v in parts[1:])
        teff = math.nan if teff == MILES_UNKNOWN_TEFF else teff
        logg, feh = (math.nan if v == MILES_UNKNOWN else v for v in (logg, feh))
        labels[parts[0]] = label_vector(teff, logg, feh)
    return labels


def load_miles(folder: str | Path) -> list[LabelledStar]:
    folder = Path(folder)
    names, labels = _miles_names(folder), _miles_labels(folder)
    stars = []
    for path in sorted(folder.glob("MILES_res2.50_star_m*V.fits")):
        number = re.search(r"_m(\d{4})V", path.name).group(1)
        name, spectral_type = names.get(number, (f"m{number}", ""))
        with fits.open(path) as hdul:
            flux = np.asarray(hdul[0].data, dtype=np.float64)
            air = linear_wavelength(hdul[0].header, len(flux))
        stars.append(
            LabelledStar(
                spectrum_id=f"{MILES} m{number}",
                star=star_key(name),
                library=MILES,
                spectral_type=spectral_type,
                wavelength=air_to_vacuum(air),
                flux=flux,
                labels=labels.get(number, label_vector(math.nan, math.nan, math.nan)),
                kind=HOT_SUBDWARF if star_key(name) in MILES_HOT_SUBDWARFS else STAR,
                fwhm=MILES_FWHM,
                extra={"name": name},
            )
        )
    return stars


# -- STELIB -------------------------------------------------------------------------------------


def _header_number(header: fits.Header, key: str) -> float:
    try:
        return float(str(header.get(key, "-")).strip())
    except ValueError:
        return math.nan


def stelib_kind(spectral_type: str) -> str:
    """White dwarfs are typed D<class> (DA, DB, DC, ...); hot subdwarfs sdB/sdO."""
    spectral_type = spectral_type.strip()
    if re.match(r"D[ABCOQZX]", spectral_type):
        return WHITE_DWARF
    if re.match(r"sd[OB]", spectral_type):
        return HOT_SUBDWARF
    return STAR


def load_stelib(folder: str | Path) -> list[LabelledStar]:
    stars = []
    for path in sorted(Path(folder).glob("STELIB_v3.2_*.fits")):
        with fits.open(path) as hdul:
            header = hdul[0].header
            flux = np.asarray(hdul[0].data, dtype=np.float64)
            air = linear_wavelength(header, len(flux))
        flux[flux <= 0] = np.nan  # STELIB fills wavelengths it did not observe with 0
        name = str(header.get("OBJECT", path.stem.split("_")[-1])).strip()
        spectral_type = str(header.get("SPECTYPE", "")).strip()
        teff, logg, feh = (_header_number(header, k) for k in ("TEFF", "LOG_G", "FE_H"))
        stars.append(
            LabelledStar(
                spectrum_id=f"{STELIB} {path.stem.split('_', 2)[-1]}",
                star=star_key(name),
                library=STELIB,
                spectral_type=spectral_type,
                wavelength=air_to_vacuum(air),
                flux=flux,
                labels=label_vector(teff, logg, feh),
                kind=stelib_kind(spectral_type),
                fwhm=STELIB_FWHM,
                extra={"name": name, "header_radvel": _header_number(header, "RADVEL")},
            )
        )
    return stars


# -- LAMOST DR1 ---------------------------------------------------------------------------------


def load_lamost(folder: str | Path) -> list[LabelledStar]:
    """The LAMOST DR1 spectra that have LASP labels, read with the app's own LAMOST reader."""
    folder = Path(folder)
    table = pd.read_csv(folder / "labels_lasp.csv")
    stars = []
    for row in table.itertuples(index=False):
        spectrum = read_spectra(folder / row.file)[0]
        stars.append(
            LabelledStar(
                spectrum_id=f"{LAMOST} {Path(row.file).stem}",
                star=f"LAMOST {row.designation}",
                library=LAMOST,
                spectral_type=str(row.subclass),
                wavelength=spectrum.wavelength,
                flux=spectrum.flux,
                labels=label_vector(row.teff, row.logg, row.feh, row.rv),
                observed=spectrum,
                extra={"file": row.file, "snrg": row.snrg, "rv_err": row.rv_err},
            )
        )
    return stars


def load_all(miles: str | Path, stelib: str | Path, lamost: str | Path | None) -> list[LabelledStar]:
    stars = load_miles(miles) + load_stelib(stelib)
    return stars + (load_lamost(lamost) if lamost else [])
