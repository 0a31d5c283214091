"""Tables to CSV and XLSX through pandas, read back with pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from export_sample import TODAY, build, tables

from careplan.export.audience import Audience, NothingShared
from careplan.export.sheet_words import heading
from careplan.export.tables import HEADERS, TABLES, write_table
from careplan.store import Store

READABLE = [n for n in TABLES if n != "flags"]
#: An audience no one's record is shared with.
NOBODY = {"audience": Audience("agency-0", "Nobody's Agency"), "reader_agency_id": "agency-0"}


@pytest.mark.parametrize("name", READABLE)
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_table_reads_back(store: Store, tmp_path: Path, name: str, suffix: str) -> None:
    build(store)
    out = tmp_path / f"{name}{suffix}"
    n = write_table(store, name, out, TODAY, **tables(store))
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, comment="#") if suffix == ".csv" else \
        pd.read_excel(out, dtype=str)
    assert list(df.columns) == [heading(h) for h in HEADERS[name]]
    assert len(df) == n > 0
    assert set(df["NHS number"]) == {"943 476 5919"}


def test_values_survive(store: Store, tmp_path: Path) -> None:
    build(store)
    out = tmp_path / "handoffs.xlsx"
    write_table(store, "handoffs", out, TODAY, **tables(store))
    df = pd.read_excel(out)
    assert sorted(df["Status"]) == ["accepted", "declined", "proposed"]
    assert df["Hours to answer"].dropna().tolist() == [28.8, 174.8]
    assert df["Answer overdue"].tolist() == ["No", "No", "Yes"]
    actions = tmp_path / "actions.csv"
    write_table(store, "actions", actions, TODAY, **tables(store))
    a = pd.read_csv(actions, encoding="utf-8-sig", comment="#")
    assert (a["Owner"].isna()).sum() == 1  # the unowned action


def test_flags_table_from_the_engine(store: Store, tmp_path: Path) -> None:
    build(store)
    out = tmp_path / "flags.csv"
    n = write_table(store, "flags", out, TODAY, **tables(store))
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, comment="#")
    assert list(df.columns) == [heading(h) for h in HEADERS["flags"]] and len(df) == n
    assert "action-unowned" in set(df["Code"])


def test_an_empty_store_is_refused_in_one_sentence_with_no_file(store: Store,
                                                                tmp_path: Path) -> None:
    """No one's record may be shared with the audience: no empty document is made."""
    out = tmp_path / "caseload.csv"
    with pytest.raises(NothingShared, match="^[^\n]*Nobody's Agency[^\n]*[.]$"):
        write_table(store, "caseload", out, TODAY, **NOBODY)
    assert list(tmp_path.iterdir()) == []


def test_bad_names_are_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="table: 'people'"):
        write_table(store, "people", tmp_path / "x.csv", TODAY, **NOBODY)
    with pytest.raises(ValueError, match="x.txt must end in .csv or .xlsx"):
        write_table(store, "caseload", tmp_path / "x.txt", TODAY, **NOBODY)
    assert list(tmp_path.iterdir()) == []
