"""Table exports streamed without pandas (issue 17): the same cells as the pandas export.

The old export (the rows read from the records in chunks and filtered for an audience by
careplan.export.audience.for_audience, written as a DataFrame by pandas with what was
withheld said at its end, kept here as the oracle) and the new one are written from the
same stores, a generated demo with its refused and withdrawn consents, the export sample
with its named situations (some records withheld from the audience there), and the demo
again with every person's record shared with every agency (nothing withheld), and read
back: the CSV text and the XLSX cells must be the same. The caseload and the whole
caseload's flags come from the fast path (made for the audience in SQL) for every
audience, so the demo's are compared for several audiences and readers. Then what the
new writer adds: day-first date cells, a bold frozen header, progress, and a cancel that
leaves no file.
"""

from __future__ import annotations

import csv
import os
import random
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from export_sample import TODAY, build, tables

from careplan.demo.build_file import build_demo_file
from careplan.export import cells, sheet_words, sheet_writer
from careplan.export.audience import Audience, audience_of
from careplan.export.records import load, load_some
from careplan.export.table_sources import caseload
from careplan.export.tables import HEADERS, PARTS, TABLES, frame, withheld_lines, write_table
from careplan.models import (
    Action,
    Agency,
    CarePlan,
    CareTeamMember,
    Consent,
    HospitalStay,
    Person,
    Professional,
)
from careplan.models.enums import ActionStatus, ConsentStatus, PlanStatus, Role
from careplan.store import Store, add_many, find


def _who(store: Store) -> dict[str, object]:
    """``audience=`` and ``reader_agency_id=``: the sample's lead agency, else the agency
    most persons are shared with."""
    if store.query("SELECT 1 FROM persons WHERE family_name = 'Edge'"):
        return tables(store)
    agency = str(store.conn.execute(
        "SELECT agency_id FROM consents WHERE status IN ('given', 'legal basis') "
        "GROUP BY agency_id ORDER BY count(DISTINCT person_id) DESC, agency_id LIMIT 1"
    ).fetchone()[0])
    return {"audience": audience_of(store, agency), "reader_agency_id": agency}


def _old_write(store: Store, name: str, out: Path, today: date,
               person_ids: list[str] | None = None,
               who: dict[str, object] | None = None) -> int:
    """The export as pandas writes it for the audience (headings in words, British
    dates, yes and no; what was withheld said at the end): the rows read from the
    records in chunks, filtered by for_audience."""
    df, shared = frame(store, name, today, person_ids=person_ids,
                       **(who if who is not None else _who(store)))
    notes = withheld_lines(shared)
    if out.suffix == ".csv":
        cells.csv_frame(sheet_words.for_csv(df)).to_csv(out, index=False, encoding="utf-8-sig")
        if notes:
            with out.open("a", encoding="utf-8", newline="") as fh:
                fh.write("\n" + "".join(f"# {line}\n" for line in notes))
    else:
        _old_write_frame(df, name, out, notes)
    return len(df)


def _old_write_frame(df: pd.DataFrame, name: str, out: Path, notes: list[str]) -> None:
    words = sheet_words.for_xlsx(df)
    with pd.ExcelWriter(out, engine="openpyxl", date_format=sheet_words.DATE_FORMAT,
                        datetime_format=sheet_words.DATETIME_FORMAT) as writer:
        cells.xlsx_frame(words).to_excel(writer, index=False, sheet_name=name)
        cells.fix_sheet(writer.sheets[name])
        sheet_words.fit_columns(writer.sheets[name], words)
        if notes:
            kept = cells.xlsx_frame(pd.DataFrame({"withheld": notes}))
            kept.to_excel(writer, index=False, sheet_name="withheld")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("stores")
    demo = folder / "demo.db"
    build_demo_file(demo, persons=300, seed=4, today=TODAY, parallel=False, encrypted=False)
    sample = folder / "sample.db"
    with Store.open(sample) as store:
        build(store)
        _edges(store)
    shared = folder / "shared.db"
    shared.write_bytes(demo.read_bytes())
    with Store.open(shared, create=False) as store:
        _share_everything(store)
    return [demo, sample, shared]


def _share_everything(store: Store) -> None:
    """Consent given today for every person and agency: nothing is withheld from anyone
    (one person more, named Everyone, marks the store)."""
    by = find(store, Professional, order_by="name")[0].id
    person = Person(given_name="Shared", family_name="Everyone", birth_date=date(1960, 1, 1))
    add_many(store, [person], "test")
    ids = [str(r[0]) for r in store.conn.execute("SELECT id FROM persons")]
    agencies = [str(r[0]) for r in store.conn.execute("SELECT id FROM agencies")]
    add_many(store, [Consent(person_id=pid, agency_id=agency, status=ConsentStatus.GIVEN,
                             recorded_on=TODAY, recorded_by=by)
                     for pid in ids for agency in agencies], "test")


def _edges(store: Store) -> None:
    """Persons on the caseload's edges: no plan, only a closed plan, two open plans made
    the same day, a lead who left yesterday beside one who starts today, a shared family
    name, a 29 February birthday, an action nobody owns, a stay not yet discharged."""
    pros = find(store, Professional, order_by="name")[:3]
    hospital = find(store, Agency, order_by="name")[0]
    day = TODAY - timedelta(days=30)

    def person(given: str, family: str = "Edge", born: date = date(1950, 5, 5)) -> Person:
        return Person(given_name=given, family_name=family, birth_date=born)

    def plan(p: Person, status: PlanStatus, version: int = 1) -> CarePlan:
        return CarePlan(person_id=p.id, status=status, created_on=day, plan_version=version,
                        review_date=TODAY + timedelta(days=version),
                        closed_on=TODAY if status is PlanStatus.CLOSED else None)

    def action(pl: CarePlan, owner: Professional | None, status: ActionStatus) -> Action:
        return Action(plan_id=pl.id, description="Visit", status=status, due_date=TODAY,
                      owner_professional_id=owner.id if owner else None,
                      owner_agency_id=owner.agency_id if owner else None)

    def member(p: Person, pro: Professional, start: date, end: date | None,
               lead: bool) -> CareTeamMember:
        return CareTeamMember(person_id=p.id, professional_id=pro.id, role=Role.GP,
                              start_date=start, end_date=end, is_lead=lead)

    none, closed, twins, leads, leap = (person("None"), person("Closed"), person("Twins"),
                                        person("Leads"), person("Leap", "Aardvark",
                                                                date(2000, 2, 29)))
    shut = plan(closed, PlanStatus.CLOSED)
    first, second, later = (plan(twins, PlanStatus.ACTIVE, 2), plan(twins, PlanStatus.DRAFT, 3),
                            plan(twins, PlanStatus.CLOSED, 4))
    add_many(store, [none, closed, twins, leads, leap, shut, first, second, later,
                     action(shut, None, ActionStatus.NOT_STARTED),
                     action(first, None, ActionStatus.IN_PROGRESS),
                     action(second, pros[0], ActionStatus.SCHEDULED),
                     action(second, pros[0], ActionStatus.COMPLETED),
                     member(leads, pros[0], day, TODAY - timedelta(days=1), True),
                     member(leads, pros[1], TODAY, None, True),
                     member(leads, pros[2], day, None, False),
                     member(twins, pros[2], TODAY + timedelta(days=1), None, True),
                     HospitalStay(person_id=leap.id, hospital_id=hospital.id,
                                  admitted_on=day)], "test")


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    # The streamed CSV begins with its protective marking (tests/test_table_marking.py),
    # a line pandas never wrote: the tables after it are compared.
    if rows and rows[0] and rows[0][0].startswith("# OFFICIAL-SENSITIVE: PERSONAL."):
        rows = rows[1:]
    # pandas wrote an integer column with gaps as floats ("2.0"); the new CSV says "2".
    if rows and "Plan version" in rows[0]:
        i = rows[0].index("Plan version")
        for row in rows[1:]:
            if len(row) > i:  # not a line of what was withheld
                row[i] = row[i].removesuffix(".0")
    return rows


def _xlsx(path: Path) -> tuple[list[str], list[tuple[object, ...]], list[object],
                             list[float | None]]:
    """Sheet names, values, the number formats of dates and numbers, column widths."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    formats = [(c.coordinate, c.number_format) for row in sheet.iter_rows(min_row=2)
               for c in row if isinstance(c.value, datetime | int | float)]
    widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
    values = [tuple(None if v == "" else v for v in row)
              for other in book.worksheets for row in other.iter_rows(values_only=True)]
    return book.sheetnames, values, formats, widths


@pytest.mark.parametrize("name", list(TABLES))
def test_csv_and_xlsx_hold_what_pandas_wrote(stores: list[Path], tmp_path: Path,
                                             name: str) -> None:
    for db in stores:
        with Store.open(db, create=False) as store:
            for suffix in (".csv", ".xlsx"):
                old, new = tmp_path / f"old{suffix}", tmp_path / f"new{suffix}"
                count = _old_write(store, name, old, TODAY)
                assert write_table(store, name, new, TODAY, **_who(store)) == count
                if suffix == ".csv":
                    assert new.read_bytes()[:3] == old.read_bytes()[:3] == b"\xef\xbb\xbf"
                    assert _csv(new) == _csv(old), f"{name} CSV of {db.name}"
                    assert (b"\r\n" in new.read_bytes()) == (b"\r\n" in old.read_bytes())
                else:
                    assert _xlsx(new) == _xlsx(old), f"{name} XLSX of {db.name}"
        if name in ("caseload", "flags"):
            assert count > 0, f"the {name} of {db.name} has rows to compare"


@pytest.mark.parametrize("name", list(TABLES))
def test_a_table_of_some_persons_holds_what_pandas_wrote(stores: list[Path], tmp_path: Path,
                                                         name: str) -> None:
    with Store.open(stores[0], create=False) as store:
        some = [p.id for p in find(store, Person, order_by="family_name")[::7]]
        for suffix in (".csv", ".xlsx"):
            old, new = tmp_path / f"old{suffix}", tmp_path / f"new{suffix}"
            count = _old_write(store, name, old, TODAY, some)
            assert write_table(store, name, new, TODAY, person_ids=some,
                               **_who(store)) == count
            if suffix == ".csv":
                assert _csv(new) == _csv(old), f"{name} CSV of some persons"
            else:
                assert _xlsx(new) == _xlsx(old), f"{name} XLSX of some persons"


def test_caseload_rows_from_sql_equal_rows_from_records(stores: list[Path]) -> None:
    for db in (stores[0], stores[2], stores[1]):  # the sample last
        with Store.open(db, create=False) as store:
            old = [tuple(r[h] for h in HEADERS["caseload"])
                   for r in TABLES["caseload"](load(store), store, TODAY)]
            assert list(caseload(store, TODAY)) == old
    by_name = {r[0]: r for r in old}  # the sample's edges
    assert by_name["None Edge"][8] == by_name["Closed Edge"][8] == "no open plan"
    assert by_name["Closed Edge"][11] == 0
    assert by_name["Twins Edge"][8:13] == ("active", 2, TODAY + timedelta(days=2), 2, 1)
    assert by_name["Twins Edge"][6] == ""
    assert by_name["Leads Edge"][6] != "" and by_name["Leap Aardvark"][15] is True


def test_xlsx_dates_day_first_header_bold_and_frozen(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    rows = [("=1+1", date(2025, 3, 10), datetime(2025, 3, 10, 9, 30), 2, 1.5, True, None,
             "  spaced <&> ", "bell\x07")]
    assert sheet_writer.write_xlsx(out, list("abcdefghi"), rows, sheet="things") == 1
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["things"]
    sheet = book["things"]
    assert sheet.freeze_panes == "A2"
    assert all(c.font.b for c in sheet[1])
    a, b, c, d, e, f, g, h, i = sheet[2]
    assert (a.value, a.data_type, a.quotePrefix) == ("=1+1", "s", True)
    assert b.value == datetime(2025, 3, 10) and b.number_format == sheet_words.DATE_FORMAT
    assert c.value == datetime(2025, 3, 10, 9, 30)
    assert c.number_format == sheet_words.DATETIME_FORMAT
    assert (d.value, e.value, f.value, g.value) == (2, 1.5, True, None)
    assert (h.value, i.value) == ("  spaced <&> ", "bell")
    assert sheet.auto_filter.ref == "A1:I2"
    assert sheet.column_dimensions["H"].width == len("  spaced <&> ") + 2
    with zipfile.ZipFile(out) as book_zip:  # every part well-formed XML
        for part in book_zip.namelist():
            ElementTree.fromstring(book_zip.read(part))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_progress_reaches_the_total(tmp_path: Path, suffix: str) -> None:
    seen: list[tuple[int, int]] = []
    rows = [(n, f"row {n}") for n in range(sheet_writer.EVERY * 2 + 5)]
    write = sheet_writer.write_csv if suffix == ".csv" else sheet_writer.write_xlsx
    assert write(tmp_path / f"t{suffix}", ["n", "text"], rows,
                 lambda done, total: seen.append((done, total))) == len(rows)
    assert seen == [(sheet_writer.EVERY, len(rows)), (sheet_writer.EVERY * 2, len(rows)),
                    (len(rows), len(rows))]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_cancel_leaves_no_file_and_the_old_one_as_it_was(tmp_path: Path,
                                                         suffix: str) -> None:
    out = tmp_path / f"t{suffix}"
    out.write_bytes(b"the old export")
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) == 2

    write = sheet_writer.write_csv if suffix == ".csv" else sheet_writer.write_xlsx
    rows = ((n, "x") for n in range(sheet_writer.EVERY * 5))  # a generator: total unknown
    with pytest.raises(sheet_writer.ExportCancelled, match=f"t{suffix} was cancelled"):
        write(out, ["n", "x"], rows, None, cancelled)
    assert out.read_bytes() == b"the old export"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_cancelled_table_export_writes_nothing(stores: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "caseload.xlsx"
    with Store.open(stores[0], create=False) as store, \
            pytest.raises(sheet_writer.ExportCancelled):
        write_table(store, "caseload", out, TODAY, cancelled=lambda: True, **_who(store))
    assert list(tmp_path.iterdir()) == []


def test_csv_guard_shortcut_never_misses_a_cell(tmp_path: Path) -> None:
    """The CSV writer puts a batch through the guard only when its text shows a formula
    or control character might be in it: the file must be the same as guarding all."""
    rng = random.Random(17)
    pieces = ["a", "b c", ",", '"', "\n", "\r", "\t", "=", "+", "-", "@", "\x07", "\x1f",
              "'", "é", "1"]
    rows = [tuple(rng.choice([None, 3, -2, 1.5, True, date(2025, 3, 10)]) if rng.random() < .2
                  else "".join(rng.choice(pieces) for _ in range(rng.randrange(4)))
                  for _ in range(4)) for _ in range(3000)]
    # Batches with nothing to guard too, so both ways through are taken.
    rows += [("plain", n, date(2025, 3, 10), None) for n in range(sheet_writer.EVERY * 2)]
    out = tmp_path / "t.csv"
    sheet_writer.write_csv(out, ["a", "b", "c", "d"], rows)
    expected = tmp_path / "expected.csv"
    with expected.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator=os.linesep)
        writer.writerow(["a", "b", "c", "d"])
        writer.writerows([cells.csv_safe(v) if isinstance(v, str) else v for v in row]
                         for row in rows)
    assert out.read_bytes() == expected.read_bytes()


def test_rows_in_words_are_each_value_in_words() -> None:
    """csv_row and xlsx_row pass some types by without asking csv_value / xlsx_value: the
    same values as asking for every one, British dates as strftime writes them."""
    from zoneinfo import ZoneInfo

    values = ["text", "", 0, 7, -3, 2.5, float("nan"), None, pd.NaT, True, False,
              date(2025, 3, 2), date(999, 1, 1), datetime(2025, 3, 2, 4, 5),
              datetime(2025, 7, 1, 23, 30, tzinfo=ZoneInfo("UTC"))]
    assert sheet_words.csv_row(values) == tuple(map(sheet_words.csv_value, values))
    assert sheet_words.xlsx_row(values) == tuple(map(sheet_words.xlsx_value, values))
    words = sheet_words.csv_row(values)
    assert words[9:13] == ("Yes", "No", "02/03/2025", date(999, 1, 1).strftime("%d/%m/%Y"))
    assert words[13] == "02/03/2025 04:05" and words[14] == "02/07/2025 00:30"  # BST
    assert words[6] is None and words[8] is None


def test_the_caseload_of_some_persons_comes_from_the_query(stores: list[Path],
                                                            tmp_path: Path) -> None:
    """Ids in any order, twice, or unknown: the rows of those known, each once in the
    order asked (as the records give them, read in that order), counted from
    (0, total)."""
    with Store.open(stores[2], create=False) as store:
        everyone = [p.id for p in find(store, Person, order_by="family_name")]
        some = everyone[::3]
        asked = [*reversed(some), some[0], "no such person"]
        old = [tuple(r[h] for h in HEADERS["caseload"])
               for r in TABLES["caseload"](load_some(store, asked, PARTS["caseload"]),
                                           store, TODAY)]
        assert list(caseload(store, TODAY, asked)) == old and len(old) == len(some)
        assert [r[0] for r in old] != sorted(r[0] for r in old)  # not in name order
        seen: list[tuple[int, int]] = []
        out = tmp_path / "some.csv"
        assert write_table(store, "caseload", out, TODAY, person_ids=asked, **_who(store),
                           progress=lambda done, total: seen.append((done, total))) == len(some)
        assert seen == [(0, len(some)), (len(some), len(some))]
        assert [r[0] for r in _csv(out)[1:]] == [r[0] for r in old]


def _audiences(store: Store) -> list[dict[str, object]]:
    """Audiences and readers of the demo: the agency most persons are shared with, by
    and for itself; the agency most persons refused or withdrew consent to (of those
    some persons are shared with), made by the first; and a third agency for itself."""
    ranked = [str(r[0]) for r in store.conn.execute(
        "SELECT agency_id FROM consents WHERE status IN ('given', 'legal basis') "
        "GROUP BY agency_id ORDER BY count(DISTINCT person_id) DESC, agency_id")]
    refused = [str(r[0]) for r in store.conn.execute(
        "SELECT agency_id FROM consents WHERE status IN ('refused', 'withdrawn') "
        "GROUP BY agency_id ORDER BY count(*) DESC, agency_id")]
    first = ranked[0]
    second = next(a for a in refused if a != first and a in ranked)
    third = next(a for a in ranked if a not in (first, second))
    return [{"audience": audience_of(store, first), "reader_agency_id": first},
            {"audience": audience_of(store, second), "reader_agency_id": first},
            {"audience": audience_of(store, third), "reader_agency_id": third}]


@pytest.mark.parametrize("name", ["caseload", "flags"])
def test_the_fast_path_for_an_audience_is_the_export_from_the_records(
        stores: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        name: str) -> None:
    """For several audiences and readers of the demo (with its refused and withdrawn
    consents: persons left out, records withheld), the caseload and the whole caseload's
    flags from the fast path hold the same rows in the same order and say the same of
    what was withheld as the export read from the records and filtered by
    for_audience, in CSV and XLSX; and the fast path never reads the records."""
    from careplan.export import tables as module

    with Store.open(stores[0], create=False) as store:
        assert store.conn.execute(
            "SELECT count(*) FROM consents WHERE status IN ('refused', 'withdrawn')"
        ).fetchone()[0] > 0
        for who in _audiences(store):
            with monkeypatch.context() as patched:
                patched.setattr(module, "rows", _not_from_the_records)
                new_csv, new_xlsx = tmp_path / "new.csv", tmp_path / "new.xlsx"
                count = write_table(store, name, new_csv, TODAY, **who)  # type: ignore[arg-type]
                assert write_table(store, name, new_xlsx, TODAY, **who) == count  # type: ignore[arg-type]
            old_csv, old_xlsx = tmp_path / "old.csv", tmp_path / "old.xlsx"
            assert _old_write(store, name, old_csv, TODAY, who=who) == count
            assert _old_write(store, name, old_xlsx, TODAY, who=who) == count
            assert count > 0
            written = _csv(new_csv)
            assert written == _csv(old_csv), who
            assert _xlsx(new_xlsx) == _xlsx(old_xlsx), who
            notes = [r[0] for r in written if len(r) == 1 and r[0].startswith("#")]
            assert any("persons left out" in n for n in notes), who
            assert any(" withheld: " in n for n in notes), who


def _not_from_the_records(*args: object, **kwargs: object) -> None:
    raise AssertionError("read from the records")


def test_the_fast_path_for_every_store(stores: list[Path], monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    """The caseload and the whole caseload's flags stream from the query and the engine
    for any audience: something withheld (the demo, the sample) or nothing (everything
    shared)."""
    from careplan.export import tables as module

    monkeypatch.setattr(module, "rows", _not_from_the_records)
    for db in stores:
        with Store.open(db, create=False) as store:
            for name in ("caseload", "flags"):
                assert write_table(store, name, tmp_path / f"{name}.csv", TODAY,
                                   **_who(store)) > 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_refused_consent_leaves_the_person_out_of_caseload_and_flags(
        stores: list[Path], tmp_path: Path, suffix: str) -> None:
    """Everyone shared with everyone but one person, who refused consent to the audience
    today: that person is in neither the caseload nor the flags table, and the file says
    one person was left out (as the export from the records says it)."""
    db = tmp_path / "refused.db"
    db.write_bytes(stores[2].read_bytes())
    with Store.open(db, create=False) as store:
        who = _who(store)
        audience = who["audience"]
        assert isinstance(audience, Audience)
        flagged = store.conn.execute(
            "SELECT p.id, p.given_name || ' ' || p.family_name FROM persons p "
            "ORDER BY p.family_name, p.given_name").fetchall()
        from careplan.export.flags import open_flags

        with_flags = {f.person_id for f in open_flags(store, None, TODAY)}
        names = [str(n) for _, n in flagged]
        pid, name = next((str(i), str(n)) for i, n in flagged
                         if i in with_flags and names.count(str(n)) == 1)
        by = find(store, Professional, order_by="name")[0].id
        add_many(store, [Consent(person_id=pid, agency_id=audience.agency_id,
                                 status=ConsentStatus.REFUSED, recorded_on=TODAY,
                                 recorded_by=by)], "test")
        for table in ("caseload", "flags"):
            out, old = tmp_path / f"{table}{suffix}", tmp_path / f"old-{table}{suffix}"
            n = write_table(store, table, out, TODAY, **who)
            assert n == _old_write(store, table, old, TODAY)
            if suffix == ".csv":
                written = _csv(out)
                assert written == _csv(old)
                people = [r[written[0].index("Person")] for r in written[1:] if len(r) > 1]
                notes = [r[0] for r in written[1:] if len(r) == 1]
            else:
                assert _xlsx(out) == _xlsx(old)
                book = openpyxl.load_workbook(out)
                sheet = book[table]
                col = [c.value for c in sheet[1]].index("Person")
                people = [r[col] for r in sheet.iter_rows(min_row=2, values_only=True)]
                notes = [r[0] for r in book["withheld"].iter_rows(min_row=2,
                                                                  values_only=True)]
            assert len(people) == n > 0 and name not in people, table
            assert f"# 1 person left out: their records are not shared with {audience.name}." \
                in notes if suffix == ".csv" else \
                f"1 person left out: their records are not shared with {audience.name}." \
                in notes
