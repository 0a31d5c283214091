"""Keeps the window current with what it did not write itself (HAZ-023).

Two things change what the window should show without passing through its writer:
another process committing to the same store file (a second window, ``careplan import``
or ``careplan share sync`` from a terminal), and midnight in England, after which every
flag and every "overdue" is judged on a new day. Both are checked on a timer on the GUI
thread: ``PRAGMA data_version`` answers from memory, so an idle check costs microseconds.
What another process wrote reaches the views as Changes through the runner, the same
path as another laptop's; a new day refreshes everything on it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer

from careplan import clock
from careplan.store import watch
from careplan.store.changes import Changes
from careplan.store.db import Store
from careplan.ui import share

#: How often the store and the day are checked.
INTERVAL_MS = 2_000


class StoreWatch(QObject):
    """The open store's commits by others, and the day, polled while someone is signed
    in."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        #: Fires just after midnight in England, so no act is dated on the day before.
        self.midnight = QTimer(self)
        self.midnight.setSingleShot(True)
        self.midnight.timeout.connect(self._at_midnight)
        self._store: Store | None = None
        self._version = 0
        self._seq = 0
        self._day: date | None = None
        #: Rows the window's own writer changed (entity, id, version after): already shown.
        self._own: set[tuple[str, str, int]] = set()
        self._telling = False

    def start(self, store: Store) -> None:
        self._store = store
        self._version = watch.data_version(store)
        self._seq = watch.latest_seq(store)
        self._day = self.window.today()
        self._own.clear()
        runner = self.window.edits.runner
        if runner is not None:
            runner.changed.connect(self._shown)
        self.timer.start()
        self._at_midnight(check=False)

    def stop(self) -> None:
        self.timer.stop()
        self.midnight.stop()
        self._store = None

    def _at_midnight(self, check: bool = True) -> None:
        if check:
            self.check()
        self.midnight.start(until_midnight_ms())

    def _shown(self, changes: Changes) -> None:
        """The views were told of these rows (the writer's own, or a sync's)."""
        if self._telling:
            return
        if changes.everyone and not changes.rows and self._store is not None:
            self._seq = watch.latest_seq(self._store)  # everything is read again
            self._own.clear()
            return
        self._own.update((r.entity, r.entity_id, r.version_after) for r in changes.rows)
        if len(self._own) > 50_000:  # only a race leaves rows here: never let them pile up
            self._own.clear()

    def check(self) -> None:
        """Tell the views what others committed, and judge again on a new day."""
        store = self._store
        if store is None:
            return
        day = self.window.today()
        if day != self._day:
            self._day = day
            self._seq = watch.latest_seq(store)
            self._version = watch.data_version(store)
            self.window.new_day(day)
            return
        version = watch.data_version(store)
        if version == self._version:
            return
        self._version = version
        newest, changes = watch.changes_after(store, self._seq, share.MANY_ROWS)
        self._seq = newest
        own = {(r.entity, r.entity_id, r.version_after) for r in changes.rows} & self._own
        self._own -= own
        if (changes.everyone and not changes.rows) or len(own) < len(changes.rows):
            # Someone else wrote: all of it goes to the views (the window's own rows among
            # it are shown twice, which is harmless; missing one of theirs would not be).
            self._telling = True
            try:
                share.broadcast(self.window, changes)
            finally:
                self._telling = False


def until_midnight_ms(instant: datetime | None = None) -> int:
    """Milliseconds from ``instant`` (default: now) to a moment after the next midnight in
    England, counted in real time (a clock change in between is allowed for)."""
    moment = clock.utc_now() if instant is None else instant
    tomorrow = clock.today(moment) + timedelta(days=1)
    midnight = datetime.combine(tomorrow, time(0, 0, 1), tzinfo=clock.LONDON)
    return max(1_000, int((midnight - moment).total_seconds() * 1000))
