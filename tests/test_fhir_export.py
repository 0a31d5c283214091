"""FHIR R4 export: every resource validates (R4B models and R4 codes), ids and the NHS
number system are right, and export -> import -> export gives the same resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from export_sample import NHS, TODAY, build, prints
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from careplan.export import fhir_codes as fc
from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.store import Store

EXPECTED_TYPES = {"Patient", "Organization", "Practitioner", "PractitionerRole", "CareTeam",
                  "CarePlan", "Goal", "Condition", "Task", "ServiceRequest", "Encounter",
                  "Consent"}


def resources(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    return {(e["resource"]["resourceType"], e["resource"]["id"]): e["resource"]
            for e in bundle["entry"]}


def without_meta(res: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in res.items() if k != "meta"}


@pytest.fixture
def exported(store: Store, tmp_path: Path) -> Path:
    build(store)
    out = tmp_path / "bundle.json"
    export_fhir(store, out, **prints(store), today=TODAY)
    return out


def test_bundle_and_every_resource_validate_as_r4(exported: Path) -> None:
    bundle = json.loads(exported.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    seen = set()
    for entry in bundle["entry"]:
        res = entry["resource"]
        get_fhir_model_class(res["resourceType"]).model_validate(res)
        fc.check_codes(res)
        seen.add(res["resourceType"])
        assert entry["fullUrl"] == f"urn:uuid:{res['id']}"
    assert seen == EXPECTED_TYPES
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_codes_we_rely_on_are_r4_codes(exported: Path) -> None:
    res = resources(exported)
    plan = next(r for (t, _), r in res.items() if t == "CarePlan")
    assert plan["status"] in fc.R4_CODES[("CarePlan", "status")]
    assert {a["detail"]["status"] for a in plan["activity"]} <= fc.R4_CODES[
        ("CarePlan.activity.detail", "status")]
    tasks = [r for (t, _), r in res.items() if t == "Task"]
    assert {t["status"] for t in tasks} == {"accepted", "rejected", "requested", "on-hold"}
    stays = [r for (t, _), r in res.items() if t == "Encounter"]
    assert stays[0]["class"]["code"] == "IMP"
    assert stays[0]["class"]["system"] == "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def test_check_codes_refuses_a_bogus_status() -> None:
    with pytest.raises(ValueError, match="CarePlan.status"):
        fc.check_codes({"resourceType": "CarePlan", "status": "bogus"})
    with pytest.raises(ValueError, match="CarePlan.status"):
        fc.check_codes({"resourceType": "CarePlan", "status": "draft",
                        "activity": [{"detail": {"status": "done"}}]})


def test_patient_carries_the_nhs_number_system(exported: Path) -> None:
    patient = next(r for (t, _), r in resources(exported).items() if t == "Patient")
    assert {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS} in patient["identifier"]


def test_round_trip_gives_the_same_resources(exported: Path, tmp_path: Path) -> None:
    fresh = Store.open(tmp_path / "fresh.db")
    report = import_fhir(fresh, exported)
    assert not report.unresolved and not report.warnings
    again = tmp_path / "again.json"
    export_fhir(fresh, again, **prints(fresh), today=TODAY)
    fresh.close()
    first, second = resources(exported), resources(again)
    assert first.keys() == second.keys()
    for key, res in first.items():
        assert without_meta(res) == without_meta(second[key]), key


def test_one_person_export_is_self_contained(store: Store, tmp_path: Path) -> None:
    sample = build(store)
    other = build(store, nhs="9876543210", given="Ben", family="Other")
    out = tmp_path / "one.json"
    result = export_fhir(store, out, [sample.person.id], **prints(store), today=TODAY)
    assert result.persons == 1
    res = resources(out)
    patients = [r for (t, _), r in res.items() if t == "Patient"]
    assert [p["id"] for p in patients] == [sample.person.id]
    assert ("Patient", other.person.id) not in res
    refs = {f"{t}/{i}" for t, i in res}
    for r in res.values():
        for text in _refs(r):
            assert text in refs, text


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        out = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return out + [x for k, v in value.items() if k != "reference" for x in _refs(v)]
    if isinstance(value, list):
        return [x for v in value for x in _refs(v)]
    return []
