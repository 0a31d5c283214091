"""Export persons' records as a FHIR R4 Bundle; each resource validated before writing.

The mapping is documented in docs/fhir-mapping.md. Every resource is checked twice:
structurally with ``fhir.resources`` (its R4B models, the nearest to R4 4.0.1 it has)
and its status codes against the R4 value sets (``fhir_codes.check_codes``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fhir.resources.R4B import get_fhir_model_class

from careplan.export import fhir_codes as fc
from careplan.export import fhir_stays, outfile
from careplan.export.audience import (
    Audience,
    Shared,
    for_audience,
    require_person,
    require_something,
)
from careplan.export.records import Records, load
from careplan.models import (
    Action,
    Agency,
    CarePlan,
    Condition,
    Consent,
    Handoff,
    HospitalStay,
    Need,
    Outcome,
    Person,
    Professional,
    Referral,
)
from careplan.models.condition_codes import ICD_10, is_icd10
from careplan.models.enums import ConsentStatus, LegalBasis, ReferralEventKind
from careplan.models.plan import in_plan_order, needs_met
from careplan.store import Store
from careplan.store.visibility import Viewer

Resource = dict[str, Any]
LONDON = ZoneInfo("Europe/London")
#: Namespace for ids of resources that have no row of their own (a person's CareTeam,
#: a professional's PractitionerRole, a referral's Task): stable, so exports repeat.
_DERIVED = uuid.UUID("6f1c2b7e-3d1a-4c55-9a57-2f4f3c0c9e11")


def derived_id(kind: str, source_id: str) -> str:
    return str(uuid.uuid5(_DERIVED, f"{kind}/{source_id}"))


def fhir_datetime(value: datetime) -> str:
    """FHIR needs a zone on times; times kept without one are read as UK local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.isoformat(timespec="seconds")


def ref(rtype: str, rid: str) -> dict[str, str]:
    return {"reference": f"{rtype}/{rid}"}


def _code(system: str, value: str) -> dict[str, str]:
    return fc.coding(system, fc.slug(value), value)


def _concept(system: str, value: str) -> dict[str, Any]:
    return {"coding": [_code(system, value)]}


def _drop_empty(resource: Resource) -> Resource:
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


# -- shared resources ------------------------------------------------------------------

_ORG_TYPE = {"health": "prov", "voluntary": "cg"}  # the rest are public bodies: govt


def organization(agency: Agency) -> Resource:
    exts = [
        {"url": fc.ext("agency-sector"), "valueCoding": _code(fc.cs("sector"), agency.sector)},
        {"url": fc.ext("client-group"),
         "valueCoding": _code(fc.cs("client-group"), agency.client_group)},
    ]
    if agency.domain is not None:
        exts.append({"url": fc.ext("care-domain"),
                     "valueCoding": _code(fc.cs("need-domain"), agency.domain)})
    if agency.neighbourhood:
        exts.append({"url": fc.ext("neighbourhood"), "valueString": agency.neighbourhood})
    return _drop_empty({
        "resourceType": "Organization",
        "id": agency.id,
        "extension": exts,
        "identifier": [{"system": fc.ODS_CODE, "value": agency.ods_code}]
        if agency.ods_code else [],
        "active": True,
        "type": [{"coding": [
            fc.coding(fc.ORGANIZATION_TYPE, _ORG_TYPE.get(agency.sector.value, "govt")),
            _code(fc.cs("agency-kind"), agency.kind),
        ]}],
        "name": agency.name,
    })


def practitioner(prof: Professional) -> Resource:
    telecom = []
    if prof.email:
        telecom.append({"system": "email", "value": prof.email, "use": "work"})
    if prof.phone:
        telecom.append({"system": "phone", "value": prof.phone, "use": "work"})
    return _drop_empty({
        "resourceType": "Practitioner",
        "id": prof.id,
        "active": True,
        "name": [{"text": prof.name}],
        "telecom": telecom,
    })


def practitioner_role(prof: Professional) -> Resource:
    return {
        "resourceType": "PractitionerRole",
        "id": derived_id("PractitionerRole", prof.id),
        "active": True,
        "practitioner": ref("Practitioner", prof.id),
        "organization": ref("Organization", prof.agency_id),
        "code": [_concept(fc.cs("role"), prof.role)],
    }


# -- the person's own resources --------------------------------------------------------

def patient(person: Person) -> Resource:
    identifiers = []
    if person.nhs_number:
        identifiers.append({"system": fc.NHS_NUMBER, "value": person.nhs_number})
    if person.local_authority_id.startswith(fc.UNVERIFIED_NHS_PREFIX):
        identifiers.append({"system": fc.UNVERIFIED_NHS_NUMBER,
                            "value": person.local_authority_id[len(fc.UNVERIFIED_NHS_PREFIX):]})
    elif person.local_authority_id:
        identifiers.append({"system": fc.LOCAL_AUTHORITY_ID,
                            "value": person.local_authority_id})
    exts = []
    if person.what_matters:
        exts.append({"url": fc.ext("what-matters-to-me"), "valueString": person.what_matters})
    if person.neighbourhood:
        exts.append({"url": fc.ext("neighbourhood"), "valueString": person.neighbourhood})
    return _drop_empty({
        "resourceType": "Patient",
        "id": person.id,
        "extension": exts,
        "identifier": identifiers,
        "name": [{"use": "official", "family": person.family_name,
                  "given": [person.given_name]}],
        "birthDate": person.birth_date.isoformat(),
        "address": [{"text": person.address}] if person.address else [],
        "generalPractitioner": [ref("Organization", person.gp_practice_id)]
        if person.gp_practice_id else [],
    })


def care_team(person: Person, rec: Records) -> Resource | None:
    members = rec.team.get(person.id, [])
    if not members:
        return None
    participants = []
    for m in members:
        prof = rec.professionals.get(m.professional_id)
        part: dict[str, Any] = {
            "id": m.id,
            "role": [_concept(fc.cs("role"), m.role)],
            "member": ref("Practitioner", m.professional_id),
            "period": _drop_empty({"start": m.start_date.isoformat(),
                                   "end": m.end_date.isoformat() if m.end_date else None}),
        }
        if m.is_lead:
            part["extension"] = [{"url": fc.ext("lead-professional"), "valueBoolean": True}]
        if prof is not None:
            part["onBehalfOf"] = ref("Organization", prof.agency_id)
        participants.append(part)
    return {
        "resourceType": "CareTeam",
        "id": derived_id("CareTeam", person.id),
        "status": "active",
        "name": f"Care team for {person.name}",
        "subject": ref("Patient", person.id),
        "participant": participants,
    }


def _domain_category(domain: str) -> dict[str, Any]:
    return _concept(fc.cs("need-domain"), domain)


def condition(cond: Condition) -> Resource:
    code: dict[str, Any] = {"text": cond.name}
    if cond.code:
        # The one code a condition keeps: SNOMED CT (digits), ICD-10 (a letter and two
        # digits, as imported from ICD-10 coded records), else our local code.
        system = fc.SNOMED if cond.code.isdigit() else (
            ICD_10 if is_icd10(cond.code) else fc.cs("condition-code"))
        code["coding"] = [fc.coding(system, cond.code)]
    return _drop_empty({
        "resourceType": "Condition",
        "id": cond.id,
        "clinicalStatus": {"coding": [fc.coding(fc.CONDITION_CLINICAL, cond.clinical_status)]},
        "verificationStatus": {"coding": [fc.coding(fc.CONDITION_VERIFICATION,
                                                    cond.verification)]},
        "category": [{"coding": [fc.coding(fc.CONDITION_CATEGORY, "problem-list-item")]},
                     _domain_category(cond.domain)],
        "code": code,
        "subject": ref("Patient", cond.person_id),
        "onsetDateTime": cond.onset_date.isoformat() if cond.onset_date else None,
    })


def need_condition(need: Need, person_id: str) -> Resource:
    return {
        "resourceType": "Condition",
        "id": need.id,
        "clinicalStatus": {"coding": [fc.coding(fc.CONDITION_CLINICAL, "active")]},
        "verificationStatus": {"coding": [fc.coding(fc.CONDITION_VERIFICATION, "confirmed")]},
        "category": [{"coding": [fc.coding(fc.CONDITION_CATEGORY, "problem-list-item"),
                                 fc.coding(fc.cs("condition-kind"), "care-need", "care need")]},
                     _domain_category(need.domain)],
        "code": {"text": need.description},
        "subject": ref("Patient", person_id),
    }


def goal(outcome: Outcome, person_id: str) -> Resource:
    achievement = [_code(fc.cs("outcome-status"), outcome.achievement)]
    standard = fc.OUTCOME_ACHIEVEMENT[outcome.achievement]
    if standard:
        achievement.insert(0, fc.coding(fc.GOAL_ACHIEVEMENT, standard))
    return _drop_empty({
        "resourceType": "Goal",
        "id": outcome.id,
        "lifecycleStatus": fc.OUTCOME_LIFECYCLE[outcome.achievement],
        "achievementStatus": {"coding": achievement},
        "description": {"text": outcome.description},
        "subject": ref("Patient", person_id),
        "target": [{"dueDate": outcome.target_date.isoformat()}] if outcome.target_date else [],
        "addresses": [ref("Condition", outcome.need_id)] if outcome.need_id else [],
    })


def _activity(action: Action, goals_by_need: dict[str | None, list[str]],
              needs: list[str] | None = None) -> dict[str, Any]:
    """One action as an activity: ``reasonReference`` lists every need it meets (its
    own ``need_id`` first, then the others in the plan's order), ``goal`` their goals."""
    needs = needs if needs is not None else ([action.need_id] if action.need_id else [])
    performer = []
    if action.owner_professional_id:
        performer.append(ref("Practitioner", action.owner_professional_id))
    if action.owner_agency_id:
        performer.append(ref("Organization", action.owner_agency_id))
    detail = _drop_empty({
        "status": fc.ACTION_STATUS[action.status],
        "description": action.description,
        "performer": performer,
        "scheduledPeriod": {"end": action.due_date.isoformat()} if action.due_date else None,
        "reasonReference": [ref("Condition", n) for n in needs],
        "goal": [ref("Goal", g) for n in needs for g in goals_by_need.get(n, [])],
    })
    return {"id": action.id, "detail": detail}


def _needs_of(action: Action, rec: Records, needs: list[Need]) -> list[str]:
    """The needs ``action`` meets: its own first, then the others in the plan's order."""
    met = needs_met(action, rec.action_needs.get(action.id, []))
    first = [action.need_id] if action.need_id else []
    return first + in_plan_order(met - set(first), needs)


def care_plan(plan: CarePlan, person: Person, rec: Records, team: bool) -> Resource:
    needs = rec.needs.get(plan.id, [])
    outcomes = rec.outcomes.get(plan.id, [])
    goals_by_need: dict[str | None, list[str]] = {}
    for o in outcomes:
        goals_by_need.setdefault(o.need_id, []).append(o.id)
    exts: list[dict[str, Any]] = [
        {"url": fc.ext("plan-status"), "valueCoding": _code(fc.cs("plan-status"), plan.status)},
        {"url": fc.ext("plan-version"), "valueInteger": plan.plan_version},
    ]
    if plan.review_date:
        exts.append({"url": fc.ext("review-date"), "valueDate": plan.review_date.isoformat()})
    for s in rec.signoffs.get(plan.id, []):
        exts.append({"id": s.id, "url": fc.ext("plan-sign-off"), "extension": [
            {"url": "agency", "valueReference": ref("Organization", s.agency_id)},
            {"url": "planVersion", "valueInteger": s.plan_version},
            {"url": "signedBy", "valueReference": ref("Practitioner", s.signed_by)},
            {"url": "signedAt", "valueDateTime": fhir_datetime(s.signed_at)},
        ]})
    period = _drop_empty({
        "start": plan.activated_on.isoformat() if plan.activated_on else None,
        "end": plan.closed_on.isoformat() if plan.closed_on else None,
    })
    return _drop_empty({
        "resourceType": "CarePlan",
        "id": plan.id,
        "extension": exts,
        "status": fc.PLAN_STATUS[plan.status],
        "intent": "plan",
        "title": f"Joint care plan for {person.name}",
        "subject": ref("Patient", person.id),
        "period": period,
        "created": plan.created_on.isoformat(),
        "careTeam": [ref("CareTeam", derived_id("CareTeam", person.id))] if team else [],
        "addresses": [ref("Condition", n.id) for n in needs],
        "goal": [ref("Goal", o.id) for o in outcomes],
        "activity": [_activity(a, goals_by_need, _needs_of(a, rec, needs))
                     for a in rec.actions.get(plan.id, [])],
    })


def handoff_task(h: Handoff, plan_of_action: dict[str, str]) -> Resource:
    exts: list[dict[str, Any]] = [
        {"url": fc.ext("from-agency"), "valueReference": ref("Organization", h.from_agency_id)},
        {"url": fc.ext("to-agency"), "valueReference": ref("Organization", h.to_agency_id)},
    ]
    if h.answered_by:
        exts.append({"url": fc.ext("answered-by"),
                     "valueReference": ref("Practitioner", h.answered_by)})
    focus = None
    if h.action_id:
        exts.append({"url": fc.ext("care-plan-activity"), "valueString": h.action_id})
        plan_id = plan_of_action.get(h.action_id)
        focus = ref("CarePlan", plan_id) if plan_id else None
    return _drop_empty({
        "resourceType": "Task",
        "id": h.id,
        "extension": exts,
        "status": fc.HANDOFF_STATUS[h.status],
        "statusReason": {"text": h.answer_reason} if h.answer_reason else None,
        "intent": "proposal",
        "code": {"coding": [fc.coding(fc.cs("task-kind"), f"handoff-{h.subject.value}",
                                      f"handoff of {h.subject.value}")]},
        "focus": focus,
        "for": ref("Patient", h.person_id),
        "authoredOn": fhir_datetime(h.proposed_at),
        "lastModified": fhir_datetime(h.answered_at) if h.answered_at else None,
        "requester": ref("Practitioner", h.from_professional_id),
        "owner": ref("Practitioner", h.to_professional_id),
        "restriction": {"period": {"end": h.answer_by.isoformat()}},
        "note": [{"authorReference": ref("Practitioner", h.from_professional_id),
                  "time": fhir_datetime(h.proposed_at), "text": h.reason}] if h.reason else [],
    })


def referral_resources(r: Referral, rec: Records) -> tuple[Resource, Resource]:
    """A referral as the ServiceRequest and the Task that tracks its status."""
    events = rec.referral_events.get(r.id, [])
    request = _drop_empty({
        "resourceType": "ServiceRequest",
        "id": r.id,
        "extension": [{"url": fc.ext("interim-owner"),
                       "valueReference": ref("Practitioner", r.interim_owner_id)}]
        if r.interim_owner_id else [],
        "status": fc.REFERRAL_REQUEST_STATUS[r.status],
        "intent": "order",
        "category": [_domain_category(r.domain)],
        "code": {"text": r.summary},
        "subject": ref("Patient", r.person_id),
        "authoredOn": r.sent_on.isoformat(),
        "requester": ref("Organization", r.from_agency_id),
        "reasonReference": [ref("Condition", r.need_id)] if r.need_id else [],
    })
    steps = []
    owner = None
    for e in events:
        parts: list[dict[str, Any]] = [
            {"url": "kind", "valueCoding": _code(fc.cs("referral-step"), e.kind)},
            {"url": "occurred", "valueDate": e.occurred_on.isoformat()},
        ]
        if e.team_id:
            parts.append({"url": "team", "valueReference": ref("Organization", e.team_id)})
        if e.to_team_id:
            parts.append({"url": "toTeam", "valueReference": ref("Organization", e.to_team_id)})
        if e.by_professional_id:
            parts.append({"url": "by",
                          "valueReference": ref("Practitioner", e.by_professional_id)})
        if e.reason:
            parts.append({"url": "reason", "valueString": e.reason})
        if e.reason_code:
            parts.append({"url": "reasonCode",
                          "valueCoding": _code(fc.cs("decline-reason"), e.reason_code)})
        if e.as_lead:
            parts.append({"url": "asLead", "valueBoolean": True})
        steps.append({"id": e.id, "url": fc.ext("referral-step"), "extension": parts})
        if e.kind is ReferralEventKind.REDIRECTED:
            owner = e.to_team_id
        elif e.team_id:
            owner = e.team_id
    task = _drop_empty({
        "resourceType": "Task",
        "id": derived_id("ReferralTask", r.id),
        "extension": steps,
        "status": fc.REFERRAL_TASK_STATUS[r.status],
        "businessStatus": _concept(fc.cs("referral-status"), r.status),
        "intent": "order",
        "code": {"coding": [fc.coding(fc.cs("task-kind"), "referral", "referral")]},
        "focus": ref("ServiceRequest", r.id),
        "for": ref("Patient", r.person_id),
        "authoredOn": r.sent_on.isoformat(),
        "requester": ref("Organization", r.from_agency_id),
        "owner": ref("Organization", owner) if owner else None,
    })
    return request, task


def encounter(stay: HospitalStay, rec: Records) -> Resource:
    exts: list[dict[str, Any]] = []
    if stay.discharge_ready_on:
        exts.append({"url": fc.ext("discharge-ready-date"),
                     "valueDate": stay.discharge_ready_on.isoformat()})
    for d in rec.delays.get(stay.id, []):
        exts.append({"id": d.id, "url": fc.ext("discharge-delay-reason"), "extension": [
            {"url": "reason", "valueString": d.reason},
            {"url": "ownerAgency", "valueReference": ref("Organization", d.owner_agency_id)},
            {"url": "recorded", "valueDate": d.recorded_on.isoformat()},
        ]})
    exts += fhir_stays.extensions(stay)
    hosp = None
    if stay.pathway is not None:
        hosp = {"dischargeDisposition": {"coding": [fc.coding(
            fc.cs("discharge-pathway"), str(int(stay.pathway)),
            f"pathway {int(stay.pathway)}")]}}
    return _drop_empty({
        "resourceType": "Encounter",
        "id": stay.id,
        "extension": exts,
        "status": "finished" if stay.discharged_on else "in-progress",
        "class": fc.coding(fc.V3_ACT_CODE, "IMP", "inpatient encounter"),
        "priority": fhir_stays.priority(stay),
        "subject": ref("Patient", stay.person_id),
        "period": _drop_empty({
            "start": stay.admitted_on.isoformat(),
            "end": stay.discharged_on.isoformat() if stay.discharged_on else None,
        }),
        "hospitalization": hosp,
        "serviceProvider": ref("Organization", stay.hospital_id),
    })


def consent(c: Consent) -> Resource:
    status, provision = fc.CONSENT_STATUS[c.status]
    rule: dict[str, Any]
    policy: list[dict[str, str]] = []
    purpose: list[dict[str, str]] = []
    if c.status is ConsentStatus.LEGAL_BASIS:
        text = c.basis_text
        if c.basis is not None:
            text = f"{text} — {c.basis.source}"
            policy = [{"authority": fc.LEGISLATION, "uri": c.basis.url}]
            if c.basis is LegalBasis.DIRECT_CARE:
                purpose = [fc.coding(fc.V3_ACT_REASON, "TREAT", "treatment")]
        rule = {"text": text}
    else:
        code = "OPTIN" if provision == "permit" else "OPTOUT"
        rule = {"coding": [fc.coding(fc.V3_ACT_CODE, code)]}
        if c.legal_basis:
            rule["text"] = c.legal_basis
    return {
        "resourceType": "Consent",
        "id": c.id,
        "extension": [
            {"url": fc.ext("consent-status"),
             "valueCoding": _code(fc.cs("consent-status"), c.status)},
            {"url": fc.ext("recorded-by"), "valueReference": ref("Practitioner", c.recorded_by)},
        ],
        "status": status,
        "scope": {"coding": [fc.coding(fc.CONSENT_SCOPE, "patient-privacy")]},
        "category": [{"coding": [fc.coding(fc.LOINC, "59284-0", "Patient Consent")]}],
        "patient": ref("Patient", c.person_id),
        "dateTime": c.recorded_on.isoformat(),
        **({"policy": policy} if policy else {}),
        "policyRule": rule,
        "provision": _drop_empty({"type": provision, "actor": [{
            "role": {"coding": [fc.coding("http://terminology.hl7.org/CodeSystem/"
                                          "v3-ParticipationType", "PRCP")]},
            "reference": ref("Organization", c.agency_id),
        }], "purpose": purpose}),
    }


def withheld_list(person: Person, lines: list[str], audience: str) -> Resource:
    """What was left out of the person's records for this export's audience, and why: a
    List with no entries whose empty reason is ``withheld`` (Information Withheld)."""
    return {
        "resourceType": "List",
        "id": derived_id("withheld", f"{person.id}/{audience}"),
        "status": "current",
        "mode": "snapshot",
        "title": f"Withheld from this export for {audience}",
        "subject": ref("Patient", person.id),
        "emptyReason": {"coding": [fc.coding(fc.LIST_EMPTY_REASON, "withheld",
                                             "Information Withheld")]},
        "note": [{"text": line} for line in lines],
    }


def persons_left_out_list(sentence: str, audience: str) -> Resource:
    """How many persons were left out of the export, and why (nobody named)."""
    return {
        "resourceType": "List",
        "id": derived_id("withheld-persons", audience),
        "status": "current",
        "mode": "snapshot",
        "title": f"Persons left out of this export for {audience}",
        "emptyReason": {"coding": [fc.coding(fc.LIST_EMPTY_REASON, "withheld",
                                             "Information Withheld")]},
        "note": [{"text": sentence}],
    }


# -- assembling and validating ------------------------------------------------------------

def person_resources(person: Person, rec: Records) -> Iterator[Resource]:
    yield patient(person)
    team = care_team(person, rec)
    if team is not None:
        yield team
    for cond in rec.conditions.get(person.id, []):
        yield condition(cond)
    plan_of_action: dict[str, str] = {}
    for plan in rec.plans.get(person.id, []):
        for need in rec.needs.get(plan.id, []):
            yield need_condition(need, person.id)
        for outcome in rec.outcomes.get(plan.id, []):
            yield goal(outcome, person.id)
        for action in rec.actions.get(plan.id, []):
            plan_of_action[action.id] = plan.id
        yield care_plan(plan, person, rec, team is not None)
    for h in rec.handoffs.get(person.id, []):
        yield handoff_task(h, plan_of_action)
    for r in rec.referrals.get(person.id, []):
        yield from referral_resources(r, rec)
    for stay in rec.stays.get(person.id, []):
        yield encounter(stay, rec)
    for c in rec.consents.get(person.id, []):
        yield consent(c)


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "reference" and isinstance(v, str):
                yield v
            else:
                yield from _references(v)
    elif isinstance(value, list):
        for v in value:
            yield from _references(v)


def validate(resource: Resource) -> None:
    """Raise ValueError unless ``resource`` is valid R4 (structure and status codes)."""
    model = get_fhir_model_class(resource["resourceType"])
    try:
        model.model_validate(resource)
    except Exception as exc:  # pydantic's ValidationError: report as a plain ValueError
        raise ValueError(f"{resource['resourceType']}/{resource.get('id')}: {exc}") from exc
    fc.check_codes(resource)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    resources: int
    persons: int
    #: Persons left out (not shared with the audience) and records withheld.
    persons_left_out: int = 0
    records_withheld: int = 0


def build_bundle(rec: Records, *, only_referenced: bool = False,
                 progress: Callable[[int, int], None] | None = None,
                 shared: Shared | None = None) -> Resource:
    """A transaction Bundle of every person in ``rec`` and the organisations and
    practitioners they need (all of them unless ``only_referenced``), held whole: an
    export streams instead (``fhir_stream``). With ``shared`` (what an audience receives:
    careplan.export.audience), each person whose records were withheld in part has a List
    saying what and why, persons left out are counted in another, and the Bundle carries
    the security label ``REDACTED``."""
    from careplan.export import fhir_stream

    entries = [{"fullUrl": f"urn:uuid:{res['id']}", "resource": res,
                "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}}
               for res in fhir_stream.resources(rec, only_referenced=only_referenced,
                                                progress=progress, shared=shared)]
    bundle = fhir_stream.bundle_fields(shared is not None and shared.anything_withheld)
    bundle["entry"] = entries
    return bundle


def export_fhir(store: Store, out: str | Path, person_ids: Iterable[str] | None = None,
                progress: Callable[[int, int], None] | None = None, *,
                audience: Audience, reader: Viewer, today: date,
                workers: int | None = None) -> ExportResult:
    """Write the Bundle for ``person_ids`` (the whole store when None) to ``out``
    (written whole or not at all), made for ``audience`` by ``reader`` on ``today``,
    streaming: see ``fhir_stream``. Each resource is validated once, in ``workers``
    processes (``fhir_pool``; by default as many as it takes for this many persons,
    none for a few: then here).

    Raises:
        NotSharedError: one person named whom the reader's agency may not see.
        NothingShared: the audience may receive nothing of it (no file is written).
        ValueError: a resource is not valid R4 (no file is written).
    """
    from careplan.export import fhir_pool, fhir_stream

    path = outfile.check(out, store.path)
    ids = None if person_ids is None else list(person_ids)
    if workers is None:
        workers = fhir_pool.workers_for(persons_in(store, ids))
    with fhir_pool.Checks("export", workers) as checks:  # (workers start while it reads)
        shared = shared_for(store, ids, audience=audience, reader=reader, today=today)
        with outfile.replacing(path) as tmp:
            count = fhir_stream.export_bundle(shared.records, tmp,
                                              only_referenced=ids is not None,
                                              progress=progress, shared=shared,
                                              checks=checks)
    return ExportResult(path, count, len(shared.records.persons), shared.persons_left_out,
                        len(shared.withheld_ids))


def persons_in(store: Store, ids: list[str] | None) -> int:
    """How many persons an export of ``ids`` (the whole store when None) may have."""
    if ids is not None:
        return len(ids)
    return int(store.query("SELECT COUNT(*) AS n FROM persons")[0]["n"])


def shared_for(store: Store, ids: list[str] | None, *, audience: Audience, reader: Viewer,
               today: date) -> Shared:
    """What ``audience`` may receive of the records of ``ids`` (the whole store when
    None), exported by ``reader`` on ``today``.

    Raises:
        NotSharedError: one person named whom the reader's agency may not see.
        NothingShared: the audience may receive nothing of it.
    """
    full = load(store, ids)
    shared = for_audience(full, audience, today, reader.agency_id)
    if ids is not None and len(ids) == 1:
        require_person(full, shared, ids[0], today, reader)
    require_something(shared, "these records")
    return shared
