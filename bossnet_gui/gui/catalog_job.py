"""Opening a catalog written by ``predict`` (or exported by the app), off the GUI thread.

The worker reads the file, turns it into the catalog's columns, indexes its rows by (file, HDU)
and puts in the verdicts and notes the session store holds for them, so that the GUI thread only
adopts finished arrays. Results are shown as the file has them, never recomputed; a star's
spectrum is read from its ``source`` when it is selected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..catalog.export import FORMATS, arrow_meta, file_text, read_catalog
from ..catalog.session import SessionStore
from ..catalog.table import BOOL_COLUMNS, INT_COLUMNS, TEXT_COLUMNS
from .column_store import COLUMNS, as_arrays, blank_arrays

CATALOG_EXTENSION = "CATALOG"  # the FITS extension `predict` and the app write


class SearchIndex:
    """Lower-cased "object id, newline, file name" of every row, for the table's text filter: an Arrow
    array when pyarrow is installed (a million rows searched in one C++ call, ~30 ms), else a list."""

    def __init__(self, ids: np.ndarray, sources: np.ndarray):
        texts = [f"{i}\n{os.path.basename(s)}".lower() for i, s in zip(ids, sources)]
        self.texts = texts
        try:
            import pyarrow as pa

            self.texts = pa.array(texts, type=pa.string())
        except ImportError:
            pass
        except UnicodeEncodeError:  # a file name that is not UTF-8
            self.texts = pa.array([file_text(t) for t in texts], type=pa.string())

    def __len__(self) -> int:
        return len(self.texts)

    def matches(self, text: str) -> np.ndarray:
        needle = text.lower()
        if isinstance(self.texts, list):
            return np.fromiter((needle in t for t in self.texts), dtype=bool, count=len(self.texts))
        import pyarrow.compute as pc

        return pc.match_substring(self.texts, file_text(needle)).to_numpy(zero_copy_only=False)


@dataclass
class OpenedCatalog:
    path: str
    arrays: dict[str, np.ndarray]  # every catalog column, one value per row
    meta: dict = field(default_factory=dict)
    search: SearchIndex | None = None  # made here, in the worker: ~1 s for a million rows

    def __len__(self) -> int:
        return len(self.arrays[COLUMNS[0]])


def is_catalog(path: str | os.PathLike, look_inside: bool = True) -> bool:
    """A results catalog rather than a spectrum: a table format by its extension, or (``look_inside``:
    reading its headers) FITS with a CATALOG extension."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        return False
    if kind != "fits":
        return True
    if not look_inside or not path.is_file():
        return False
    try:
        from astropy.io import fits

        with fits.open(path, lazy_load_hdus=True) as hdul:
            return len(hdul) > 1 and hdul[1].name == CATALOG_EXTENSION
    except Exception:  # not FITS after all: the spectrum readers say why
        return False


def open_catalog(path: str | os.PathLike, store: SessionStore | None = None) -> OpenedCatalog:
    """The catalog at ``path`` as columns, with the store's verdicts and notes put in (runs in a worker).

    Its rows are not indexed by (file, HDU) for re-prediction in place: a file with a row is not
    queued again, and Predict again starts from the files afresh."""
    arrays, meta = _arrays(Path(path))
    opened = OpenedCatalog(str(path), arrays, meta=meta, search=SearchIndex(arrays["id"], arrays["source"]))
    if store is not None:
        _put_saved_vetting(opened, store)
    return opened


def _arrays(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    if FORMATS.get(path.suffix.lower()) == "parquet":
        return _arrays_from_parquet(path)
    frame, meta = read_catalog(path)
    return as_arrays(frame), meta


def _arrays_from_parquet(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Columns straight from Arrow, read one at a time (C++ conversions, no Python loop over the rows,
    and only one column's Arrow buffers alive at once)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    present = set(dataset.schema.names)
    arrays = blank_arrays(dataset.count_rows())
    for name in COLUMNS:
        if name in present:
            arrays[name] = _numpy_column(name, dataset.to_table(columns=[name]).column(0))
    return arrays, arrow_meta(dataset.schema)


def _numpy_column(name: str, column) -> np.ndarray:
    import pyarrow as pa

    if name in TEXT_COLUMNS:
        # through a dictionary: each distinct text is one Python object (a status shared by a million rows
        # would otherwise be a million copies, ~55 MB per column)
        encoded = column.cast(pa.string()).fill_null("").combine_chunks().dictionary_encode()
        return encoded.dictionary.to_numpy(zero_copy_only=False)[encoded.indices.to_numpy()]
    if name in BOOL_COLUMNS:
        return column.fill_null(False).to_numpy().astype(bool)
    if name in INT_COLUMNS:
        return column.fill_null(0).to_numpy().astype(np.int64)
    return column.cast(pa.float64()).to_numpy()


def _put_saved_vetting(opened: OpenedCatalog, store: SessionStore) -> None:
    """Verdicts and notes the store holds for rows of this catalog. The store names files by their resolved
    path: rows whose file name matches a stored one are resolved and compared (few, however big the catalog)."""
    from ..catalog.session import store_key

    saved = store.all_vetting()
    if not saved:
        return
    names = {Path(source).name for source, _ in saved}
    arrays = opened.arrays
    for row, (source, hdu) in enumerate(zip(arrays["source"], arrays["hdu"])):
        if os.path.basename(source) in names and (key := (store_key(source), hdu)) in saved:
            arrays["user_flag"][row], arrays["note"][row] = saved[key]
