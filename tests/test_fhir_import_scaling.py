"""FHIR import grows linearly with the number of patients.

Not a timed test (the bench times it): it counts the work done per patient, Python calls
and SQL statements, on bundles of 100 and 1,000 patients and asks that it stay the same.
An import that looks every new patient's NHS number or GP practice up by walking through
everything read so far does ten times the work per patient at 1,000 as at 100.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from careplan.export import fhir_codes as fc
from careplan.export.fhir_import import import_read
from careplan.export.fhir_read import ReadResult, read_document
from careplan.models import nhs
from careplan.store import Store

SMALL, LARGE = 100, 1_000
#: Organisations the patients' GP references name by ODS code, not by literal reference:
#: the first half already in the store, the second half in the file with the patients.
PRACTICES = 40
STORED = range(PRACTICES // 2)
IN_FILE = range(PRACTICES // 2, PRACTICES)


def nhs_numbers(start: int) -> Iterator[str]:
    """Valid NHS numbers (Modulus 11), ascending from ``start``."""
    k = start
    while True:
        nine = f"{k:09d}"
        k += 1
        check = nhs.check_digit(nine)
        if check is not None:
            yield nine + str(check)


def bundle(persons: int, first_number: int = 400_000_000, prefix: str = "p",
           practices: range = IN_FILE) -> dict[str, Any]:
    """Practices, then ``persons`` Patients with an NHS number and a GP named by ODS code."""
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
         "resource": {"resourceType": "Organization", "id": f"gp{n}", "name": f"Practice {n}",
                      "identifier": [{"system": fc.ODS_CODE, "value": f"Y{n:05d}"}]}}
        for n in practices]
    numbers = nhs_numbers(first_number)
    for n in range(persons):
        entries.append({"fullUrl": f"urn:{prefix}:{n}", "resource": {
            "resourceType": "Patient", "id": f"{prefix}{n}",
            "identifier": [{"system": fc.NHS_NUMBER, "value": next(numbers)}],
            "name": [{"use": "official", "family": f"Family{n}", "given": ["Given"]}],
            "birthDate": "1950-01-01",
            "address": [{"line": [f"{n} High Street"], "city": "Leeds"}],
            "generalPractitioner": [{"type": "Organization", "identifier": {
                "system": fc.ODS_CODE, "value": f"Y{n % PRACTICES:05d}"}}]}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def counted(store: Store, work: Callable[[], object]) -> tuple[int, int]:
    """(Python and builtin calls, SQL statements) made while ``work`` runs."""
    calls = statements = 0

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    def trace(sql: str) -> None:
        nonlocal statements
        statements += 1

    store.conn.set_trace_callback(trace)
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
        store.conn.set_trace_callback(None)
    return calls, statements


def per_patient(tmp_path: Path, persons: int) -> tuple[float, float]:
    """Work per patient of importing ``persons`` new patients into a store that already
    holds others (so lookups in the store are exercised, not only the file)."""
    with Store.open(tmp_path / f"store-{persons}.db") as store:
        import_read(store, read_document(bundle(50, 300_000_000, "old", STORED)))
        no_gp = "SELECT count(*) AS n FROM persons WHERE gp_practice_id IS NULL"
        before = store.query(no_gp)[0]["n"]
        read: ReadResult = read_document(bundle(persons))
        calls, statements = counted(store, lambda: import_read(store, read))
        assert store.table_counts()["persons"] == 50 + persons
        assert store.query(no_gp)[0]["n"] == before, "each GP practice is found, in the " \
                                                     "file or the store"
    return calls / persons, statements / persons


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[float, float]]:
    tmp = tmp_path_factory.mktemp("scaling")
    return {n: per_patient(tmp, n) for n in (SMALL, LARGE)}


def test_python_calls_per_patient_do_not_grow_with_the_bundle(
        work: dict[int, tuple[float, float]]) -> None:
    small, large = work[SMALL][0], work[LARGE][0]
    assert large <= small * 1.1, f"{small:.0f} calls per patient at {SMALL}, {large:.0f} " \
                                 f"at {LARGE}"


def test_sql_statements_per_patient_do_not_grow_with_the_bundle(
        work: dict[int, tuple[float, float]]) -> None:
    small, large = work[SMALL][1], work[LARGE][1]
    assert large <= small * 1.1, f"{small:.2f} statements per patient at {SMALL}, " \
                                 f"{large:.2f} at {LARGE}"
