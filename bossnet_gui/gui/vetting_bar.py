"""VettingBar: the current star's user flag (one button per verdict) and free-text note.

Writes go straight to the CatalogModel, which saves them in the session store at once; the bar
redraws itself from the model inside QSignalBlocker so its own writes do not echo back.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, QTimer
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ..catalog.table import USER_FLAGS
from .catalog_model import CatalogModel

FLAG_KEYS = {"good": ("1", "G"), "bad": ("2", "B"), "white dwarf": ("3", "W"), "binary": ("4",), "unsure": ("5", "U"), "": ("0",)}
NOTE_SAVE_MS = 600  # a note being typed is saved after this pause, and when editing ends


class VettingBar(QWidget):
    def __init__(self, catalog: CatalogModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.buttons = QButtonGroup(self)
        self.buttons.setExclusive(True)
        row = QGridLayout()
        row.setSpacing(2)
        for i, flag in enumerate(USER_FLAGS):
            keys = " / ".join(FLAG_KEYS[flag])
            button = QPushButton(flag or "none", checkable=True, toolTip=f"Set the user flag to '{flag or 'none'}' (key {keys})")
            button.setProperty("user_flag", flag)
            self.buttons.addButton(button)
            row.addWidget(button, i // 3, i % 3)
        self.note = QLineEdit(placeholderText="Note (E to edit, Enter to save)", clearButtonEnabled=True)
        self._note_timer = QTimer(self, singleShot=True, interval=NOTE_SAVE_MS)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Verdict (keys 0-5) and note"))
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.buttons.buttonClicked.connect(self._on_button_clicked)
        self.note.textEdited.connect(lambda _: self._note_timer.start())
        self.note.editingFinished.connect(self.save_note)
        self._note_timer.timeout.connect(self.save_note)
        catalog.selectionChanged.connect(self._on_selection_changed)
        catalog.rowsChanged.connect(self._on_rows_changed)
        self._note_row = -1
        self._on_selection_changed(catalog.current)

    def _on_button_clicked(self, button) -> None:
        if self.catalog.current >= 0:
            self.catalog.set_vetting(self.catalog.current, user_flag=button.property("user_flag"))

    def save_note(self) -> None:
        """Store the note being typed now (also called before rows go away: Close all, closing the window)."""
        self._note_timer.stop()
        row = self._note_row
        if row >= 0 and row < len(self.catalog) and self.note.text() != self.catalog.value(row, "note"):
            self.catalog.set_vetting(row, note=self.note.text())

    def _on_selection_changed(self, row: int) -> None:
        self.save_note()  # a note typed for the previous star is kept for it
        self._note_row = row
        self._show(row)

    def _on_rows_changed(self, rows: np.ndarray) -> None:
        if self.catalog.current in rows:
            self._show(self.catalog.current)

    def _show(self, row: int) -> None:
        enabled = row >= 0
        self.setEnabled(enabled)
        flag = self.catalog.value(row, "user_flag") if enabled else None
        with QSignalBlocker(self.buttons):
            for button in self.buttons.buttons():
                button.setChecked(button.property("user_flag") == flag)
        if not self.note.hasFocus() or not enabled:
            with QSignalBlocker(self.note):
                self.note.setText(self.catalog.value(row, "note") if enabled else "")


class VettingProgress(QLabel):
    """"123 / 400 vetted" for the status bar: predicted stars with a verdict, of all predicted ones.
    Counted at most every ``REFRESH_MS`` however fast rows arrive (a count over a million rows takes a few ms)."""

    REFRESH_MS = 200

    def __init__(self, catalog: CatalogModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.setToolTip("Predicted stars with a verdict (keys 1-5), of all predicted stars; V goes to the next unvetted one")
        self._timer = QTimer(self, singleShot=True, interval=self.REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        for signal in (catalog.rowsAppended, catalog.rowsChanged, catalog.rowsCleared):
            signal.connect(lambda *_: self._timer.start())
        self.refresh()

    def refresh(self) -> None:
        predicted = self.catalog.predicted()
        total = int(predicted.sum())
        vetted = total - int(self.catalog.unvetted().sum())
        self.setText(f"{vetted:,} / {total:,} vetted" if total else "")
