"""PySide6 6.12.0 loses a reference to None/True/False on every void call or bool emit on Python 3.11
and aborts the process within seconds ("Fatal Python error: bool_dealloc"); pyproject excludes it and
constraints.txt pins a good release. This guards that whatever binding is installed does not leak."""

import subprocess
import sys

LEAK_PROBE = """
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Emitter(QObject):
    flag = Signal(bool)
label, emitter = QLabel(), Emitter()
none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(5000):
    label.setText("x")
    emitter.flag.emit(True)
print(none_before - sys.getrefcount(None), true_before - sys.getrefcount(True))
"""


def test_installed_qt_bindings_do_not_leak_singletons():
    done = subprocess.run([sys.executable, "-c", LEAK_PROBE], capture_output=True, text=True, env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    lost_none, lost_true = map(int, done.stdout.split())
    assert abs(lost_none) < 100 and abs(lost_true) < 100
