"""Files opened from Finder (double-click, dropped on the Dock icon): macOS gives them to the
application as QFileOpenEvents, not as command-line arguments."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject


class FileOpenEvents(QObject):
    """An application event filter: opens such files in ``window``, or keeps them until it is built."""

    def __init__(self, window):
        super().__init__(window)
        self.window, self.pending = window, []

    def take(self) -> list[str]:
        pending, self.pending = self.pending, []
        return pending

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.FileOpen or not self.window.isVisible():
            return False
        path = event.file() or event.url().toLocalFile()
        if self.window.built:
            self.window.open_paths([path])
        else:
            self.pending.append(path)
        return True
