"""Work-around for a reference-counting bug of the Qt bindings that would otherwise crash the app.

PySide6 6.12 on Python 3.11 loses a reference to ``None`` on every call of a C++ method that
returns nothing (``label.setText(...)``, ``button.setChecked(...)``), and to ``True``/``False``
when a ``bool`` signal is emitted; it behaves as if these objects were immortal, which they are
only from Python 3.12 on. On Python 3.11 their counts reach zero within minutes of use and the
process aborts ("Fatal Python error: none_dealloc" / "bool_dealloc"). Measured in
``tests/gui/test_pyside_fixes.py``.

``protect_singletons`` gives those objects a reference count that no leak can use up
(~10^12 calls), i.e. makes them as immortal as Python 3.12 does. It does nothing on 3.12+.
"""

from __future__ import annotations

import ctypes
import sys

BALLAST = 1 << 40
SINGLETONS = (None, True, False, Ellipsis, NotImplemented, (), "", b"", *range(-5, 257))


def protect_singletons() -> None:
    """Make the interpreter's shared constant objects effectively immortal (Python < 3.12; idempotent)."""
    if sys.version_info >= (3, 12):
        return
    for obj in SINGLETONS:
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of every object
        if count.value < BALLAST:
            count.value += BALLAST
