"""Reading is audited too: every print and export on the command line is recorded (who,
whose record or a summary, when, what); the handoff audit shows who looked; reads
travel to the other stores with the log and sit in the hash chain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from export_sample import NHS, build, prints
from pypdf import PdfReader

from careplan.cli import main
from careplan.export.audit_pdf import audit_pdf
from careplan.models import Person
from careplan.models.reads import Read, ReadKind
from careplan.store import Store, add, find, operations
from careplan.store import reads as looked
from tests.sharing import exchange, stores, verified


@pytest.fixture
def db(tmp_path: Path, signed_in: Callable[..., list[str]]) -> tuple[Path, list[str], str, str]:
    """The export sample, with Sue Marsh (a manager) signing in: the store, ``--user``,
    her professional id and the sample person's id."""
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        sample = build(store)
    assert sample.conference is not None
    sue = sample.profs["mgr"].id
    return path, signed_in(path, "sue.marsh", "manager", sue), sue, sample.person.id


def _reads(path: Path) -> list[Read]:
    with Store.open(path, create=False) as store:
        return looked.between(store, datetime(2000, 1, 1, tzinfo=UTC),
                              datetime(2100, 1, 1, tzinfo=UTC))


def test_each_print_and_export_is_recorded_with_who_whose_and_what(
        db: tuple[Path, list[str], str, str], tmp_path: Path) -> None:
    path, user, sue, person = db
    d = str(path)
    with Store.open(path, create=False) as store:
        conference = store.conn.execute("SELECT id FROM case_conferences").fetchone()[0]
    commands = [
        (["export", "plan-pdf", "--nhs", NHS, "--out", "plan.pdf"],
         (ReadKind.PRINTED, "joint care plan (PDF)", person, 1)),
        (["export", "minutes", "--conference", conference, "--out", "minutes.pdf"],
         (ReadKind.PRINTED, "case conference minutes (PDF)", person, 1)),
        (["export", "fhir", "--nhs", NHS, "--out", "one.json"],
         (ReadKind.EXPORTED, "FHIR R4 bundle of this person", person, 1)),
        (["export", "handoff-audit", "--from", "2025-01-01", "--to", "2025-03-03",
          "--out", "audit.pdf"],
         (ReadKind.PRINTED, "handoff audit (PDF), 2025-01-01 to 2025-03-03, all agencies",
          None, None)),
        (["export", "table", "caseload", "--out", "caseload.xlsx"],
         (ReadKind.EXPORTED, "caseload table (XLSX), 1 persons", None, 1)),
        (["export", "table", "actions", "--out", "actions.csv"],
         (ReadKind.EXPORTED, "actions table (CSV), 9 rows", None, None)),
        (["export", "fhir", "--out", "all.json"],
         (ReadKind.EXPORTED, "FHIR R4 bundle of the whole store, 1 persons", None, 1)),
        (["export", "fhir-ndjson", "--nhs", NHS, "--out", "one-ndjson"],
         (ReadKind.EXPORTED, "FHIR R4 bundle of this person", person, 1)),
        (["export", "fhir-ndjson", "--out", "all-ndjson"],
         (ReadKind.EXPORTED, "FHIR R4 bundle of the whole store, 1 persons", None, 1)),
    ]
    for argv, (kind, description, whose, persons) in commands:
        before = len(_reads(path))
        argv = [a if a != argv[-1] else str(tmp_path / a) for a in argv]
        assert main([*argv, "--db", d, *user]) == 0, argv
        found = _reads(path)  # newest first
        assert len(found) == before + 1, argv
        read = found[0]
        assert (read.kind, read.description, read.person_id, read.persons) == (
            kind, description, whose, persons), argv
        assert read.reader_id == sue
        assert abs((read.at - datetime.now(UTC)).total_seconds()) < 120
    # Every read is a record with its event, in the chain: the store still verifies.
    with Store.open(path, create=False) as store:
        assert verified(store) == ()
        assert store.conn.execute("SELECT count(*) FROM audit_events WHERE entity = 'reads'"
                                  ).fetchone()[0] == len(commands)


def test_a_refused_export_records_no_read(db: tuple[Path, list[str], str, str],
                                          tmp_path: Path) -> None:
    path, user, _, _ = db
    assert main(["export", "plan-pdf", "--nhs", "9876543210", "--out",
                 str(tmp_path / "x.pdf"), "--db", str(path), *user]) == 2
    assert main(["export", "table", "actions", "--out", str(tmp_path / "x.txt"),
                 "--db", str(path), *user]) == 2
    assert _reads(path) == []


def test_who_looked_on_the_handoff_audit_and_by_person(
        db: tuple[Path, list[str], str, str], tmp_path: Path) -> None:
    path, user, sue, person = db
    assert main(["export", "plan-pdf", "--nhs", NHS, "--out", str(tmp_path / "plan.pdf"),
                 "--db", str(path), *user]) == 0
    assert main(["export", "table", "caseload", "--out", str(tmp_path / "c.csv"),
                 "--db", str(path), *user]) == 0
    with Store.open(path, create=False) as store:
        [mine] = looked.of_person(store, person)
        assert mine.reader_id == sue and mine.kind is ReadKind.PRINTED
        today = datetime.now(UTC).date()
        out = audit_pdf(store, tmp_path / "audit.pdf", start=date(2025, 1, 1), end=today,
                        today=today, printed_by="Tester", **prints(store))
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Who looked (2)" in text
    assert "Sue Marsh" in text and "Aisha Khan" in text  # who, and whose record
    assert "printed: joint care plan (PDF)" in text
    assert "caseload table (CSV), 1 persons" in text
    with Store.open(path, create=False) as store:
        quiet = audit_pdf(store, tmp_path / "quiet.pdf", start=date(2024, 1, 1),
                          end=date(2024, 12, 31), today=date(2025, 1, 1), printed_by="Tester",
                          **prints(store))
    assert "Nobody opened, printed or exported a record in this period" in "\n".join(
        page.extract_text() for page in PdfReader(quiet).pages)


def test_a_read_holds_nothing_back(db: tuple[Path, list[str], str, str]) -> None:
    """A read refers to its person without a foreign key: removing the person (an undo
    of adding them) is not held back by someone having looked."""
    path, _, sue, _ = db
    with Store.open(path, create=False) as store:
        person = Person(given_name="New", family_name="Person", birth_date=date(1950, 1, 1))
        added = operations.run(store, lambda s: add(s, person, sue))
        operations.run(store, lambda s: looked.record(s, sue, ReadKind.OPENED,
                                                      looked.WORKSPACE, [person.id]))
        operations.revert(store, added.changes, sue)
        assert not find(store, Person, given_name="New")
        assert looked.of_person(store, person.id)[0].reader_id == sue
        assert verified(store) == ()


def test_reads_travel_with_the_log_and_never_conflict(tmp_path: Path) -> None:
    a, b, c = stores(tmp_path)
    try:
        person = find(a, Person)[0].id
        for s, who in ((a, "dr-a"), (b, "dr-b"), (c, "dr-c")):
            operations.run(s, lambda s, who=who: looked.record(
                s, who, ReadKind.OPENED, looked.WORKSPACE, [person]))
        operations.run(a, lambda s: looked.record(s, "dr-a", ReadKind.EXPORTED,
                                                  "caseload table (CSV), 1 persons",
                                                  persons=1))
        exchange([a, b, c])
        for s in (a, b, c):
            assert sorted(r.reader_id for r in looked.of_person(s, person)) == [
                "dr-a", "dr-b", "dr-c"]
            assert s.conn.execute("SELECT count(*) FROM reads").fetchone()[0] == 4
            assert s.conn.execute("SELECT count(*) FROM sync_conflicts").fetchone()[0] == 0
            assert verified(s) == ()
    finally:
        for s in (a, b, c):
            s.close()


def test_a_read_removed_outside_careplan_is_found(db: tuple[Path, list[str], str, str],
                                                   tmp_path: Path) -> None:
    path, user, _, _ = db
    assert main(["export", "plan-pdf", "--nhs", NHS, "--out", str(tmp_path / "plan.pdf"),
                 "--db", str(path), *user]) == 0
    with Store.open(path, create=False) as store:
        [read] = looked.between(store, datetime(2000, 1, 1, tzinfo=UTC),
                                datetime(2100, 1, 1, tzinfo=UTC))
        store.conn.execute("DELETE FROM reads")
        store.conn.commit()
        assert f"reads {read.id}: removed outside CarePlan" in "\n".join(verified(store))


def test_a_read_is_checked_like_any_record() -> None:
    with pytest.raises(ValueError, match="persons"):
        Read(reader_id="x", person_id="p", persons=3, kind=ReadKind.OPENED,
             description="their record", at=datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="description"):
        Read(reader_id="x", kind=ReadKind.OPENED, description="x" * 20_000,
             at=datetime(2025, 1, 1, tzinfo=UTC))
