"""Readers for survey spectra: one module per format, chosen by sniffing content (see ``registry``)."""

from .registry import Reader, identify, open_fits, read_spectra

__all__ = ["Reader", "identify", "open_fits", "read_spectra"]
