"""Everything the main window is built from, in one import.

Importing this costs most of the app's start-up (pandas, astropy, superqt, the panels): the app
shows its window first and imports this module in a thread meanwhile (``app.main``).
"""

from superqt.utils import WorkerBase

from ..catalog.session import SessionStore
from .catalog_model import CatalogModel, row_state
from .catalog_table import CatalogTable
from .export_actions import SCOPES, ExportActions
from .kiel_plot import KielPlot
from .message_bar import MessageBar
from .prediction_runner import PredictionRunner
from .progress_panel import ProgressPanel
from .results_panel import ResultsPanel
from .settings_dialog import SettingsDialog
from .spectrum_plot import SpectrumPlot
from .vetting_actions import VettingActions
from .vetting_bar import VettingBar, VettingProgress

__all__ = [
    "SCOPES", "CatalogModel", "CatalogTable", "ExportActions", "KielPlot", "MessageBar", "PredictionRunner", "ProgressPanel",
    "ResultsPanel", "SessionStore", "SettingsDialog", "SpectrumPlot", "VettingActions", "VettingBar", "VettingProgress", "WorkerBase",
    "row_state",
]
