"""``bossnet-gui`` / ``python -m bossnet_gui``: the desktop app, ``predict`` for headless runs, and
``install-desktop`` / ``uninstall-desktop`` for the applications-menu launcher."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "predict":
        from .cli import main as predict_main

        return predict_main(argv[1:])
    if argv and argv[0] in ("install-desktop", "uninstall-desktop"):
        from .desktop import main as desktop_main

        return desktop_main(argv)
    from .gui.app import main as gui_main

    return gui_main(argv)


if __name__ == "__main__":
    sys.exit(main())
