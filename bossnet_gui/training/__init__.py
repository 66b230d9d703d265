"""Training our own BOSS Net-family weights from labelled library and survey spectra.

One command trains (``python -m bossnet_gui.training train``), one evaluates and writes the
model report (``evaluate``), one writes the demo spectra (``demo``); see ``__main__``.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # the checkout: weights/, docs/model/, resources/
SHARED_DATA = REPO.parent / "shared" / "data"  # the labelled libraries, when ../shared sits beside the checkout
