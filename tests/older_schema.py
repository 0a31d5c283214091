"""Turning a store back into one an older CarePlan left: what later migrations made is
taken away (their tables, indexes, triggers and the columns they added), whichever
migrations those are."""

from __future__ import annotations

import sqlite3

from careplan.store import migrations


def _schema(upto: int) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The objects (type, name) and the columns (table, column) of schema ``upto``."""
    objects, columns, _ = _schema_sql(upto)
    return objects, columns


def _schema_sql(upto: int) -> tuple[set[tuple[str, str]], set[tuple[str, str]],
                                    dict[tuple[str, str], str]]:
    """:func:`_schema`, and the SQL of each trigger, index and view."""
    conn = sqlite3.connect(":memory:")
    conn.isolation_level = None
    for migration in migrations.MIGRATIONS[:upto]:
        migration(conn)
    found = {(str(k).upper(), str(n)): str(q or "") for k, n, q in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    objects = set(found)
    columns = {(table, str(c[1])) for kind, table in objects if kind == "TABLE"
               for c in conn.execute(f'PRAGMA table_info("{table}")')}
    conn.close()
    return objects, columns, {k: q for k, q in found.items() if k[0] != "TABLE"}


def remade_by(version: int) -> list[str]:
    """The SQL, as it was before, of the triggers, indexes and views that migration
    ``version`` made again differently (the audit log's update rule, migration 19)."""
    _, _, now = _schema_sql(version)
    _, _, before = _schema_sql(version - 1)
    return [sql for key, sql in before.items() if key in now and now[key] != sql]


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
        for sql in remade_by(version):  # what it was before: dropped and made again
            kind, name = _kind_and_name(sql)
            conn.execute(f'DROP {kind} IF EXISTS "{name}"')
            conn.execute(sql)
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


def _kind_and_name(sql: str) -> tuple[str, str]:
    """("TRIGGER", name) from "CREATE TRIGGER name ...", and so for indexes and views."""
    words = sql.split()
    at = 2 if words[1].upper() in ("TRIGGER", "INDEX", "VIEW") else 3  # UNIQUE INDEX
    kind = words[at - 1].upper()
    return kind, words[at].strip('"')
