"""Finding files in folders and lists, header-only summaries, and lazy reading that never raises."""

import threading
import time

import numpy as np
import pytest
from astropy.io import fits

from bossnet_gui.errors import SpectrumReadError
from bossnet_gui.io import FileSummary, find_spectrum_files, iter_spectra, peek
from bossnet_gui.io.scan import read_ahead
from bossnet_gui.spectrum import Spectrum

from .conftest import mwm_file

GENUINE_FOLDERS = ("lamost_dr1", "lamost_dr8", "apogee", "sdss", "xsl", "broken")


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_folders_are_walked_recursively_sorted_and_fits_only(tmp_path):
    for name in ["b/z.fits", "b/a.fit.gz", "a.fts", "c/d/e.fits.fz", "notes.txt", "b/table.csv", "x.FITS"]:
        _touch(tmp_path / name)
    found = [p.relative_to(tmp_path).as_posix() for p in find_spectrum_files(tmp_path)]
    assert found == ["a.fts", "b/a.fit.gz", "b/z.fits", "c/d/e.fits.fz", "x.FITS"]


def test_explicit_files_are_always_kept(tmp_path):
    csv = _touch(tmp_path / "data.csv")
    missing = tmp_path / "missing.fits"
    assert find_spectrum_files([csv, missing]) == [csv, missing]


def test_list_files(tmp_path):
    folder = tmp_path / "spectra"
    one, two = _touch(folder / "one.fits"), _touch(folder / "sub" / "two.fits")
    absolute = _touch(tmp_path / "elsewhere" / "three.fits.gz")
    inner = tmp_path / "lists" / "inner.txt"
    inner.parent.mkdir()
    inner.write_text(f"# nested list\n{absolute}\n")
    outer = tmp_path / "lists" / "files.lst"
    outer.write_text(f"# my spectra\n\n../spectra/one.fits\n  ../spectra/sub  \ninner.txt\n# ../spectra/none.fits\n{outer.name}\n")
    assert find_spectrum_files(outer) == [one, two, absolute]


def test_text_file_that_is_not_a_list_is_kept(tmp_path):
    prose = tmp_path / "readme"
    prose.write_text("Observations of the night\nclear sky\n")
    assert find_spectrum_files([prose]) == [prose]


def test_mix_of_inputs_without_duplicates(tmp_path):
    a, b = _touch(tmp_path / "d" / "a.fits"), _touch(tmp_path / "b.fits")
    listing = tmp_path / "list.txt"
    listing.write_text("d/a.fits\nb.fits\n")
    assert find_spectrum_files([b, tmp_path / "d", listing]) == [b, a]


def test_ten_thousand_files_in_folder_order(tmp_path):
    """bench/gui.py times this scan."""
    for i in range(100):
        folder = tmp_path / f"night{i:03d}"
        folder.mkdir()
        for j in range(100):
            (folder / f"spec-{j:04d}.fits").touch()
    found = find_spectrum_files(tmp_path)
    assert len(found) == 10_000 and found[0] == tmp_path / "night000" / "spec-0000.fits"
    assert found[-1] == tmp_path / "night099" / "spec-0099.fits"


def test_peek_genuine_files(data):
    apstar = peek(data / "apogee/apStar/apStar-r6-2M00452143+1634446.fits")
    assert apstar == FileSummary(apstar.path, "APOGEE apStar/asStar", "2M00452143+1634446", pytest.approx(11.339304), pytest.approx(16.579082))
    lamost = peek(data / "lamost_dr8/spec-55859-F5902_sp03-232.fits.gz")
    assert (lamost.reader, lamost.object_id, lamost.reason) == ("LAMOST LRS", "LAMOST J220338.26-001028.9", None)
    sdss = peek(data / "sdss/spec-0266-51602-0031.fits")
    assert (sdss.object_id, sdss.ra) == ("0266-51602-0031", pytest.approx(147.32107))


def test_peek_never_raises(tmp_path, data):
    image = tmp_path / "image.fits"
    fits.PrimaryHDU(np.zeros((100, 100), np.float32)).writeto(image)
    text = tmp_path / "text.fits"
    text.write_text("hello")
    cut = tmp_path / "cut.fits"
    cut.write_bytes((data / "lamost_dr1/spec-55862-B6212_sp06-003.fits").read_bytes()[:1000])
    assert peek(data / "broken/apVisit-2M03122509+0021585-0.fits").reason == "empty file (0 bytes)"
    assert peek(image).reason == "no spectrum layout this app knows: 100×100 image in HDU 0"
    assert peek(text).reason.startswith("not a FITS file")
    assert peek(cut).reason.startswith("unreadable FITS") and peek(cut).reader is None
    assert peek(tmp_path / "missing.fits").reason.startswith("cannot open")
    assert peek(tmp_path).reason is not None


def test_every_genuine_file_through_iter_spectra(data):
    files = find_spectrum_files([data / folder for folder in GENUINE_FOLDERS])
    results = list(iter_spectra([data / folder for folder in GENUINE_FOLDERS]))
    errors = [r for r in results if isinstance(r, SpectrumReadError)]
    spectra = [r for r in results if isinstance(r, Spectrum)]
    assert len(files) == 114 + 220 + 24 + 25 + 12 + 1 + 1 + 2
    assert [e.reason for e in errors] == ["empty file (0 bytes)"] * 2
    assert all("broken" in e.path for e in errors)
    assert len(spectra) == len(files) - 2
    assert all(np.all(np.diff(s.wavelength) > 0) for s in spectra)


def test_iter_spectra_yields_each_spectrum_of_a_file_and_errors_in_order(tmp_path, data):
    visit = mwm_file(tmp_path / "a_mwmVisit.fits", visit=True, rows={"BOSS/APO": 2})
    broken = tmp_path / "b_broken.fits"
    broken.write_text("not fits")
    apstar = data / "apogee/apStar/apStar-r6-2M00452143+1634446.fits"
    results = list(iter_spectra([visit, broken, apstar]))
    assert [type(r).__name__ for r in results] == ["Spectrum", "Spectrum", "SpectrumReadError", "Spectrum"]
    assert [r.meta.hdu for r in results if isinstance(r, Spectrum)][:2] == ["BOSS/APO row 0", "BOSS/APO row 1"]
    assert str(results[2]).startswith("b_broken.fits: not a FITS file")


def test_iter_spectra_is_lazy(tmp_path):
    first = mwm_file(tmp_path / "first.fits", visit=False, rows={"BOSS/APO": 1})
    later = tmp_path / "later.fits"
    later.write_text("not fits yet")
    iterator = iter_spectra([first, later])
    assert isinstance(next(iterator), Spectrum)
    mwm_file(tmp_path / "later2.fits", visit=False, rows={"APOGEE/APO": 1}).replace(later)  # changed after the start
    assert next(iterator).meta.instrument == "APOGEE"


def counting(count: int, produced: list):
    """0 .. count-1, noting in ``produced`` each one the moment it is produced."""
    for i in range(count):
        produced.append(i)
        yield i


def test_read_ahead_keeps_order_and_stays_within_its_depth():
    produced = []
    ahead = read_ahead(counting(100, produced), depth=4)
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    deadline = time.monotonic() + 5
    while len(produced) < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    # 3 taken, 4 waiting in the buffer, 1 read and blocked on the full buffer: never the whole source
    assert len(produced) == 8
    assert list(ahead) == list(range(3, 100))


def test_read_ahead_raises_the_source_error_in_its_place():
    def source():
        yield "a"
        raise OSError("disk gone")

    ahead = read_ahead(source(), depth=8)
    assert next(ahead) == "a"
    with pytest.raises(OSError, match="disk gone"):
        next(ahead)


def test_closing_read_ahead_stops_its_thread():
    produced = []
    ahead = read_ahead(counting(10_000, produced), depth=2)
    assert next(ahead) == 0
    ahead.close()
    assert not any(t.name == "read ahead" and t.is_alive() for t in threading.enumerate())
    count = len(produced)
    time.sleep(0.1)
    assert len(produced) == count < 10


def test_read_ahead_of_real_files_gives_what_iter_spectra_gives(tmp_path, data):
    files = [mwm_file(tmp_path / "a_mwmVisit.fits", visit=True, rows={"BOSS/APO": 2}), tmp_path / "b_broken.fits",
             data / "apogee/apStar/apStar-r6-2M00452143+1634446.fits"]
    files[1].write_text("not fits")
    direct = [str(r) if isinstance(r, SpectrumReadError) else r.meta.hdu for r in iter_spectra(files)]
    ahead = [str(r) if isinstance(r, SpectrumReadError) else r.meta.hdu for r in read_ahead(iter_spectra(files), 2)]
    assert ahead == direct
