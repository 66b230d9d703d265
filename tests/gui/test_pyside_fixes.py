"""The PySide6 reference leak on None/True/False that pyside_fixes guards against, measured, and the guard."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from bossnet_gui.gui.pyside_fixes import BALLAST, protect_singletons


class Emitter(QObject):
    flag = Signal(bool)


def test_singletons_survive_the_leak(qtbot):
    protect_singletons()
    label, emitter = QLabel(), Emitter()
    qtbot.addWidget(label)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(2000):
        label.setText("x")  # a C++ method returning nothing
        emitter.flag.emit(True)
    lost_none, lost_true = none_before - sys.getrefcount(None), true_before - sys.getrefcount(True)
    print(f"\nreferences lost per call: None {lost_none / 2000:.2f}, True {lost_true / 2000:.2f}")
    if sys.version_info < (3, 12):
        assert min(sys.getrefcount(o) for o in (None, True, False, ())) > BALLAST // 2
        protect_singletons()  # idempotent
        assert sys.getrefcount(None) < 2 * BALLAST
