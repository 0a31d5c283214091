"""``careplan demo`` and ``careplan info``, and one-sentence refusals of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from careplan.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "careplan", *args], capture_output=True,
                          text=True, timeout=120)


def test_demo_then_info_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--persons", "50", "--today", "2026-11-22"]) == 0
    assert "50 persons" in capsys.readouterr().out
    assert main(["info", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["integrity_check"] == "ok"
    assert report["counts"]["persons"] == 50
    assert report["schema_version"] >= 1
    assert main(["info", "--db", str(db)]) == 0
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


def test_demo_into_a_filled_store_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert run("demo", "--db", str(db), "--persons", "20").returncode == 0
    size = db.stat().st_size
    result = run("demo", "--db", str(db), "--persons", "20")
    assert result.returncode == 2
    assert "already holds 20 persons" in result.stderr
    assert db.stat().st_size == size
