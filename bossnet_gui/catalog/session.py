"""The persistent store behind a session: vetting verdicts, notes and finished results.

One SQLite file (WAL journal, a commit per change), so a crash or a closed window loses
nothing, and opening the same files again restores their flags, notes and results. Keys are
(absolute path, HDU). Cached results are reused only for the same model hash, draws and seed
and while the file's size and modification time are unchanged.

A store that cannot be opened or fails its integrity check is renamed aside
(``*.corrupt-YYYYmmdd-HHMMSS``) and a fresh one started; ``warning`` says so for the UI.
An unwritable location falls back to memory, also with a warning. Nothing is overwritten silently.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import pandas as pd
import platformdirs

from .export import file_text
from .table import results_version

VERSION_KEY = "_results_version"  # in each stored row: ``table.results_version()`` when it was stored
SCHEMA = """
CREATE TABLE IF NOT EXISTS vetting (
    source TEXT NOT NULL, hdu TEXT NOT NULL, user_flag TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL, PRIMARY KEY (source, hdu));
CREATE TABLE IF NOT EXISTS results (
    source TEXT NOT NULL, hdu TEXT NOT NULL, model_hash TEXT NOT NULL, draws INTEGER NOT NULL, seed INTEGER NOT NULL,
    file_size INTEGER, file_mtime REAL, row TEXT NOT NULL, PRIMARY KEY (source, hdu, model_hash, draws, seed));
"""


APP_NAME = "bossnet-gui"
STORE_NAME = "session.sqlite"


def app_data_dir() -> Path:
    """The app's per-user data folder: ``$XDG_DATA_HOME/bossnet-gui`` on Linux (default
    ``~/.local/share``), ``~/Library/Application Support/bossnet-gui`` on macOS, ``%LOCALAPPDATA%``'s on Windows."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_store_path() -> Path:
    return app_data_dir() / STORE_NAME


def legacy_store_paths() -> list[Path]:
    """Where earlier versions kept the store (Qt's AppDataLocation: organisation and app name, both ours)."""
    paths = [app_data_dir() / APP_NAME / STORE_NAME]
    if sys.platform == "win32":
        paths.append(Path(platformdirs.user_data_dir(APP_NAME, APP_NAME, roaming=True)) / STORE_NAME)
    return paths


def adopt_legacy_store(target: Path) -> Path | None:
    """Move an earlier version's store (with its WAL files) to ``target`` when none is there yet."""
    if target.exists():
        return None
    for legacy in legacy_store_paths():
        if legacy.is_file() and legacy != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm", ""):
                old = Path(str(legacy) + suffix)
                if old.exists():
                    os.replace(old, str(target) + suffix)
            return legacy
    return None


def store_key(source: str) -> str:
    """How the store names a file: its resolved absolute path, as UTF-8 text."""
    return file_text(str(Path(source).expanduser().resolve()))  # SQLite holds UTF-8 text only


def _stat(source: str) -> tuple[int | None, float | None]:
    try:
        st = os.stat(source)
    except OSError:
        return None, None
    return st.st_size, st.st_mtime


def _json_value(value):
    return value.item() if hasattr(value, "item") else value  # numpy scalars; NaN stays NaN in Python's json


class SessionStore:
    """The store at ``path``, or at the user's default one (taking over an earlier version's store)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_store_path()
        self.warning = ""
        if path is None:
            self._adopt_legacy()
        self._lock = threading.Lock()  # one connection, used from the GUI and worker threads
        self._db = self._open()

    def _adopt_legacy(self) -> None:
        try:
            adopt_legacy_store(self.path)
        except OSError as exc:
            self.warning = f"could not move the earlier session file to {self.path} ({exc.strerror or exc}); it was left where it was"

    # -- opening ------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = self._connect(self.path)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            return db
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{datetime.now():%Y%m%d-%H%M%S}")
            try:
                os.replace(self.path, aside)
                for suffix in ("-wal", "-shm"):
                    Path(str(self.path) + suffix).unlink(missing_ok=True)
                self.warning = f"session file {self.path} was unreadable ({exc}); kept it as {aside.name} and started a new one"
                return self._connect(self.path)
            except (OSError, sqlite3.DatabaseError) as again:
                return self._in_memory(f"session file {self.path} is unreadable ({exc}) and could not be set aside ({again})")
        except OSError as exc:
            return self._in_memory(f"cannot write the session file {self.path} ({exc.strerror or exc})")

    def _in_memory(self, reason: str) -> sqlite3.Connection:
        self.warning = f"{reason}; flags and notes are kept in memory only for this run"
        return self._connect(":memory:")

    @staticmethod
    def _connect(target) -> sqlite3.Connection:
        db = sqlite3.connect(str(target), check_same_thread=False, isolation_level=None)
        if target != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self):
        """Hold the lock for one transaction; commit it, or roll it back if anything fails."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- vetting ------------------------------------------------------------------------------

    def set_vetting(self, source: str, hdu: str, user_flag: str | None = None, note: str | None = None) -> None:
        """Record a verdict and/or note at once (committed before returning)."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        key = (store_key(source), hdu)
        with self._transaction() as db:
            old = db.execute("SELECT user_flag, note FROM vetting WHERE source=? AND hdu=?", key).fetchone() or ("", "")
            values = (user_flag if user_flag is not None else old[0], note if note is not None else old[1])
            db.execute(
                "INSERT OR REPLACE INTO vetting (source, hdu, user_flag, note, updated) VALUES (?, ?, ?, ?, ?)", (*key, *values, now)
            )

    def vetting(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
        """(user_flag, note) for those of ``keys`` that have any, keyed as given."""
        resolved = [((source, hdu), (store_key(source), hdu)) for source, hdu in keys]  # file-system calls outside the lock
        out = {}
        with self._lock:
            for given, key in resolved:
                row = self._db.execute("SELECT user_flag, note FROM vetting WHERE source=? AND hdu=?", key).fetchone()
                if row and (row[0] or row[1]):
                    out[given] = row
        return out

    def all_vetting(self) -> dict[tuple[str, str], tuple[str, str]]:
        """(user_flag, note) of every star with either, keyed by (``store_key`` of the file, hdu)."""
        with self._lock:
            rows = self._db.execute("SELECT source, hdu, user_flag, note FROM vetting WHERE user_flag != '' OR note != ''").fetchall()
        return {(source, hdu): (flag, note) for source, hdu, flag, note in rows}

    # -- results ------------------------------------------------------------------------------

    def save_results(self, frame: pd.DataFrame, draws: int, seed: int) -> None:
        rows, version = [], results_version()
        for record in frame.to_dict("records"):
            size, mtime = _stat(record["source"])
            stored = {k: _json_value(v) for k, v in record.items() if k not in ("user_flag", "note")}
            row = json.dumps({**stored, VERSION_KEY: version})
            rows.append((store_key(record["source"]), record["hdu"], record["model_hash"], draws, seed, size, mtime, row))
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def cached_results(self, sources: Iterable[str], model_hash: str, draws: int, seed: int) -> pd.DataFrame:
        """Stored rows for files unchanged since they were predicted with this model and settings, by this version of
        the flags and columns (rows of an older one are predicted again, so their flags are today's)."""
        files = [(source, store_key(source), _stat(source)) for source in sources]  # file-system calls outside the lock
        records, version = [], results_version()
        for source, key, stat in files:
            with self._lock:
                found = self._db.execute(
                    "SELECT row, file_size, file_mtime FROM results WHERE source=? AND model_hash=? AND draws=? AND seed=?",
                    (key, model_hash, draws, seed),
                ).fetchall()
            for row, stored_size, stored_mtime in found:
                record = json.loads(row)
                if (stored_size, stored_mtime) == stat and record.pop(VERSION_KEY, None) == version:
                    record["source"] = source
                    records.append(record)
        return pd.DataFrame.from_records(records)
