"""The README's sharing walk-through, run as written: two demo laptops exchange a change
pack, a conflict opens and is decided, and both sync through a team server (a real
PostgreSQL) which carries the decision back. The commands below are the README's, word
for word, run by bash in an empty folder; only the server's DSN differs (the README's
``dbname=team`` is a local server; here the test's server, its password in PGPASSFILE)
and ``careplan`` is this checkout's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from careplan.store.replication import open_conflicts, version_vector
from tests import pg_server as pg
from tests.pg_server import PgServer
from tests.sharing import content
from tests.signin import open_demo

#: The README's walk-through, step by step (the text between the steps is the README's).
PACKS = """
careplan demo --db office.db --persons 30
export CAREPLAN_PASSWORD_FILE=$PWD/demo-password
echo careplan-demo > demo-password
careplan share copy --db office.db --out laptop.db --name Laptop --user admin
careplan share id --db office.db --name Office --user admin > office.id
careplan share id --db laptop.db --user admin > laptop.id
careplan share trust "$(cat laptop.id)" --db office.db --user admin
careplan share trust "$(cat office.id)" --db laptop.db --user admin
careplan rules --set discharge.warning_days=2 --db office.db --user admin
careplan rules --set discharge.warning_days=3 --db laptop.db --user admin
careplan share export --db laptop.db --user admin --for Office --out laptop.cpk
careplan share import laptop.cpk --db office.db --user admin
careplan share conflicts --db office.db --user admin
"""

RESOLVE = """
export CAREPLAN_PASSWORD_FILE=$PWD/demo-password
careplan share resolve CONFLICT --keep CHANGE --db office.db --user admin
"""

SERVER = """
export CAREPLAN_PASSWORD_FILE=$PWD/demo-password
careplan server init --dsn "dbname=team"
careplan share server "dbname=team" --db office.db --user admin
careplan share server "dbname=team" --db laptop.db --user admin
careplan share sync --db office.db --user admin
careplan share sync --db laptop.db --user admin
careplan rules --db laptop.db --user admin | grep warning_days
careplan share conflicts --db laptop.db --user admin
careplan share sync --db office.db --user admin
"""


def _run(script: str, folder: Path, dsn: str = "") -> str:
    """Run the steps in bash, ``careplan`` being this checkout's; stop at the first
    failing step. Returns what they printed."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    launcher = bin_dir / "careplan"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m careplan "$@"\n')
    launcher.chmod(0o755)
    if dsn:
        script = script.replace("dbname=team", dsn)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               QT_QPA_PLATFORM="offscreen")
    env.pop("CAREPLAN_PASSWORD_FILE", None)
    done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def server_dsn(pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new database on the test's server; its owner's DSN, the password in PGPASSFILE
    (as a laptop's would be in ~/.pgpass)."""
    db = pg_server.new_database()
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_server.port}:{db}:{pg.ADMIN}:{pg.ADMIN_PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    return f"host=127.0.0.1 port={pg_server.port} dbname={db} user={pg.ADMIN}"


def test_the_readme_walk_through(tmp_path: Path, server_dsn: str) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    out = _run(PACKS, folder)
    assert "This store now trusts Laptop" in out and "This store now trusts Office" in out
    assert "1 conflict opened" in out
    # The conflict's id and the change to keep, as `share conflicts` prints them.
    keep = re.search(r"conflict (\w+): keep “2” .* with --keep (\S+)", out)
    assert keep is not None, out
    out = _run(RESOLVE.replace("CONFLICT", keep[1]).replace("CHANGE", keep[2]), folder)
    assert "0 conflicts still open here" in out
    with open_demo(folder / "laptop.db") as laptop, open_demo(folder / "office.db") as office:
        assert version_vector(laptop) != version_vector(office)  # it has not heard yet
    out = _run(SERVER, folder, server_dsn)
    assert re.search(r"discharge\.warning_days\s+2\s+1", out), out  # the office's value won
    assert "No conflict is waiting for a decision." in out
    with open_demo(folder / "office.db") as office, open_demo(folder / "laptop.db") as laptop:
        assert content(office) == content(laptop)
        assert open_conflicts(office) == open_conflicts(laptop) == []


def test_the_walk_through_commands_are_the_readmes() -> None:
    """The steps above are kept in the README (once it carries the walk-through): every
    line of them appears there as written."""
    readme = Path(__file__).resolve().parents[1] / "README.md"
    text = readme.read_text(encoding="utf-8")
    if "careplan share copy" not in text:
        pytest.skip("the README does not carry the sharing walk-through yet")
    steps = [line for script in (PACKS, SERVER) for line in script.strip().splitlines()]
    missing = [line for line in steps if line not in text]
    assert not missing, missing
