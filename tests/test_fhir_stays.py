"""A hospital stay's admission method and Mental Health Act section in FHIR R4: exported
as Encounter.priority (v3 ActPriority EM/EL) and local extensions; imported from our
extensions, UK Core's AdmissionMethod extension (NHS Data Dictionary codes: 1x elective,
2x emergency) or the priority; and what an imported stay raises."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from export_sample import share_with_reader
from fhir.resources.R4B.encounter import Encounter
from fhir_referrals import bundle, patient, teams, write

from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.models import HospitalStay
from careplan.models.flags import FlagCode
from careplan.models.health import AdmissionMethod, MhaSection
from careplan.store import Store, find
from careplan.store.flagdata import caseload_flags

UKCORE = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod"
UKCORE_CODES = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland"


def stay(rid: str, start: str, end: str | None = None, **more: Any) -> dict[str, Any]:
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "Encounter", "id": rid,
            "status": "finished" if end else "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "IMP"},
            "subject": {"reference": "Patient/p1"},
            "serviceProvider": {"reference": "Organization/gp"}, "period": period, **more}


def uk_core(code: str) -> dict[str, Any]:
    return {"hospitalization": {"extension": [{"url": UKCORE, "valueCodeableConcept": {
        "coding": [{"system": UKCORE_CODES, "code": code}]}}]}}


def priority(code: str) -> dict[str, Any]:
    return {"priority": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": code}]}}


@pytest.mark.parametrize(("more", "method"), [
    (uk_core("13"), AdmissionMethod.ELECTIVE),   # UK Core's example: planned
    (uk_core("21"), AdmissionMethod.EMERGENCY),  # through A&E
    (uk_core("2A"), AdmissionMethod.EMERGENCY),
    (uk_core("81"), AdmissionMethod.OTHER),      # a transfer that was not an emergency
    (priority("EM"), AdmissionMethod.EMERGENCY),
    (priority("EL"), AdmissionMethod.ELECTIVE),
    (priority("R"), None),
    ({}, None),
])
def test_the_admission_method_is_read_from_uk_core_or_the_priority(
        store: Store, tmp_path: Path, more: dict[str, Any], method: AdmissionMethod | None
) -> None:
    Encounter.model_validate(stay("e1", "2025-02-01", "2025-02-10", **more))
    import_fhir(store, write(tmp_path, bundle(*teams(), patient(),
                                              stay("e1", "2025-02-01", "2025-02-10", **more))))
    assert [s.admission_method for s in find(store, HospitalStay)] == [method]


def test_an_imported_readmission_is_flagged(store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(
        *teams(), patient(), stay("e1", "2025-02-01", "2025-02-10", **priority("EL")),
        stay("e2", "2025-02-20", None, **uk_core("21")))))
    flags = [f for f in caseload_flags(store, date(2025, 2, 21))
             if f.code is FlagCode.READMITTED_30_DAYS]
    assert [f.evidence["days_after_discharge"] for f in flags] == [10]


def test_export_writes_the_priority_and_the_section_and_reads_them_back(
        store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(*teams(), patient(), stay(
        "e1", "2025-02-01", "2025-02-10", **priority("EM")))))
    first = find(store, HospitalStay)[0]
    from careplan.store import update

    update(store, first.evolve(mha_section=MhaSection.SECTION_45A), "test")
    out = tmp_path / "out.json"
    reader = share_with_reader(store, every_agency=True)
    reader.pop("professional_id")
    export_fhir(store, out, **reader, today=date(2026, 1, 20))
    encounter = next(e["resource"] for e in json.loads(out.read_text())["entry"]
                     if e["resource"]["resourceType"] == "Encounter")
    assert encounter["priority"]["coding"][0]["code"] == "EM"
    section = next(x for x in encounter["extension"]
                   if x["url"].endswith("/mental-health-act-section"))
    assert section["valueCoding"]["code"] == "section-45a"
    fresh = Store.open(tmp_path / "fresh.db")
    import_fhir(fresh, out)
    again = find(fresh, HospitalStay)[0]
    assert (again.admission_method, again.mha_section) == (
        AdmissionMethod.EMERGENCY, MhaSection.SECTION_45A)
    fresh.close()
