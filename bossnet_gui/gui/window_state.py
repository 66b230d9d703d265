"""What the main window remembers between sessions: geometry, splitters, table columns, plot options."""

from __future__ import annotations

from PySide6.QtCore import Qt

from .settings import AppSettings


def restore_geometry(window, s: AppSettings) -> None:
    """Where the window was, and its size: known before any panel is built."""
    if (geometry := s.bytes("window/geometry")) is not None:
        window.restoreGeometry(geometry)


def restore_window_state(window, s: AppSettings) -> None:
    """The panels' state: splitters, table columns, plot and vetting options."""
    for splitter in (window.top_splitter, window.main_splitter):
        if (state := s.bytes(f"window/{splitter.objectName()}")) is not None:
            splitter.restoreState(state)
    if (header := s.bytes("table/header")) is not None:
        window.table.view.horizontalHeader().restoreState(header)
        window.table.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
    hidden = s.get("table/hidden_columns", None, list)
    if hidden is not None:
        window.table.set_hidden_columns(hidden)
    window.kiel.set_colour_scheme(s.get("kiel/colour_by", window.kiel.scheme.label, str))
    window.spectrum.set_options(s.get("spectrum/log_scaled", False, bool), s.get("spectrum/smoothing", 1, int), s.get("spectrum/features", True, bool))
    for key, box in _spectrum_boxes(window).items():
        box.setChecked(s.get(f"spectrum/{key}", box.isChecked(), bool))
    hidden_families = s.get("spectrum/hidden_line_families", [""], list)
    for name, action in window.spectrum.family_actions.items():
        action.setChecked(name not in hidden_families)
    window.vet_actions.advance.setChecked(s.get("vet/advance", True, bool))


def save_window_state(window, s: AppSettings) -> None:
    s.set("window/geometry", window.saveGeometry())
    for splitter in (window.top_splitter, window.main_splitter):
        s.set(f"window/{splitter.objectName()}", splitter.saveState())
    s.set("table/header", window.table.view.horizontalHeader().saveState())
    s.set("table/hidden_columns", window.table.hidden_columns() or [""])  # [""]: "none hidden", not "never set"
    s.set("kiel/colour_by", window.kiel.scheme.label)
    s.set("spectrum/log_scaled", window.spectrum.log_scaled)
    s.set("spectrum/smoothing", window.spectrum.smoothing.value())
    s.set("spectrum/features", window.spectrum.show_features.isChecked())
    for key, box in _spectrum_boxes(window).items():
        s.set(f"spectrum/{key}", box.isChecked())
    s.set("spectrum/hidden_line_families", [n for n, a in window.spectrum.family_actions.items() if not a.isChecked()] or [""])
    s.set("vet/advance", window.vet_actions.advance.isChecked())
    s.set_run_settings(window.runner.settings)
    s.sync()


def _spectrum_boxes(window) -> dict:
    return {"rest_frame": window.spectrum.rest_frame, "survey_model": window.spectrum.show_model, "why": window.spectrum.show_saliency}
