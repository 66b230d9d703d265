"""Exceptions that carry a one-line reason a person can act on."""

from __future__ import annotations

from pathlib import Path


class SpectrumReadError(Exception):
    """A file (or one spectrum inside it) could not be turned into a Spectrum.

    ``str(err)`` is one line naming the file, suitable for a table cell or a log.
    """

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = " ".join(str(reason).split())  # always one line
        super().__init__(f"{Path(self.path).name}: {self.reason}")


class UnsupportedFormatError(SpectrumReadError):
    """The file is FITS (or claims to be) but no reader recognises its layout."""

    def __init__(self, path: str | Path, reason: str = "", tried: tuple[str, ...] = ()):
        self.tried = tuple(tried)
        if not reason:
            reason = "not a spectrum layout this app knows"
            if self.tried:
                reason += f" (tried: {', '.join(self.tried)})"
        super().__init__(path, reason)


class ModelLoadError(Exception):
    """Weights or model arguments could not be loaded; the message says what to do."""
