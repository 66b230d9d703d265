"""ResultsPanel: the current star's parameters with uncertainties, the survey pipeline's own values beside
them, quality flags and provenance.

Uncertainties are the standard deviation over the Monte-Carlo draws, in physical units (Teff in K
from the draws of 10**logTeff). An error below the shown precision reads "± <0.01".
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ..catalog.flags import describe
from ..results import OK
from ..spectrum import Spectrum
from .catalog_model import CatalogModel, row_state

PARAMETERS = (  # column, label, unit, decimals
    ("Teff", "Teff", "K", 0),
    ("logg", "log g", "", 2),
    ("FeH", "[Fe/H]", "", 2),
    ("rv", "RV", "km/s", 1),
)
SHOWN_NEIGHBOURS = 3
SURVEY_OF = {"Teff": "survey_teff", "logg": "survey_logg", "FeH": "survey_feh", "rv": "survey_rv"}  # the survey's value beside ours
ASPCAP = (("teff", "Teff", "K", 0), ("logg", "log g", "", 2), ("m_h", "[M/H]", "", 2))


def with_error(value: float, error: float | None, unit: str, decimals: int) -> str:
    """'5,812 ± 45 K'; an error too small for ``decimals`` keeps two significant digits."""
    if value is None or not np.isfinite(value):
        return "—"
    text = f"{value:,.{decimals}f}"
    if error is not None and np.isfinite(error):
        step = 10.0**-decimals
        text += f" ± {error:,.{decimals}f}" if error >= step / 2 or error == 0 else f" ± <{step:.{decimals}f}"
    return f"{text} {unit}".strip()


def aspcap_values(extra: dict) -> list[tuple[str, str]]:
    """(label, value ± error) from ASPCAP keys in a spectrum's extra metadata (PARAM, else FPARAM)."""
    rows = []
    for key, label, unit, decimals in ASPCAP:
        for prefix, note in (("aspcap_", ""), ("aspcap_fparam_", " (FPARAM)")):
            value = extra.get(prefix + key)
            if value is not None and np.isfinite(value):
                rows.append((f"ASPCAP {label}{note}", with_error(value, extra.get(prefix + key + "_err"), unit, decimals)))
                break
    return rows


class ResultsPanel(QWidget):
    def __init__(self, catalog: CatalogModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.heading = QLabel("No star selected", wordWrap=True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for name, label in [(p[0], p[1]) for p in PARAMETERS] + [
            ("survey_class", "Survey class"),
            ("snr", "S/N"),
            ("ood_score", "Distance from training"),
            ("extrapolated_fraction", "Grid extrapolated"),
            ("flags", "Quality flags"),
            ("source", "File"),
            ("hdu", "HDU"),
            ("model", "Model"),
        ]:
            self.values[name] = QLabel("—", wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(label, self.values[name])
        self.aspcap = QLabel("", wordWrap=True)
        self.neighbours = QLabel("", wordWrap=True, toolTip="The training spectra this star resembles most in the network's own features "
                                 "(distance 1 = typical for a validation star); their labels are what the network learned there")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.aspcap)
        layout.addWidget(self.neighbours)
        layout.addStretch(1)
        catalog.selectionChanged.connect(self._on_selection_changed)
        catalog.rowsChanged.connect(self._on_rows_changed)
        catalog.spectrumReady.connect(self._on_spectrum_ready)

    def _on_selection_changed(self, row: int) -> None:
        self.aspcap.setText("")
        self.neighbours.setText("")
        self.show_row(row)

    def show_explanation(self, explanation) -> None:
        """The nearest training spectra of the shown star (from ``model.explain``), or nothing."""
        if explanation is None or not explanation.neighbours:
            self.neighbours.setText("")
            return
        lines = [f"{n.name.removesuffix('.dk.dat.txt')}: {with_error(n.teff, None, 'K', 0)}, {with_error(n.logg, None, '', 2)}, "
                 f"{with_error(n.feh, None, '', 2)} <span style='color:#777'>d {n.distance:.2f}</span>" for n in explanation.neighbours[:SHOWN_NEIGHBOURS]]
        self.neighbours.setText("<b>Nearest training spectra</b> (Teff, log g, [Fe/H], distance)<br>" + "<br>".join(lines))

    def _on_rows_changed(self, rows: np.ndarray) -> None:
        if self.catalog.current in rows:
            self.show_row(self.catalog.current)

    def _on_spectrum_ready(self, row: int, spectrum: Spectrum | None, reason: str) -> None:
        if spectrum is None:
            self.aspcap.setText("")
            return
        found = aspcap_values(spectrum.meta.extra)
        self.aspcap.setText("<br>".join(f"<b>{label}</b>: {value}" for label, value in found))

    def show_row(self, row: int) -> None:
        if row < 0:
            self.heading.setText("No star selected")
            for label in self.values.values():
                label.setText("—")
            return
        r = self.catalog.record(row)
        state = row_state(r["status"])
        title = r["id"] or Path(r["source"]).name
        colour = "#b22" if state == "failed" else "#666"
        status = "" if r["status"] == OK else f"<br><span style='color:{colour}'>{r['status']}</span>"
        self.heading.setText(f"<b style='font-size:14pt'>{title}</b> — {state}{status}")
        for name, _, unit, decimals in PARAMETERS:
            survey = r.get(SURVEY_OF[name])
            beside = f" &nbsp;<span style='color:#777'>survey {with_error(survey, None, unit, decimals)}</span>" if _finite(survey) else ""
            self.values[name].setText(with_error(r[name], r.get(f"{name}_err"), unit, decimals) + beside)
            self.values[name].setToolTip(f"median of draws: {with_error(r.get(f'{name}_median'), None, unit, decimals)}")
        self.values["survey_class"].setText(r.get("survey_class") or "—")
        self.values["snr"].setText(_number(r["snr"], 1))
        self.values["ood_score"].setText(_number(r["ood_score"], 2, "not available for this model") + "  (1 = typical training star)" * _finite(r["ood_score"]))
        self.values["extrapolated_fraction"].setText(_percent(r["extrapolated_fraction"]))
        flags = describe(int(r["result_flags"])) if r["status"] == OK else []
        self.values["flags"].setText("<br>".join(f"• {line}" for line in flags) or "none")
        self.values["source"].setText(Path(r["source"]).name)
        self.values["source"].setToolTip(r["source"])
        self.values["hdu"].setText(r["hdu"] or "—")
        self.values["model"].setText(r["model"] or "—")


def _finite(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def _number(value, decimals: int, missing: str = "—") -> str:
    return f"{value:,.{decimals}f}" if _finite(value) else missing


def _percent(value) -> str:
    return f"{100 * value:.0f}%" if _finite(value) else "—"
