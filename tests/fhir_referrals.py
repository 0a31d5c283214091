"""Small FHIR R4 bundles of a person, the teams around them and a referral, for the import
tests of referral steps (test_fhir_import_referral_steps.py) and of coded conditions
(test_condition_codes.py). The referral's steps use CarePlan's own ``referral-step``
extension (docs/fhir-mapping.md); everything else is plain R4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASE = "https://careplan.example.org/fhir"
NHS = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
ICD_10 = "http://hl7.org/fhir/sid/icd-10"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def local(system: str, code: str) -> dict[str, str]:
    return {"system": f"{BASE}/CodeSystem/{system}", "code": code}


def organization(rid: str, name: str, domain: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Organization", "id": rid, "name": name}
    if domain:
        res["extension"] = [{"url": f"{BASE}/StructureDefinition/care-domain",
                             "valueCoding": local("need-domain", domain)}]
    return res


def patient(rid: str = "p1", nhs: str = "9434765919", family: str = "Ellis",
            given: str = "Jordan", born: str = "1990-04-02") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": rid,
            "identifier": [{"system": NHS, "value": nhs}],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "birthDate": born}


def care_plan(person: str = "p1", created: str = "2025-11-03") -> dict[str, Any]:
    """An active plan: the referral-dispute rule judges people with a plan in force."""
    return {"resourceType": "CarePlan", "id": f"plan-{person}", "status": "active",
            "intent": "plan", "subject": {"reference": f"Patient/{person}"},
            "created": created, "period": {"start": created}}


def condition(rid: str, system: str, code: str, text: str,
              person: str = "p1") -> dict[str, Any]:
    """A Condition coded as a record from another system codes it: no CarePlan coding."""
    return {"resourceType": "Condition", "id": rid,
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                "code": "problem-list-item"}]}],
            "code": {"coding": [{"system": system, "code": code, "display": text}],
                     "text": text},
            "subject": {"reference": f"Patient/{person}"}}


def service_request(rid: str = "sr1", requester: dict[str, Any] | None = None,
                    sent: str = "2026-01-05", status: str = "active",
                    person: str = "p1", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": rid, "status": status, "intent": "order",
            "code": {"text": "Support for psychosis and learning disability"},
            "subject": {"reference": f"Patient/{person}"}, "authoredOn": sent,
            "requester": requester or {"reference": "Organization/gp"}, **extra}


def step(kind: str, day: str, team: str | None = None, *, to_team: str | None = None,
         reason: str = "", sid: str | None = None, as_lead: bool = False) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"url": "kind", "valueCoding": local("referral-step", kind)},
        {"url": "occurred", "valueDate": day}]
    if team:
        parts.append({"url": "team", "valueReference": {"reference": f"Organization/{team}"}})
    if to_team:
        parts.append({"url": "toTeam",
                      "valueReference": {"reference": f"Organization/{to_team}"}})
    if reason:
        parts.append({"url": "reason", "valueString": reason})
    if as_lead:
        parts.append({"url": "asLead", "valueBoolean": True})
    out: dict[str, Any] = {"url": f"{BASE}/StructureDefinition/referral-step",
                           "extension": parts}
    if sid:
        out["id"] = sid
    return out


def task(steps: list[dict[str, Any]], status: str = "requested", request: str = "sr1",
         rid: str = "t1", **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Task", "id": rid, "status": status,
                           "intent": "order", "focus": {"reference": f"ServiceRequest/{request}"},
                           "for": {"reference": "Patient/p1"}, **extra}
    if steps:
        res["extension"] = steps
    return res


def teams() -> list[dict[str, Any]]:
    """The referring practice and two specialist teams, mental health and learning
    disability (each team's care domain is what makes a dispute between them a
    dual-diagnosis one)."""
    return [organization("gp", "Canal Street Surgery"),
            organization("cmht", "Riverside Community Mental Health Team", "mental-health"),
            organization("ldt", "Northbridge Learning Disability Team", "learning-disability")]


def bounced(request: str = "sr1") -> dict[str, Any]:
    """A referral sent to the mental health team, declined by it and by the learning
    disability team on the same two days, no team taking the lead."""
    return task([step("sent", "2026-01-05", "cmht"),
                 step("declined", "2026-01-09", "cmht", reason="Primary need is the LD"),
                 step("sent", "2026-01-09", "ldt"),
                 step("declined", "2026-01-16", "ldt", reason="Psychosis is for the CMHT")],
                request=request)


def bundle(*resources: dict[str, Any], urns: bool = False) -> dict[str, Any]:
    """A collection Bundle; with ``urns`` each entry's fullUrl is ``urn:uuid:<id>`` (the
    resources' ids must then be UUIDs), as UK Core and PDS bundles write them."""
    entries = []
    for r in resources:
        entry: dict[str, Any] = {"resource": r}
        if urns:
            entry["fullUrl"] = f"urn:uuid:{r['id']}"
        entries.append(entry)
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def write(folder: Path, doc: dict[str, Any], name: str = "bundle.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path
