"""The keyboard-driven vetting sweep: next/previous star, next flagged or unvetted star, one-key verdicts,
and the queue order (most suspicious first).

Actions act on the rows in the order the table shows them (sort and filter included). With
"advance after verdict" on, setting a verdict moves to the next star, so a sweep is one key a star.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from .catalog_model import CatalogModel
from .catalog_table import CatalogTable
from .vetting_bar import FLAG_KEYS, VettingBar


class VettingActions(QObject):
    def __init__(self, catalog: CatalogModel, table: CatalogTable, bar: VettingBar, parent: QObject | None = None):
        super().__init__(parent)
        self.catalog, self.table, self.bar = catalog, table, bar
        self.advance = self._action("Advance after verdict", checkable=True, checked=True, tip="Setting a verdict moves to the next star")
        self.next = self._action("Next star", ("N", "J"), lambda: table.step(+1))
        self.previous = self._action("Previous star", ("P", "K"), lambda: table.step(-1))
        self.next_flagged = self._action("Next flagged star", ("F",), lambda: table.step(+1, catalog.flagged()))
        self.previous_flagged = self._action("Previous flagged star", ("Shift+F",), lambda: table.step(-1, catalog.flagged()))
        self.next_unvetted = self._action("Next unvetted star", ("V",), lambda: table.step(+1, catalog.unvetted()))
        self.previous_unvetted = self._action("Previous unvetted star", ("Shift+V",), lambda: table.step(-1, catalog.unvetted()))
        self.queue = self._action("Most suspicious first", ("Q",), table.sort_by_suspicion,
                                  tip="Sort the table as a vetting queue: flags set plus distance from the training set, highest first")
        self.edit_note = self._action("Edit note", ("E",), self._on_edit_note)
        self.undo = self._history_action(catalog.history.createUndoAction(self, "Undo"), ("Ctrl+Z",))
        self.redo = self._history_action(catalog.history.createRedoAction(self, "Redo"), ("Ctrl+Shift+Z", "Ctrl+Y"))
        self.verdicts = [
            self._action(f"Mark {flag}" if flag else "Clear verdict", FLAG_KEYS[flag], lambda _checked=False, f=flag: self.set_verdict(f)) for flag in FLAG_KEYS
        ]

    def actions(self) -> list[QAction]:
        return [self.next, self.previous, self.next_flagged, self.previous_flagged, self.next_unvetted, self.previous_unvetted,
                self.queue, None, *self.verdicts, None, self.edit_note, self.undo, self.redo, self.advance]

    def set_verdict(self, flag: str) -> None:
        if self.catalog.current < 0:
            return
        self.catalog.set_vetting(self.catalog.current, user_flag=flag)
        if self.advance.isChecked() and flag:
            self.table.step(+1)

    def _on_edit_note(self) -> None:
        self.bar.note.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.bar.note.selectAll()

    def _history_action(self, action: QAction, keys) -> QAction:
        """Undo or redo of verdicts and notes; the flag's note field keeps Ctrl+Z for its own text while focused."""
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        return action

    def _action(self, text: str, keys=(), slot=None, checkable=False, checked=False, tip="") -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.setChecked(checked)
        action.setToolTip(tip or text)
        if slot is not None:
            action.triggered.connect(slot)
        return action
