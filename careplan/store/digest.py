"""A digest of a store's content, to show that a refused input changed nothing and that
the demo is deterministic."""

from __future__ import annotations

import hashlib

from careplan.store.db import Store

#: Wall-clock columns: when a row was written, not what it says (``hlc``: the clock
#: reading that orders audit events, from the wall time they were written at; ``hash``:
#: an audit event's link in its hash chain, which covers when it was written).
WALL_CLOCK = {"created_at", "updated_at", "at", "hlc", "hash"}


def content_digest(store: Store, *, ignore_wall_clock: bool = False) -> str:
    """SHA-256 over every table's rows in key order.

    Args:
        store: the open store.
        ignore_wall_clock: leave out the times rows were written (two runs of the same
            demo differ only there).
    """
    h = hashlib.sha256()
    tables = [
        r[0]
        for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for table in tables:
        cols = [r[1] for r in store.conn.execute(f'PRAGMA table_info("{table}")')]
        if ignore_wall_clock:
            cols = [c for c in cols if c not in WALL_CLOCK]
        h.update(f"\x00{table}:{','.join(cols)}\x00".encode())
        select = ", ".join(f'"{c}"' for c in cols)
        where = " WHERE key != 'created_at'" if table == "store_meta" and ignore_wall_clock else ""
        for row in store.conn.execute(f'SELECT {select} FROM "{table}"{where} ORDER BY 1'):
            h.update(repr(row).encode())
    return h.hexdigest()
