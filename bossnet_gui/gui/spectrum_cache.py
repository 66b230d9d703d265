"""The spectra behind catalog rows: kept from the prediction run when possible, else read again.

Keeping every spectrum of a 10,000-file session in memory would take gigabytes, so only the
most recent ``capacity`` are kept; the current star's file is re-read in a worker thread when it
is not among them (one file: milliseconds to tens of milliseconds).
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, QTimer, Signal
from superqt.utils import create_worker

from ..errors import SpectrumReadError
from ..io import read_spectra
from ..spectrum import Spectrum

SHOW_DELAY_MS = 15  # a timer, not a posted event: the event loop runs between the caller and the drawing
Key = tuple[str, str]  # (file, hdu); hdu "" means "the file's first spectrum"


def read_spectrum(source: str, hdu: str) -> Spectrum:
    """The spectrum of ``source`` at ``hdu`` (the first one when hdu is "")."""
    spectra = read_spectra(source)
    for spectrum in spectra:
        if not hdu or spectrum.meta.hdu == hdu:
            return spectrum
    raise SpectrumReadError(source, f"no spectrum at HDU {hdu!r} (the file has {', '.join(s.meta.hdu for s in spectra)})")


class SpectrumCache(QObject):
    loaded = Signal(object, object, str)  # key as requested, Spectrum or None, reason when None

    def __init__(self, parent: QObject | None = None, capacity: int = 256):
        super().__init__(parent)
        self.capacity = capacity
        self._spectra: OrderedDict[Key, Spectrum] = OrderedDict()
        self._loading: set[Key] = set()
        self._generation = 0  # moved on by ``clear``: reads started before it are dropped

    def clear(self) -> None:
        """Forget every spectrum, and whatever reads still in flight bring back."""
        self._spectra.clear()
        self._loading.clear()
        self._generation += 1

    def put(self, spectrum: Spectrum) -> None:
        key = (spectrum.meta.source, spectrum.meta.hdu)
        self._spectra[key] = spectrum
        self._spectra.move_to_end(key)
        while len(self._spectra) > self.capacity:
            self._spectra.popitem(last=False)

    def get(self, key: Key) -> Spectrum | None:
        source, hdu = key
        if hdu:
            found = self._spectra.get(key)
        else:
            found = next((s for (src, _), s in self._spectra.items() if src == source), None)
        if found is not None:
            self._spectra.move_to_end((found.meta.source, found.meta.hdu))
        return found

    def request(self, key: Key) -> None:
        """Emit ``loaded`` for ``key``: on the next event-loop turn when cached, else after reading it off the GUI thread."""
        found = self.get(key)
        if found is not None:  # a little later: drawing it is not added to the caller's event-loop turn
            QTimer.singleShot(SHOW_DELAY_MS, self, lambda: self.loaded.emit(key, found, ""))
            return
        if key in self._loading:
            return
        self._loading.add(key)
        create_worker(read_for, key, self._generation, _connect={"returned": self._on_read})  # a bound slot: dropped if the cache is deleted

    def _on_read(self, result: tuple[Key, Spectrum | None, str, int]) -> None:
        key, spectrum, reason, generation = result
        if generation != self._generation:
            return
        self._loading.discard(key)
        if spectrum is not None:
            self.put(spectrum)
        self.loaded.emit(key, spectrum, reason)


def read_for(key: Key, generation: int = 0) -> tuple[Key, Spectrum | None, str, int]:
    """(key, spectrum, "", generation) or (key, None, reason, generation); never raises."""
    try:
        return key, read_spectrum(*key), "", generation
    except SpectrumReadError as error:
        return key, None, error.reason, generation
    except Exception as error:  # a reader bug must not take the window down
        return key, None, f"{type(error).__name__}: {error}", generation
