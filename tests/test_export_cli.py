"""``careplan export ...`` and ``careplan import fhir``: files written, exit statuses,
one-sentence refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from export_sample import NHS, build
from pypdf import PdfReader

from careplan.cli import main
from careplan.models import Person
from careplan.store import Store, find


@pytest.fixture
def db(tmp_path: Path, signed_in: Callable[..., list[str]]) -> tuple[Path, str]:
    """The sample store, with Sue Marsh (a manager) signed in for every command."""
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        sample = build(store)
    assert sample.conference is not None
    USER[:] = signed_in(path, "sue.marsh", "manager", sample.profs["mgr"].id)
    return path, sample.conference.id


#: ``--user`` of the signed-in account (set by the ``db`` fixture).
USER: list[str] = []


def run(*argv: str) -> int:
    return main([*argv, *USER])


def test_every_export_command_writes_its_file(db: tuple[Path, str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path, conference = db
    d = str(path)
    assert run("export", "plan-pdf", "--db", d, "--nhs", "943 476 5919",
               "--out", str(tmp_path / "plan.pdf"),
               "--today", "2025-03-03") == 0
    assert "Printed by Sue Marsh" in PdfReader(tmp_path / "plan.pdf").pages[0].extract_text()
    assert run("export", "handoff-audit", "--db", d, "--out", str(tmp_path / "audit.pdf"),
               "--from", "2025-01-01", "--to", "2025-03-03", "--agency",
               "Northfield Adult Social Care") == 0
    assert run("export", "minutes", "--db", d, "--conference", conference,
               "--out", str(tmp_path / "minutes.pdf")) == 0
    assert run("export", "table", "actions", "--db", d, "--out",
               str(tmp_path / "actions.xlsx")) == 0
    assert len(pd.read_excel(tmp_path / "actions.xlsx")) == 9
    assert run("--db", d, "export", "fhir", "--out", str(tmp_path / "all.json"),
               "--nhs", NHS) == 0
    assert json.loads((tmp_path / "all.json").read_text())["resourceType"] == "Bundle"
    out = capsys.readouterr().out
    assert out.count("Wrote ") == 5


def test_import_into_a_new_store_prints_a_summary(
        db: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        signed_in: Callable[..., list[str]]) -> None:
    bundle = tmp_path / "all.json"
    assert run("export", "fhir", "--db", str(db[0]), "--out", str(bundle)) == 0
    target = tmp_path / "new.db"
    assert run("import", "fhir", str(bundle), "--db", str(target)) == 2
    assert "there is no store at" in capsys.readouterr().err and not target.exists()
    Store.open(target).close()
    user = signed_in(target)
    assert main(["import", "fhir", str(bundle), "--db", str(target), *user]) == 0
    out = capsys.readouterr().out
    assert "Imported: 9 action" in out and "Skipped (not mapped): nothing." in out
    with Store.open(target, create=False) as store:
        assert [p.nhs_number for p in find(store, Person)] == [NHS]


@pytest.mark.parametrize("argv,needle", [
    (["export", "plan-pdf", "--nhs", "9434765918"], "--nhs: NHS number: 943 476 5918 fails"),
    (["export", "plan-pdf", "--nhs", "9876543210"], "no person with NHS number"),
    (["export", "handoff-audit", "--agency", "Nowhere"], "--agency: no agency called"),
    (["export", "handoff-audit", "--from", "2025-03-01", "--to", "2025-02-01"], "is after"),
    (["export", "minutes", "--conference", "nope"], "no case conference with id nope"),
    (["export", "table", "actions", "--out", "x.txt"], "must end in .csv or .xlsx"),
])
def test_export_mistakes_exit_2_with_one_sentence(
        db: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        argv: list[str], needle: str) -> None:
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "out.pdf")]
    else:
        argv = [str(tmp_path / a) if a == "x.txt" else a for a in argv]
    assert run(*argv[:2], "--db", str(db[0]), *argv[2:]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_refused_import_exits_2_and_changes_nothing(
        db: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient", "id": "x", "birthDate": "19', encoding="utf-8")
    with Store.open(db[0]) as store:
        persons = len(find(store, Person))
    assert run("import", "fhir", str(bad), "--db", str(db[0])) == 2
    err = capsys.readouterr().err
    assert "Not imported: bad.json is not valid JSON" in err and err.count("\n") == 1
    with Store.open(db[0]) as store:
        assert len(find(store, Person)) == persons


@pytest.mark.parametrize("argv", [
    ["export", "plan-pdf", "--nhs", NHS],
    ["export", "handoff-audit"],
    ["export", "table", "caseload"],
    ["export", "fhir"],
    ["export", "funding"],
])
def test_an_out_file_that_cannot_be_written_is_one_sentence(
        db: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        argv: list[str]) -> None:
    suffix = {"table": ".csv", "fhir": ".json"}.get(argv[1], ".pdf")
    # A name longer than the disk allows (even for root): the export is written whole
    # under a shorter temporary name, then renaming it fails; the temporary is removed.
    blocked = tmp_path / f"{'b' * 260}{suffix}"
    cases = [
        (str(tmp_path / "missing" / f"out{suffix}"), "--out: the folder"),
        (str(tmp_path), "is a folder"),
        (str(blocked), f"--out: cannot write {blocked}"),
    ]
    for out, needle in cases:
        assert run(*argv[:2], "--db", str(db[0]), *argv[2:], "--out", out) == 2, out
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.db"]
