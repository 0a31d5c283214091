"""``careplan flags`` and ``careplan rules`` on a demo store file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.models.flags import SHARING_CODES, FlagCode
from careplan.store import Store
from careplan.store.flagdata import caseload_flags

TODAY = "2025-03-12"
KEYS = ["code", "severity", "person_id", "nhs_number", "person_name", "subject_type",
        "subject_id", "since", "due", "message", "evidence"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=120, seed=4, today=date(2025, 3, 12), parallel=False)
    return str(path)


#: ``--user`` of the demo store's administrator (set for every test below).
USER: list[str] = []


@pytest.fixture(autouse=True)
def _signed_in_demo(demo_db: str, demo_signed_in) -> None:  # type: ignore[no-untyped-def]
    USER[:] = demo_signed_in(demo_db, "reader")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def flags_json(capsys: pytest.CaptureFixture[str], db: str, *extra: str) -> list[dict]:  # type: ignore[type-arg]
    code, out, err = run(capsys, "flags", "--db", db, "--today", TODAY, "--json", *extra,
                         *USER)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_json_lists_every_code_with_the_agreed_keys(capsys, demo_db) -> None:  # type: ignore[no-untyped-def]
    flags = flags_json(capsys, demo_db)
    # Every code a store that never shared can raise (the demo is one such store), over
    # every person (the engine); the reader sees those of persons shared with their agency.
    with Store.open(demo_db, create=False) as store:
        every = {f.code.value for f in caseload_flags(store, date.fromisoformat(TODAY))}
    assert every == {c.value for c in FlagCode if c not in SHARING_CODES}
    assert flags and {f["code"] for f in flags} <= every
    for f in flags:
        assert list(f) == KEYS
        assert f["nhs_number"] is None or (len(f["nhs_number"]) == 10
                                           and f["nhs_number"].isdigit())
        assert date.fromisoformat(f["since"]) <= date(2025, 3, 12)


def test_table_names_people_and_counts(capsys, demo_db) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "flags", "--db", demo_db, "--today", TODAY, *USER)
    assert code == 0
    assert "CRITICAL" in out and "referral-dispute" in out and "Daniel Price" in out
    assert out.rstrip().endswith("info.") and "flags on 2025-03-12" in out


def test_filters_by_code_severity_and_person(capsys, demo_db) -> None:  # type: ignore[no-untyped-def]
    everything = flags_json(capsys, demo_db)
    disputes = flags_json(capsys, demo_db, "--code", "referral-dispute")
    assert disputes and disputes == [f for f in everything if f["code"] == "referral-dispute"]
    worst = flags_json(capsys, demo_db, "--severity", "WARNING")
    assert worst == [f for f in everything if f["severity"] in ("warning", "critical")]
    number = disputes[0]["nhs_number"]
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    mine = flags_json(capsys, demo_db, "--nhs", spaced)
    assert mine == [f for f in everything if f["nhs_number"] == number]


@pytest.mark.parametrize(("argv", "words"), [
    (["--code", "bed-blocking"], "--code: 'bed-blocking' is not a flag code"),
    (["--severity", "urgent"], "--severity: 'urgent' is not info, warning or critical"),
    (["--today", "12/03/2025"], "--today: '12/03/2025' is not a date"),
    (["--nhs", "123"], "--nhs: NHS number: '123' is not ten digits"),
    (["--nhs", "943 476 5919"], "--nhs: no person with NHS number 943 476 5919"),
])
def test_bad_options_are_one_sentence_and_exit_2(capsys, demo_db, argv, words) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "flags", "--db", demo_db, *argv, *USER)
    assert code == 2 and out == ""
    assert words in err and err.count("\n") == 1


def test_rules_prints_defaults_and_overrides(capsys, tmp_path: Path, signed_in) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.db")
    Store.open(db).close()
    code, out, _ = run(capsys, "rules", "--db", db)
    assert code == 0 and "discharge.critical_days" in out and "(this store)" not in out
    user = signed_in(db)
    code, out, _ = run(capsys, "rules", "--db", db, "--set", "discharge.critical_days=5",
                       "--json", *user)
    row = next(r for r in json.loads(out) if r["key"] == "discharge.critical_days")
    assert row == {"key": "discharge.critical_days", "value": 5, "default": 7,
                   "overridden": True}
    code, out, _ = run(capsys, "rules", "--db", db)
    line = next(x for x in out.splitlines() if x.startswith("discharge.critical_days"))
    assert line.split()[1:3] == ["5", "7"] and "(this store)" in line
    code, out, _ = run(capsys, "rules", "--db", db, "--reset", "discharge.critical_days",
                       *user)
    assert code == 0 and "(this store)" not in out


@pytest.mark.parametrize(("argv", "words"), [
    (["--set", "discharge.critical_days"], "is not KEY=VALUE"),
    (["--set", "discharge.soon=3"], "'discharge.soon' is not one of"),
    (["--set", "discharge.critical_days=0"], "must not be below"),
    (["--reset", "discharge.critical_days"], "this store has no override"),
])
def test_bad_rule_changes_write_nothing(capsys, tmp_path, argv, words, signed_in) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.db")
    Store.open(db).close()
    code, _, err = run(capsys, "rules", "--db", db, *argv, *signed_in(db))
    assert code == 2 and words in err
    code, out, _ = run(capsys, "rules", "--db", db, "--json")
    assert not any(r["overridden"] for r in json.loads(out))
