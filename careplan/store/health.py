"""Is the store damaged? SQLite's own checks, and a gate that holds writes until they speak.

``PRAGMA quick_check`` reads every page and checks the file's structure (about 2 s for
a 1 GB store of 50,000 persons); ``integrity_check`` also matches every index to its
table (about 6 s there). The command line runs the quick check before any command works
on a store; the desktop app runs both in the background, so a large store opens at once,
and its writes wait for the quick check's verdict (see :class:`Health`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from careplan.store import files, sqlite

#: Above this size the full check only runs in the background (it takes seconds).
LARGE_BYTES = 256 * 1024 * 1024
#: How long a write waits for the quick check's verdict before it is refused.
VERDICT_WAIT_S = 30.0
#: How much of SQLite's report a message quotes.
_DETAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a check: ``detail`` is "ok" or what SQLite found wrong."""

    ok: bool
    detail: str
    full: bool

    def sentence(self, path: str) -> str:
        what = "integrity check" if self.full else "quick check"
        return f"{path} is damaged ({what}: {self.detail})"


def run_check(conn: sqlite.Connection, *, full: bool = False) -> Verdict:
    """Check the database of an open connection."""
    pragma = "integrity_check" if full else "quick_check"
    try:
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(20)")]
    except sqlite.DatabaseError as exc:  # too damaged to even walk
        rows = [str(exc)]
    detail = "; ".join(" ".join(r.split()) for r in rows)
    if len(detail) > _DETAIL_CHARS:
        detail = detail[:_DETAIL_CHARS - 1] + "…"
    return Verdict(rows == ["ok"], detail, full)


def check_file(path: str | Path, *, full: bool = False,
               cancelled: Callable[[], bool] | None = None,
               key: bytes | None = None) -> Verdict | None:
    """Check a store file through a read-only connection of its own (any thread), with
    its key when it is encrypted.

    Returns None when ``cancelled`` turned true before the check finished.
    """
    try:
        conn = sqlite.connect(files.read_only_uri(Path(path)), uri=True, timeout=10, key=key)
    except sqlite.DatabaseError as exc:
        return Verdict(False, str(exc), full)
    try:
        if cancelled is not None:
            # SQLite calls this every few thousand steps; a true answer interrupts.
            conn.set_progress_handler(lambda: int(cancelled()), 20_000)
        verdict = run_check(conn, full=full)
        return None if cancelled is not None and cancelled() else verdict
    finally:
        conn.close()


def is_large(path: str | Path) -> bool:
    try:
        return Path(path).stat().st_size > LARGE_BYTES
    except OSError:
        return False


class Health:
    """The verdict on a store, given once by a check running in another thread.

    Until it is given, writes wait for it (``VERDICT_WAIT_S`` at most); once damage is
    found, every write is refused and nothing is attempted.
    """

    def __init__(self) -> None:
        self._given = threading.Event()
        self._verdict: Verdict | None = None

    def give(self, verdict: Verdict) -> None:
        """Record a verdict; a later one can only make it worse (damage stays found)."""
        if self._verdict is None or self._verdict.ok:
            self._verdict = verdict
        self._given.set()

    @property
    def verdict(self) -> Verdict | None:
        return self._verdict

    def wait(self, timeout: float | None = None) -> Verdict | None:
        """The verdict, waiting for it (``VERDICT_WAIT_S`` unless told); None if none came."""
        self._given.wait(VERDICT_WAIT_S if timeout is None else timeout)
        return self._verdict


__all__ = ["LARGE_BYTES", "VERDICT_WAIT_S", "Health", "Verdict", "check_file", "is_large",
           "run_check"]
