"""AppSettings: typed access to what persists between sessions (QSettings).

Window geometry and splitters, the last folder, recent files, table columns, plot options and the
run settings (MC draws, batch size, model, device). Tests pass a QSettings on a temporary file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


@dataclass
class RunSettings:
    draws: int = 20
    batch_size: int = 16
    device: str = "cpu"
    seed: int = 0


class AppSettings:
    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings()

    def get(self, key: str, default, kind=None):
        value = self.q.value(key, default)
        if value is None:
            return default
        kind = kind or type(default)
        if kind is bool and isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        if kind is list:
            return [value] if isinstance(value, str) else list(value)
        try:
            return kind(value)
        except (TypeError, ValueError):
            return default

    def set(self, key: str, value) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()

    # -- run settings -------------------------------------------------------------------------

    def run_settings(self) -> RunSettings:
        return RunSettings(
            draws=self.get("run/draws", 20, int),
            batch_size=self.get("run/batch_size", 16, int),
            device=self.get("run/device", "cpu", str),
            seed=self.get("run/seed", 0, int),
        )

    def set_run_settings(self, run: RunSettings) -> None:
        for key in ("draws", "batch_size", "device", "seed"):
            self.set(f"run/{key}", getattr(run, key))

    @property
    def model_spec(self) -> str:
        """'' for the bundled default, a bundled name, or a published model directory."""
        return self.get("run/model", "", str)

    @model_spec.setter
    def model_spec(self, value: str) -> None:
        self.set("run/model", value or "")

    # -- files --------------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        return [p for p in self.get("files/recent", [], list) if p]

    def add_recent(self, paths) -> None:
        recent = [str(p) for p in paths] + [p for p in self.recent_files() if p not in {str(q) for q in paths}]
        self.set("files/recent", recent[:MAX_RECENT])

    @property
    def last_folder(self) -> str:
        return self.get("files/last_folder", str(Path.home()), str)

    @last_folder.setter
    def last_folder(self, folder: str) -> None:
        self.set("files/last_folder", str(folder))

    # -- window state -------------------------------------------------------------------------

    def bytes(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None
