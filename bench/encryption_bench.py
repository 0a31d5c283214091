"""Encryption benchmark: what SQLCipher costs, encrypted against plain in the same run.

At each size (1,000, 10,000 and 50,000 persons) the demo is generated twice into new
files, the way ``careplan demo`` does it: once plain, once encrypted (a new random key,
wrapped for every demo account in the store's keyring). The two stores then have the
person the UI benchmarks open added (200 actions, 50 handoffs), and each figure is timed
on both, alternately, so that the machine's load falls on both alike:

- demo generation (seconds; one build each);
- flags over the whole caseload, as ``careplan flags`` computes them (median of 5);
- person open: the person's workspace built and painted offscreen (median of 5).

Each figure is the encrypted time, with the plain time as its baseline: the ratio is the
cost of encryption. Opening an encrypted store applies its raw key (no key derivation per
connection); the argon2id unwrap at sign-in (about a tenth of a second) is paid once.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import stores  # noqa: E402
from bench.report import Figure  # noqa: E402
from careplan.demo.accounts import ADMIN, DEMO_PASSWORD  # noqa: E402
from careplan.store import Store, keyring  # noqa: E402
from careplan.store.flagdata import caseload_flags  # noqa: E402

TODAY = stores.TODAY
RUNS = 5
SIZES = stores.SIZES


def _median(fn: object, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _open_person(app: object, store: Store) -> float:
    from PySide6.QtWidgets import QApplication

    from careplan.models import Professional
    from careplan.store import find
    from careplan.store.person_file import load_directory
    from careplan.ui.workspace import PersonWorkspace

    assert isinstance(app, QApplication)
    busy = stores.person_id(store, stores.BUSY)
    actor = find(store, Professional, order_by="name")[0]
    directory = load_directory(store)

    def one() -> None:
        ws = PersonWorkspace(store, busy, TODAY, actor, directory)
        ws.resize(1300, 800)
        ws.show()
        app.processEvents()
        ws.plan_tab.actions_view.viewport().repaint()
        ws.deleteLater()
        app.processEvents()

    one()  # warm: imports, caches
    return _median(one)


def measure(app: object, persons: int, folder: Path) -> list[Figure]:
    plain, sealed = folder / f"plain-{persons}.db", folder / f"encrypted-{persons}.db"
    plain_build = stores.build_demo_file(plain, persons)
    sealed_build = stores.build_demo_file(sealed, persons, encrypted=True)
    started = time.perf_counter()
    key = keyring.unlock(sealed, ADMIN, DEMO_PASSWORD, datetime.now(UTC))
    unlock = time.perf_counter() - started
    with Store.open(plain, create=False) as a, Store.open(sealed, create=False, key=key) as b:
        stores.add_busy_person(a)
        stores.add_busy_person(b)
        flags: dict[str, list[float]] = {"plain": [], "encrypted": []}
        for store in (a, b):  # warm the page cache of both
            caseload_flags(store, TODAY)
        for _ in range(RUNS):
            for name, store in (("plain", a), ("encrypted", b)):
                started = time.perf_counter()
                caseload_flags(store, TODAY)
                flags[name].append(time.perf_counter() - started)
        plain_flags = statistics.median(flags["plain"])
        sealed_flags = statistics.median(flags["encrypted"])
        plain_open = _open_person(app, a)
        sealed_open = _open_person(app, b)
    started = time.perf_counter()
    Store.open(sealed, create=False, key=key).close()
    open_store = time.perf_counter() - started
    print(f"  {persons:>6,} persons: demo {plain_build:6.1f} s plain, {sealed_build:6.1f} s "
          f"encrypted ({sealed_build / plain_build:4.2f} x); flags {plain_flags:6.3f} s plain, "
          f"{sealed_flags:6.3f} s encrypted ({sealed_flags / plain_flags:4.2f} x); person "
          f"open {plain_open * 1000:6.1f} ms plain, {sealed_open * 1000:6.1f} ms encrypted "
          f"({sealed_open / plain_open:4.2f} x); unlock (argon2id) {unlock * 1000:.0f} ms, "
          f"open with the key {open_store * 1000:.1f} ms")
    for stale in folder.iterdir():
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    return [
        Figure("demo generation, encrypted", persons, sealed_build, "s", plain_build,
               "the same demo, plain"),
        Figure("flags over the caseload, encrypted", persons, sealed_flags, "s",
               plain_flags, "the same flags, plain store"),
        Figure("person open (200 actions, 50 handoffs), encrypted", persons,
               sealed_open * 1000, "ms", plain_open * 1000, "the same person, plain store"),
    ]


def main() -> list[Figure]:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    print(f"Encryption benchmark (SQLCipher 4): encrypted against plain in the same run, "
          f"today {TODAY}; flags and person open median of {RUNS} runs")
    stores.CACHE.mkdir(exist_ok=True)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(dir=stores.CACHE, prefix="encryption-") as tmp:
        for persons in SIZES:
            figures += measure(app, persons, Path(tmp))
    return figures


if __name__ == "__main__":
    main()
