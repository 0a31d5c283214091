"""A new demo store file: the same content as the demo in one transaction, never half-made."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from signin import open_demo

from careplan.demo.build import build_demo
from careplan.demo.build_file import build_demo_file
from careplan.store import InputError, Store
from careplan.store.digest import content_digest

TODAY = date(2026, 11, 22)


def _reference(persons: int) -> str:
    with Store.open(":memory:") as s:
        build_demo(s, persons=persons, seed=5, today=TODAY)
        return content_digest(s, ignore_wall_clock=True)


@pytest.mark.parametrize("parallel", [False, True])
def test_same_content_as_the_transactional_build(tmp_path: Path, parallel: bool) -> None:
    path = tmp_path / "demo.db"
    written = build_demo_file(path, persons=1100, seed=5, today=TODAY, parallel=parallel)
    with open_demo(path) as s:
        assert s.key is not None, "a new demo store is encrypted"
        assert content_digest(s, ignore_wall_clock=True) == _reference(1100)
        assert s.integrity_check() == "ok"
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert not s.conn.execute("PRAGMA foreign_key_check").fetchall()
        counts = s.table_counts()
        assert counts["audit_events"] == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db", "demo.db.keys"]


def test_an_existing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="exists already"):
        build_demo_file(path, persons=22, today=TODAY)
    assert path.read_bytes() == b""


def test_a_failure_half_way_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"

    def stop(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_demo_file(path, persons=1600, seed=5, today=TODAY, progress=stop, parallel=False)
    assert list(tmp_path.iterdir()) == []
