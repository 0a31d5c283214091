"""FHIR R4 import: real material from others imports or is refused in one sentence; bad
input never changes the store; NHS numbers failing Modulus 11 are kept and reported."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from export_sample import TODAY, build, prints
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir, import_read
from careplan.export.fhir_read import ImportRefused, read_document
from careplan.models import Person
from careplan.store import Store, find

# Material from others, in the repository (tests/fixtures/SOURCES.md names each file's origin).
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fhir"
ALL_FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
JSON_FILES = [p for p in ALL_FILES if p.suffix == ".json"]


def digest(store: Store) -> str:
    """A hash of every row of every table: equal digests mean an unchanged store."""
    h = hashlib.sha256()
    for table in sorted(store.table_counts()):
        for row in store.query(f'SELECT * FROM "{table}" ORDER BY 1'):
            h.update(json.dumps(row, sort_keys=True, default=str).encode())
    return h.hexdigest()


def write(tmp_path: Path, doc: Any, name: str = "in.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def patient(nhs: str | None = "9434765919", rid: str = "p1", **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": rid,
                           "name": [{"family": "Khan", "given": ["Aisha"]}],
                           "birthDate": "1988-07-14", **extra}
    if nhs:
        res["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}]
    return res


def test_fixtures_are_present() -> None:
    assert len(JSON_FILES) >= 50, FIXTURES


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_fixture_imports_or_is_refused_in_one_sentence(path: Path, store: Store) -> None:
    before = digest(store)
    try:
        report = import_fhir(store, path)
    except ImportRefused as exc:
        text = str(exc)
        assert text.endswith(".") and "\n" not in text and "Traceback" not in text
        assert digest(store) == before
        return
    assert path.suffix == ".json"
    assert sum(report.imported.values()) + sum(report.skipped.values()) + len(
        report.warnings) > 0


def test_synthea_bundle_maps_person_plans_and_conditions(store: Store) -> None:
    path = next(p for p in JSON_FILES if p.name.startswith("iris-Frankie174"))
    report = import_fhir(store, path)
    assert report.imported["person"] == 1
    assert report.imported["care plan"] == 2
    assert report.imported["outcome"] == 2
    assert report.skipped["Claim"] > 0 and report.skipped["Observation"] > 0


def test_hl7_examples_cross_reference_across_files(store: Store) -> None:
    import_fhir(store, FIXTURES / "hl7" / "Patient-f201.json")
    report = import_fhir(store, FIXTURES / "hl7" / "CarePlan-f201.json")
    assert report.imported["care plan"] == 1
    assert report.unresolved  # its practitioners and organisations are not loaded


def test_importing_twice_adds_nothing_the_second_time(store: Store, tmp_path: Path) -> None:
    source = Store.open(":memory:")
    build(source)
    out = tmp_path / "b.json"
    export_fhir(source, out, **prints(source), today=TODAY)
    import_fhir(store, out)
    before = digest(store)
    report = import_fhir(store, out)
    assert not report.imported and report.already
    assert digest(store) == before


@pytest.mark.parametrize("text,needle", [
    ('{"resourceType": "Patient", "id": "x", "birthDate": "1990-01-', "not valid JSON"),
    ('{"resourceType": "Bundle", "type": "collection", "entry": [', "not valid JSON"),
    ("", "is empty"),
    ("<Patient xmlns='http://hl7.org/fhir'/>", "is XML"),
    ("[1, 2, 3]", "expected a JSON object"),
    ('{"id": "x"}', "'resourceType' is missing"),
    ('{"resourceType": "Patientt", "id": "x"}', "'Patientt' is not a FHIR R4 resource"),
    ('{"resourceType": "Bundle", "type": "message", "entry": []}', "'message'"),
])
def test_malformed_input_is_refused(store: Store, tmp_path: Path, text: str,
                                    needle: str) -> None:
    before = digest(store)
    with pytest.raises(ImportRefused, match=needle):
        import_fhir(store, write(tmp_path, text))
    assert digest(store) == before


def test_stu3_is_refused_naming_resource_and_field(store: Store, tmp_path: Path) -> None:
    stu3 = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
            "code": {"text": "Asthma"}, "assertedDate": "2018-01-01"}
    with pytest.raises(ImportRefused, match=r"Condition/c1.*assertedDate.*STU3"):
        import_fhir(store, write(tmp_path, stu3))
    care_connect = patient(meta={"profile": [
        "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1"]})
    with pytest.raises(ImportRefused, match=r"Patient/p1: meta.profile"):
        import_fhir(store, write(tmp_path, care_connect))
    assert find(store, Person) == []


def test_structural_error_names_the_field(store: Store, tmp_path: Path) -> None:
    bad = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": patient()}, {"resource": patient(rid="p2", birthDate="14/07/1988")}]}
    with pytest.raises(ImportRefused, match=r"entry 2 \(Patient/p2\).*'birthDate'"):
        import_fhir(store, write(tmp_path, bad))
    assert find(store, Person) == []  # the good first entry was not written either


def test_invalid_nhs_number_is_kept_unverified_and_reported(store: Store,
                                                            tmp_path: Path) -> None:
    report = import_fhir(store, write(tmp_path, patient("9434765918")))
    (person,) = find(store, Person)
    assert person.nhs_number is None
    assert person.local_authority_id == "unverified NHS number 9434765918"
    assert any("9434765918" in w and "Modulus 11" in w for w in report.warnings)


def test_unresolved_reference_is_reported_not_fatal(store: Store, tmp_path: Path) -> None:
    doc = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0b1c", "resource": patient(),
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": {"resourceType": "CarePlan", "id": "cp", "status": "active",
                      "intent": "plan", "subject": {"reference": "urn:uuid:0b1c"},
                      "created": "2024-01-02",
                      "activity": [{"detail": {"status": "scheduled", "description": "Visit",
                                               "performer": [{"reference":
                                                              "Practitioner/missing"}]}}]},
         "request": {"method": "POST", "url": "CarePlan"}}]}
    report = import_fhir(store, write(tmp_path, doc))
    assert report.imported["care plan"] == 1 and report.imported["action"] == 1
    assert any("Practitioner/missing" in u for u in report.unresolved)


def test_fifty_megabyte_bundle(store: Store, tmp_path: Path) -> None:
    filler = "x" * 1000
    entries: list[dict[str, Any]] = [{"resource": patient()}]
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": filler},
           "subject": {"reference": "Patient/p1"}}
    entries += [{"resource": {**obs, "id": f"o{i}"}} for i in range(48_000)]
    path = write(tmp_path, {"resourceType": "Bundle", "type": "searchset", "entry": entries})
    assert path.stat().st_size > 50_000_000
    report = import_fhir(store, path)
    assert report.imported["person"] == 1
    assert report.skipped["Observation"] == 48_000


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["resourceType", "id", "type", "entry", "resource", "birthDate",
                         "name", "identifier", "subject", "status", "reference", "x"]),
        inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(junk=JSONISH, wrap=st.sampled_from(["raw", "bundle", "patient"]))
def test_junk_never_changes_the_store(junk: Any, wrap: str) -> None:
    store = Store.open(":memory:")
    import_fhir(store, _tmp_json({"resourceType": "Patient", "id": "seed",
                                  "name": [{"family": "Seed", "given": ["S"]}],
                                  "birthDate": "1970-01-01"}))
    before = digest(store)
    rows_before = rows(store)
    if wrap == "bundle":
        doc: Any = {"resourceType": "Bundle", "type": "collection",
                    "entry": [{"resource": patient(rid="new")}, {"resource": junk}]}
    elif wrap == "patient":
        doc = {**patient(rid="new2"), "name": junk}
    else:
        doc = junk
    try:
        read = read_document(doc)
    except ImportRefused:
        assert digest(store) == before
        return
    try:
        import_read(store, read)
    except ImportRefused:
        assert digest(store) == before
        return
    # Accepted (the junk was ignorable): rows stored before are all still as they were.
    after = rows(store)
    for key, row in rows_before.items():
        assert after[key] == row, key


def rows(store: Store) -> dict[tuple[str, Any], str]:
    """Every row by table and first column; not the audit log's chain heads, which move
    on with every event (an accepted import's too)."""
    out = {}
    for table in store.table_counts():
        if table == "audit_heads":
            continue
        for row in store.query(f'SELECT * FROM "{table}"'):
            out[(table, next(iter(row.values())))] = json.dumps(row, sort_keys=True,
                                                                default=bytes.hex)
    return out


def _tmp_json(doc: Any) -> Path:
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    Path(name).write_text(json.dumps(doc), encoding="utf-8")
    return Path(name)
