"""Write and read the catalog as FITS binary table, ECSV, CSV, VOTable or Parquet, losslessly.

The file extension picks the format. Every format carries the provenance block (model, weights
hash, draws, seed, software version, flag definitions): FITS as header keywords, ECSV in its
YAML meta, VOTable as INFO elements, Parquet as schema metadata (units and descriptions as field
metadata); CSV stays plain (model and hash are columns). Writes go to a temporary file that
replaces the target, so a reader never sees half a catalog.

Parquet needs pyarrow (the ``distributed`` extra). A Parquet catalog may also be a folder of part
files (``write_part``), which pandas, pyarrow and Dask read as one table.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from astropy import units as u
from astropy.io import fits
from astropy.io.votable import from_table, parse
from astropy.io.votable.exceptions import VOWarning
from astropy.io.votable.tree import Info
from astropy.table import Table

from .. import __version__
from .flags import FLAGS
from .table import DESCRIPTIONS, TEXT_COLUMNS, TEXT_DTYPE, UNITS

FORMATS = {
    ".fits": "fits", ".fit": "fits", ".ecsv": "ecsv", ".csv": "csv", ".vot": "votable", ".xml": "votable",
    ".parquet": "parquet", ".pq": "parquet",
}
PARQUET_NEEDS = "Parquet needs pyarrow: pip install 'bossnet-gui[distributed]' (or pip install pyarrow)"


def catalog_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"unknown catalog extension '{suffix}': use one of {', '.join(sorted(FORMATS))}")
    if FORMATS[suffix] == "parquet" and not parquet_available():
        raise ValueError(PARQUET_NEEDS)
    return FORMATS[suffix]


def parquet_available() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def provenance(model_name: str = "", model_hash: str = "", draws: int | None = None, seed: int | None = None) -> dict:
    """The header block every export carries (FITS-safe keys)."""
    meta = {
        "SOFTWARE": f"bossnet-gui {__version__}",
        "CREATED": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "MODEL": model_name,
        "MODELSHA": model_hash,
    }
    if draws is not None:
        meta["DRAWS"] = int(draws)
    if seed is not None:
        meta["SEED"] = int(seed)
    for flag in FLAGS:
        meta[f"FLAG{flag.bit:02d}"] = f"{flag.name}: {flag.rule}"
    return meta


def file_text(text: str) -> str:
    """Text as a UTF-8 file can hold it: the bytes of a file name that are not UTF-8 (which Python keeps
    as surrogate escapes) become ``\\xNN``, so 'b\\xe9ta.fits' names the Latin-1 file 'béta.fits'."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    text = [name for name in frame.columns if frame[name].dtype == object or name in TEXT_COLUMNS]
    return frame.assign(**{name: [file_text(str(v)) if isinstance(v, str) else v for v in frame[name]] for name in text})


def append_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Append rows to a plain CSV file (the batch command's journal), with the header when the file is new."""
    _writable(frame).to_csv(path, mode="a", header=not Path(path).exists(), index=False, encoding="utf-8")


def write_catalog(frame: pd.DataFrame, path: str | Path, meta: dict | None = None) -> Path:
    path = Path(path)
    kind = catalog_format(path)
    frame, meta = _writable(frame), dict(meta or {})
    return _write_whole(path, lambda tmp: WRITERS[kind](frame, tmp, meta))


def _write_whole(path: Path, write) -> Path:
    """``write(tmp)`` into a hidden temporary file beside ``path`` that then replaces it: a reader sees all or nothing
    (pyarrow and Dask skip the hidden name when they read a folder of parts)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_catalog(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """The catalog and its provenance block."""
    kind = catalog_format(path)
    return READERS[kind](Path(path))


# -- astropy Table bridge ---------------------------------------------------------------------


def _to_table(frame: pd.DataFrame, meta: dict, text_as_bytes: bool = False, units: bool = True) -> Table:
    table = Table()
    for name in frame.columns:
        values = frame[name].to_numpy()
        if name in TEXT_COLUMNS or values.dtype == object:
            text = np.array(["" if v is None else str(v) for v in values], dtype=str)
            values = np.char.encode(text, "utf-8") if text_as_bytes else text
            if text_as_bytes and values.dtype.itemsize == 0:
                values = values.astype("S1")
        table[name] = values
        if units and name in UNITS:
            table[name].unit = UNITS[name]
        if name in DESCRIPTIONS:
            table[name].description = DESCRIPTIONS[name]
    table.meta.update(meta)
    return table


def _from_table(table: Table) -> pd.DataFrame:
    columns = {}
    for name in table.colnames:
        column = table[name]
        if getattr(column, "mask", None) is not None and np.any(column.mask):
            column = column.filled("" if column.dtype.kind in "SU" else np.nan)
        values = np.asarray(column)
        if values.dtype.byteorder not in "=|":
            values = values.astype(values.dtype.newbyteorder("="))
        if values.dtype.kind == "S":
            values = np.char.decode(values, "utf-8")
        if values.dtype.kind == "U" or name in TEXT_COLUMNS:
            values = _text(values)
        columns[name] = values
    return pd.DataFrame(columns)


def _text(values) -> pd.api.extensions.ExtensionArray:
    return pd.array(["" if v is None else str(v) for v in values], dtype=TEXT_DTYPE)


def _write_fits(frame, path, meta):
    table = _to_table(frame, {}, text_as_bytes=True, units=False)
    hdu = fits.BinTableHDU(table, name="CATALOG")
    for i, name in enumerate(table.colnames, start=1):
        if name not in UNITS:
            continue
        if _is_fits_unit(UNITS[name]):
            hdu.header[f"TUNIT{i}"] = UNITS[name]
        else:  # the FITS standard has no 'dex': a TUNIT would make every FITS reader warn, so the column comment says it
            hdu.header[f"TCOMM{i}"] = f"{DESCRIPTIONS.get(name, name)} [{UNITS[name]}]"
    for key, value in meta.items():
        hdu.header[key[:8].upper()] = value
    hdu.writeto(path, overwrite=True)


def _is_fits_unit(unit: str) -> bool:
    try:
        u.Unit(unit, format="fits")
    except ValueError:
        return False
    return True


def _read_fits(path):
    with fits.open(path) as hdul:
        hdu = hdul["CATALOG"] if "CATALOG" in hdul else hdul[1]
        table = Table.read(hdul, hdu=hdu.name if hdu.name else 1, character_as_bytes=True, unit_parse_strict="silent")
        skip = {"XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "TFIELDS", "EXTNAME"}
        meta = {k: v for k, v in hdu.header.items() if k not in skip and not k[:5] in ("TTYPE", "TFORM", "TUNIT", "TDISP", "TNULL", "TCOMM") and k != ""}
    return _from_table(table), meta


def _write_ecsv(frame, path, meta):
    _to_table(frame, meta).write(path, format="ascii.ecsv", overwrite=True)


def _read_ecsv(path):
    table = Table.read(path, format="ascii.ecsv")
    return _from_table(table), dict(table.meta)


def _write_votable(frame, path, meta):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VOWarning)  # 'dex' is not a VOUnit; the string is kept anyway
        votable = from_table(_to_table(frame, {}))
        for key, value in meta.items():
            votable.resources[0].infos.append(Info(name=key, value=str(value)))
        votable.to_xml(str(path))


def _read_votable(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VOWarning)  # 'dex' is not a VOUnit; the string is kept anyway
        votable = parse(str(path))
    table = votable.get_first_table().to_table(use_names_over_ids=True)
    meta = {info.name: _typed(info.value) for info in votable.resources[0].infos}
    return _from_table(table), meta


def _write_csv(frame, path, meta):
    # plain CSV (no comment lines), so TOPCAT and pandas.read_csv read it as is; ECSV keeps the metadata
    frame.to_csv(path, index=False, encoding="utf-8")


def _read_csv(path):
    header = pd.read_csv(path, nrows=0).columns
    text = {c: str for c in header if c in TEXT_COLUMNS}
    frame = pd.read_csv(path, dtype=text, keep_default_na=False, na_values={c: ["", "nan", "NaN"] for c in header if c not in text})
    return frame, {}


def _typed(value: str):
    for cast in (int, float):
        try:
            return cast(value)
        except (TypeError, ValueError):
            pass
    return value


# -- Parquet ----------------------------------------------------------------------------------


def arrow_table(frame: pd.DataFrame, meta: dict | None = None):
    """The catalog as an Arrow table: units and descriptions on the fields, provenance on the schema."""
    import pyarrow as pa

    table = pa.Table.from_pandas(_writable(frame), preserve_index=False)
    fields = []
    for field in table.schema:
        extra = {"unit": UNITS.get(field.name), "description": DESCRIPTIONS.get(field.name)}
        fields.append(field.with_metadata({k: v for k, v in extra.items() if v}))
    schema = pa.schema(fields, metadata={**(table.schema.metadata or {}), **{str(k): json.dumps(v) for k, v in (meta or {}).items()}})
    return table.cast(schema)


def write_part(table, folder: str | Path, name: str) -> Path:
    """One part file of a Parquet catalog folder, written whole or not at all."""
    import pyarrow.parquet as pq

    return _write_whole(Path(folder) / name, lambda tmp: pq.write_table(table, tmp))


def frame_from_arrow(table) -> pd.DataFrame:
    """Catalog rows from an Arrow table, text as the catalog keeps it."""
    frame = table.to_pandas()
    for name in frame.columns.intersection(TEXT_COLUMNS):
        frame[name] = _text(frame[name])
    return frame


def arrow_meta(schema) -> dict:
    """The provenance block ``arrow_table`` put on a schema."""
    return {key.decode(): json.loads(value) for key, value in (schema.metadata or {}).items() if key != b"pandas"}


def _write_parquet(frame, path, meta):
    import pyarrow.parquet as pq

    pq.write_table(arrow_table(frame, meta), path)


def _read_parquet(path):
    """A Parquet file, or a folder of part files read as one table (provenance from the first part)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return frame_from_arrow(table), arrow_meta(table.schema)


WRITERS = {"fits": _write_fits, "ecsv": _write_ecsv, "csv": _write_csv, "votable": _write_votable, "parquet": _write_parquet}
READERS = {"fits": _read_fits, "ecsv": _read_ecsv, "csv": _read_csv, "votable": _read_votable, "parquet": _read_parquet}
