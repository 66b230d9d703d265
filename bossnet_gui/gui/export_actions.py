"""ExportActions: the catalog (all, filtered or selected rows) to FITS/ECSV/CSV/VOTable/Parquet in a worker,
the plots to PNG/SVG, and the table and current spectrum to TOPCAT over SAMP (``samp.SampLink``)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QProgressBar, QWidget
from superqt.utils import create_worker

from ..catalog.export import parquet_available, provenance, write_catalog
from .catalog_model import CatalogModel
from .plot_export import export_plot
from .prediction_runner import PredictionRunner
from .samp import SampLink

CATALOG_FILTER = "FITS table (*.fits);;ECSV (*.ecsv);;CSV (*.csv);;VOTable (*.vot *.xml)" + (";;Parquet (*.parquet)" if parquet_available() else "")
PLOT_FILTER = "PNG image (*.png);;SVG vector image (*.svg)"
SCOPES = ("all", "filtered", "selected")


class ExportActions(QObject):
    def __init__(self, catalog: CatalogModel, runner: PredictionRunner, parent: QWidget, folder: Callable[[], str], status: Callable[[str, int], None], notify: Callable[[str], None]):
        super().__init__(parent)
        self.catalog, self.runner = catalog, runner
        self._folder, self._status, self._notify = folder, status, notify
        self.worker = None
        self.busy = QProgressBar(maximumWidth=120, textVisible=False, visible=False)  # for the status bar
        self.busy.setRange(0, 0)  # writing is one call: an activity indicator, not a percentage
        self.samp = SampLink(catalog, self._meta, self)
        self.samp.message.connect(lambda text: self._status(text, 10000))

    def rows_for(self, scope: str) -> pd.DataFrame:
        frame = self.catalog.frame
        if scope == "filtered":
            return frame[self.catalog.visible]
        if scope == "selected":
            rows = self.catalog.selected_rows if len(self.catalog.selected_rows) else [self.catalog.current] * (self.catalog.current >= 0)
            return frame.iloc[list(rows)]
        return frame

    def export_catalog_to(self, path: str | Path, scope: str = "all"):
        """Write the rows of ``scope`` (all, filtered, selected) in a worker; returns the worker, started on the next event-loop turn."""
        frame = self.rows_for(scope).reset_index(drop=True)
        self._status(f"Exporting {len(frame):,} rows to {Path(path).name}…", 0)
        self.worker = create_worker(
            write_catalog, frame, path, self._meta(), _start_thread=False,
            _connect={"started": self.busy.show, "finished": self.busy.hide, "returned": self._on_exported, "errored": self._on_failed},
        )
        QTimer.singleShot(0, self.worker.start)  # after the caller has connected to it
        return self.worker

    def export_plot(self, plot_item, path: str | Path) -> Path:
        return export_plot(plot_item, path)

    def broadcast(self):
        """Send the filtered table and the current star's spectrum to SAMP clients (TOPCAT); says so when no hub runs."""
        return self.samp.send()

    def shut_down(self) -> None:
        self.samp.shut_down()

    # -- dialogs ------------------------------------------------------------------------------

    def ask_catalog(self, scope: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self.parent(), f"Export {scope} rows", str(Path(self._folder()) / "bossnet_catalog.fits"), CATALOG_FILTER)
        if path:
            self.export_catalog_to(path, scope)

    def ask_plot(self, plot_item, name: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self.parent(), f"Export {name} plot", str(Path(self._folder()) / f"{name}.png"), PLOT_FILTER)
        if path:
            self._status(f"Plot written to {self.export_plot(plot_item, path)}", 8000)

    # -- results ------------------------------------------------------------------------------

    def _meta(self) -> dict:
        run, model = self.runner.settings, self.runner.model
        return provenance(model.name if model else "", model.content_hash if model else "", run.draws, run.seed)

    def _on_exported(self, path: Path) -> None:
        self._status(f"Catalog written to {path}", 10000)

    def _on_failed(self, error: Exception) -> None:
        self._notify(f"Export failed: {error}")
