"""``bossnet-gui install-desktop`` / ``uninstall-desktop``: a per-user launcher for this installation.

* Linux (XDG): ``$XDG_DATA_HOME/applications/bossnet-gui.desktop`` with the absolute path of this
  installation's ``bossnet-gui``, ``%F`` and the FITS MIME types, so a file manager offers the app
  for ``.fits`` files; the icon goes to ``$XDG_DATA_HOME/icons/hicolor/scalable/apps``.
* macOS: ``~/Applications/bossnet-gui.app``, a bundle whose executable starts this installation
  and which declares the FITS document types.
* Windows: a Start-menu shortcut to ``bossnet-gui.exe`` and an "Open with" entry for ``.fits``
  files under ``HKEY_CURRENT_USER`` (no administrator rights needed).

Nothing here needs Qt or torch.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from . import __version__
from .bundled import DESKTOP_TEMPLATE, ICON

APP_NAME = "bossnet-gui"
FITS_MIME_TYPES = ("image/fits", "application/fits")
FITS_EXTENSIONS = (".fits", ".fit", ".fts")
USAGE = f"""usage: {APP_NAME} install-desktop | uninstall-desktop

install-desktop    add a launcher for this installation to your applications menu (for you only),
                   offered for FITS files in the file manager
uninstall-desktop  remove it again"""


def app_executable() -> Path | None:
    """This installation's ``bossnet-gui`` program (the gui-script pip wrote), or None if absent."""
    name = APP_NAME + (".exe" if sys.platform == "win32" else "")
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    candidates = [running] if running is not None and running.name == name else []
    for scheme in (None, f"{os.name}_user"):
        try:
            scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        candidates.append(Path(scripts) / name)
    return next((path.resolve() for path in candidates if path.is_file()), None)


def launch_command() -> list[str]:
    """The absolute command line that starts the app from this installation."""
    executable = app_executable()
    return [str(executable)] if executable else [sys.executable, "-m", "bossnet_gui"]


def _desktop_quote(argument: str) -> str:
    """Quote one Exec argument as the Desktop Entry Specification asks."""
    if not any(c in argument for c in " \t\n\"'\\><~|&;$*?#()`"):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


def desktop_entry(command: list[str], icon: Path) -> str:
    """The launcher file's text: the bundled template with this installation's command and icon."""
    replaced = {
        "Exec": " ".join(_desktop_quote(part) for part in command) + " %F",
        "TryExec": command[0],
        "Icon": str(icon),
        "MimeType": "".join(f"{mime};" for mime in FITS_MIME_TYPES),
    }
    lines = []
    for line in DESKTOP_TEMPLATE.read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0]
        if key in replaced:
            line = f"{key}={replaced.pop(key)}"
        lines.append(line)
    lines += [f"{key}={value}" for key, value in replaced.items()]
    return "\n".join(lines) + "\n"


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _linux_paths() -> tuple[Path, Path]:
    data = xdg_data_home()
    return data / "applications" / f"{APP_NAME}.desktop", data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_NAME}.svg"


def _refresh_desktop_database(applications: Path) -> None:
    """Let file managers see the new MIME associations now (the tool is optional)."""
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run([tool, "-q", str(applications)], check=False, capture_output=True)


def install_linux() -> list[Path]:
    entry, icon = _linux_paths()
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ICON, icon)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(desktop_entry(launch_command(), icon), encoding="utf-8")
    entry.chmod(0o755)  # some desktops only trust executable launchers
    _refresh_desktop_database(entry.parent)
    return [entry, icon]


def uninstall_linux() -> list[Path]:
    removed = [path for path in _linux_paths() if path.is_file()]
    for path in removed:
        path.unlink()
    _refresh_desktop_database(_linux_paths()[0].parent)
    return removed


def mac_bundle() -> Path:
    return Path.home() / "Applications" / f"{APP_NAME}.app"


def mac_info_plist(executable_name: str) -> bytes:
    return plistlib.dumps({
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleIdentifier": "org.bossnet-gui.app",
        "CFBundleExecutable": executable_name,
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": __version__,
        "CFBundleDocumentTypes": [{
            "CFBundleTypeName": "FITS spectrum",
            "CFBundleTypeRole": "Viewer",
            "CFBundleTypeExtensions": [ext.lstrip(".") for ext in FITS_EXTENSIONS],
            "CFBundleTypeMIMETypes": list(FITS_MIME_TYPES),
        }],
    })


def install_macos() -> list[Path]:
    bundle = mac_bundle()
    program = bundle / "Contents" / "MacOS" / APP_NAME
    program.parent.mkdir(parents=True, exist_ok=True)
    quoted = " ".join("'" + part.replace("'", "'\\''") + "'" for part in launch_command())
    program.write_text(f'#!/bin/sh\nexec {quoted} "$@"\n', encoding="utf-8")
    program.chmod(0o755)
    (bundle / "Contents" / "Info.plist").write_bytes(mac_info_plist(APP_NAME))
    return [bundle]


def uninstall_macos() -> list[Path]:
    bundle = mac_bundle()
    if not bundle.is_dir():
        return []
    shutil.rmtree(bundle)
    return [bundle]


def windows_shortcut() -> Path:
    start_menu = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    return start_menu / f"{APP_NAME}.lnk"


def windows_shortcut_script(shortcut: Path, command: list[str]) -> str:
    """PowerShell that writes the Start-menu shortcut (Windows makes .lnk files only through COM)."""
    def quote(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    arguments = " ".join(f'"{part}"' for part in command[1:])
    return (
        "$s = (New-Object -ComObject WScript.Shell).CreateShortcut(" + quote(str(shortcut)) + "); "
        f"$s.TargetPath = {quote(command[0])}; $s.Arguments = {quote(arguments)}; "
        f"$s.Description = {quote('BOSS Net stellar parameters on a Kiel diagram')}; $s.Save()"
    )


def _windows_open_with(command: list[str], register: bool) -> None:
    import winreg

    progid = rf"Software\Classes\{APP_NAME}.fits"
    if register:
        line = " ".join(f'"{part}"' for part in command) + ' "%1"'
        winreg.SetValue(winreg.HKEY_CURRENT_USER, progid + r"\shell\open\command", winreg.REG_SZ, line)
    for ext in FITS_EXTENSIONS:
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, rf"Software\Classes\{ext}\OpenWithProgids") as key:
            if register:
                winreg.SetValueEx(key, f"{APP_NAME}.fits", 0, winreg.REG_NONE, b"")
            else:
                try:
                    winreg.DeleteValue(key, f"{APP_NAME}.fits")
                except FileNotFoundError:
                    pass
    if not register:
        for sub in (r"\shell\open\command", r"\shell\open", r"\shell", ""):
            try:
                winreg.DeleteKey(winreg.HKEY_CURRENT_USER, progid + sub)
            except FileNotFoundError:
                pass


def install_windows() -> list[Path]:
    shortcut, command = windows_shortcut(), launch_command()
    shortcut.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["powershell", "-NoProfile", "-Command", windows_shortcut_script(shortcut, command)], check=True, capture_output=True)
    _windows_open_with(command, register=True)
    return [shortcut]


def uninstall_windows() -> list[Path]:
    shortcut = windows_shortcut()
    removed = [shortcut] if shortcut.is_file() else []
    for path in removed:
        path.unlink()
    _windows_open_with(launch_command(), register=False)
    return removed


def _platform_actions():
    if sys.platform == "win32":
        return install_windows, uninstall_windows
    if sys.platform == "darwin":
        return install_macos, uninstall_macos
    return install_linux, uninstall_linux


def main(argv: list[str]) -> int:
    """``argv`` is ``["install-desktop"]`` or ``["uninstall-desktop"]``, with ``--help`` allowed."""
    if argv[1:] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if len(argv) != 1 or argv[0] not in ("install-desktop", "uninstall-desktop"):
        print(USAGE, file=sys.stderr)
        return 2
    install, uninstall = _platform_actions()
    try:
        if argv[0] == "install-desktop":
            written = install()
            print(f"{APP_NAME}: launcher installed, starting {' '.join(launch_command())}")
            for path in written:
                print(f"  {path}")
        else:
            removed = uninstall()
            print(f"{APP_NAME}: launcher removed" if removed else f"{APP_NAME}: no launcher was installed")
            for path in removed:
                print(f"  {path}")
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"{APP_NAME} {argv[0]}: {exc}", file=sys.stderr)
        return 1
    return 0
