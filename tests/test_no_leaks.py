"""Nothing sensitive leaks into logs: a bug is logged with its traceback, never with the
names, NHS numbers or clinical text an exception's message or the command line may
carry; and a run of the command line leaves nothing personal outside its store and the
files it was asked to write."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.commands import logs, paths
from careplan.demo.build import build_demo
from careplan.store import Store

NHS = "9434765919"
SECRET = f"Jordan Ellis, NHS {NHS}, schizophrenia"


def _raise(*_args: object) -> int:
    try:
        raise KeyError(f"inner {SECRET}")
    except KeyError as exc:
        raise ValueError(f"could not print {SECRET}") from exc


def test_a_bug_is_logged_without_its_message_or_the_command_lines_values(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from careplan.commands import info

    monkeypatch.setattr(info, "run", _raise)
    db = tmp_path / f"{NHS}.db"
    Store.open(db).close()
    code = main(["info", "--db", str(db), "--json"])
    err = capsys.readouterr().err
    assert code == 1 and "a bug" in err
    logged = Path(paths.log_file()).read_text()
    assert "ValueError" in logged and "KeyError" in logged and "_raise" in logged
    assert logs.WITHHELD in logged
    assert NHS not in logged and "Jordan" not in logged and "schizophrenia" not in logged
    assert NHS not in err and "Jordan" not in err


def test_the_formatter_withholds_messages_everywhere(caplog) -> None:  # type: ignore[no-untyped-def]
    record = logging.LogRecord("careplan", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        _raise()
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    text = logs.SafeFormatter().format(record)
    assert "Traceback" in text and SECRET not in text and text.count(logs.WITHHELD) == 2


def test_command_lines_are_logged_by_their_shape() -> None:
    assert logs.command_shape(["export", "plan-pdf", "--db", "/x/jordan.db", "--nhs",
                               "943 476 5919", "--out=/x/j.pdf"]) == \
        "careplan export plan-pdf --db … --nhs … --out=…"
    assert NHS not in logs.command_shape(["flags", f"--nhs={NHS}"])


def test_a_run_of_commands_leaves_nothing_personal_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_signed_in, capsys) -> None:  # type: ignore[no-untyped-def]
    """Sign-ins (a wrong one too), flags, every print and table, an import refused: the
    only files that change are the store, its backups and the files asked for."""
    home = tmp_path / "home"
    for name in ("HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                 "XDG_CACHE_HOME", "TMPDIR"):
        monkeypatch.setenv(name, str(home / name.lower()))
    (home / "tmpdir").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    db = work / "team.db"
    with Store.open(db) as store:
        build_demo(store, persons=30, seed=4, today=None)
        persons = store.query("SELECT given_name, family_name, nhs_number FROM persons")
        # A person whose record is shared with adult social care (the reader's agency).
        nhs = store.query(
            "SELECT p.nhs_number FROM persons p JOIN consents k ON k.person_id = p.id "
            "JOIN agencies g ON g.id = k.agency_id WHERE g.name LIKE '%Adult Social Care' "
            "AND k.status IN ('given', 'legal basis') AND p.nhs_number != '' "
            "ORDER BY p.rowid LIMIT 1")[0]["nhs_number"]
    user = demo_signed_in(db, "reader")
    wanted = [work / n for n in ("plan.pdf", "audit.pdf", "caseload.xlsx", "flags.csv",
                                 "bundle.json")]
    runs = [
        ["flags", "--db", str(db), *user, "--json"],
        ["export", "plan-pdf", "--db", str(db), *user, "--nhs", nhs, "--out", str(wanted[0])],
        ["export", "handoff-audit", "--db", str(db), *user, "--out", str(wanted[1])],
        ["export", "table", "caseload", "--db", str(db), *user, "--out", str(wanted[2])],
        ["export", "table", "flags", "--db", str(db), *user, "--out", str(wanted[3])],
        ["export", "fhir", "--db", str(db), *user, "--out", str(wanted[4])],
    ]
    for argv in runs:
        assert main(argv) == 0, argv
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(tmp_path / "nope"))
    assert main(["flags", "--db", str(db), *user]) == 2  # no password: refused
    capsys.readouterr()
    left = [p for p in home.rglob("*") if p.is_file()]
    left += [p for p in work.rglob("*") if p.is_file() and p not in wanted
             and not p.name.startswith("team.db") and "backups" not in p.parts]
    words = {p["family_name"] for p in persons} | {p["nhs_number"] for p in persons
                                                   if p["nhs_number"]}
    for path in left:
        text = path.read_bytes().decode("utf-8", "replace")
        assert not [w for w in words if w and w in text], path
    assert not [p for p in work.iterdir() if p.name.startswith(".")], "temporary files left"
