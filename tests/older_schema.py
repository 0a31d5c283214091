"""Turning a store back into one an older CarePlan left: what later migrations made is
taken away (their tables, indexes, triggers and the columns they added), whichever
migrations those are."""

from __future__ import annotations

import sqlite3

from careplan.store import migrations


def _schema(upto: int) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The objects (type, name) and the columns (table, column) of schema ``upto``."""
    conn = sqlite3.connect(":memory:")
    conn.isolation_level = None
    for migration in migrations.MIGRATIONS[:upto]:
        migration(conn)
    objects = {(str(k).upper(), str(n)) for k, n in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    columns = {(table, str(c[1])) for kind, table in objects if kind == "TABLE"
               for c in conn.execute(f'PRAGMA table_info("{table}")')}
    conn.close()
    return objects, columns


def made_by(version: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What migration ``version`` made: its objects (triggers, indexes, then tables) and
    the columns it added to tables that were there before."""
    objects, columns = _schema(version)
    old_objects, old_columns = _schema(version - 1)
    new_tables = {n for k, n in objects - old_objects if k == "TABLE"}
    order = {"TRIGGER": 0, "INDEX": 1, "VIEW": 2, "TABLE": 3}
    made = sorted(objects - old_objects, key=lambda kn: (order.get(kn[0], 9), kn))
    added = sorted((t, c) for t, c in columns - old_columns if t not in new_tables)
    return made, added


def take_back(conn: sqlite3.Connection, to_version: int) -> None:
    """Make the store behind ``conn`` one of schema ``to_version``: undo each later
    migration, newest first (the rows in the tables kept stay)."""
    for version in range(migrations.latest_version(), to_version, -1):
        made, added = made_by(version)
        for kind, name in made:
            if kind != "TABLE":
                conn.execute(f'DROP {kind} IF EXISTS "{name}"')
        for table, column in added:
            conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
        for kind, name in made:
            if kind == "TABLE":
                if conn.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone():
                    # Rows an older store could not hold, with their audit events (which
                    # no one may remove): kept, for the migration to adopt again.
                    continue
                conn.execute(f'DROP TABLE IF EXISTS "{name}"')
    conn.execute(f"PRAGMA user_version = {to_version}")
    conn.commit()
