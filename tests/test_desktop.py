"""``bossnet-gui install-desktop`` / ``uninstall-desktop``: the per-user launcher on each platform."""

from __future__ import annotations

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bossnet_gui import desktop
from bossnet_gui.__main__ import main as entry_point


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.fixture
def xdg(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(sys, "platform", "linux")
    return tmp_path / "data"


def test_linux_launcher_starts_this_installation_for_fits_files(xdg, capsys):
    assert entry_point(["install-desktop"]) == 0
    launcher = xdg / "applications" / "bossnet-gui.desktop"
    entry = read_entry(launcher)
    program, field_code = entry["Exec"].rsplit(" ", 1)
    assert field_code == "%F" and Path(program).is_absolute() and os.access(program, os.X_OK)
    assert Path(program) == desktop.app_executable()
    assert Path(entry["Icon"]) == xdg / "icons" / "hicolor" / "scalable" / "apps" / "bossnet-gui.svg" and Path(entry["Icon"]).is_file()
    assert set(entry["MimeType"].strip(";").split(";")) == {"image/fits", "application/fits"}
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert str(launcher) in capsys.readouterr().out
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(launcher)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout


def test_linux_uninstall_removes_what_install_wrote(xdg, capsys):
    assert entry_point(["install-desktop"]) == 0
    written = [xdg / "applications" / "bossnet-gui.desktop", xdg / "icons" / "hicolor" / "scalable" / "apps" / "bossnet-gui.svg"]
    assert all(path.is_file() for path in written)
    assert entry_point(["uninstall-desktop"]) == 0
    assert not any(path.exists() for path in written)
    assert entry_point(["uninstall-desktop"]) == 0
    assert "no launcher was installed" in capsys.readouterr().out


def test_default_data_home_is_under_the_users_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert desktop.xdg_data_home() == tmp_path / ".local" / "share"


def test_exec_paths_with_spaces_and_quotes_are_quoted_as_the_spec_asks(tmp_path):
    entry_file = tmp_path / "x.desktop"
    entry_file.write_text(desktop.desktop_entry(['/opt/my apps/"odd"$/bossnet-gui'], tmp_path / "icon.svg"))
    assert read_entry(entry_file)["Exec"] == r'"/opt/my apps/\"odd\"\$/bossnet-gui" %F'


def test_without_an_installed_program_the_launcher_runs_this_python(monkeypatch):
    monkeypatch.setattr(desktop, "app_executable", lambda: None)
    assert desktop.launch_command() == [sys.executable, "-m", "bossnet_gui"]


def test_macos_bundle_starts_this_installation_and_declares_fits(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(desktop, "launch_command", lambda: ["/Users/me/it's/bin/bossnet-gui"])
    assert entry_point(["install-desktop"]) == 0
    bundle = tmp_path / "Applications" / "bossnet-gui.app"
    info = plistlib.loads((bundle / "Contents" / "Info.plist").read_bytes())
    program = bundle / "Contents" / "MacOS" / info["CFBundleExecutable"]
    assert os.access(program, os.X_OK)
    script = program.read_text()
    assert script.startswith("#!/bin/sh\n") and "exec '/Users/me/it'\\''s/bin/bossnet-gui' \"$@\"" in script
    assert subprocess.run(["sh", "-n", str(program)]).returncode == 0
    types = info["CFBundleDocumentTypes"][0]
    assert set(types["CFBundleTypeExtensions"]) == {"fits", "fit", "fts"} and "image/fits" in types["CFBundleTypeMIMETypes"]
    assert entry_point(["uninstall-desktop"]) == 0 and not bundle.exists()


def test_windows_shortcut_script_targets_the_gui_program():
    script = desktop.windows_shortcut_script(Path(r"C:\Users\o'neil\Start Menu\bossnet-gui.lnk"), [r"C:\venv\Scripts\bossnet-gui.exe"])
    assert r"CreateShortcut('C:\Users\o''neil\Start Menu\bossnet-gui.lnk')" in script
    assert r"$s.TargetPath = 'C:\venv\Scripts\bossnet-gui.exe'" in script and script.endswith("$s.Save()")


@pytest.mark.parametrize("argv", [["install-desktop", "now"], ["uninstall-desktop", "--force"]])
def test_unknown_arguments_print_usage_and_change_nothing(argv, xdg, capsys):
    assert entry_point(argv) == 2
    assert "usage: bossnet-gui install-desktop" in capsys.readouterr().err
    assert not xdg.exists()
