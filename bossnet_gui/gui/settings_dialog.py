"""SettingsDialog: Monte-Carlo draws, batch size, model (bundled or a published directory), device."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QPushButton, QSpinBox, QWidget

from .settings import RunSettings

BUNDLED_DEFAULT = "bundled default"


def devices() -> list[str]:
    import torch  # here, not at module level: the window opens before torch is loaded

    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


class SettingsDialog(QDialog):
    def __init__(self, run: RunSettings, model_spec: str, parent: QWidget | None = None):
        from ..model import available_models

        super().__init__(parent)
        self.setWindowTitle("Prediction settings")
        self.draws = QSpinBox(minimum=0, maximum=500, value=run.draws, toolTip="Monte-Carlo noise draws per star (0: no uncertainties)")
        self.batch_size = QSpinBox(minimum=1, maximum=1024, value=run.batch_size, toolTip="Spectra per batch (a cancel takes effect within one batch)")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=run.seed)
        self.device = QComboBox()
        self.device.addItems(devices())
        self.device.setCurrentText(run.device if run.device in devices() else "cpu")
        self.model = QComboBox(editable=True)
        self.model.addItems([BUNDLED_DEFAULT, *available_models()])
        self.model.setCurrentText(model_spec or BUNDLED_DEFAULT)
        browse = QPushButton("Published model directory…")
        browse.clicked.connect(self._on_browse)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Monte-Carlo draws", self.draws)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Random seed", self.seed)
        form.addRow("Device", self.device)
        form.addRow("Model", model_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Published BOSS Net model directory (model_args.yaml + model_chunk_*)")
        if folder:
            self.model.setCurrentText(folder)

    def run_settings(self) -> RunSettings:
        return RunSettings(self.draws.value(), self.batch_size.value(), self.device.currentText(), self.seed.value())

    def model_spec(self) -> str:
        text = self.model.currentText().strip()
        return "" if text == BUNDLED_DEFAULT else text
