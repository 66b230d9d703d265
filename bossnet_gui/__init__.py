"""bossnet-gui: BOSS Net stellar parameters from survey spectra, headless or on a Kiel diagram."""

__version__ = "0.1.0"
