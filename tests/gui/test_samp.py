"""SAMP against a real hub: an in-process hub on loopback whose lockfile sits in a temporary HOME (the
user's ~/.samp is never read or written), and a client playing TOPCAT that reads what the app sends and
sends row selections back."""

from __future__ import annotations

import queue
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from astropy.io.votable import parse

from bossnet_gui.catalog.export import read_catalog
from bossnet_gui.gui.samp import LOOPBACK, SELECT_ROWS, samp_module
from bossnet_gui.io import read_spectra
from tests.gui.conftest import lamost_files, wait_for_run

SAMP_WAIT_MS = 15_000


@pytest.fixture
def samp_home(tmp_path, monkeypatch) -> Path:
    """A HOME of its own and no SAMP_HUB, so hub discovery looks only at this test's lockfile."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SAMP_HUB", raising=False)
    return home


@pytest.fixture
def samp_hub(samp_home):
    samp = samp_module()
    hub = samp.SAMPHubServer(web_profile=False, lockfile=str(samp_home / ".samp"), addr=LOOPBACK, pool_size=2)
    hub.start()
    yield hub
    hub.stop()


class FakeTopcat:
    """A SAMP client that loads tables and spectra (it keeps the messages) and selects rows."""

    def __init__(self, hub):
        self.received: queue.Queue = queue.Queue()
        self.client = samp_module().SAMPIntegratedClient(name="fake TOPCAT", addr=LOOPBACK)
        self.client.connect(hub=hub, pool_size=1)
        for mtype in ("table.load.votable", "spectrum.load.*"):
            self.client.bind_receive_notification(mtype, self._keep)

    def _keep(self, private_key, sender_id, mtype, params, extra) -> None:
        self.received.put((mtype, params))

    def next_message(self, qtbot) -> tuple[str, dict]:
        found = []
        qtbot.waitUntil(lambda: found or not self.received.empty() and found.append(self.received.get_nowait()), timeout=SAMP_WAIT_MS)
        return found[0]

    def app_id(self) -> str:
        (public_id,) = self.client.get_subscribed_clients(SELECT_ROWS)
        return public_id

    def select(self, table_id: str, url: str, rows: list[int]) -> None:
        """A row selection as a notification, the way TOPCAT broadcasts a subset."""
        self.client.notify(self.app_id(), self._select_message(table_id, url, rows))

    def select_and_wait(self, table_id: str, url: str, rows: list[int]) -> None:
        """A row selection as a call: returns once the app has replied (its GUI thread has the message queued)."""
        reply = self.client.call_and_wait(self.app_id(), self._select_message(table_id, url, rows), "10")
        assert reply["samp.status"] == "samp.ok"

    @staticmethod
    def _select_message(table_id: str, url: str, rows: list[int]) -> dict:
        return {"samp.mtype": SELECT_ROWS, "samp.params": {"table-id": table_id, "url": url, "row-list": [str(r) for r in rows]}}

    def registered_names(self) -> list[str]:
        return [self.client.get_metadata(c).get("samp.name", "") for c in self.client.get_registered_clients()]

    def disconnect(self) -> None:
        if self.client.is_connected:
            self.client.disconnect()


@pytest.fixture
def topcat(samp_hub):
    fake = FakeTopcat(samp_hub)
    yield fake
    fake.disconnect()


@pytest.fixture
def predicted_window(make_window, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(5)))
    return window


def send(qtbot, window) -> str:
    with qtbot.waitSignal(window.exports.samp.message, timeout=SAMP_WAIT_MS) as said:
        window.exports.broadcast()
    return said.args[0]


def path_of(url: str) -> Path:
    return Path(urlparse(url).path)


def assert_same_values(received, expected) -> None:
    assert list(received.columns) == list(expected.columns)
    for name in expected.columns:
        if expected[name].dtype.kind in "fiub":
            np.testing.assert_array_equal(received[name].to_numpy(float), expected[name].to_numpy(float), err_msg=name)
        else:
            assert list(received[name].astype(str)) == list(expected[name].astype(str)), name


@pytest.mark.filterwarnings("ignore:The unit 'Angstrom' has been deprecated")  # VOUnit prefers 0.1nm; SSA services say Angstrom
def test_topcat_receives_the_table_and_the_current_spectrum(predicted_window, topcat, qtbot):
    window = predicted_window
    with qtbot.waitSignal(window.catalog.spectrumReady, timeout=SAMP_WAIT_MS):
        window.catalog.set_current(2)
    said = send(qtbot, window)
    assert said.startswith("SAMP: 5 rows to 1 client(s)") and "spectrum of" in said

    mtype, params = topcat.next_message(qtbot)
    assert mtype == "table.load.votable" and params["table-id"] and "5 rows" in params["name"]
    table, _ = read_catalog(path_of(params["url"]))
    assert_same_values(table, window.catalog.frame)

    mtype, params = topcat.next_message(qtbot)
    assert mtype == "spectrum.load.ssa-generic"
    assert params["meta"]["ssa:Access.Format"] == "application/x-votable+xml" and params["meta"]["ssa:Access.Reference"] == params["url"]
    (expected,) = read_spectra(window.catalog.value(2, "source"))
    assert params["name"] == expected.label == params["meta"]["ssa:Target.Name"]
    votable = parse(str(path_of(params["url"]))).get_first_table()
    fields = {field.name: field.utype for field in votable.fields}
    assert fields["WAVELENGTH"] == "spec:Spectrum.Data.SpectralAxis.Value" and fields["FLUX"] == "spec:Spectrum.Data.FluxAxis.Value"
    spectrum = votable.to_table()
    np.testing.assert_array_equal(spectrum["WAVELENGTH"], expected.wavelength)
    np.testing.assert_array_equal(spectrum["FLUX"], expected.flux)
    np.testing.assert_array_equal(spectrum["FLUX_ERROR"], expected.error)
    np.testing.assert_array_equal(spectrum["QUALITY"] == 0, expected.mask)


def test_topcat_row_selection_maps_back_through_a_filtered_table(predicted_window, topcat, qtbot):
    window = predicted_window
    window.catalog.set_subset([1, 3, 4])
    send(qtbot, window)
    _, params = topcat.next_message(qtbot)
    assert list(read_catalog(path_of(params["url"]))[0]["source"]) == [window.catalog.value(r, "source") for r in (1, 3, 4)]

    topcat.select_and_wait("someone-elses-table", "file:///elsewhere.vot", [0, 1])
    qtbot.wait(50)  # the queued message is delivered; it must change nothing
    assert list(window.catalog.subset) == [1, 3, 4] and len(window.catalog.selected_rows) == 0

    with qtbot.waitSignal(window.catalog.selectedRowsChanged, timeout=SAMP_WAIT_MS):
        topcat.select(params["table-id"], params["url"], [0, 2, 99])  # 99 is past the table's end
    assert list(window.catalog.selected_rows) == [1, 4] and list(window.catalog.subset) == [1, 4]
    assert window.table.table_model.rowCount() == 2

    with qtbot.waitSignal(window.catalog.selectionChanged, timeout=SAMP_WAIT_MS):  # a row clicked in TOPCAT
        topcat.client.notify(topcat.app_id(), {"samp.mtype": "table.highlight.row", "samp.params": {"table-id": params["table-id"], "url": params["url"], "row": "1"}})
    assert window.catalog.current == 3


def test_connects_on_first_send_and_leaves_the_hub_on_close(predicted_window, topcat, qtbot):
    window = predicted_window
    assert "bossnet-gui" not in topcat.registered_names() and not window.exports.samp.connected
    send(qtbot, window)
    send(qtbot, window)  # the second send reuses the connection
    assert topcat.registered_names().count("bossnet-gui") == 1
    window.close()
    assert "bossnet-gui" not in topcat.registered_names()


def test_without_a_hub_one_line_in_the_status_bar(predicted_window, samp_home, qtbot):
    from PySide6.QtWidgets import QApplication

    window = predicted_window
    said = send(qtbot, window)
    assert "no hub" in said and "\n" not in said
    assert window.statusBar().currentMessage() == said
    assert QApplication.activeModalWidget() is None and not window.messages.isVisible()
