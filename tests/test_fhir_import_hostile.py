"""Hostile FHIR files: each is refused through the CLI with exit status 2 and one line
naming what is wrong and where (entry, resource id, field or line and column), and the
store's content is unchanged. None ends in a traceback (RecursionError, ValueError).

Legitimate shapes that look alike (references that form a cycle through resources the
importer does not follow, a byte order mark, the same resource twice) still import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from signin import digest_without_sign_ins

from careplan.cli import main
from careplan.export.fhir_import import import_fhir
from careplan.models import Person
from careplan.store import Store, find

Doc = str | bytes


def patient(rid: str = "p1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": rid, "name": [{"family": "Khan", "given": ["A"]}],
            "birthDate": "1988-07-14", **extra}


def bundle(*resources: dict[str, Any], urls: list[str] | None = None) -> str:
    entries = [{"fullUrl": urls[i] if urls else f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
                "resource": r} for i, r in enumerate(resources)]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def role(rid: str, practitioner: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "PractitionerRole", "id": rid,
            "practitioner": {"reference": practitioner}, **extra}


def team(member: str) -> dict[str, Any]:
    return {"resourceType": "CareTeam", "id": "ct", "subject": {"reference": "Patient/p1"},
            "period": {"start": "2024-01-01"}, "participant": [{"member": {"reference": member}}]}


UUID = "6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60"
OURS = "https://careplan.example.org/fhir/StructureDefinition/"
DOCTOR = {"resourceType": "Practitioner", "id": "d1", "name": [{"text": "Dr Okafor"}]}


def nested_extensions(levels: int) -> str:
    """A Patient whose extension holds an extension ``levels`` deep (built as text:
    json.dumps itself recurses)."""
    inner = ('{"url":"http://example.org/e","extension":[' * levels
             + '{"url":"http://example.org/e","valueString":"leaf"}' + "]}" * levels)
    return ('{"resourceType":"Bundle","type":"collection","entry":[{"resource":'
            + json.dumps(patient())[:-1] + ',"extension":[' + inner + "]}}]}")


def nested(levels: int, opening: str, closing: str) -> str:
    return ('{"resourceType":"Bundle","type":"collection","entry":[{"resource":'
            + json.dumps(patient())[:-1] + ',"x":' + opening * levels + "1" * (opening == '{"a":')
            + closing * levels + "}}]}")


def contained_self() -> str:
    plan = {"resourceType": "CarePlan", "id": "cp", "status": "active", "intent": "plan",
            "subject": {"reference": "Patient/p1"}, "created": "2024-01-01",
            "contained": [role("r", "#r")],
            "activity": [{"detail": {"status": "scheduled", "description": "Visit",
                                     "performer": [{"reference": "#r"}]}}]}
    return bundle(patient(), plan)


#: name -> (the file, words the one-line refusal must contain)
HOSTILE: dict[str, tuple[Callable[[], Doc], str]] = {
    "role refers to itself": (
        lambda: bundle(DOCTOR, role("r1", "PractitionerRole/r1")),
        "Bundle entry 2 (PractitionerRole/r1): field 'practitioner' refers to the resource "
        "itself"),
    "role refers to its own fullUrl, used by a care team": (
        lambda: bundle(patient(), role("r2", "urn:uuid:00000000-0000-4000-8000-000000000001"),
                       team("PractitionerRole/r2")),
        "Bundle entry 2 (PractitionerRole/r2): field 'practitioner' refers to the resource "
        "itself"),
    "role's organization is itself": (
        lambda: bundle(DOCTOR, role("r3", "Practitioner/d1",
                                    organization={"reference": "PractitionerRole/r3"})),
        "(PractitionerRole/r3): field 'organization' refers to the resource itself"),
    "two roles refer to each other": (
        lambda: bundle(patient(), role("ra", "PractitionerRole/rb"),
                       role("rb", "PractitionerRole/ra"), team("PractitionerRole/ra")),
        "(PractitionerRole/r"),
    "contained role refers to itself": (
        contained_self, "Bundle entry 2 (CarePlan/cp) contained 'r': field 'practitioner' "
        "refers to the resource itself"),
    "care plan's subject is itself": (
        lambda: bundle({"resourceType": "CarePlan", "id": "cp", "status": "active",
                        "intent": "plan", "subject": {"reference": "CarePlan/cp"},
                        "created": "2024-01-01"}),
        "Bundle entry 1 (CarePlan/cp): field 'subject' refers to the resource itself"),
    "250 nested extensions": (
        lambda: nested_extensions(250),
        "Bundle entry 1 (Patient/p1): field 'extension' nests more than 64 levels deep"),
    "10,000 nested extensions": (
        lambda: nested_extensions(10_000), "nests JSON more than 500 levels deep (line 1"),
    "100 nested arrays in a patient": (
        lambda: nested(100, "[", "]"), "Bundle entry 1 (Patient/p1): field 'x' nests"),
    "100,000 nested arrays": (lambda: nested(100_000, "[", "]"), "levels deep (line 1"),
    "10,000 nested objects": (lambda: nested(10_000, '{"a":', "}"), "levels deep (line 1"),
    "two entries with one fullUrl": (
        lambda: bundle(patient("p1"), patient("p2"), urls=["urn:uuid:1"] * 2),
        "Bundle entry 1 (Patient/p1) and Bundle entry 2 (Patient/p2) have the same fullUrl"),
    "two different patients with one id": (
        lambda: bundle(patient("p1"), patient("p1", birthDate="1950-01-01")),
        "Bundle entry 1 (Patient/p1) and Bundle entry 2 (Patient/p1) are two different "
        "resources called 'Patient/p1'"),
    "two contained resources with one id": (
        lambda: bundle(patient(contained=[{"resourceType": "Organization", "id": "o"},
                                          {"resourceType": "Organization", "id": "o",
                                           "name": "Other"}])),
        "are two different contained resources called 'Patient/p1#o'"),
    "an id of 50 MB": (
        lambda: bundle(patient("a" * 50_000_000)),
        "field 'id' is 50,000,000 characters long"),
    "an id with path characters": (
        lambda: bundle(patient("../../etc/passwd")), "(Patient/../../etc/passwd): field 'id'"),
    "a bundle that is a JSON array": (lambda: json.dumps([patient()]), "found an array"),
    "a bundle that is a JSON string": (lambda: '"Bundle"', "found a string"),
    "NaN": (lambda: bundle(patient()).replace('"1988-07-14"', '"1988-07-14", "x": NaN'),
            "NaN (line 1, column"),
    "-Infinity": (lambda: bundle(patient(extension=[{"url": "http://example.org/e",
                                                     "valueDecimal": 1.5}])).replace(
        "1.5", "-Infinity"), "-Infinity (line 1, column"),
    "a number of 5,000 digits": (
        lambda: json.dumps(patient())[:-1] + ', "multipleBirthInteger": ' + "9" * 5000 + "}",
        "holds a number thousands of digits long (line 1, column"),
    "invalid UTF-8": (lambda: bundle(patient()).encode().replace(b"Khan", b"K\xffhan"),
                      "is not UTF-8 text (byte"),
    "UTF-16": (lambda: bundle(patient()).encode("utf-16"), "is not UTF-8 text"),
    "a patient and an organisation with one UUID": (
        lambda: bundle({"resourceType": "Organization", "id": UUID, "name": "Practice"},
                       patient(UUID)),
        f"Bundle entry 2 (Patient/{UUID}): its id is already the id of an agency in the file"),
    "a resourceType that is a number": (
        lambda: bundle({"resourceType": 5}), "Bundle entry 1: field 'resourceType' is a number"),
    "a data type as a resource": (
        lambda: bundle({"resourceType": "Extension", "url": "http://example.org/e"}),
        "Bundle entry 1: resourceType 'Extension' is not a FHIR R4 resource"),
}


#: ``--user`` of the store's administrator (set by the ``db`` fixture).
USER: list[str] = []


@pytest.fixture
def db(tmp_path: Path, signed_in: Callable[..., list[str]]) -> Path:
    """A store file holding one person already, and its administrator, signed in."""
    path = tmp_path / "store.db"
    seed = tmp_path / "seed.json"
    seed.write_text(bundle(patient("seed")), encoding="utf-8")
    with Store.open(path) as store:
        import_fhir(store, seed)
    USER[:] = signed_in(path)
    return path


def digest(path: Path) -> str:
    """The store's content; a refused import records its sign-in and nothing else."""
    with Store.open(path, create=False) as store:
        return digest_without_sign_ins(store)


def run_import(tmp_path: Path, db: Path, doc: Doc) -> int:
    path = tmp_path / "in.json"
    if isinstance(doc, bytes):
        path.write_bytes(doc)
    else:
        path.write_text(doc, encoding="utf-8")
    return main(["import", "fhir", str(path), "--db", str(db), *USER])


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_in_one_line_and_writes_nothing(
        name: str, db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make, needle = HOSTILE[name]
    before = digest(db)
    status = run_import(tmp_path, db, make())
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("careplan: Not imported: ") and err.endswith(
        ". Nothing was written.\n"), err
    assert needle in err, err
    assert len(err) < 600, "the sentence quotes what is wrong, not all of it"
    assert digest(db) == before


def test_legitimate_cycles_and_duplicates_still_import(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Encounter and Condition refer to each other in real records (Synthea); an
    identical resource given twice (under two fullUrls) names one resource; a byte order
    mark is allowed before JSON. None of these is refused."""
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "urn:uuid:b"},
                 "code": {"text": "Asthma"}, "encounter": {"reference": "Encounter/e1"}}
    encounter = {"resourceType": "Encounter", "id": "e1", "status": "finished",
                 "class": {"code": "AMB"}, "subject": {"reference": "Patient/p1"},
                 "diagnosis": [{"condition": {"reference": "Condition/c1"}}]}
    doc = bundle(patient(), patient(), patient(), condition, encounter,
                 urls=["urn:uuid:a", "urn:uuid:a", "urn:uuid:b", "urn:uuid:c", "urn:uuid:e"])
    assert run_import(tmp_path, db, b"\xef\xbb\xbf" + doc.encode()) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "1 condition, 1 person" in out
    with Store.open(db, create=False) as store:
        assert len(find(store, Person)) == 2


def test_a_reference_of_one_type_to_another_types_uuid_is_unresolved(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A UUID id is kept as the record's id, so ``Organization/<a patient's UUID>`` once
    filled a GP practice with a person's id, and the write failed on SQLite's foreign key
    ("persons: FOREIGN KEY constraint failed", a created store left behind)."""
    other = "7f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f61"
    doc = bundle(patient(UUID), patient(other, generalPractitioner=[
        {"reference": f"Organization/{UUID}"}]))
    assert run_import(tmp_path, db, doc) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Imported: 2 person." in out and f"general practitioner: Organization/{UUID}" in out
    with Store.open(db, create=False) as store:
        assert [p.gp_practice_id for p in find(store, Person) if p.id == other] == [None]


def test_values_the_domain_refuses_in_our_extensions_are_warnings_not_tracebacks(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan sign-off whose version is text, a delay reason that is a number: the record
    they belong to is imported, they are skipped with a warning naming them (as any record
    the domain refuses is), and the rest of the file imports."""
    org = {"resourceType": "Organization", "id": "o1", "name": "Leeds General"}
    plan = {"resourceType": "CarePlan", "id": "cp", "status": "active", "intent": "plan",
            "subject": {"reference": "Patient/p1"}, "created": "2024-01-01",
            "extension": [{"url": OURS + "plan-sign-off", "extension": [
                {"url": "agency", "valueReference": {"reference": "Organization/o1"}},
                {"url": "signedBy", "valueReference": {"reference": "Practitioner/d1"}},
                {"url": "signedAt", "valueDateTime": "2024-01-02T10:00:00Z"},
                {"url": "planVersion", "valueString": "two"}]}]}
    stay = {"resourceType": "Encounter", "id": "e1", "status": "finished",
            "class": {"code": "IMP"}, "subject": {"reference": "Patient/p1"},
            "serviceProvider": {"reference": "Organization/o1"},
            "period": {"start": "2024-01-01"},
            "extension": [{"url": OURS + "discharge-delay-reason", "extension": [
                {"url": "ownerAgency", "valueReference": {"reference": "Organization/o1"}},
                {"url": "recorded", "valueDate": "2024-01-03"},
                {"url": "reason", "valueInteger": 5}]}]}
    assert run_import(tmp_path, db, bundle(patient(), org, DOCTOR, plan, stay)) == 0, \
        capsys.readouterr().err
    out = capsys.readouterr().out
    assert "1 care plan" in out and "1 hospital stay" in out
    assert "CarePlan/cp sign-off not imported: plan version: expected int" in out
    assert "Encounter/e1 delay reason not imported: reason: expected str" in out
