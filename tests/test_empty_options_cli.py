"""An option given as empty text is a mistake, refused in one sentence naming it.

Commands read an option's absence as "everything" (every person, every agency, the
computer's user, today), and empty text used to read the same: ``careplan flags
--nhs ""`` printed everyone's flags. Now every option of every subcommand that takes a
value, given as empty or blank text, exits with status 2 before anything is read or
written, and says which option is empty.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from export_sample import NHS, build, reader_account
from signin import ensure_account

from careplan.cli import build_parser, main
from careplan.store import Store
from careplan.store.digest import content_digest

#: (command path, option as written or a positional's metavar, its dest, required).
Option = tuple[tuple[str, ...], str, str, bool]


def _options(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[Option]:
    found: list[Option] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _options(sub, (*path, name))
        elif path and action.nargs != 0 and action.type is None and action.choices is None:
            name = action.option_strings[0] if action.option_strings else str(action.metavar)
            found.append((path, name, action.dest, action.required))
    return found


OPTIONS = _options(build_parser())
Folder = tuple[Path, dict[tuple[str, ...], list[str]]]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    """A store with one person and a case conference; a valid command line for each
    subcommand, to which one empty option is then given."""
    work = tmp_path_factory.mktemp("empty-options")
    db = work / "store.db"
    with Store.open(db) as store:
        sample = build(store)
        ensure_account(store)
        reader_account(store)
    assert sample.conference is not None
    (work / "patient.json").write_text(json.dumps({
        "resourceType": "Patient", "id": "p1", "name": [{"family": "Khan", "given": ["Ana"]}],
        "birthDate": "1960-03-13"}), encoding="utf-8")
    store_arg = ["--db", str(db)]
    admin = [*store_arg, "--user", "admin"]
    valid = {
        ("accounts", "add"): ["new.user", *admin, "--professional", "Sue Marsh"],
        ("accounts", "list"): admin,
        ("accounts", "deactivate"): ["admin", *admin],
        ("accounts", "reactivate"): ["admin", *admin],
        ("accounts", "reset"): ["admin", *admin],
        ("accounts", "passwd"): admin,
        ("audit", "verify"): admin,
        ("backup",): store_arg,
        ("restore",): [*store_arg, "--from", str(db)],
        ("demo",): ["--db", str(work / "new.db")],
        ("encrypt",): admin,
        ("export", "plan-pdf"): [*admin, "--nhs", NHS, "--out", str(work / "x.pdf")],
        ("export", "handoff-audit"): [*admin, "--out", str(work / "x.pdf")],
        ("export", "minutes"): [*admin, "--conference", sample.conference.id,
                                "--out", str(work / "x.pdf")],
        ("export", "table"): ["caseload", *admin, "--out", str(work / "x.csv")],
        ("export", "funding"): [*admin, "--out", str(work / "x.pdf")],
        ("export", "fhir"): [*admin, "--out", str(work / "x.json")],
        ("export", "fhir-ndjson"): [*admin, "--out", str(work / "bulk")],
        ("flags",): admin,
        ("import", "fhir"): [str(work / "patient.json"), *admin],
        ("info",): store_arg,
        ("rules",): [*admin, "--set", "discharge.critical_days=5"],
        ("server", "init"): ["--dsn", DSN],
        ("server", "laptop"): ["--dsn", DSN, "--role", "ward_laptop", "--agency", "Ward"],
        ("share", "id"): store_arg,
        ("share", "trust"): ["careplan-store-v1:junk", *admin],
        ("share", "export"): [*admin, "--for", "B", "--out", str(work / "x.cpk")],
        ("share", "import"): [str(work / "x.cpk"), *admin],
        ("share", "sync"): [*admin, "--server", DSN],
        ("share", "server"): [DSN, *admin],
        ("share", "conflicts"): admin,
        ("share", "resolve"): ["abcdef", "--keep", "123456", *admin],
        ("share", "copy"): [*store_arg, "--out", str(work / "copy.db")],
    }
    return work, valid


#: A team server nobody listens on (the commands stop at the empty option first).
DSN = "host=127.0.0.1 port=1 dbname=none user=none"
#: An option that stands instead of another in a valid line (one of a required pair).
INSTEAD_OF = {"--since-pack": "--for"}


def _with_empty(valid: list[str], option: str, value: str) -> list[str]:
    argv = list(valid)
    if not option.startswith("-"):  # the positional FILE: the first argument
        argv[0] = value
        return argv
    if option in argv:
        argv[argv.index(option) + 1] = value
    elif INSTEAD_OF.get(option) in argv:
        at = argv.index(INSTEAD_OF[option])
        argv[at:at + 2] = [option, value]
    else:
        argv += [option, value]
    return argv


def test_every_option_that_takes_text_is_covered() -> None:
    covered = {path for path, *_ in OPTIONS}
    assert len(covered) == 33
    assert len(OPTIONS) > 40


@pytest.mark.parametrize("value", ["", "   "])
@pytest.mark.parametrize(("path", "option", "dest", "required"), OPTIONS,
                         ids=[f"{' '.join(p)} {o}" for p, o, _, _ in OPTIONS])
def test_an_empty_option_is_refused_naming_it(
        path: tuple[str, ...], option: str, dest: str, required: bool, value: str,
        folder: Folder, capsys: pytest.CaptureFixture[str]) -> None:
    work, valid = folder
    argv = [*path, *_with_empty(valid[path], option, value)]
    with Store.open(work / "store.db") as store:
        before = content_digest(store)
    files = sorted(work.rglob("*"))
    capsys.readouterr()
    assert main(argv) == 2, argv
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"careplan: {option}: is empty; ")
    assert err.endswith(".\n") and err.count("\n") == 1
    assert sorted(work.rglob("*")) == files  # no output, no backup, no new store
    with Store.open(work / "store.db") as store:
        assert content_digest(store) == before


def test_flags_for_an_empty_nhs_number_prints_nobody_s_flags(
        folder: Folder, capsys: pytest.CaptureFixture[str], signed_in) -> None:  # type: ignore[no-untyped-def]
    work, _ = folder
    user = signed_in(work / "store.db", "sue")  # the lead agency's manager
    assert main(["flags", "--db", str(work / "store.db"), "--nhs", "", *user]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "careplan: --nhs: is empty; give an NHS number.\n"
    # Left out, --nhs means everyone: that is what the empty value used to do.
    assert main(["flags", "--db", str(work / "store.db"), *user]) == 0
    assert "flag" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "said"), [
    (["--db", ""], "careplan: --db: is empty; name a store file, e.g. --db careplan.db.\n"),
    # --as (anyone acting as anyone) is gone: the app is not started with it either.
    (["--as", "Sam Green"], "careplan: --as: is gone; the desktop app opens on its sign-in "
                            "screen (careplan --user NAME fills in the user name), and "
                            "commands sign in with --user NAME.\n"),
    (["--user", " "], "careplan: --user: is empty; give your account's user name.\n"),
])
def test_the_app_is_not_started_on_an_empty_store_or_name(
        argv: list[str], said: str, tmp_path: Path) -> None:
    """Without the check ``careplan --db ""`` opened (or made) the default store. Run as a
    process of its own, headless, with its own data folders: a regression that starts
    the app fails on the timeout instead of hanging the suite."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    done = subprocess.run([sys.executable, "-m", "careplan", *argv], capture_output=True,
                          text=True, timeout=60, env=env, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", said)
    assert not any(tmp_path.rglob("*.db"))
