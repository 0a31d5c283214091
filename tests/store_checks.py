"""Whole-store checks shared by the crash and concurrency tests: nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

from careplan.models import ENTITY_TYPES
from careplan.store import Store
from careplan.store.rows import columns


def assert_whole(path: Path) -> dict[str, int]:
    """Open the store at ``path`` and check it is whole; return row and event counts.

    Whole means: SQLite's integrity check is ok, no foreign key dangles, every record
    has exactly one audit event per version (and its newest event holds the record's
    values), every audit event belongs to a record or to one whose deletion it records,
    and the store's event sequence has no gaps.
    """
    with Store.open(path, create=False) as store:
        assert store.integrity_check() == "ok"
        assert store.query("PRAGMA foreign_key_check") == []
        rows = 0
        for cls in ENTITY_TYPES:
            table = cls.TABLE
            bad = store.query(
                f"SELECT t.id, t.version, a.n, a.top FROM {table} t LEFT JOIN "
                "(SELECT entity_id, count(*) AS n, max(version_after) AS top "
                " FROM audit_events WHERE entity = ? GROUP BY entity_id) a "
                "ON a.entity_id = t.id "
                "WHERE a.n IS NULL OR a.n != t.version OR a.top != t.version",
                (table,),
            )
            assert bad == [], f"{table}: records whose audit trail does not match: {bad[:3]}"
            # A record may be gone only when its newest event says it was deleted, and
            # its trail (one event per version) ends there.
            orphans = store.query(
                "SELECT entity_id, count(*) AS n, max(version_after) AS top, "
                "max(CASE WHEN json_extract(after, '$.deleted') = 1 THEN version_after END) "
                "AS deleted FROM audit_events e WHERE entity = ? AND NOT EXISTS "
                f"(SELECT 1 FROM {table} t WHERE t.id = e.entity_id) GROUP BY entity_id "
                "HAVING deleted IS NULL OR deleted != top OR n != top",
                (table,),
            )
            assert orphans == [], f"{table}: audit events without their record: {orphans[:3]}"
            cols = columns(cls)
            newest = store.query(
                f"SELECT t.*, e.after AS audit_after FROM {table} t JOIN audit_events e "
                "ON e.entity = ? AND e.entity_id = t.id AND e.version_after = t.version",
                (table,),
            )
            for row in newest:
                assert json.loads(row["audit_after"]) == {c: row[c] for c in cols}, row["id"]
            rows += len(newest)
        seqs = store.query(
            "SELECT count(*) AS n, coalesce(max(store_seq), 0) AS top, "
            "count(DISTINCT store_seq) AS distinct_seq FROM audit_events WHERE store_id = ?",
            (store.store_id,),
        )[0]
        assert seqs["n"] == seqs["top"] == seqs["distinct_seq"], seqs
        return {"rows": rows, "events": int(seqs["n"])}

