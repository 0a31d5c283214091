"""FHIR import of N Patients (10,000, 20,000 and 100,000), each beside a baseline of the
same run: json.loads of the same file plus a plain executemany of N rows into a bare
table. The ratio should stay level as N grows: the import is linear in the bundle.

Each Patient carries an NHS number and names its GP practice by ODS code (as NHS data
does), so both lookups by identifier are exercised; every resource is validated against
FHIR R4B as in real use. Issue: 100,000 Patients took 495 s, growing faster than linear.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.report import Figure, seconds
from careplan.export import fhir_codes as fc
from careplan.export.fhir_import import import_fhir
from careplan.models import nhs
from careplan.store import Store

SIZES = (10_000, 20_000, 100_000)
PRACTICES = 50
WHAT = "FHIR import of N Patients (validated, into an empty store)"
BASELINE = "json.loads of the file + executemany of N plain rows"


def _nhs_numbers() -> Iterator[str]:
    k = 400_000_000
    while True:
        nine = f"{k:09d}"
        k += 1
        check = nhs.check_digit(nine)
        if check is not None:
            yield nine + str(check)


def bundle(persons: int) -> dict[str, Any]:
    """GP practices, then ``persons`` Patients (NHS number, name, address, GP by ODS)."""
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
         "resource": {"resourceType": "Organization", "id": f"gp{n}",
                      "name": f"Practice {n}",
                      "identifier": [{"system": fc.ODS_CODE, "value": f"Y{n:05d}"}]}}
        for n in range(PRACTICES)]
    numbers = _nhs_numbers()
    for n in range(persons):
        rid = f"00000000-0000-4000-9000-{n:012d}"
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": {
            "resourceType": "Patient", "id": rid,
            "identifier": [{"system": fc.NHS_NUMBER, "value": next(numbers)}],
            "name": [{"use": "official", "family": f"Family{n}", "given": ["Given"]}],
            "birthDate": f"{1930 + n % 70}-0{1 + n % 9}-1{n % 10}",
            "address": [{"line": [f"{n} High Street"], "city": "Leeds",
                         "postalCode": "LS1 1AA"}],
            "generalPractitioner": [{"type": "Organization", "identifier": {
                "system": fc.ODS_CODE, "value": f"Y{n % PRACTICES:05d}"}}]}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def baseline(path: Path, db: Path) -> float:
    """json.loads of the file, then one executemany of a row per Patient into a bare
    table with as many columns as ``persons``, in one transaction."""
    def run() -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        conn = sqlite3.connect(db)
        cols = [f"c{i}" for i in range(13)]  # with id, as many as persons has
        conn.execute(f"CREATE TABLE t (id TEXT PRIMARY KEY, {', '.join(cols)})")
        rows = [(e["resource"]["id"], *(str(i) for i in range(13))) for e in doc["entry"]
                if e["resource"]["resourceType"] == "Patient"]
        with conn:
            conn.executemany(f"INSERT INTO t VALUES (?, {', '.join('?' for _ in cols)})", rows)
        conn.close()
    return seconds(run)


def figure(tmp: Path, persons: int) -> Figure:
    path = tmp / f"patients-{persons}.json"
    path.write_text(json.dumps(bundle(persons)), encoding="utf-8")
    base_s = baseline(path, tmp / f"baseline-{persons}.db")
    with Store.open(tmp / f"import-{persons}.db") as store:
        import_s = seconds(lambda: import_fhir(store, path))
        imported = store.table_counts()["persons"]
    assert imported == persons, "every patient must come in"
    print(f"  {persons:>7,} Patients ({path.stat().st_size / 1e6:.0f} MB): import "
          f"{import_s:6.2f} s; baseline {base_s:5.2f} s ({import_s / base_s:4.1f} x); "
          f"{import_s / persons * 1e6:5.0f} us per patient")
    return Figure(WHAT, persons, import_s, "s", base_s, BASELINE)


def main() -> list[Figure]:
    """Run the FHIR import benchmark; print and return the figures."""
    print("FHIR import of N Patients (one run each; growth is read from the ratio)")
    with tempfile.TemporaryDirectory() as folder:
        figures = [figure(Path(folder), persons) for persons in SIZES]
    first = figures[0]
    for f in figures[1:]:
        assert f.persons and first.persons and f.baseline and first.baseline
        scale = first.persons / f.persons
        print(f"  per patient at {f.persons:,} against {first.persons:,}: import "
              f"x{f.value * scale / first.value:.2f}, baseline "
              f"x{f.baseline * scale / first.baseline:.2f} (1.00 is linear; SQLite's "
              "B-trees and a bigger heap add a little per row as N grows)")
    return figures


if __name__ == "__main__":
    main()
