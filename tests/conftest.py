"""Shared fixtures. Qt must be headless before any QApplication exists."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from careplan.store import Store  # noqa: E402


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty in-memory store."""
    s = Store.open(":memory:")
    yield s
    s.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A path for a real store file (not yet created)."""
    return tmp_path / "store.db"


def _from_ui_code() -> str | None:
    """The first frame of the desktop app's code on the stack, if any."""
    frame = sys._getframe(2)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("careplan.ui"):
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


@pytest.fixture(autouse=True)
def no_gui_thread_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test fails if the desktop app's code writes on the GUI thread: edits run on
    the writer thread (careplan.ui.runner). Tests' own setup writes are not the app's."""
    real = Store._check_writable

    def guarded(self: Store) -> None:
        if threading.current_thread() is threading.main_thread():
            where = _from_ui_code()
            if where is not None:
                raise AssertionError(f"a write ran on the GUI thread, from {where}")
        real(self)

    monkeypatch.setattr(Store, "_check_writable", guarded)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with the product's parameters (64 MiB, 3 passes) costs a tenth of a second
    or more per hash and per sign-in; hundreds of signed-in commands would add a minute
    to the suite. Here alone, within the test process, hashing is made cheap
    (``careplan.store.accounts.HASHER``); the product never reads a setting for it.
    Hashes carry their parameters, so ``python -m careplan`` children still verify them
    (and make them again with the product's parameters at the first sign-in).
    tests/test_accounts.py checks the product's parameters in a process of its own."""
    from argon2 import PasswordHasher

    from careplan.store import accounts

    monkeypatch.setattr(accounts, "HASHER",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def password_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file whose first line is the test accounts' password (tests/signin.py)."""
    from signin import PASSWORD

    path = tmp_path_factory.mktemp("secrets") / "password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    return path


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch, password_file: Path) -> Callable[..., list[str]]:
    """``signed_in(db, username="admin", role="administrator", professional_id=None)``:
    give the store that account (see tests/signin.py), point CAREPLAN_PASSWORD_FILE at
    its password for this test, and return ``["--user", username]``."""
    from signin import ADMIN, ensure_account

    def sign(db: str | Path | Store, username: str = ADMIN, role: str = "administrator",
             professional_id: str | None = None) -> list[str]:
        account = ensure_account(db, username, role, professional_id)
        monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(password_file))
        return ["--user", account.username]

    return sign


@pytest.fixture
def demo_signed_in(monkeypatch: pytest.MonkeyPatch,
                   tmp_path_factory: pytest.TempPathFactory) -> Callable[..., list[str]]:
    """``demo_signed_in(db, user="admin")``: sign in to a demo store with the demo's
    published password (careplan.demo.accounts) as ``user``: its administrator ``admin``
    (who sees no one's record), or ``reader`` for the demo's manager of adult social
    care (who sees the persons shared with that agency); returns ``["--user", name]``."""
    from careplan.demo.accounts import ADMIN, DEMO_PASSWORD

    path = tmp_path_factory.mktemp("demo-secret") / "password"
    path.write_text(DEMO_PASSWORD + "\n", encoding="utf-8")

    from signin import open_demo

    def sign(db: str | Path, user: str = ADMIN) -> list[str]:
        with open_demo(db) as store:
            assert store.conn.execute("SELECT 1 FROM accounts WHERE username = ?",
                                      (ADMIN,)).fetchone(), f"{db} has no demo accounts"
            if user == "reader":
                user = str(store.conn.execute(
                    "SELECT a.username FROM accounts a JOIN professionals p "
                    "ON p.id = a.professional_id JOIN agencies g ON g.id = p.agency_id "
                    "WHERE a.role = 'manager' AND g.name LIKE '%Adult Social Care' "
                    "ORDER BY a.username LIMIT 1").fetchone()[0])
        monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(path))
        return ["--user", user]

    return sign


@pytest.fixture
def signed_in_world(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``signed_in_world(actor, prepare=None, today=None)``: the neighbourhood of
    tests/ui_world.py in a store file (``prepare(store, world)`` writes more first), the
    app's window signed in as the world's ``actor`` (an attribute name, e.g.
    ``"sam_social"``) on ``today`` (a callable; ui_world.TODAY by default). Returns
    (window, world, a second connection to the store for the test's checks, what
    ``prepare`` returned); the connection is closed after the test."""
    import ui_world
    from ui_helpers import file_settings, sign_in

    from careplan.ui.mainwindow import MainWindow

    others: list[Store] = []

    def open_window(actor: str, prepare: Callable[[Store, Any], Any] | None = None,
                    today: Callable[[], Any] | None = None) -> Any:
        path = tmp_path / "store.db"
        store = Store.open(path)
        world = ui_world.build(store)
        prepared = prepare(store, world) if prepare is not None else None
        store.close()
        win = MainWindow(file_settings(tmp_path),
                         today=today if today is not None else lambda: ui_world.TODAY)
        qtbot.addWidget(win)
        win.show()
        sign_in(qtbot, win, path, getattr(world, actor))
        others.append(Store.open(path))
        return win, world, others[-1], prepared

    yield open_window
    for other in others:
        other.close()


@pytest.fixture
def world_workspace(signed_in_world: Callable[..., Any]) -> Callable[..., Any]:
    """``world_workspace(actor, person, prepare=None)``: :func:`signed_in_world` with the
    world's ``person`` opened. Returns (window, world, the second connection, the
    workspace, what ``prepare`` returned)."""

    def open_workspace(actor: str, person: str,
                       prepare: Callable[[Store, Any], Any] | None = None) -> Any:
        win, world, other, prepared = signed_in_world(actor, prepare)
        return win, world, other, win.open_person(getattr(world, person)), prepared

    return open_workspace


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A real PostgreSQL server on a free loopback port for the whole session (started on
    first use; see tests/pg_server.py), in a folder of its own under /tmp that the
    ``postgres`` user can reach (pytest's own temporary folders are private to root)."""
    import shutil
    import tempfile

    from tests.pg_server import PgServer

    folder = Path(tempfile.mkdtemp(prefix="careplan-pg-"))
    folder.chmod(0o711)  # the postgres user may pass through to its own folder within
    server = PgServer(folder / "server").start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
