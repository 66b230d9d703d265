"""The results table: one row per input spectrum (failed ones included), as a pandas DataFrame.

Column names follow the published pipeline's CSV (``logg``, ``logTeff``, ``FeH``, ``rv`` point
estimates, ``<name>_median`` and ``<name>_err`` over the Monte-Carlo draws), plus identity,
provenance, quality flags and the person's vetting (``user_flag``, ``note``). ``survey_*`` are the
survey pipeline's own values where the file holds them (LAMOST LASP class and RV; SDSS class, redshift
and ELODIE template parameters; APOGEE ASPCAP calibrated parameters and RV), to compare with ours.
"""

from __future__ import annotations

import math
import warnings
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..io.common import SURVEY_KEYS, doppler_shift
from ..preprocess import GRID_START, GRID_STOP
from ..results import OK, BatchResult
from ..spectrum import OPTICAL, Spectrum
from .flags import DISAGREEMENT_SCALES, FLAGS, Thresholds, compute_flags

if TYPE_CHECKING:
    from ..model.weights import LoadedModel

KEY = ["source", "hdu"]
IDENTITY = ["status", "id", "ra", "dec", "snr", "instrument", "survey", "file_format"]
PARAMETERS = ["logTeff", "logg", "FeH", "rv", "Teff"]
SURVEY = list(SURVEY_KEYS)  # the survey pipeline's values, from the file (io.common.survey_values)
# a second model run on the same spectra (point estimates), and how far it is from the first
COMPARISON = ["cmp_Teff", "cmp_logg", "cmp_FeH", "delta_Teff", "delta_logg", "delta_FeH", "disagreement", "cmp_model"]
DIAGNOSTICS = ["extrapolated_fraction", "bad_flux_fraction", "ood_score", "balmer_ew"]
BALMER_VACUUM = (4862.68, 4341.68, 4102.89)  # Å: Hβ, Hγ, Hδ
BALMER_CORE, BALMER_SIDE = 25.0, (70.0, 120.0)  # Å from the line: the summed core, the continuum bands either side
FLAG_COLUMNS = ["result_flags", "flag_warn", "flag_bad", "flag_vet", "flag_names"]
PROVENANCE = ["model", "model_hash"]
VETTING = ["user_flag", "note"]
USER_FLAGS = ("", "good", "bad", "white dwarf", "binary", "unsure")
TEXT_COLUMNS = ("source", "hdu", "status", "id", "instrument", "survey", "file_format", "survey_class", "cmp_model", "flag_names", "model", "model_hash",
                "user_flag", "note")
BOOL_COLUMNS = ("flag_warn", "flag_bad", "flag_vet")
INT_COLUMNS = ("result_flags",)  # every other column is float
# pandas' "str" kept in Python objects. With pyarrow installed pandas stores text in Arrow, which cannot
# hold a file name that is not UTF-8 (Python keeps its bytes as surrogate escapes): every frame built from
# such a name would raise, and a frame of Python text concatenated with an Arrow one is converted to
# Arrow. So text in this process stays Python text (pandas' own behaviour without pyarrow).
pd.set_option("mode.string_storage", "python")
TEXT_DTYPE = pd.StringDtype("python", na_value=np.nan)

UNITS = {
    "ra": "deg",
    "dec": "deg",
    "logTeff": "dex",  # log10(Teff / K)
    "logg": "dex",  # log10(g / (cm s-2))
    "FeH": "dex",
    "rv": "km/s",
    "Teff": "K",
    "balmer_ew": "Angstrom",
    "cmp_Teff": "K",
    "cmp_logg": "dex",
    "cmp_FeH": "dex",
    "delta_Teff": "K",
    "delta_logg": "dex",
    "delta_FeH": "dex",
    "survey_teff": "K",
    "survey_logg": "dex",
    "survey_feh": "dex",
    "survey_rv": "km/s",
}
DESCRIPTIONS = {
    "source": "path of the input file",
    "hdu": "part of the file the spectrum came from",
    "status": "ok, or why no prediction was made",
    "snr": "median S/N per pixel (file's value, else estimated)",
    "logTeff": "log10 effective temperature (point estimate)",
    "logg": "log10 surface gravity, cgs (point estimate)",
    "FeH": "metallicity [Fe/H] (point estimate)",
    "rv": "radial velocity (point estimate)",
    "Teff": "effective temperature, 10**logTeff",
    "survey_teff": "the survey pipeline's Teff (ASPCAP; SDSS: ELODIE template)",
    "survey_logg": "the survey pipeline's log g (ASPCAP; SDSS: ELODIE template)",
    "survey_feh": "the survey pipeline's [Fe/H] or [M/H] (ASPCAP; SDSS: ELODIE template)",
    "survey_rv": "the survey pipeline's radial velocity (LAMOST HELIO_RV or c*Z, SDSS c*Z, APOGEE VHELIO)",
    "survey_class": "the survey pipeline's class and subclass (LAMOST, SDSS) or ASPCAP grid class",
    "cmp_Teff": "Teff from the comparison model (point estimate)",
    "cmp_logg": "log g from the comparison model (point estimate)",
    "cmp_FeH": "[Fe/H] from the comparison model (point estimate)",
    "delta_Teff": "Teff minus the comparison model's",
    "delta_logg": "log g minus the comparison model's",
    "delta_FeH": "[Fe/H] minus the comparison model's",
    "disagreement": "largest difference from the comparison model in units of 0.05 dex (log Teff) or 0.5 dex (log g, [Fe/H])",
    "cmp_model": "name of the comparison model",
    "extrapolated_fraction": "share of the 3800-8900 A grid outside the spectrum's coverage",
    "bad_flux_fraction": "share of pixels in 3800-8900 A missing, masked or not positive",
    "ood_score": "distance from the model's training set (1 = typical validation star)",
    "balmer_ew": "equivalent width of H-beta + H-gamma + H-delta absorption at the predicted RV (A; NaN where not covered)",
    "result_flags": "quality bits (bits 0-4 as SDSS-V Astra; see header FLAGnn)",
    "user_flag": "the person's vetting verdict",
    "note": "the person's note",
}


def parameter_columns(draws: int) -> list[str]:
    columns = list(PARAMETERS)
    if draws:
        columns += [f"{p}_median" for p in PARAMETERS] + [f"{p}_err" for p in PARAMETERS]
    return columns


def all_columns(draws: int) -> list[str]:
    return KEY + IDENTITY + parameter_columns(draws) + SURVEY + COMPARISON + DIAGNOSTICS + FLAG_COLUMNS + PROVENANCE + VETTING


RESULTS_LOGIC = 1  # raise when the flags or derived columns of the same prediction change meaning


def results_version() -> str:
    """What a stored result row was made by: the logic number and the column set (a new column changes it by itself);
    the session store reuses only rows of the present version."""
    return f"{RESULTS_LOGIC}-{zlib.crc32(','.join(all_columns(1)).encode()):08x}"


def column_dtype(name: str):
    if name in TEXT_COLUMNS:
        return object
    if name in BOOL_COLUMNS:
        return bool
    if name in INT_COLUMNS:
        return np.int64
    return float


def empty_value(name: str):
    """What a column holds where nothing is known: "", False, 0 or NaN."""
    return "" if name in TEXT_COLUMNS else False if name in BOOL_COLUMNS else 0 if name in INT_COLUMNS else np.nan


def bad_flux_fraction(spectrum: Spectrum) -> float:
    """Share of pixels (within the optical grid's range, or all for APOGEE) missing, masked or <= 0."""
    pixels = np.ones(spectrum.n_pixels, dtype=bool)
    if spectrum.meta.domain == OPTICAL:
        pixels = (spectrum.wavelength >= GRID_START) & (spectrum.wavelength <= GRID_STOP)
    if not pixels.any():
        return 1.0
    flux = spectrum.flux[pixels]
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(flux) | ~spectrum.mask[pixels] | (flux <= 0)
    return float(bad.mean())


def balmer_equivalent_width(spectrum: Spectrum, rv: float = math.nan) -> float:
    """Hβ + Hγ + Hδ absorption equivalent width (Å; emission counts negative) at radial velocity ``rv`` (km/s; NaN:
    at rest): each line's flux deficit within ``BALMER_CORE`` Å below a straight continuum through the median flux of
    the bands ``BALMER_SIDE`` Å either side. NaN unless every line has most of its core and both bands usable.
    Every normal star between ~7,000 and ~30,000 K shows several Å in each line; a featureless spectrum shows none."""
    wavelength, flux = np.asarray(spectrum.wavelength, dtype=float), np.asarray(spectrum.flux, dtype=float)
    with np.errstate(invalid="ignore"):
        usable = spectrum.mask & np.isfinite(flux) & (flux > 0)
    step = np.gradient(wavelength)
    total = 0.0
    for centre in doppler_shift(np.array(BALMER_VACUUM), rv):
        offset = wavelength - centre
        distance = np.abs(offset)
        sides = [usable & (distance > BALMER_SIDE[0]) & (distance < BALMER_SIDE[1]) & (np.sign(offset) == sign) for sign in (-1, 1)]
        inside = distance <= BALMER_CORE
        core = usable & inside
        expected = np.count_nonzero(inside)
        if min(np.count_nonzero(side) for side in sides) < 5 or expected == 0 or np.count_nonzero(core) < 0.7 * expected:
            return math.nan
        (x0, y0), (x1, y1) = ((np.median(offset[side]), np.median(flux[side])) for side in sides)
        continuum = y0 + (y1 - y0) * (offset[core] - x0) / (x1 - x0)
        total += float(np.sum((1.0 - flux[core] / continuum) * step[core]) * expected / np.count_nonzero(core))
    return total


def _identity(spectrum: Spectrum | None) -> dict:
    if spectrum is None:
        return {"id": "", "ra": math.nan, "dec": math.nan, "snr": math.nan, "instrument": "", "survey": "", "file_format": "", "bad_flux_fraction": math.nan,
                "truncated_file": False, **{name: empty_value(name) for name in SURVEY}}
    meta = spectrum.meta
    return {
        **{name: meta.extra.get(name, empty_value(name)) for name in SURVEY},
        "id": meta.object_id,
        "ra": meta.ra,
        "dec": meta.dec,
        "snr": meta.snr,
        "instrument": meta.instrument,
        "survey": meta.survey,
        "file_format": meta.file_format,
        "bad_flux_fraction": bad_flux_fraction(spectrum),
        "truncated_file": "truncated" in meta.extra,  # for its flag only: not a catalog column
    }


def frame_from_batch(batch: BatchResult, model: LoadedModel | None, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Catalog rows for one batch of results, flags computed (``model`` None: rows no model looked at)."""
    draws = batch.median is not None
    frame = pd.DataFrame([_identity(s) for s in batch.spectra], columns=list(_identity(None)))
    frame.insert(0, "source", [s for s, _ in batch.sources])
    frame.insert(1, "hdu", [h for _, h in batch.sources])
    frame.insert(2, "status", batch.status)
    for name in PARAMETERS:
        known = name in batch.columns  # an APOGEE model has no rv
        j = batch.columns.index(name) if known else None
        frame[name] = batch.point[:, j] if known else math.nan
        if draws:
            frame[f"{name}_median"] = batch.median[:, j] if known else math.nan
            frame[f"{name}_err"] = batch.std[:, j] if known else math.nan
    frame["extrapolated_fraction"] = batch.extrapolated_fraction
    frame["ood_score"] = batch.ood_score
    rv = frame["rv"].to_numpy(dtype=float)  # only predicted rows: the flag that reads it needs a predicted Teff
    frame["balmer_ew"] = [balmer_equivalent_width(s, v) if s is not None and status == OK else math.nan
                          for s, v, status in zip(batch.spectra, rv, batch.status)]
    if thresholds is None:
        thresholds = Thresholds.for_model(dict(model.metadata), model.ood.threshold if model.ood else None) if model else Thresholds()
    frame = pd.concat([frame, compute_flags(frame, thresholds)], axis=1)
    frame["flag_names"] = [flag_names(int(bits)) for bits in frame["result_flags"]]
    frame["model"] = model.name if model else ""
    frame["model_hash"] = model.content_hash if model else ""
    frame["user_flag"] = ""
    frame["note"] = ""
    for name in COMPARISON:  # filled by ``with_comparison`` when a second model runs
        frame[name] = empty_value(name)
    return frame[all_columns(1 if draws else 0)]


def with_comparison(frame: pd.DataFrame, other: BatchResult, model_name: str) -> pd.DataFrame:
    """``frame`` with the ``COMPARISON`` columns from a second model's results for the same inputs."""
    point = {name: other.point[:, other.columns.index(name)] if name in other.columns else np.full(len(frame), np.nan)
             for name in ("logTeff", "logg", "FeH", "Teff")}
    frame = frame.copy()
    frame["cmp_Teff"], frame["cmp_logg"], frame["cmp_FeH"] = point["Teff"], point["logg"], point["FeH"]
    frame["delta_Teff"] = frame["Teff"] - point["Teff"]
    frame["delta_logg"] = frame["logg"] - point["logg"]
    frame["delta_FeH"] = frame["FeH"] - point["FeH"]
    apart = np.column_stack([np.abs(frame[name].to_numpy(dtype=float) - point[name]) / scale for name, scale in DISAGREEMENT_SCALES.items()])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: failed files
        frame["disagreement"] = np.nanmax(apart, axis=1)
    frame["cmp_model"] = model_name
    return frame


def unpredicted_frame(items, reason: str, draws: int = 0) -> pd.DataFrame:
    """Catalog rows (identity, S/N, read failures' reasons) for spectra no model looked at; the others say ``reason``."""
    return frame_from_batch(BatchResult.unpredicted(items, tuple(PARAMETERS), reason, draws=draws), None)


def flag_names(bits: int) -> str:
    return ";".join(flag.name for flag in FLAGS if bits & (1 << flag.bit))


def ok_rows(frame: pd.DataFrame) -> pd.Series:
    return frame["status"] == OK
