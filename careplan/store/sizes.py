"""Where a store's bytes go: the file's size and each table's data.

SQLite's own per-table page counts (the ``dbstat`` table) are not compiled into the
SQLCipher build CarePlan ships, so a table's share is measured as its data: the bytes of
every value it holds (text and blobs as stored, numbers as written out). The rest of the
file is indexes, page headers and free space.
"""

from __future__ import annotations

from dataclasses import dataclass

from careplan.store.db import Store, quote_name


@dataclass(frozen=True, slots=True)
class Sizes:
    """The file's bytes (pages in use and free), and each table's data bytes."""

    file_bytes: int
    free_bytes: int
    tables: dict[str, int]

    @property
    def data_bytes(self) -> int:
        return sum(self.tables.values())


def sizes(store: Store) -> Sizes:
    """Measure ``store`` (one read of every table: about a second at 50,000 persons)."""
    conn = store.conn
    page = int(conn.execute("PRAGMA page_size").fetchone()[0])
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    tables: dict[str, int] = {}
    names = [str(r[0]) for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    for name in names:
        columns = [str(r[1]) for r in conn.execute(f"PRAGMA table_info({quote_name(name)})")]
        total = " + ".join(f"coalesce(length(CAST({quote_name(c)} AS BLOB)), 0)"
                           for c in columns) or "0"
        row = conn.execute(f"SELECT coalesce(sum({total}), 0) FROM {quote_name(name)}")
        tables[name] = int(row.fetchone()[0])
    return Sizes(file_bytes=page * pages, free_bytes=page * free, tables=tables)


__all__ = ["Sizes", "sizes"]
