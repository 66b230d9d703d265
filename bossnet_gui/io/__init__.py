"""Readers for survey spectra: one module per format, chosen by sniffing content (see ``registry``)."""

from .registry import Reader, identify, open_fits, read_spectra
from .scan import FileSummary, find_spectrum_files, iter_spectra, iter_spectrum_files, iter_spectrum_names, peek

__all__ = ["FileSummary", "Reader", "find_spectrum_files", "identify", "iter_spectrum_files", "iter_spectrum_names", "iter_spectra", "open_fits", "peek", "read_spectra"]
