"""Signing in on the command line.

Every command that reads or writes person data signs in (``--user NAME``; the password
from the terminal or the file named by CAREPLAN_PASSWORD_FILE, never an argument) and
refuses, exit 2 and one sentence, without ``--user``, with a wrong password or user name,
for a locked or deactivated account and for a password that must be changed first; each
attempt is recorded with its audit event. ``careplan accounts`` manages the accounts. No
password, hash or password file's content is ever printed, logged or audited.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from signin import PASSWORD, digest_without_sign_ins

from careplan.cli import build_parser, main
from careplan.commands import paths
from careplan.models import Agency, CaseConference, Professional
from careplan.models.accounts import LOCK_AFTER, SignIn
from careplan.store import Store, StoreError, add, audit, find, flagdata
from careplan.store import accounts as acc
from tests.factories import one_of_each

NHS = "9434765919"


@dataclass
class World:
    """A store with a person's record and an account in every state, all with the test
    password; files to sign in with."""

    db: Path
    folder: Path
    conference: str
    right: Path  # holds PASSWORD
    wrong: Path  # holds another password

    def argv(self, command: list[str]) -> list[str]:
        return [a.format(db=self.db, dir=self.folder, conf=self.conference) for a in command]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
        asc = find(store, Agency, name="Adult Social Care")[0]
        names = {p.name: p.id for p in find(store, Professional)}
        for name in ("Pat Gone", "Ray Reset", "Lou Locked", "Kim New"):
            names[name] = add(store, Professional(name=name, role="social worker",
                                                  agency_id=asc.id), "setup").id
        admin = acc.add_account(store, "admin", PASSWORD, "administrator")
        for user, who in (("sam", "Sam Green"), ("gone", "Pat Gone"), ("reset.me", "Ray Reset"),
                          ("locked", "Lou Locked")):
            acc.add_account(store, user, PASSWORD, "practitioner", names[who], admin,
                            temporary=False)
        acc.add_account(store, "asha", PASSWORD, "manager", names["Dr Asha Patel"], admin,
                        temporary=False)
        acc.deactivate(store, "gone", admin)
        acc.reset_password(store, "reset.me", PASSWORD, admin)
        conference = find(store, CaseConference)[0].id
    (tmp_path / "patient.json").write_text(json.dumps({
        "resourceType": "Patient", "id": "p1", "name": [{"family": "Khan", "given": ["Ana"]}],
        "birthDate": "1960-03-13"}), encoding="utf-8")
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    right.write_text(PASSWORD + "\n", encoding="utf-8")
    wrong.write_text("not the password\n", encoding="utf-8")
    monkeypatch.delenv("CAREPLAN_PASSWORD_FILE", raising=False)
    monkeypatch.delenv("CAREPLAN_NEW_PASSWORD_FILE", raising=False)
    return World(db, tmp_path, conference, right, wrong)


def _lock(world: World, user: str) -> None:
    with Store.open(world.db, create=False) as store:
        for _ in range(LOCK_AFTER):
            with pytest.raises(StoreError):
                acc.authenticate(store, user, "wrong guess")


#: Every command that signs in, as a valid command line once signed in.
SIGNED_IN: list[list[str]] = [
    ["flags", "--db", "{db}"],
    ["export", "plan-pdf", "--db", "{db}", "--nhs", NHS, "--out", "{dir}/x.pdf"],
    ["export", "handoff-audit", "--db", "{db}", "--out", "{dir}/x.pdf"],
    ["export", "minutes", "--db", "{db}", "--conference", "{conf}", "--out", "{dir}/x.pdf"],
    ["export", "table", "caseload", "--db", "{db}", "--out", "{dir}/x.csv"],
    ["export", "funding", "--db", "{db}", "--out", "{dir}/x.pdf"],
    ["export", "fhir", "--db", "{db}", "--out", "{dir}/x.json"],
    ["export", "fhir-ndjson", "--db", "{db}", "--out", "{dir}/ndjson"],
    ["import", "fhir", "{dir}/patient.json", "--db", "{db}"],
    ["rules", "--db", "{db}", "--set", "discharge.critical_days=5"],
    ["rules", "--db", "{db}", "--reset", "discharge.critical_days"],
    ["accounts", "list", "--db", "{db}"],
    ["accounts", "add", "new.one", "--db", "{db}", "--professional", "Pat Gone"],
    ["accounts", "deactivate", "sam", "--db", "{db}"],
    ["accounts", "reactivate", "gone", "--db", "{db}"],
    ["accounts", "reset", "sam", "--db", "{db}"],
    ["audit", "verify", "--db", "{db}"],
    ["share", "trust", "careplan-store-v1:junk", "--db", "{db}"],
    ["share", "export", "--db", "{db}", "--for", "B", "--out", "{dir}/x.cpk"],
    ["share", "import", "{dir}/patient.json", "--db", "{db}"],
    ["share", "sync", "--db", "{db}", "--server", "host=127.0.0.1 port=1 dbname=x user=x"],
    ["share", "server", "host=127.0.0.1 port=1 dbname=x user=x", "--db", "{db}"],
    ["share", "conflicts", "--db", "{db}"],
    ["share", "resolve", "abcdef", "--keep", "123456", "--db", "{db}"],
]
LOCKED = re.compile(r"Too many failed sign-ins with this user name; try again in \d+ seconds\.")
#: (how, user, password file, sentence, outcome recorded or None)
REFUSALS = [
    ("no user", None, "right", "--user: sign in with --user NAME (the password is asked for, "
                               "or read from the file named by CAREPLAN_PASSWORD_FILE).", None),
    ("wrong password", "sam", "wrong", "Wrong user name or password.", "wrong password"),
    ("unknown user", "nobody", "right", "Wrong user name or password.", "unknown user"),
    ("locked", "locked", "right", LOCKED, "locked"),
    ("deactivated", "gone", "right", "This account has been deactivated; ask an administrator "
                                     "to reactivate it.", "deactivated"),
    ("must change", "reset.me", "right", "Your password was reset or set by an administrator: "
                                         "you must set a new password first, with: careplan "
                                         "accounts passwd --user reset.me --db {db}.",
     "must change password"),
]


def _ids(command: list[str]) -> str:
    return " ".join(a for a in command if not a.startswith("{") and "/" not in a)[:40]


@pytest.mark.parametrize("refusal", REFUSALS, ids=[r[0] for r in REFUSALS])
@pytest.mark.parametrize("command", SIGNED_IN, ids=[_ids(c) for c in SIGNED_IN])
def test_every_signed_in_command_refuses_in_one_sentence_and_records_the_attempt(
        world: World, command: list[str], refusal: tuple[str, str | None, str, object,
                                                         str | None],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    how, user, file, sentence, outcome = refusal
    if how == "locked":
        _lock(world, "locked")
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(getattr(world, file)))
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(world.right))
    with Store.open(world.db, create=False) as store:
        before, attempts = digest_without_sign_ins(store), len(find(store, SignIn))
    files = sorted(world.folder.iterdir())
    argv = world.argv(command) + (["--user", user] if user else [])
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    said = err.removeprefix("careplan: ").removesuffix("\n")
    if isinstance(sentence, re.Pattern):
        assert sentence.fullmatch(said), said
    else:
        assert said == str(sentence).format(db=world.db)
    assert err.count("\n") == 1 and err.startswith("careplan: ")
    assert sorted(world.folder.iterdir()) == files  # no export written
    with Store.open(world.db, create=False) as store:
        assert digest_without_sign_ins(store) == before  # nothing else changed
        rows = find(store, SignIn, order_by="at")
        if outcome is None:
            assert len(rows) == attempts
        else:
            latest = [r for r in rows if r.outcome.value == outcome]
            assert len(rows) == attempts + 1 and latest
            (event,) = audit.events_for(store, "sign_ins", rows[-1].id)
            assert event.after["outcome"] == outcome


#: ``accounts add`` is the exception: in a store without accounts it adds the first.
NEED_AN_ACCOUNT = [c for c in SIGNED_IN if c[:2] != ["accounts", "add"]]


@pytest.mark.parametrize("command", NEED_AN_ACCOUNT, ids=[_ids(c) for c in NEED_AN_ACCOUNT])
def test_a_store_without_accounts_names_the_command_that_makes_its_administrator(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str],
        password_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
        before = digest_without_sign_ins(store)
        conference = find(store, CaseConference)[0].id
    (tmp_path / "patient.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(password_file))
    argv = [a.format(db=db, dir=tmp_path, conf=conference) for a in command]
    assert main([*argv, "--user", "admin"]) == 2
    assert capsys.readouterr().err == (
        f"careplan: {db} has no accounts yet; create its administrator first with: careplan "
        f"accounts add NAME --db {db}.\n")
    with Store.open(db, create=False) as store:
        assert digest_without_sign_ins(store) == before and acc.count(store) == 0


def test_every_command_that_signs_in_is_in_the_table_above() -> None:
    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
            tuple[tuple[str, ...], list[str]]]:
        nested = False
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                nested = True
                for name, sub in action.choices.items():
                    yield from walk(sub, (*path, name))
        if path and not nested:
            yield path, [s for a in parser._actions for s in a.option_strings]

    commands = dict(walk(build_parser()))
    with_user = {path for path, options in commands.items() if "--user" in options}
    # These take --user only to unlock an encrypted store (a plain one needs no sign-in);
    # encrypt signs in an administrator with its own sentences (tests/test_encrypt_command.py).
    unlock_only = {("info",), ("demo",), ("backup",), ("restore",), ("encrypt",),
                   ("share", "id"), ("share", "copy")}
    for path in with_user - {("accounts", "passwd")} - unlock_only:  # passwd: test_accounts_
        assert any(tuple(c[:len(path)]) == path for c in SIGNED_IN), path
    assert unlock_only <= with_user
    # server init and server laptop work on a PostgreSQL database as its owner's role,
    # not on a store.
    assert set(commands) - with_user == {("server", "init"), ("server", "laptop")}
    every = [o for options in commands.values() for o in options]
    assert not [o for o in every if "pass" in o or o == "--as"]  # never an argument


def test_the_rules_thresholds_are_listed_without_signing_in_and_changed_by_administrators(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--db", str(world.db)]) == 0
    assert "discharge.critical_days" in capsys.readouterr().out
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    assert main(["rules", "--db", str(world.db), "--set", "discharge.critical_days=5",
                 "--user", "sam"]) == 2
    assert capsys.readouterr().err == ("careplan: Only an administrator may change the rules' "
                                       "thresholds; sam is a practitioner.\n")
    assert main(["rules", "--db", str(world.db), "--set", "discharge.critical_days=5",
                 "--user", "admin"]) == 0
    with Store.open(world.db, create=False) as store:
        (event,) = audit.events_for(store, "rule_overrides", "discharge.critical_days")
        admin = acc.find_account(store, "admin")
        assert admin is not None and event.actor == f"account:{admin.id}"


@pytest.mark.parametrize("command", [
    ["accounts", "list"], ["accounts", "add", "new.one", "--professional", "Pat Gone"],
    ["accounts", "deactivate", "asha"], ["accounts", "reactivate", "gone"],
    ["accounts", "reset", "asha"]])
def test_only_administrators_manage_accounts(world: World, command: list[str],
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(world.right))
    assert main([*command, "--db", str(world.db), "--user", "asha"]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"careplan: Only an administrator may [a-z ]+; asha is a manager\.\n",
                        err), err


def test_signed_in_commands_act_as_the_account(world: World, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The audit log's actor is the account's professional; prints name who printed."""
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    assert main(["import", "fhir", str(world.folder / "patient.json"), "--db", str(world.db),
                 "--user", "sam"]) == 0
    assert main(["flags", "--db", str(world.db), "--user", "SAM"]) == 0
    with Store.open(world.db, create=False) as store:
        sam = find(store, Professional, name="Sam Green")[0]
        khan = [e for e in audit.events(store) if e.entity == "persons"
                and e.after.get("family_name") == "Khan"]
        assert [e.actor for e in khan] == [sam.id]
        assert [s.outcome.value for s in find(store, SignIn, username="sam")] == [
            "signed in", "signed in"]
    assert "Imported" in capsys.readouterr().out


# -- careplan accounts ---------------------------------------------------------------------------


def test_a_new_store_begins_with_its_administrator(tmp_path: Path, capsys:
                                                   pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   password_file: Path) -> None:
    db = tmp_path / "team.db"
    assert main(["accounts", "add", "boss", "--db", str(db)]) == 2
    assert capsys.readouterr().err == (
        "careplan: No new password for boss: set CAREPLAN_NEW_PASSWORD_FILE to a file whose "
        "first line is the password, or run careplan on a terminal to be asked for it.\n")
    assert not db.exists()  # refused before the store was made
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(password_file))
    for argv, said in ((["--role", "manager"], "--role: the first account of a store is its "
                                                "administrator"),
                       (["--professional", "Sam"], "--professional: "),
                       ([], None)):
        code = main(["accounts", "add", "Boss", "--db", str(db), *argv])
        out, err = capsys.readouterr()
        if said:
            assert code == 2 and err.startswith(f"careplan: {said}") and not db.exists()
    assert code == 0 and out == (f"Added the administrator account boss to {db}.\n"
                                 "It is this store's administrator: sign in with --user boss. "
                                 f"The store is encrypted; its keyring is {db}.keys (keep it "
                                 "with the store).\n")
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(password_file))
    assert main(["accounts", "add", "second", "--db", str(db)]) == 2  # needs an administrator
    assert capsys.readouterr().err.startswith(f"careplan: --user: {db} is encrypted; sign in "
                                              "with --user NAME")
    assert main(["accounts", "add", "second", "--db", str(db), "--role", "administrator",
                 "--user", "boss"]) == 0
    assert "must be changed at the first sign-in" in capsys.readouterr().out


def test_accounts_are_added_listed_deactivated_reset_and_their_passwords_changed(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    db = str(world.db)
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(world.right))
    assert main(["accounts", "add", "Pat.G", "--professional", "pat gone", "--role", "manager",
                 "--db", db, "--user", "admin"]) == 2
    assert capsys.readouterr().err == ("careplan: professional: already has an account "
                                       "(gone).\n")
    assert main(["accounts", "add", "Pat.G", "--professional", "kim new", "--role", "manager",
                 "--db", db, "--user", "admin"]) == 0
    assert capsys.readouterr().out.startswith(f"Added the manager account pat.g for Kim New "
                                              f"to {db}.")
    assert main(["accounts", "list", "--db", db, "--user", "admin", "--json"]) == 0
    listed = {a["username"]: a for a in json.loads(capsys.readouterr().out)}
    assert listed["pat.g"] == {"username": "pat.g", "name": "Kim New",
                               "agency": "Adult Social Care", "role": "manager",
                               "active": True, "must_change_password": True,
                               "last_sign_in": None}
    assert listed["admin"]["last_sign_in"] is not None and not listed["gone"]["active"]
    assert main(["accounts", "list", "--db", db, "--user", "admin"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^sam +Sam Green +Adult Social Care +practitioner +yes +never$", table,
                     re.MULTILINE), table
    assert table.rstrip().endswith("7 accounts.")
    # The new manager must choose a password before anything else.
    assert main(["flags", "--db", db, "--user", "pat.g"]) == 2
    assert "careplan accounts passwd --user pat.g" in capsys.readouterr().err
    new = world.folder / "new"
    new.write_text("a password of her own\n", encoding="utf-8")
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(new))
    assert main(["accounts", "passwd", "--db", db, "--user", "pat.g"]) == 0
    assert capsys.readouterr().out == "Changed the password of pat.g.\n"
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(new))
    assert main(["flags", "--db", db, "--user", "pat.g"]) == 0
    capsys.readouterr()
    # Deactivated, it signs in no more; reactivated, it does; reset, it must change again.
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    assert main(["accounts", "deactivate", "pat.g", "--db", db, "--user", "admin"]) == 0
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(new))
    assert main(["flags", "--db", db, "--user", "pat.g"]) == 2
    assert "deactivated" in capsys.readouterr().err
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    assert main(["accounts", "reactivate", "pat.g", "--db", db, "--user", "admin"]) == 0
    monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(world.right))
    assert main(["accounts", "reset", "pat.g", "--db", db, "--user", "admin"]) == 0
    assert "must be changed at the next sign-in" in capsys.readouterr().out
    assert main(["flags", "--db", db, "--user", "pat.g"]) == 2
    assert "must set a new password first" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "said"), [
    (None, "CAREPLAN_PASSWORD_FILE: there is no file {path}."),
    (b"\n", "CAREPLAN_PASSWORD_FILE: the first line of {path} is empty; put the password "
            "there."),
    ("store", "CAREPLAN_PASSWORD_FILE: {path} is the store itself (or its journal), not a "
              "password file."),
])
def test_a_password_file_that_cannot_be_used_is_one_sentence_never_its_content(
        world: World, content: bytes | str | None, said: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    path = world.db if content == "store" else world.folder / "secret"
    if isinstance(content, bytes):
        path.write_bytes(content)
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(path))
    assert main(["flags", "--db", str(world.db), "--user", "admin"]) == 2
    assert capsys.readouterr().err == f"careplan: {said.format(path=path)}\n"


def test_without_a_file_or_a_terminal_there_is_no_password(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert not sys.stdin.isatty()
    assert main(["flags", "--db", str(world.db), "--user", "admin"]) == 2
    assert capsys.readouterr().err == (
        "careplan: No password for admin: set CAREPLAN_PASSWORD_FILE to a file whose first "
        "line is the password, or run careplan on a terminal to be asked for it.\n")


def test_only_the_first_line_of_the_password_file_is_the_password(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    windows = world.folder / "crlf"
    windows.write_bytes(PASSWORD.encode() + b"\r\nsomething else\n")
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(windows))
    assert main(["flags", "--db", str(world.db), "--user", "asha"]) == 0


# -- on a terminal ------------------------------------------------------------------------------


def _on_a_terminal(argv: list[str], answers: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``careplan`` in a process whose terminal is a pseudo-terminal; type each answer
    after each prompt. Returns its exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pseudo-terminal is its controlling terminal
        os.execve(sys.executable, [sys.executable, "-m", "careplan", *argv], env)
    shown = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    answered = 0  # how much of ``shown`` had been shown at the last answer
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal: it has finished
                    break
                if not chunk:
                    break
                shown += chunk
            if pending and shown[answered:].strip().endswith(b":"):  # a new prompt
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered = len(shown)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def _child_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREPLAN_")}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    return env


def test_on_a_terminal_passwords_are_asked_for_and_never_shown(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    env = _child_env(tmp_path)
    code, shown = _on_a_terminal(["accounts", "add", "boss", "--db", str(db)],
                                 ["first choice 1", "second choice"], env)
    assert code == 2 and "The two passwords differ; nothing was changed." in shown
    assert "first choice" not in shown and "second choice" not in shown
    assert not db.exists()
    code, shown = _on_a_terminal(["accounts", "add", "boss", "--db", str(db)],
                                 ["terminal pass 1", "terminal pass 1"], env)
    assert code == 0, shown
    assert "New password for boss" in shown and "terminal pass" not in shown
    code, shown = _on_a_terminal(["accounts", "list", "--db", str(db), "--user", "boss"],
                                 ["terminal pass 1"], env)
    assert code == 0 and "Password for boss:" in shown and "administrator" in shown
    assert "terminal pass" not in shown


# -- nothing secret anywhere ---------------------------------------------------------------------


def test_no_password_hash_or_password_file_content_is_printed_logged_or_audited(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    log = world.folder / "careplan.log"
    monkeypatch.setattr(paths, "log_file", lambda: log)
    new = world.folder / "new"
    new.write_text("the new secret 1\n", encoding="utf-8")
    printed = ""
    db = str(world.db)
    right, wrong = world.right, world.wrong
    for file, new_file, argv in [
            (right, new, ["flags", "--db", db, "--user", "asha"]),
            (wrong, new, ["flags", "--db", db, "--user", "asha"]),
            (wrong, new, ["flags", "--db", db, "--user", "nobody"]),
            (right, new, ["accounts", "list", "--db", db, "--user", "admin", "--json"]),
            (right, new, ["accounts", "list", "--db", db, "--user", "admin"]),
            (right, new, ["accounts", "reset", "sam", "--db", db, "--user", "admin"]),
            (new, right, ["accounts", "passwd", "--db", db, "--user", "sam"]),
            (right, right, ["accounts", "passwd", "--db", db, "--user", "reset.me"]),
            (right, wrong, ["accounts", "passwd", "--db", db, "--user", "reset.me"]),
            (right, new, ["export", "fhir", "--db", db, "--out", str(world.folder / "b.json"),
                          "--user", "asha"]),
            (right, new, ["export", "table", "caseload", "--db", db, "--out",
                          str(world.folder / "c.csv"), "--user", "asha"]),
            (right, new, ["info", "--db", db])]:
        monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(file))
        monkeypatch.setenv("CAREPLAN_NEW_PASSWORD_FILE", str(new_file))
        main(argv)
        out, err = capsys.readouterr()
        printed += out + err
    # A bug while signed in: its traceback goes to the log file.
    monkeypatch.setenv("CAREPLAN_PASSWORD_FILE", str(world.right))
    monkeypatch.setattr(flagdata, "caseload_flags", _broken)
    logger = __import__("logging").getLogger("careplan")
    handlers = list(logger.handlers)
    try:
        assert main(["flags", "--db", db, "--user", "asha"]) == 1
    finally:
        for handler in [h for h in logger.handlers if h not in handlers]:
            logger.removeHandler(handler)
            handler.close()
    out, err = capsys.readouterr()
    printed += out + err
    logged = log.read_text(encoding="utf-8")
    assert "Traceback" in logged and "engine down" in logged
    with Store.open(world.db, create=False) as store:
        hashes = [str(r[0]) for r in store.conn.execute(
            "SELECT password_hash FROM account_secrets")]
        events = json.dumps([(e.before, e.after, e.actor) for e in audit.events(store)])
    secrets = [PASSWORD, "not the password", "the new secret 1", *hashes,
               *(h.split("$")[-1] for h in hashes)]  # the digest alone, too
    for where, text in (("printed", printed), ("logged", logged), ("audited", events)):
        for secret in secrets:
            assert secret not in text, f"{where}: {secret[:12]}..."
    for done in ("Changed the password of sam.", "Changed the password of reset.me.",
                 '"username": "sam"', "Reset the password of sam"):
        assert done in printed


def _broken(*args: object, **kwargs: object) -> list[object]:
    raise RuntimeError("engine down")
