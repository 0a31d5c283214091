"""Whether anyone else has written to the store since we last looked.

The desktop app's views follow its own writer's Changes at once; commits made by another
process on the same file (a second window, ``careplan import`` from a terminal, a sync
run from the command line) are noticed by polling these cheap reads (HAZ-023).
"""

from __future__ import annotations

from careplan.store.changes import Changes
from careplan.store.db import Store
from careplan.store.operations import changes_since, latest_seq

#: Tables whose rows no view shows as a change: a record read, an attempt to sign in.
UNSHOWN = frozenset({"reads", "sign_ins"})


def data_version(store: Store) -> int:
    """SQLite's counter of commits made through other connections than this one."""
    return int(store.conn.execute("PRAGMA data_version").fetchone()[0])


def changes_after(store: Store, seq: int, most: int) -> tuple[int, Changes]:
    """The newest sequence number, and what the events after ``seq`` changed, leaving out
    rows no view shows; more than ``most`` events are reported as everything changed
    rather than read one by one."""
    newest = latest_seq(store)
    if newest <= seq:
        return newest, Changes()
    if newest - seq > most:  # sequence numbers: at least as many as the events
        return newest, Changes.of_everything()
    return newest, changes_since(store, seq, newest, UNSHOWN)


__all__ = ["UNSHOWN", "changes_after", "data_version", "latest_seq"]
