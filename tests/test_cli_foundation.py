"""``careplan demo`` and ``careplan info``, and one-sentence refusals of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from careplan.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "careplan", *args], capture_output=True,
                          text=True, timeout=120)


def test_demo_then_info_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--persons", "50", "--today", "2026-11-22"]) == 0
    assert "50 persons" in capsys.readouterr().out
    user = demo_signed_in(db)  # the demo store is encrypted: info signs in to read it
    assert main(["info", "--db", str(db), "--json", *user]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["integrity_check"] == "ok"
    assert report["counts"]["persons"] == 50
    assert report["schema_version"] >= 1
    assert main(["info", "--db", str(db), *user]) == 0
    assert "persons" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["info", "--db", "{tmp}/missing.db"], "there is no store at"),
        (["info", "--db", "{tmp}/notes.txt"], "is not a CarePlan store"),
        (["demo", "--db", "{tmp}/d.db", "--today", "2026-13-01"],
         "--today: '2026-13-01' is not a date"),
        (["demo", "--db", "{tmp}/d.db", "--persons", "2"], "--persons: must be at least"),
        (["demo", "--db", "{tmp}/d.db", "--persons", "many"], "invalid int value"),
        (["info", "--bogus"], "Unrecognized arguments: --bogus"),
        (["nonsense"], "invalid choice"),
        (["info"], "--db: name a store file"),
    ],
)
def test_bad_input_is_one_sentence_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "notes.txt").write_text("not a store")
    result = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "d.db").exists(), "a refused demo must not leave a file behind"


def test_demo_into_a_filled_store_is_refused_and_changes_nothing(
        tmp_path: Path, demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "demo.db"
    assert run("demo", "--db", str(db), "--persons", "22").returncode == 0
    size = db.stat().st_size
    result = run("demo", "--db", str(db), "--persons", "22")
    assert result.returncode == 2
    assert "is encrypted; sign in with --user NAME" in result.stderr
    result = run("demo", "--db", str(db), "--persons", "22", *demo_signed_in(db))
    assert result.returncode == 2
    assert "already holds 22 persons" in result.stderr
    assert db.stat().st_size == size


@pytest.mark.parametrize("command", [["info"], ["flags", "--today", "2026-11-22"], ["rules"]])
def test_db_before_the_subcommand_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          command: list[str],
                                          demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "d.db"
    assert main(["demo", "--db", str(db), "--persons", "22", "--today", "2026-11-22"]) == 0
    # the demo store is encrypted; flags are read for an agency that may see the persons
    command = [*command, *demo_signed_in(db, "reader" if command[0] == "flags" else "admin")]
    capsys.readouterr()
    assert main([*command, "--db", str(db)]) == 0
    after = capsys.readouterr().out
    assert main(["--db", str(db), *command]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == after


@pytest.mark.parametrize(("args", "message"), [
    (["flags", "--today", "9999-12-31"], "--today: 9999-12-31 is out of range"),
    (["flags", "--today", "0001-01-01"], "--today: 0001-01-01 is out of range"),
    (["demo", "--persons", "99999999999999999999"], "--persons: must be at most"),
    (["demo", "--today", "2299-01-01"], "--today: 2299-01-01 is out of range"),
])
def test_out_of_range_numbers_and_dates_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        message: str, demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "d.db"
    if args[0] == "flags":
        assert main(["demo", "--db", str(db), "--persons", "22"]) == 0
        args = [*args, *demo_signed_in(db, "reader")]
    assert main([args[0], "--db", str(tmp_path / "d.db"), *args[1:]]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_demo_too_far_ahead_is_refused_and_the_furthest_day_works(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from careplan.commands.demo import MAX_DAYS_AHEAD

    latest = date.today() + timedelta(days=MAX_DAYS_AHEAD)
    too_late = latest + timedelta(days=1)
    assert main(["demo", "--db", str(tmp_path / "a.db"), "--persons", "22",
                 "--today", too_late.isoformat()]) == 2
    assert f"up to {latest.isoformat()}" in capsys.readouterr().err
    assert not (tmp_path / "a.db").exists()
    assert main(["demo", "--db", str(tmp_path / "b.db"), "--persons", "22",
                 "--today", latest.isoformat()]) == 0


def test_a_reader_that_goes_away_is_not_a_bug(
        tmp_path: Path, demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "d.db"
    assert run("demo", "--db", str(db), "--today", "2026-11-22").returncode == 0
    # the password file's name goes to the child in its environment
    user = demo_signed_in(db, "reader")
    # `careplan flags --json | head -c 0`: the reader has gone before the first write, and
    # the output is larger than one buffer, so it is written while the command runs.
    with subprocess.Popen([sys.executable, "-m", "careplan", "flags", "--json", "--db",
                           str(db), "--today", "2026-11-22", *user], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read()
    assert proc.returncode == 141, err
    assert err == ""
