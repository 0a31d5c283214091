"""``careplan [--db PATH] [--user NAME]``: open the desktop client.

The app opens on the store's sign-in screen (careplan.ui.sign_in): ``--user`` fills in
the user name; the password is always typed there, never given on the command line.
``--as``, which let anyone act as anyone, is gone.

PySide6 is imported here, lazily, so headless subcommands start fast. On first start
the default store does not exist yet: a demo store is created there so a new user sees
a working neighbourhood at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from careplan.commands.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

DEMO_PERSONS = 200
DEMO_SEED = 1


def apt_line() -> str:
    """The apt-get line for Qt's system libraries: the packages listed in the package
    data file careplan/resources/debian-packages.txt, which scripts/sysdeps.sh installs."""
    from careplan import resources

    packages = " ".join(resources.debian_packages())
    return f"sudo apt-get update && sudo apt-get install --no-install-recommends {packages}"


def _missing_libraries(exc: BaseException) -> UserError:
    return UserError(
        f"The desktop app cannot start because Qt's system libraries are missing "
        f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
        f"install them with: {apt_line()}")


def ensure_default_store(path: Path) -> None:
    """Create a demo store at the default location on first start: encrypted, its key
    wrapped for every demo account under the published password (its folder, if new,
    is its owner's only)."""
    if path.exists():
        return
    from careplan.store import secure

    secure.make_folders(path.parent)
    try:
        from careplan.demo.build_file import build_demo_file
    except ImportError:  # no demo generator in this build: the app offers a new store
        return
    from careplan import clock

    sys.stderr.write(f"careplan: first start, creating a demo store at {path}.\n")
    build_demo_file(path, persons=DEMO_PERSONS, seed=DEMO_SEED, today=clock.today(),
                    parallel=False)


def run(args: argparse.Namespace) -> int:
    db = getattr(args, "db", None)
    if db:
        path = Path(db)
        if not path.exists():
            raise UserError(f"--db: there is no store at {path}.")
    else:
        from careplan.commands import paths

        path = paths.default_store()
        ensure_default_store(path)
    try:
        from careplan.ui import app
    except ImportError as exc:
        raise _missing_libraries(exc) from None
    if not _platform_ok():
        raise _missing_libraries(RuntimeError("the xcb platform plugin could not be loaded"))

    def imported() -> None:
        """Once the first window is painted and the rest imported: the backup."""
        from careplan.store import keyring

        if not keyring.exists(path):  # an encrypted store is backed up once it is unlocked
            _start_backup(path)

    return app.run(path, today=_today, user=getattr(args, "app_user", None),
                   imported=imported)


def _today() -> date:
    """Today in England (careplan.clock), imported once the first window is painted."""
    from careplan import clock

    return clock.today()


def _start_backup(path: Path) -> None:
    """The automatic backup of the store being opened (careplan.store.backup), in a thread
    of its own with its own connection: the window does not wait for it; Python waits
    for it at exit, so a backup is never cut short by closing the app."""
    import threading

    from careplan.store import backup

    threading.Thread(target=backup.auto_backup, args=(path,), name="careplan-backup").start()


def _platform_ok() -> bool:
    """Whether Qt can load its platform plugin: at once when the X display's socket is
    there and Qt's xcb plugin loads with every library it needs (:func:`_xcb_ready`),
    else checked in a child process (a failed load aborts the process, which must not be
    ours; the child is a second start of Python and Qt, a tenth of a second or more)."""
    import os

    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform in ("offscreen", "minimal") or sys.platform != "linux":
        return True
    if _xcb_ready(os.environ):
        return True
    import subprocess

    probe = ("from PySide6.QtWidgets import QApplication; import sys; "
             "QApplication(sys.argv[:1])")
    try:
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return True
    if result.returncode == 0:
        return True
    err = result.stderr.decode(errors="replace")
    return "could not load the Qt platform plugin" not in err.lower() \
        and "xcb" not in err.lower()


def _xcb_ready(env: Mapping[str, str], sockets: str = "/tmp/.X11-unix") -> bool:
    """Whether Qt will start on X here, known without starting it: Qt is asked for xcb
    (or for nothing, with no Wayland display to prefer), ``DISPLAY`` names a local
    display whose socket is in ``sockets``, and Qt's xcb plugin loads with every library
    it needs. False means "not known": the child process decides."""
    import ctypes
    import os
    import re

    if env.get("QT_QPA_PLATFORM", "") not in ("", "xcb") or env.get("WAYLAND_DISPLAY"):
        return False
    local = re.fullmatch(r":(\d+)(?:\.\d+)?", env.get("DISPLAY", ""))
    if local is None or not Path(sockets, f"X{local.group(1)}").is_socket():
        return False
    try:
        import PySide6
    except ImportError:
        return False
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    try:
        ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY)
    except OSError:  # missing, or a library it needs is missing
        return False
    return True


__all__ = ["apt_line", "ensure_default_store", "run"]
