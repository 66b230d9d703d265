"""Training our own BOSS Net-family weights from labelled library and survey spectra.

One command trains (``python -m bossnet_gui.training train``), one evaluates and writes the
model report (``evaluate``), one writes the demo spectra (``demo``); see ``__main__``.
"""
