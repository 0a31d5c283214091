"""A clone needs nothing beside it: the fixtures the tests read (FHIR material from
others, NHS number vectors) are in tests/fixtures, with their origins and licences in
tests/fixtures/SOURCES.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.checkout_copy import ROOT, copy_tracked, tracked_files

FIXTURES = ROOT / "tests" / "fixtures"


def test_no_test_reads_files_beside_the_checkout() -> None:
    """No test climbs out of the checkout (two parents up from tests/) or names the old
    shared folder beside it."""
    offenders = [p.name for p in sorted((ROOT / "tests").glob("*.py"))
                 if re.search(r"parents\[[2-9]\]|\"shared\" / \"fixtures\"",
                              p.read_text(encoding="utf-8"))]
    assert not offenders


def test_every_fixture_is_tracked_and_named_in_sources() -> None:
    """Each fixture is in the repository and SOURCES.md names where it came from."""
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*")
                   if p.is_file() and p.name != "SOURCES.md")
    assert len(files) >= 94
    tracked = set(tracked_files())
    assert not [f for f in files if f"tests/fixtures/{f}" not in tracked]
    # The FHIR tables give paths below fhir/ (hl7/Patient-f201.json).
    unnamed = [f for f in files if f.removeprefix("fhir/") not in sources]
    assert not unnamed


def test_a_clone_with_nothing_beside_it_runs_the_fixture_tests(tmp_path: Path) -> None:
    clone = copy_tracked(tmp_path / "alone" / "careplan")
    assert not (tmp_path / "shared").exists() and not (tmp_path / "alone" / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_nhs_numbers.py", "tests/test_fhir_import.py", "-k",
         "fixture or modulus_11 or section_b or spelling_vectors or cross_reference or synthea"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    passed = int(re.search(r"(\d+) passed", run.stdout).group(1))  # type: ignore[union-attr]
    assert passed >= 95  # 94 fixtures imported or refused, and the rest
