"""MessageBar: non-modal notices (unreadable files, session-store problems, model errors).

The latest message is shown in a slim bar above the panels; all of them stay in ``history``
and in the bar's tooltip. Nothing here blocks the window.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class MessageBar(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.history: list[str] = []
        self.text = QLabel(wordWrap=True)
        self.count = QLabel()
        close = QPushButton("✕", flat=True, toolTip="Hide (messages are kept in the tooltip)")
        close.setFixedWidth(28)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 2, 2)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.count)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self.setStyleSheet("MessageBar { background: #fff4cc; border-bottom: 1px solid #d9c36a; }")
        self.hide()

    def notify(self, message: str) -> None:
        if not message:
            return
        self.history.append(message)
        self.text.setText(message)
        self.count.setText(f"({len(self.history)} messages)" if len(self.history) > 1 else "")
        self.setToolTip("\n".join(self.history[-30:]))
        self.show()
