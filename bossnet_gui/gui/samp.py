"""SAMP: the catalog and the current star's spectrum to TOPCAT, SPLAT, Aladin...; TOPCAT's row selections back.

``SampLink`` is the app's SAMP client. It connects on the first send and stays registered with the
hub until ``shut_down``, so that TOPCAT can send ``table.select.rowList`` for a table the app sent.
Every table sent keeps the catalog rows it holds, so a row index TOPCAT sends maps back to the
catalog row even when the table was filtered. Messages arrive on the client's XML-RPC thread and are
handed to the GUI thread through a queued Qt signal; nothing else touches the catalog off that thread.

The SAMP classes come from ``pyvo.samp`` where it is installed, else from ``astropy.samp`` (deprecated
in astropy 8 in favour of pyvo.samp, still shipped, same API).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np
import pandas as pd
from astropy.io.votable import from_table
from astropy.io.votable.tree import Param
from astropy.table import Table
from astropy.units import UnitsWarning
from PySide6.QtCore import QObject, Signal
from superqt.utils import create_worker

from ..catalog.export import write_catalog
from ..spectrum import Spectrum
from .catalog_model import CatalogModel
from .spectrum_cache import Key, read_spectrum

APP_NAME = "bossnet-gui"
LOOPBACK = "127.0.0.1"  # the app's callback server: SAMP hubs and their clients run on this machine
TABLE_LOAD = "table.load.votable"
SPECTRUM_LOAD = "spectrum.load.ssa-generic"
SELECT_ROWS = "table.select.rowList"
HIGHLIGHT_ROW = "table.highlight.row"
NO_HUB = "SAMP: no hub is running (start TOPCAT, or another SAMP hub, first)"

# name, unit, UCD, utype (IVOA Spectral Data Model, as SSA services serve it; SPLAT reads these)
SPECTRUM_COLUMNS = (
    ("WAVELENGTH", "Angstrom", "em.wl", "spec:Spectrum.Data.SpectralAxis.Value"),
    ("FLUX", None, "phot.flux.density;em.wl", "spec:Spectrum.Data.FluxAxis.Value"),
    ("FLUX_ERROR", None, "stat.error;phot.flux.density;em.wl", "spec:Spectrum.Data.FluxAxis.Accuracy.StatError"),
    ("QUALITY", None, "meta.code.qual", "spec:Spectrum.Data.FluxAxis.Quality"),
)


def samp_module() -> ModuleType:
    """``pyvo.samp`` (astropy.samp's successor) when installed, else ``astropy.samp`` without its deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from pyvo import samp

            if hasattr(samp, "SAMPIntegratedClient"):  # pyvo before 1.9 has helpers only
                return samp
        except ImportError:
            pass
        from astropy import samp
    return samp


# -- files sent ---------------------------------------------------------------------------------


def write_spectrum_votable(spectrum: Spectrum, path: Path) -> Path:
    """The spectrum on its native pixels as an SSA-style VOTable (wavelength, flux, error, quality 0 = good)."""
    values = (spectrum.wavelength, spectrum.flux, spectrum.error, np.where(spectrum.mask, 0, 1).astype(np.int16))
    table = Table([np.asarray(v) for v in values], names=[name for name, *_ in SPECTRUM_COLUMNS])
    votable = from_table(table)
    resource_table = votable.get_first_table()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnitsWarning)  # VOUnit prefers '0.1nm'; 'Angstrom' is what SSA services and SPLAT use
        for field, (_, unit, ucd, utype) in zip(resource_table.fields, SPECTRUM_COLUMNS):
            field.unit, field.ucd, field.utype = unit, ucd, utype
    resource_table.name = spectrum.label
    params = (
        ("Target", spectrum.label, "meta.id;src", "spec:Spectrum.Target.Name"),
        ("Source", spectrum.meta.source, "meta.ref.url", "spec:Spectrum.DataID.DatasetID"),
        ("HDU", spectrum.meta.hdu, "meta.id.part", None),
        ("Instrument", spectrum.meta.instrument, "instr", "spec:Spectrum.DataID.Instrument"),
        ("WavelengthFrame", "vacuum", "meta.note", None),
    )
    for name, value, ucd, utype in params:
        value = str(value) or "-"
        resource_table.params.append(Param(votable, name=name, value=value, datatype="char", arraysize="*", ucd=ucd, utype=utype))
    votable.to_xml(str(path))
    return path


def spectrum_meta(spectrum: Spectrum, url: str) -> dict[str, str]:
    """The ``meta`` map of ``spectrum.load.ssa-generic``: SSA utypes a client like SPLAT reads."""
    meta = {
        "ssa:Access.Reference": url,
        "ssa:Access.Format": "application/x-votable+xml",
        "ssa:Target.Name": spectrum.label,
        "ssa:DataID.Title": f"{spectrum.label} ({Path(spectrum.meta.source).name})",
        "ssa:Char.SpectralAxis.Ucd": "em.wl",
        "ssa:Char.SpectralAxis.Unit": "Angstrom",
        "ssa:Char.FluxAxis.Ucd": "phot.flux.density;em.wl",
    }
    if np.isfinite(spectrum.meta.ra) and np.isfinite(spectrum.meta.dec):
        meta["ssa:Target.Pos"] = f"{spectrum.meta.ra} {spectrum.meta.dec}"
    return meta


@dataclass(frozen=True)
class SentTable:
    table_id: str
    path: Path
    rows: np.ndarray  # catalog row of each table row

    @property
    def url(self) -> str:
        return self.path.as_uri()


def row_indices(row_list, n_rows: int) -> np.ndarray:
    """The table rows a ``row-list`` (SAMP sends integers as strings) names, out-of-range ones dropped."""
    indices = []
    for text in row_list or ():
        try:
            indices.append(int(text))
        except (TypeError, ValueError):
            continue
    indices = np.asarray(indices, dtype=int)
    return indices[(indices >= 0) & (indices < n_rows)]


# -- the client ---------------------------------------------------------------------------------


class SampLink(QObject):
    message = Signal(str)  # one line for the status bar
    _received = Signal(str, object)  # mtype, params: from the client's XML-RPC thread to the GUI thread

    def __init__(self, catalog: CatalogModel, meta: Callable[[], dict], parent: QObject | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self._meta = meta
        self._client = None
        self._lock = threading.Lock()  # connect, send and disconnect, from workers and the GUI thread
        self._folder: Path | None = None
        self._sent: dict[str, SentTable] = {}
        self._shut_down = False
        self.worker = None
        self._received.connect(self._on_received)
        catalog.rowsCleared.connect(self._sent.clear)  # row numbers start again after a clear

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    # -- sending ------------------------------------------------------------------------------

    def send(self):
        """Send the filtered table and the current star's spectrum in a worker; returns the worker.

        The worker returns what happened in one line (also emitted as ``message``); it never raises.
        """
        table = self._table_to_send()
        frame = self.catalog.frame.iloc[table.rows].reset_index(drop=True)
        key, spectrum = self._spectrum_to_send()
        self.worker = create_worker(self._send, frame, table, self._meta(), key, spectrum, _connect={"returned": self.message.emit})
        return self.worker

    def _table_to_send(self) -> SentTable:
        table_id = f"{APP_NAME}-{uuid.uuid4().hex[:12]}"
        path = self._temp_folder() / f"{table_id}.vot"
        table = SentTable(table_id, path, np.flatnonzero(self.catalog.visible))
        self._sent[table_id] = table
        return table

    def _spectrum_to_send(self) -> tuple[Key | None, Spectrum | None]:
        row = self.catalog.current
        if row < 0:
            return None, None
        key = self.catalog.key(row)
        return key, self.catalog.spectra.get(key)

    def _temp_folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix=f"{APP_NAME}-samp-"))
        return self._folder

    def _send(self, frame: pd.DataFrame, table: SentTable, meta: dict, key: Key | None, spectrum: Spectrum | None) -> str:
        try:
            with self._lock:
                if self._shut_down:  # a send queued behind the window's close must not register again
                    return "SAMP: not sent, the window is closing"
                client = self._connected_client()
                if client is None:
                    return NO_HUB
                said = [self._send_table(client, frame, table, meta)]
                if key is not None:
                    said.append(self._send_spectrum(client, key, spectrum, table.path.parent))
            return "SAMP: " + "; ".join(said)
        except Exception as error:  # a refused call or a hub gone away: said in the status bar, never a dialog
            return f"SAMP: sending failed ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"

    def _send_table(self, client, frame: pd.DataFrame, table: SentTable, meta: dict) -> str:
        write_catalog(frame, table.path, meta)
        name = f"{APP_NAME} catalog ({len(frame)} rows)"
        params = {"url": table.url, "table-id": table.table_id, "name": name}
        recipients = client.notify_all({"samp.mtype": TABLE_LOAD, "samp.params": params})
        return f"{len(frame)} rows to {len(recipients)} client(s)"

    def _send_spectrum(self, client, key: Key, spectrum: Spectrum | None, folder: Path) -> str:
        if spectrum is None:
            try:
                spectrum = read_spectrum(*key)
            except Exception as error:
                return f"spectrum not sent ({error})"
        path = write_spectrum_votable(spectrum, folder / f"spectrum-{uuid.uuid4().hex[:12]}.vot")
        url = path.as_uri()
        params = {"url": url, "meta": spectrum_meta(spectrum, url), "spectrum-id": url, "name": spectrum.label}
        recipients = client.notify_all({"samp.mtype": SPECTRUM_LOAD, "samp.params": params})
        return f"spectrum of {spectrum.label} to {len(recipients)} client(s)"

    # -- connection ---------------------------------------------------------------------------

    def _connected_client(self):
        """The registered client, connecting first if needed; None when no hub runs."""
        if self._client is not None:
            try:
                self._client.ping()  # the hub may have stopped since the last send
                return self._client
            except Exception:
                self._drop_client()
        samp = samp_module()
        client = samp.SAMPIntegratedClient(name=APP_NAME, description="BOSS Net stellar parameters: catalog and spectra", addr=LOOPBACK)
        try:
            client.connect()
        except Exception:
            return None
        for mtype in (SELECT_ROWS, HIGHLIGHT_ROW):
            client.bind_receive_notification(mtype, self._on_notification)
            client.bind_receive_call(mtype, self._on_call)
        self._client = client
        return client

    def shut_down(self) -> None:
        """Unregister from the hub and remove the files sent (for the window's close)."""
        with self._lock:
            self._shut_down = True
            self._drop_client()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # the hub went first: nothing left to unregister from
                pass

    # -- receiving (client thread) ------------------------------------------------------------

    def _on_notification(self, private_key, sender_id, mtype, params, extra) -> None:
        self._received.emit(mtype, dict(params))

    def _on_call(self, private_key, sender_id, msg_id, mtype, params, extra) -> None:
        self._received.emit(mtype, dict(params))
        client = self._client
        if client is not None:
            client.reply(msg_id, {"samp.status": "samp.ok", "samp.result": {}})

    # -- receiving (GUI thread) ---------------------------------------------------------------

    def _on_received(self, mtype: str, params: dict) -> None:
        table = self._table_named_by(params)
        if table is None:
            return  # a table another application loaded, or one from before a clear
        if mtype == SELECT_ROWS:
            self.select_rows(table.rows[row_indices(params.get("row-list"), len(table.rows))])
        elif mtype == HIGHLIGHT_ROW:
            rows = table.rows[row_indices([params.get("row")], len(table.rows))]
            if len(rows):
                self.catalog.set_current(int(rows[0]))

    def _table_named_by(self, params: dict) -> SentTable | None:
        if params.get("table-id") in self._sent:
            return self._sent[params["table-id"]]
        return next((t for t in self._sent.values() if params.get("url") and t.url == params.get("url")), None)

    def select_rows(self, rows: np.ndarray) -> None:
        """Rows picked in another application: shown as the plot subset and selected for export; none shows all."""
        self.catalog.set_selected_rows(rows)
        self.catalog.set_subset(rows if len(rows) else None)
        self.message.emit(f"SAMP: {len(rows)} row(s) selected in another application")
