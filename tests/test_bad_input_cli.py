"""Bad input at the command line: random argv for every subcommand.

Every run ends with exit status 0 (done) or 2 (refused, with a sentence), never a
traceback (status 1), and a refused run leaves the store's content as it was.

The arguments are random but drawn from values that cannot reach outside the example's
own folder (no "/" in made-up text): the runs are real, and some write files.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from careplan.cli import build_parser, main
from careplan.store import Store, add
from careplan.store.digest import content_digest
from tests.factories import one_of_each

PATIENT = Path(__file__).resolve().parent / "fixtures" / "fhir" / "hl7" / "Patient-f201.json"


def _commands(parser: argparse.ArgumentParser) -> list[tuple[list[str], list[str]]]:
    """Every runnable subcommand path, with the option strings its parser knows."""
    found: list[tuple[list[str], list[str]]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _commands(sub)
                if nested:
                    found.extend(([name, *path], opts) for path, opts in nested)
                else:
                    opts = [s for a in sub._actions for s in a.option_strings]
                    found.append(([name], opts))
    return found


COMMANDS = _commands(build_parser())
FILES = ["store.db", "backup.db", "notes.txt", "empty.db", "missing.db", "folder",
         "bundle.json", str(PATIENT), ":memory:", "."]
#: Made-up text that stays inside the example's folder when used as a file name.
safe_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"),
                    max_size=12)
value = st.one_of(
    st.sampled_from(FILES),
    safe_text,
    st.integers(-5, 80).map(str),
    st.sampled_from(["2026-11-22", "2026-02-30", "22/11/2026", "0", "-1", "1e3", "caseload",
                     "flags", "handoffs", "json", "Dr Asha Patel", "943 476 5919", "--",
                     "-", "--help"]),
)


def _argv(command: tuple[list[str], list[str]]) -> st.SearchStrategy[list[str]]:
    path, options = command
    option = st.sampled_from([*options, "--db", "--bogus", "-x"])
    token = st.one_of(st.tuples(option, value).map(list), option.map(lambda o: [o]),
                      value.map(lambda v: [v]))
    return st.lists(token, max_size=6).map(lambda parts: path + [t for p in parts for t in p])


argv_strategy = st.sampled_from(COMMANDS).flatmap(_argv)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("cli-pristine")
    with Store.open(folder / "store.db") as store:
        for entity in one_of_each():
            add(store, entity, "setup")
        digest = content_digest(store)
    (folder / "notes.txt").write_text("not a store")
    (folder / "empty.db").write_bytes(b"")
    (folder / "bundle.json").write_text('{"resourceType": "Bundle", "entry": [{}]}')
    (folder / "folder").mkdir()
    shutil.copyfile(folder / "store.db", folder / "backup.db")
    return folder, digest


@contextlib.contextmanager
def _example_folder(pristine: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        work = Path(name) / "work"
        shutil.copytree(pristine, work)
        with contextlib.chdir(work):
            yield work


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage mistake (2)
        return int(exc.code or 0)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=argv_strategy)
def test_random_argv_is_done_or_refused_never_a_traceback(
        argv: list[str], pristine: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    folder, digest = pristine
    with _example_folder(folder) as work:
        capsys.readouterr()
        status = _run(argv)
        err = capsys.readouterr().err
        assert status in (0, 2), f"careplan {' '.join(argv)} -> {status}: {err}"
        assert "Traceback" not in err
        event(f"{argv[0]}: exit {status}")
        if status == 2:
            assert err.strip(), "a refusal says why"
            with Store.open(work / "store.db", create=False) as store:
                assert content_digest(store) == digest, f"refused but changed: {argv}"


def test_every_subcommand_is_fuzzed() -> None:
    names = {path[0] for path, _ in COMMANDS}
    assert {"accounts", "backup", "restore", "info", "demo", "export", "import"} <= names
