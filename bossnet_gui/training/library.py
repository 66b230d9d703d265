"""The labelled spectra we train on: MILES and STELIB library stars, LAMOST DR1 survey spectra and
Koester's DA white-dwarf models.

Every source becomes a list of ``LabelledStar``: vacuum wavelengths, flux (and an error array for
survey spectra), the four labels in the model's output order (NaN where unknown), what kind of
object it is, and whether it may be trained on: the white dwarfs and hot subdwarfs among the
library stars (labels of unknown quality) are held out to test the flags, the model white dwarfs
are trained on.

Label sources
  MILES v9.1  ``MILES_params.db`` (Cenarro et al. 2007): Teff, log g, [Fe/H]; 9999 (99999 for Teff)
              means unknown. Names and spectral types come from ``paramsMILES_v9.1.txt``.
  STELIB v3.2 FITS header keys TEFF, LOG_G, FE_H ('-' = unknown) and SPECTYPE.
  LAMOST DR1  ``labels_lasp.csv``: the LAMOST pipeline's (LASP) Teff, log g, [Fe/H], RV.
  Koester DA  the grid's own Teff and log g (no [Fe/H]: pure hydrogen); air wavelengths, 1 Å bins.
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
MILES, STELIB, LAMOST, KOESTER = "MILES", "STELIB", "LAMOST", "KOESTER"
STAR, WHITE_DWARF, HOT_SUBDWARF = "star", "white dwarf", "hot subdwarf"
MILES_FWHM, STELIB_FWHM = 2.5, 3.0  # Å, instrumental resolution of the library spectra
KOESTER_FWHM = 1.0  # Å: 1 Å bin means of unbroadened models
# Koester models are split in blocks of neighbouring grid points (Teff steps × log g steps), so a
# held-out model has no training model one grid step away on every side
KOESTER_BLOCK = (4, 3)
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
    trainable: bool | None = None  # None: ordinary stars only (kind == STAR)

    @property
    def trains(self) -> bool:
        """Whether it may enter training; the others are held out to test the flags."""
        return self.kind == STAR if self.trainable is None else self.trainable

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


# -- Koester DA white dwarfs --------------------------------------------------------------------


def _grid_block(values: np.ndarray, step: int) -> np.ndarray:
    """Block number of each value along one grid axis: ``step`` neighbouring grid values per block."""
    return np.searchsorted(np.unique(values), values) // step


def load_koester_da(path: str | Path) -> list[LabelledStar]:
    """Koester's DA models (``koester_da.fits`` of ../shared/data/white_dwarfs), one ``LabelledStar`` per model.

    Flux is F_λ at the stellar surface; only its shape matters, as every observation is rescaled.
    ``star`` is the model's grid block, the unit the split keeps together."""
    with fits.open(path) as hdul:
        air = np.asarray(hdul["WAVE"].data, dtype=np.float64)
        flux = np.asarray(hdul["FLUX"].data, dtype=np.float32)
        params = hdul["PARAMS"].data
        teff, logg, names = (np.asarray(params[c]) for c in ("TEFF", "LOGG", "MODEL"))
    vacuum = air_to_vacuum(air)
    teff_block, logg_block = _grid_block(teff, KOESTER_BLOCK[0]), _grid_block(logg, KOESTER_BLOCK[1])
    return [
        LabelledStar(
            spectrum_id=f"{KOESTER} {str(names[i]).strip()}",
            star=f"{KOESTER} block {teff_block[i]}-{logg_block[i]}",
            library=KOESTER,
            spectral_type="DA",
            wavelength=vacuum,
            flux=flux[i],
            labels=label_vector(float(teff[i]), float(logg[i]), math.nan),
            kind=WHITE_DWARF,
            fwhm=KOESTER_FWHM,
            extra={"grid_block": (int(teff_block[i]), int(logg_block[i])), "name": f"Koester DA {teff[i]:.0f} K, log g {logg[i]:.2f}"},
            trainable=True,
        )
        for i in range(len(teff))
    ]
