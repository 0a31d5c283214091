"""``careplan info`` says where a store's bytes go: the file's size, bytes a person, and
each table's data (issue 17 asks for bytes per table before the store is made smaller)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.demo.build_file import build_demo_file
from careplan.store import Store
from careplan.store.sizes import sizes


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sizes") / "demo.db"
    build_demo_file(path, persons=22, seed=2, today=date(2025, 3, 10), parallel=False,
                    encrypted=False)
    return path


def _by_hand(store: Store, table: str) -> int:
    """A table's data as Python counts it: text as UTF-8, blobs as they are, numbers as
    written out, NULL as nothing."""
    total = 0
    for row in store.conn.execute(f'SELECT * FROM "{table}"'):
        for value in row:
            if value is None:
                continue
            if isinstance(value, bytes):
                total += len(value)
            elif isinstance(value, str):
                total += len(value.encode("utf-8"))
            else:
                total += len(str(value))
    return total


def test_each_tables_data_is_every_value_it_holds(demo: Path) -> None:
    with Store.open(demo, create=False) as store:
        measured = sizes(store)
        assert set(measured.tables) == set(store.table_counts())
        for table in ("persons", "audit_events", "consents", "store_meta"):
            assert measured.tables[table] == _by_hand(store, table), table
        assert 0 < measured.data_bytes < measured.file_bytes
        # The audit log, with a copy of every record as it was written, is most of it.
        assert max(measured.tables, key=measured.tables.__getitem__) == "audit_events"


def test_careplan_info_prints_the_sizes(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--db", str(demo), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["file_bytes"] > sum(report["data_bytes"].values()) > 0
    assert set(report["data_bytes"]) == set(report["counts"])
    assert main(["info", "--db", str(demo)]) == 0
    out = capsys.readouterr().out
    persons = report["counts"]["persons"]
    assert f"{report['file_bytes'] / persons / 1000:,.1f} KB a person" in out
    assert "audit_events" in out and "data bytes" in out
