"""MainWindow: layout, menus and wiring. The panels subscribe to the CatalogModel themselves.

The window is built in two steps so that it can be on screen before the libraries behind its
panels are imported: the frame (title, size and place, a status line) needs only Qt; ``build``
adds the panels, menus and the session store (``panels``). Built at once unless ``build=False``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from ..bundled import DEMO_DIR, TRAINING_COVERAGE
from .settings import AppSettings
from .window_state import restore_geometry, restore_window_state, save_window_state

if TYPE_CHECKING:
    from ..catalog.session import SessionStore

APP_NAME = "bossnet-gui"
STARTING = "Starting…"
LOADING_MODEL = "Loading model…"
SPECTRUM_FILTER = "FITS spectra (*.fits *.fit *.fits.gz *.fit.gz *.fts);;All files (*)"
CATALOG_FILTER = "Catalogs (*.parquet *.fits *.ecsv *.csv *.vot *.xml);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, store: SessionStore | None = None, coverage_path: Path = TRAINING_COVERAGE, build: bool = True):
        super().__init__()
        self.settings = settings or AppSettings()
        self.built = False
        self._store, self._coverage_path = store, coverage_path
        self.setWindowTitle(APP_NAME)
        self.setCentralWidget(QLabel(STARTING, alignment=Qt.AlignmentFlag.AlignCenter))
        self.statusBar().showMessage(STARTING)
        self.resize(1440, 900)
        restore_geometry(self, self.settings)
        if build:
            self.build()

    def build(self) -> None:
        """The panels, menus and session store (imports ``panels``: pandas, astropy, superqt)."""
        from . import panels as p

        self.store = self._store if self._store is not None else p.SessionStore()
        self.catalog = p.CatalogModel(self.store, self)
        self.runner = p.PredictionRunner(self.catalog, self.settings.run_settings(), self)
        self.table = p.CatalogTable(self.catalog)
        self.kiel = p.KielPlot(self.catalog, coverage_path=self._coverage_path)
        self.spectrum = p.SpectrumPlot(self.catalog)
        self.results = p.ResultsPanel(self.catalog)
        self.vetting = p.VettingBar(self.catalog)
        self.vet_actions = p.VettingActions(self.catalog, self.table, self.vetting, self)
        self.vet_progress = p.VettingProgress(self.catalog)
        self.messages = p.MessageBar()
        self.progress = p.ProgressPanel()
        self.model_label = QLabel("Model: loading…")
        self.loaded = "nothing loaded"
        self.exports = p.ExportActions(self.catalog, self.runner, self, lambda: self.settings.last_folder, self.statusBar().showMessage, self.messages.notify)
        self._build_layout()
        self._build_menus(p.SCOPES)
        self._connect()
        restore_window_state(self, self.settings)
        self.setAcceptDrops(True)
        self.messages.notify(self.store.warning)
        self.statusBar().clearMessage()
        self.built = True
        self._update_title()

    # -- layout -------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 0, 0, 0)
        side_layout.addWidget(self.results, 1)
        side_layout.addWidget(self.vetting)
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal, objectName="top_splitter")
        for widget in (self.table, self.kiel, side):
            self.top_splitter.addWidget(widget)
        for i, stretch in enumerate((5, 4, 0)):
            self.top_splitter.setStretchFactor(i, stretch)
        side.setMinimumWidth(240)
        self.top_splitter.setSizes([640, 520, 320])
        self.main_splitter = QSplitter(Qt.Orientation.Vertical, objectName="main_splitter")
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.spectrum)
        self.main_splitter.setSizes([520, 330])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.messages)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(self.exports.busy)
        self.statusBar().addPermanentWidget(self.vet_progress)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.model_label)

    def _build_menus(self, scopes) -> None:
        file = self.menuBar().addMenu("&File")
        self._add(file, "&Open files…", self._on_open_files, QKeySequence.StandardKey.Open)
        self._add(file, "Open &folder…", self._on_open_folder, "Ctrl+Shift+O")
        self._add(file, "Open &catalog…", self._on_open_catalog)
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._add(file, "Open &demo set", self.open_demo)
        self._add(file, "Import &target list…", self._on_import_targets)
        self._add(file, "&Close all", self.close_all)
        file.addSeparator()
        export = file.addMenu("&Export catalog")
        for scope in scopes:
            self._add(export, f"{scope.capitalize()} rows…", lambda _checked=False, s=scope: self.exports.ask_catalog(s))
        self._add(file, "Export &Kiel diagram…", lambda: self.exports.ask_plot(self.kiel.plot_item, "kiel"))
        self._add(file, "Export &spectrum plot…", lambda: self.exports.ask_plot(self.spectrum.plot_item, "spectrum"))
        self._add(file, "Send table and spectrum to TOPCAT (SAMP)", lambda: self.exports.broadcast())
        file.addSeparator()
        self._add(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run = self.menuBar().addMenu("&Run")
        self.cancel_action = self._add(run, "&Cancel", self.runner.cancel, "Ctrl+.")
        self.rerun_action = self._add(run, "Predict &again with current settings", self.rerun)
        self._add(run, "&Settings…", self._on_settings, "Ctrl+,")
        model = self.menuBar().addMenu("&Model")
        self._add(model, "Load &published model…", self._on_load_published)
        self._add(model, "Use the &bundled model", lambda: self.apply_settings(self.runner.settings, ""))
        model.addSeparator()
        self._add(model, "&Compare with a published model…", self._on_compare_published)
        self._add(model, "Compare with the b&undled model", lambda: self.runner.load_comparison(None))
        self._add(model, "&Stop comparing", lambda: self.runner.set_comparison(None))
        vet = self.menuBar().addMenu("&Vet")
        for action in [*self.vet_actions.actions(), None, *self.spectrum.actions_for_menu()]:
            vet.addSeparator() if action is None else vet.addAction(action)
        help_menu = self.menuBar().addMenu("&Help")
        self._add(help_menu, "&Keyboard shortcuts", self._on_shortcuts)

    def _add(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _connect(self) -> None:
        self.catalog.message.connect(self.messages.notify)
        self.runner.progressChanged.connect(self.progress.set_progress)
        self.runner.runningChanged.connect(self._on_running_changed)
        self.runner.modelChanged.connect(self._on_model_changed)
        self.runner.modelChanged.connect(self.spectrum.set_model)
        self.runner.comparisonChanged.connect(self._on_comparison_changed)
        self.spectrum.saliency.explained.connect(self.results.show_explanation)
        self.runner.modelFailed.connect(self._on_model_failed)
        self.runner.scanFinished.connect(self._on_scan_finished)
        self.runner.catalogOpened.connect(self._on_catalog_opened)
        self.runner.catalogFound.connect(self.open_catalog)
        self.runner.catalogFailed.connect(self._on_catalog_failed)
        self.progress.cancel.clicked.connect(self.runner.cancel)
        self.catalog.rowsAppended.connect(self._update_title)
        self.catalog.rowsCleared.connect(self._update_title)
        self.catalog.rowsChanged.connect(self._on_rows_changed)
        self._on_running_changed(False)

    # -- opening ------------------------------------------------------------------------------

    def start(self, paths=None, load_model: bool = True) -> None:
        """Load the configured model, then open ``paths`` (or the demo set when none are given)."""
        if load_model:
            self._load_model(self.settings.model_spec)
        if paths:
            self.open_paths(paths)
        else:
            self.open_demo()

    def open_paths(self, paths, description: str | None = None) -> None:
        """Open files, folders and list files: rows appear as a worker finds the files, and predictions follow.
        A catalog file among them (``predict``'s output, an export) is shown as it is instead: by its extension
        here, or, for one FITS file, by its headers, which the worker reads."""
        from .catalog_job import is_catalog

        paths = [str(p) for p in paths]
        catalogs = [p for p in paths if is_catalog(p, look_inside=False)]
        if catalogs:
            self.open_catalog(catalogs[-1])
            paths = [p for p in paths if p not in catalogs]
        if not paths:
            return
        self.runner.open(paths)
        self.settings.add_recent(paths)
        first = Path(paths[0])
        folder = first.is_dir()
        self.settings.last_folder = str(first if folder else first.parent)
        self.loaded = description or (f"folder {first.name}" if len(paths) == 1 and folder else first.name if len(paths) == 1 else f"{len(paths)} paths")
        self._update_title()

    def open_catalog(self, path: str) -> None:
        """Show a catalog file's rows (read in a worker); they replace the rows shown."""
        self.statusBar().showMessage(f"Opening catalog {Path(path).name}…")
        self.runner.open_catalog(str(path))
        self.settings.add_recent([str(path)])
        self.settings.last_folder = str(Path(path).parent)

    def _on_catalog_opened(self, path: str, rows: int) -> None:
        self.loaded = f"catalog {Path(path).name}"
        self._update_title()
        self.statusBar().showMessage(f"{rows:,} rows from {Path(path).name}, as the catalog has them", 10000)

    def _on_catalog_failed(self, path: str, reason: str) -> None:
        self.statusBar().clearMessage()
        self.messages.notify(f"Could not open the catalog {Path(path).name}: {reason}")

    def open_demo(self) -> bool:
        if not DEMO_DIR.is_dir() or not any(DEMO_DIR.iterdir()):
            self.statusBar().showMessage(f"No demo set found ({DEMO_DIR} is missing): open spectra with File ▸ Open files or drop them here")
            self.loaded = "nothing loaded (no demo set)"
            self._update_title()
            return False
        self.open_paths([DEMO_DIR], description="demo set")
        return True

    def close_all(self) -> None:
        self.vetting.save_note()
        self.runner.cancel()
        self.catalog.clear()
        self.loaded = "nothing loaded"

    def rerun(self) -> None:
        """Predict every loaded file again with the current model and settings (a run going on is cancelled first)."""
        sources = self.catalog.sources()
        self.vetting.save_note()
        self.catalog.clear()
        self.runner.open(sources)

    def _on_scan_finished(self, added: int) -> None:
        if not added:
            self.statusBar().showMessage("No new spectrum files found in what was opened", 8000)

    def _on_open_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open spectra", self.settings.last_folder, SPECTRUM_FILTER)
        if files:
            self.open_paths(files)

    def _on_open_catalog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a catalog written by bossnet-gui predict", self.settings.last_folder, CATALOG_FILTER)
        if path:
            self.open_catalog(path)

    def _on_compare_published(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A published BOSS Net model folder to run beside the current model", self.settings.last_folder)
        if folder:
            self.runner.load_comparison(folder)

    def _on_comparison_changed(self, model) -> None:
        """Both models on every loaded file: predict them again."""
        self.statusBar().showMessage(f"Comparing with {model.name}: predicting again" if model is not None else "Comparison stopped", 8000)
        if len(self.catalog):
            self.rerun()

    def _on_import_targets(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a target list (RA/Dec, file names or object ids)", self.settings.last_folder,
                                              "Tables (*.csv *.txt *.ecsv *.fits *.fit *.fits.gz);;All files (*)")
        if path:
            self.import_targets(path)

    def import_targets(self, path: str) -> None:
        """Read a target list in a worker; its rows are then marked by the table's "On list" filter."""
        from superqt.utils import create_worker

        from ..catalog.targets import read_target_list

        self.statusBar().showMessage(f"Reading target list {Path(path).name}…")
        self._targets_job = create_worker(read_target_list, path, _connect={"returned": self._on_targets_read, "errored": self._on_targets_failed})

    def _on_targets_read(self, targets) -> None:
        self.catalog.set_targets(targets)
        self.table.targets_only.setChecked(True)
        on_list = int(self.catalog.on_target_list().sum())
        self.statusBar().showMessage(f"{on_list:,} of {len(self.catalog):,} rows on the list ({targets.describe()})", 10000)

    def _on_targets_failed(self, error: Exception) -> None:
        self.statusBar().clearMessage()
        self.messages.notify(f"Target list not imported: {error}")

    def _on_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of spectra (searched recursively)", self.settings.last_folder)
        if folder:
            self.open_paths([folder])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_paths([p]))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # -- run state ----------------------------------------------------------------------------

    def _on_running_changed(self, running: bool) -> None:
        if not running:
            self.table.table_model.resort()
        self.cancel_action.setEnabled(running)
        self.rerun_action.setEnabled(not running)
        if not running and len(self.catalog):
            predicted = int(self.catalog.predicted().sum())
            self.statusBar().showMessage(f"{predicted:,} of {len(self.catalog):,} spectra predicted", 10000)

    def _load_model(self, spec: str) -> None:
        """Load in a worker (the first load imports torch, seconds); the window stays usable meanwhile."""
        self.model_label.setText("Model: loading…")
        self.statusBar().showMessage(LOADING_MODEL)
        self.runner.load_model(spec or None)

    def _clear_loading_message(self) -> None:
        if self.statusBar().currentMessage() == LOADING_MODEL:
            self.statusBar().clearMessage()

    def _on_model_changed(self, model) -> None:
        self._clear_loading_message()
        if model is not None:
            self.model_label.setText(f"Model: {model.name} ({model.domain})")
            self.model_label.setToolTip(f"{model.source}\nSHA-256 {model.content_hash}")
        self._update_title()

    def _on_model_failed(self, message: str) -> None:
        self._clear_loading_message()
        if self.runner.model is not None:
            self._on_model_changed(self.runner.model)
            self.messages.notify(f"Could not load that model: {message}")
            return
        self.model_label.setText("Model: none (viewing only)")
        self.model_label.setToolTip(message)
        self.messages.notify(f"No model loaded, spectra can be viewed but not predicted. {message}")

    def _on_rows_changed(self, rows) -> None:
        from .catalog_model import row_state

        status = self.catalog.column("status")[rows]
        failed = [int(r) for r, s in zip(rows, status) if row_state(s) == "failed"]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            self.messages.notify(f"{Path(self.catalog.value(first, 'source')).name}: {self.catalog.value(first, 'status')}{more}")

    def _update_title(self, *args) -> None:
        model = self.runner.model.name if self.runner.model is not None else "no model"
        count = f"{len(self.catalog):,} spectra" if len(self.catalog) else "no spectra"
        self.setWindowTitle(f"{APP_NAME} — {self.loaded} — {count} — {model}")

    # -- settings and model -------------------------------------------------------------------

    def _on_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.runner.settings, self.settings.model_spec, self)
        if dialog.exec():
            self.apply_settings(dialog.run_settings(), dialog.model_spec())

    def apply_settings(self, run, model_spec: str) -> None:
        self.runner.settings = run
        self.settings.set_run_settings(run)
        if model_spec != self.settings.model_spec:
            self.settings.model_spec = model_spec
            self._load_model(model_spec)
        self.statusBar().showMessage("Settings apply to the next run (Run ▸ Predict again to redo loaded files)", 8000)

    def _on_load_published(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Published BOSS Net model directory (model_args.yaml + model_chunk_*)", self.settings.last_folder)
        if folder:
            self.apply_settings(self.runner.settings, folder)

    def _on_shortcuts(self) -> None:
        actions = [*self.vet_actions.actions(), *self.spectrum.actions_for_menu()]
        lines = [f"{a.text()}: {', '.join(s.toString() for s in a.shortcuts())}" for a in actions if a is not None and a.shortcuts()]
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts", "\n".join(lines), parent=self)
        box.setModal(False)
        box.show()

    # -- persistence --------------------------------------------------------------------------

    def save_state(self) -> None:
        save_window_state(self, self.settings)

    def closeEvent(self, event) -> None:
        if not self.built:
            super().closeEvent(event)
            return
        from .prediction_runner import workers_idle

        self.vetting.save_note()
        self.catalog.save_unsaved()
        self.save_state()
        self.runner.shut_down()
        self.exports.shut_down()
        if not workers_idle():
            self._closing()
        if wait_until(workers_idle, SHUTDOWN_WAIT_S):
            self.store.close()
        else:  # a worker is still inside its batch: the store closes when it has finished
            close_when(workers_idle, self.store.close)
        super().closeEvent(event)

    def _closing(self) -> None:
        self.setEnabled(False)
        self.statusBar().showMessage("Closing: waiting for the work going on to reach the end of its batch…")


SHUTDOWN_WAIT_S = 30.0
SHUTDOWN_POLL_MS = 20


def wait_until(done, seconds: float) -> bool:
    """Run the event loop (the window still paints) until ``done()`` or ``seconds`` pass; whether ``done()``."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, SHUTDOWN_POLL_MS)
        QThreadPool.globalInstance().waitForDone(SHUTDOWN_POLL_MS)
    return True


def close_when(done, close) -> None:
    """Call ``close()`` once ``done()``, checked from the event loop for as long as the application runs."""
    def check() -> None:
        if done():
            close()
        else:
            QTimer.singleShot(SHUTDOWN_POLL_MS * 5, check)

    check()
