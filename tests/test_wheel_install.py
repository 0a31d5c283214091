"""A wheel of CarePlan installs into a fresh virtual environment outside the checkout and
works from another folder: ``careplan demo``, ``careplan flags``, a plan PDF, the rules'
thresholds, the first start's demo store and the apt-get hint all read the package's
own data. A wheel whose data file is missing or damaged reports a bug, not a store it
cannot write.

The wheel is built from a copy of the files git tracks (what a clone has), with this
environment's build backend and no download. Installing PySide6 and the other
dependencies from PyPI would take minutes, so the wheel is installed without them
(``--no-deps``) and the new environment reaches this one's packages through a ``.pth``
file naming only its site-packages folder. Python adds a folder named in a ``.pth`` file
to ``sys.path`` without reading the ``.pth`` files inside it, so the checkout's editable
install (a ``.pth`` and a finder there) is not active: the first test proves that
``careplan`` comes from the new environment and that nothing else on ``sys.path`` holds it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from careplan.demo.accounts import DEMO_PASSWORD
from careplan.store.overrides import default_thresholds
from tests.checkout_copy import ROOT, copy_tracked

TODAY = "2026-11-30"
#: The data files the program reads at run time.
#: Signed in as the demo's administrator (its password file is named in the environment).
ADMIN = ("--user", "admin")
#: Stands for the demo's example reader: the administrator sees no one's record.
READER = ("--user", "{reader}")


def _reader(installed: Installed, out: str) -> None:
    """Keep the user name ``careplan demo`` gives as its example of signing in."""
    (installed.work / "reader").write_text(out.rsplit("--user ", 1)[1].split()[0])


def _with_reader(installed: Installed, argv: tuple[str, ...]) -> tuple[str, ...]:
    name = (installed.work / "reader").read_text()
    return tuple(name if a == "{reader}" else a for a in argv)
DATA = ("rules.toml", "demo_names.toml", "condition_codes.toml", "debian-packages.txt",
        "user_guide.html")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    site: Path  # the new environment's site-packages
    work: Path  # the folder the commands run in (no checkout, no source)
    env: dict[str, str]

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.venv / "bin" / program), *args], cwd=self.work,
                              env=self.env, capture_output=True, text=True, timeout=120,
                              check=False)

    def careplan(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("careplan", *args)

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return self.run("python", "-c", code)


def _call(*argv: str | Path) -> None:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}{done.stderr[-4000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    source = copy_tracked(base / "source")
    dist = base / "dist"
    # No build isolation and no index: this environment's setuptools (its test extra asks
    # for the version [build-system] names, which pip checks).
    _call(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--check-build-dependencies", "--no-index", "--quiet", "--wheel-dir", dist, source)
    (wheel,) = dist.glob("careplan-*.whl")
    venv = base / "venv"
    _call(sys.executable, "-m", "venv", "--without-pip", venv)
    _call(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
          "--no-deps", "--no-index", "--quiet", wheel)
    site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    # The dependencies: this environment's site-packages folder, and nothing else.
    (site / "careplan-test-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    work = base / "elsewhere"
    work.mkdir()
    # The demo's administrator signs in with the demo's published password.
    secret = base / "demo-password"
    secret.write_text(DEMO_PASSWORD + "\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "LANG": "C.UTF-8",
           "PYTHONNOUSERSITE": "1", "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(base / "home" / "data"),
           "XDG_STATE_HOME": str(base / "home" / "state"),
           "CAREPLAN_PASSWORD_FILE": str(secret)}
    yield Installed(wheel, venv, site, work, env)


def test_the_wheel_holds_the_data_and_nothing_of_the_checkout(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert {f"careplan/resources/{name}" for name in DATA} <= set(names)
    assert {n.split("/")[0] for n in names} == {"careplan", "careplan-0.1.0.dist-info"}
    assert "careplan/demo/generator.py" in names


def test_careplan_runs_from_the_new_environment_not_the_checkout(installed: Installed) -> None:
    shown = installed.python(
        "import json, sys, careplan, careplan.resources as r, careplan.demo.generator as g\n"
        "print(json.dumps({'careplan': careplan.__file__, 'path': sys.path,\n"
        "                  'resources': str(r.__file__), 'demo': g.__file__}))")
    assert shown.returncode == 0, shown.stderr
    found = json.loads(shown.stdout)
    for key in ("careplan", "resources", "demo"):
        assert Path(found[key]).is_relative_to(installed.site), found[key]
    entries = [Path(p or installed.work).resolve() for p in found["path"]]
    assert ROOT not in entries and installed.work.resolve() in entries  # cwd, not the checkout
    holding = [p for p in entries if (p / "careplan" / "__init__.py").exists()]
    assert holding == [installed.site.resolve()]


def test_demo_flags_rules_and_a_plan_pdf_from_another_folder(installed: Installed) -> None:
    made = installed.careplan("demo", "--db", "x.db", "--persons", "22", "--today", TODAY)
    assert made.returncode == 0, made.stderr
    assert "Demo store x.db: 22 persons" in made.stdout
    _reader(installed, made.stdout)
    reader = _with_reader(installed, READER)
    assert "every demo account's password is careplan-demo" in made.stdout
    shown = installed.careplan("flags", "--db", "x.db", "--today", TODAY, "--json", *reader)
    assert shown.returncode == 0, shown.stderr
    flags = json.loads(shown.stdout)
    assert flags and {"referral-dispute", "discharge-delayed"} <= {f["code"] for f in flags}
    table = installed.careplan("flags", "--db", "x.db", "--today", TODAY, *reader)
    assert table.returncode == 0 and "CRITICAL" in table.stdout
    person = flags[0]
    printed = installed.careplan("export", "plan-pdf", "--db", "x.db", "--nhs",
                                 person["nhs_number"], "--out", "y.pdf", "--today", TODAY,
                                 *reader)
    assert printed.returncode == 0, printed.stderr
    text = "".join(page.extract_text() for page in PdfReader(installed.work / "y.pdf").pages)
    assert person["person_name"] in text
    rules = installed.careplan("rules", "--db", "x.db", "--json", *ADMIN)  # encrypted
    assert rules.returncode == 0, rules.stderr
    assert {r["key"]: r["default"] for r in json.loads(rules.stdout)} == \
        default_thresholds().as_dict()


def test_first_start_and_the_apt_hint_from_the_wheel(installed: Installed) -> None:
    """What ``make run`` does on first start (a demo store at the default place), and the
    hint the app prints when Qt's libraries are missing."""
    done = installed.python(
        "from pathlib import Path\n"
        "from careplan.commands.gui import apt_line, ensure_default_store\n"
        "from datetime import UTC, datetime\n"
        "from careplan.store import Store, keyring\n"
        "ensure_default_store(Path('first/careplan.db'))\n"
        "key = keyring.unlock('first/careplan.db', 'admin', 'careplan-demo', "
        "datetime.now(UTC))\n"
        "with Store.open('first/careplan.db', create=False, key=key) as s:\n"
        "    print(s.conn.execute('SELECT count(*) FROM persons').fetchone()[0])\n"
        "print(apt_line())")
    assert done.returncode == 0, done.stderr
    persons, line = done.stdout.splitlines()
    assert int(persons) == 200
    assert line.startswith("sudo apt-get update && sudo apt-get install --no-install-recommends")
    assert "libxcb-cursor0" in line and "xvfb" in line


@pytest.mark.parametrize("name,content,argv,says", [
    ("demo_names.toml", None, ("demo", "--db", "new.db", "--persons", "22"),
     "is missing from the installed package"),
    ("rules.toml", None, ("flags", "--db", "x.db", "--today", TODAY, *READER),
     "is missing from the installed package"),
    ("rules.toml", "[discharge]\nwarning_days = 3\n", ("rules", "--db", "x.db", *ADMIN),
     "is damaged: rules.toml: missing thresholds transition.planning_age"),
    ("rules.toml", "[discharge\n", ("flags", "--db", "x.db", *READER), "is damaged"),
])
def test_a_missing_or_damaged_data_file_is_reported_as_a_bug(
        installed: Installed, name: str, content: str | None, argv: tuple[str, ...],
        says: str) -> None:
    """Before, a wheel without its data said ``--db: cannot write new.db (No such file or
    directory)``, exit status 2, blaming the store for the package's missing file."""
    if not (installed.work / "x.db").exists():
        made = installed.careplan("demo", "--db", "x.db", "--persons", "22")
        assert made.returncode == 0
        _reader(installed, made.stdout)
    argv = _with_reader(installed, argv)
    data = installed.site / "careplan" / "resources" / name
    kept = data.read_bytes()
    data.unlink()
    if content is not None:
        data.write_text(content, encoding="utf-8")
    try:
        before = sorted(p.name for p in installed.work.iterdir())
        failed = installed.careplan(*argv)
        after = sorted(p.name for p in installed.work.iterdir())
    finally:
        data.write_bytes(kept)
    assert failed.returncode == 1
    assert "cannot write" not in failed.stderr
    assert f"careplan.resources.ResourceError: CarePlan's data file {name} {says}" \
        in failed.stderr
    assert "an unexpected error occurred (a bug)" in failed.stderr
    assert after == before  # nothing written
