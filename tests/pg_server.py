"""A real PostgreSQL server for the tests, on a free loopback port, stopped at the end.

Debian's ``postgresql`` package (installed by ``make test``'s bootstrap through
``scripts/sysdeps.sh --test``) provides the programs in /usr/lib/postgresql/<version>/bin;
they are run as the ``postgres`` user when the tests run as root (PostgreSQL refuses
to run as root). Sign-ins use passwords (scram-sha-256), as a real team server would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ADMIN = "careplan_admin"
ADMIN_PASSWORD = "admin-" + uuid.uuid4().hex


def bin_dir() -> Path:
    """Where Debian keeps the server's programs (the newest version installed)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError("PostgreSQL's server programs were not found; `make test` installs "
                       "Debian's postgresql package (scripts/sysdeps.sh --test).")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """One server: ``admin_dsn(db)`` for the owner, ``add_client`` for laptops."""

    folder: Path
    port: int = field(default_factory=_free_port)
    _as_postgres: list[str] = field(default_factory=list)

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_postgres, *args], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()}")

    def start(self) -> PgServer:
        if os.geteuid() == 0:
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        data = self.folder / "data"
        self.folder.mkdir(parents=True, exist_ok=True)
        pwfile = self.folder / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if self._as_postgres:
            shutil.chown(self.folder, "postgres")
            shutil.chown(pwfile, "postgres")
        tools = bin_dir()
        self._run(str(tools / "initdb"), "-D", str(data), "-U", ADMIN, "--pwfile", str(pwfile),
                  "--auth=scram-sha-256", "-E", "UTF8", "--locale=C")
        pwfile.unlink()
        self._run(str(tools / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.folder / "log"),
                  "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 "
                        f"-k {self.folder} -c fsync=off", "start")
        return self

    def stop(self) -> None:
        self._run(str(bin_dir() / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast",
                  "-w", "stop")

    def dsn(self, user: str, password: str, dbname: str) -> str:
        return (f"host=127.0.0.1 port={self.port} dbname={dbname} user={user} "
                f"password={password}")

    def new_database(self) -> str:
        """A fresh, empty database; its name."""
        name = "team_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn(ADMIN, ADMIN_PASSWORD, "postgres"),
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def admin_dsn(self, dbname: str) -> str:
        return self.dsn(ADMIN, ADMIN_PASSWORD, dbname)

    def add_client(self, dbname: str, name: str) -> str:
        """A login role for one laptop, a member of the client role; its DSN."""
        password = "client-" + uuid.uuid4().hex
        with psycopg.connect(self.admin_dsn(dbname), autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{name}" LOGIN PASSWORD \'{password}\' '
                         "IN ROLE careplan_client")
            conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO "{name}"')
        return self.dsn(name, password, dbname)

    def add_laptop(self, dbname: str, name: str, passfile: Path) -> str:
        """A client role for one laptop, as a laptop signs in: its DSN without a password,
        the password written to ``passfile`` (a libpq password file: PGPASSFILE)."""
        password = self.add_client(dbname, name).rsplit("password=", 1)[1]
        with passfile.open("a", encoding="utf-8") as out:
            out.write(f"127.0.0.1:{self.port}:{dbname}:{name}:{password}\n")
        passfile.chmod(0o600)
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={name}"
