"""FHIR R4 resources -> CarePlan entities: what happens between agencies and around a
stay (Task -> handoff, ServiceRequest + Task -> referral, Encounter -> hospital stay,
Consent -> consent). People, teams and plans are in ``fhir_map``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from careplan.export import fhir_codes as fc
from careplan.export import fhir_stays
from careplan.export.fhir_import import (
    Importer,
    concept_text,
    enum_from_slug,
    ext_value,
    extension,
    local_code,
    need_domain,
    parse_date,
    parse_datetime,
    sub_values,
)
from careplan.export.fhir_refs import Located, entity_id
from careplan.models import (
    Consent,
    DelayReason,
    Handoff,
    HospitalStay,
    Need,
    Referral,
    ReferralEvent,
)
from careplan.models.enums import (
    ConsentStatus,
    DeclineReason,
    DischargePathway,
    HandoffStatus,
    HandoffSubject,
    LegalBasis,
    ReferralEventKind,
    ReferralStatus,
)


def handoff(imp: Importer, loc: Located, kind: str) -> None:
    res = loc.resource
    person = imp.resolve(res.get("for"), loc, "Patient", "for")
    frm = imp.resolve(res.get("requester"), loc, "Practitioner", "requester")
    to = imp.resolve(res.get("owner"), loc, "Practitioner", "owner")
    from_agency = imp.resolve(ext_value(res, "from-agency", "valueReference"), loc,
                              "Organization", "from agency")
    to_agency = imp.resolve(ext_value(res, "to-agency", "valueReference"), loc,
                            "Organization", "to agency")
    answered_by = None
    if ext_value(res, "answered-by", "valueReference") is not None:
        answered_by = imp.resolve(ext_value(res, "answered-by", "valueReference"), loc,
                                  "Practitioner", "answered by")
    action = ext_value(res, "care-plan-activity", "valueString")
    if action and action not in imp.entities and not imp.in_store("actions", action):
        imp.report.unresolved.append(f"{loc.key} care plan activity: {action}")
        action = None
    proposed = parse_datetime(res.get("authoredOn"))
    answer_by = parse_date(((res.get("restriction") or {}).get("period") or {}).get("end"))
    if not (person and frm and to and from_agency and to_agency and proposed and answer_by):
        imp.report.warn(f"{loc.key}: a handoff needs its person, both professionals and "
                        "agencies, and its dates; skipped.")
        return

    status = fc.HANDOFF_STATUS_IN.get(res.get("status", ""), HandoffStatus.PROPOSED)
    note, answer = _handoff_texts(res, status)

    def build(eid: str) -> Handoff:
        return Handoff(id=eid, person_id=person, subject=HandoffSubject(kind), action_id=action,
                       from_professional_id=frm, from_agency_id=from_agency,
                       to_professional_id=to, to_agency_id=to_agency, proposed_at=proposed,
                       answer_by=answer_by,
                       status=status, answered_at=parse_datetime(res.get("lastModified")),
                       reason=note, answered_by=answered_by, answer_reason=answer)

    imp.add(loc, build)


def _requesting_agency(imp: Importer, loc: Located, requester: Any) -> str | None:
    """The agency a referral comes from: the requester's organisation. The requester may
    be an Organization, a PractitionerRole (its organisation) or a Practitioner (their
    agency), named by ``Type/id``, by ``urn:uuid:`` (its type is the resource's in the
    file) or by identifier."""
    kind = imp.ref_type(requester, loc)
    if kind == "Organization":
        return imp.resolve(requester, loc, "Organization", "requester")
    if kind == "PractitionerRole":
        text = requester.get("reference") if isinstance(requester, dict) else None
        role = imp.index.find(text, loc.key) if isinstance(text, str) else None
        if role is not None and role.resource.get("organization"):
            found = imp.resolve(role.resource.get("organization"), role, "Organization",
                                "organization")
            if found is not None:
                return found
    return imp.agency_of(imp.resolve(requester, loc, "Practitioner", "requester"))


def _team_of(imp: Importer, loc: Located, reference: Any) -> str | None:
    """The team (agency) a Task's owner or a ServiceRequest's performer names."""
    kind = imp.ref_type(reference, loc)
    if kind == "Organization":
        return imp.resolve(reference, loc, "Organization", "performer")
    if kind in ("Practitioner", "PractitionerRole"):
        return imp.agency_of(imp.resolve(reference, loc, "Practitioner", "performer"))
    return None


#: What a referral's FHIR status says happened, when the file gives no steps: the step
#: that status stands for, so that the referral's history agrees with its status (in
#: CarePlan a referral's status always follows from its steps). A completed request was
#: taken on and done: accepted as lead. An accepted or in-progress Task was accepted.
_STATUS_STEP: dict[ReferralStatus, bool] = {
    ReferralStatus.RESOLVED: True,  # as lead
    ReferralStatus.ACCEPTED: False,
}


def _status_step(imp: Importer, loc: Located, task: Located | None, rid: str,
                 status: ReferralStatus, sent: date) -> None:
    """Record the step a settled status stands for (see ``_STATUS_STEP``), by the team
    the Task's owner or the request's performer names, on the latest date the file gives
    for it (the Task's execution end or last change, the request's occurrence or last
    update), never before the referral was sent."""
    res = loc.resource
    t = task.resource if task is not None else {}
    team = _team_of(imp, task, t.get("owner")) if task is not None else None
    for performer in res.get("performer", []) or []:
        team = team or _team_of(imp, loc, performer)
    when = [(t.get("executionPeriod") or {}).get("end"), t.get("lastModified"),
            (res.get("occurrencePeriod") or {}).get("end"), res.get("occurrenceDateTime"),
            (res.get("meta") or {}).get("lastUpdated")]
    day = next((d for d in (parse_date(w) for w in when) if d is not None and d >= sent), sent)
    fhir_status = t.get("status") if task is not None else res.get("status")
    as_lead = _STATUS_STEP[status]
    imp.put(ReferralEvent(id=entity_id(f"{loc.key}#status-{status.value}"), referral_id=rid,
                          kind=ReferralEventKind.ACCEPTED, occurred_on=day, team_id=team,
                          as_lead=as_lead,
                          reason=f"from the referral's FHIR status {fhir_status!r}"))
    imp.report.warn(f"{loc.key}: status {fhir_status!r} and no referral steps: recorded as "
                    f"accepted{' as lead' if as_lead else ''} on {day.isoformat()}"
                    f"{'' if team else ' by a team the file does not name'}.")

def _handoff_texts(res: dict[str, Any], status: HandoffStatus) -> tuple[str, str]:
    """The proposer's note (Task.note) and the answer's reason (Task.statusReason). A
    Task written before the two were kept apart has statusReason alone: the answer's
    reason once answered, else the proposer's note."""
    notes = [n for n in res.get("note", []) or [] if isinstance(n, dict)]
    note = str(notes[0].get("text") or "") if notes else ""
    reason = str((res.get("statusReason") or {}).get("text", "") or "")
    if not notes and status not in (HandoffStatus.ACCEPTED, HandoffStatus.DECLINED):
        return reason, ""
    return note, reason


def referral(imp: Importer, loc: Located, task: Located | None) -> None:
    res = loc.resource
    if res.get("status") == "entered-in-error":
        imp.report.skipped["ServiceRequest (entered in error)"] += 1
        return
    person = imp.resolve(res.get("subject"), loc, "Patient", "subject")
    from_agency = _requesting_agency(imp, loc, res.get("requester") or {})
    sent = parse_date(res.get("authoredOn"))
    summary = concept_text(res.get("code")) or "; ".join(
        concept_text(c) for c in res.get("category", []) or [] if concept_text(c))
    if not (person and from_agency and sent and summary):
        imp.report.warn(f"{loc.key}: a referral needs its person, the referring agency, a "
                        "sent date and a summary; skipped.")
        return
    status = None
    if task is not None:
        status = enum_from_slug(ReferralStatus, local_code(task.resource.get("businessStatus"),
                                                           fc.cs("referral-status")))
        status = status or fc.REFERRAL_TASK_STATUS_IN.get(task.resource.get("status", ""))
    status = status or fc.REFERRAL_REQUEST_STATUS_IN.get(res.get("status", ""),
                                                         ReferralStatus.SENT)
    need = None
    for r in res.get("reasonReference", []) or []:
        found = imp.index.find(str(r.get("reference", "")), loc.key)
        key = found.key if found else None
        need = entity_id(key) if key and entity_id(key) in imp.entities and isinstance(
            imp.entities[entity_id(key)], Need) else need
    interim = imp.resolve(ext_value(res, "interim-owner", "valueReference"), loc,
                          "Practitioner", "interim owner") if extension(
        res, "interim-owner") else None

    def build(eid: str) -> Referral:
        return Referral(id=eid, person_id=person, need_id=need,
                        domain=need_domain(res.get("category", [])), summary=summary,
                        from_agency_id=from_agency, sent_on=sent, status=status,
                        interim_owner_id=interim)

    rid = imp.add(loc, build, "referrals")
    if rid is None or rid not in imp.entities:
        return
    steps = extension(task.resource, "referral-step") if task is not None else []
    for n, ext in enumerate(steps):
        assert task is not None
        _step(imp, task, rid, n, ext)
    if not steps and status in _STATUS_STEP:
        _status_step(imp, loc, task, rid, status, sent)


def _step(imp: Importer, task: Located, rid: str, n: int, ext: dict[str, Any]) -> None:
    """One referral-step extension of a referral's Task. Without an id of its own a step
    is known by its place in the Task: two steps of one kind on one day are two steps."""
    v = sub_values(ext)
    kind = enum_from_slug(ReferralEventKind, local_code(v.get("kind"),
                                                        fc.cs("referral-step")))
    occurred = parse_date(v.get("occurred"))
    if kind is None or occurred is None:
        imp.report.warn(f"{task.key} referral step {n + 1} not imported: it needs a kind "
                        "and a date.")
        return

    def org(name: str) -> str | None:
        return imp.resolve(v[name], task, "Organization", name) if name in v else None

    try:
        event = ReferralEvent(
            id=ext.get("id") or entity_id(f"{task.key}#step-{n}"),
            referral_id=rid, kind=kind, occurred_on=occurred, team_id=org("team"),
            to_team_id=org("toTeam"),
            by_professional_id=imp.resolve(v["by"], task, "Practitioner", "by")
            if "by" in v else None,
            reason=v.get("reason", ""),
            reason_code=enum_from_slug(DeclineReason, local_code(
                v.get("reasonCode"), fc.cs("decline-reason"))),
            as_lead=bool(v.get("asLead", False)))
    except ValueError as exc:
        imp.report.warn(f"{task.key} referral step {n + 1} not imported: {exc}.")
        return
    imp.put(event, f"{task.where} referral step {n + 1}" if ext.get("id") else None)


def encounter(imp: Importer, loc: Located) -> None:
    res = loc.resource
    cls = res.get("class") or {}
    if cls.get("code") not in ("IMP", "ACUTE", "NONAC"):
        imp.report.skipped["Encounter (not an inpatient stay)"] += 1
        return
    person = imp.resolve(res.get("subject"), loc, "Patient", "subject")
    hospital = imp.resolve(res.get("serviceProvider"), loc, "Organization", "service provider")
    period = res.get("period") or {}
    admitted = parse_date(period.get("start"))
    if not (person and hospital and admitted):
        imp.report.warn(f"{loc.key}: a hospital stay needs its person, hospital and "
                        "admission date; skipped.")
        return
    pathway_code = local_code((res.get("hospitalization") or {}).get("dischargeDisposition"),
                              fc.cs("discharge-pathway"))

    def build(eid: str) -> HospitalStay:
        return HospitalStay(
            id=eid, person_id=person, hospital_id=hospital, admitted_on=admitted,
            discharge_ready_on=parse_date(ext_value(res, "discharge-ready-date", "valueDate")),
            discharged_on=parse_date(period.get("end")),
            pathway=DischargePathway(int(pathway_code)) if pathway_code else None,
            admission_method=fhir_stays.admission_method(res),
            mha_section=fhir_stays.mha_section(res))

    stay = imp.add(loc, build, "hospital_stays")
    if stay is None or stay not in imp.entities:
        return
    for n, ext in enumerate(extension(res, "discharge-delay-reason")):
        v = sub_values(ext)
        owner = imp.resolve(v.get("ownerAgency"), loc, "Organization", "delay owner")
        recorded = parse_date(v.get("recorded"))
        if owner and recorded and v.get("reason"):
            # Without an id of its own, a reason is known by its place: two of one day
            # are two reasons, not one.
            imp.make(f"{loc.key} delay reason", DelayReason,
                     given=f"{loc.where} delay reason {n + 1}" if ext.get("id") else None,
                     id=ext.get("id") or entity_id(f"{loc.key}#delay-{n}"),
                     stay_id=stay, reason=v["reason"], owner_agency_id=owner,
                     recorded_on=recorded)


def legal_basis_of(res: dict[str, Any], text: str) -> tuple[LegalBasis | None, str]:
    """The kind of legal basis a Consent names by its policy's law (``policy.uri``, as
    CarePlan writes it), and the particulars of its ``policyRule.text`` without the kind
    and the law that CarePlan's export adds."""
    uris = {str(p.get("uri") or "") for p in res.get("policy") or [] if isinstance(p, dict)}
    found = next((b for b in LegalBasis if b.url in uris), None)
    if found is None:
        return None, text
    rest = text.removesuffix(f" — {found.source}").strip()
    if rest == found.value:
        return found, ""
    return found, rest.removeprefix(f"{found.value}: ").strip()


def consent(imp: Importer, loc: Located) -> None:
    res = loc.resource
    person = imp.resolve(res.get("patient"), loc, "Patient", "patient")
    provision = res.get("provision") or {}
    agency = None
    for actor in provision.get("actor", []) or []:
        agency = agency or imp.resolve(actor.get("reference"), loc, "Organization", "actor")
    for org in res.get("organization", []) or []:
        agency = agency or imp.resolve(org, loc, "Organization", "organization")
    recorder = ext_value(res, "recorded-by", "valueReference")
    by = imp.resolve(recorder, loc, "Practitioner", "recorded by") if recorder else None
    if by is None:
        by = imp.actor if imp.actor in imp.entities or imp.in_store(
            "professionals", imp.actor) else None
    recorded = parse_date(res.get("dateTime"))
    if not (person and agency and by and recorded):
        imp.report.warn(f"{loc.key}: a consent needs its person, the agency it concerns, "
                        "who recorded it (or an importing account's professional) and a date; "
                        "skipped.")
        return
    status = enum_from_slug(ConsentStatus, local_code(
        ext_value(res, "consent-status", "valueCoding"), fc.cs("consent-status")))
    if status is None:
        permit = provision.get("type", "permit") == "permit"
        status = ConsentStatus.GIVEN if permit and res.get("status") == "active" else (
            ConsentStatus.WITHDRAWN if res.get("status") == "inactive" else ConsentStatus.REFUSED)
    rule = res.get("policyRule") or {}
    basis, particulars = legal_basis_of(res, rule.get("text", "") or "")
    if status is not ConsentStatus.LEGAL_BASIS:
        basis = None

    def build(eid: str) -> Consent:
        return Consent(id=eid, person_id=person, agency_id=agency, status=status,
                       recorded_on=recorded, recorded_by=by, legal_basis=particulars,
                       basis=basis)

    imp.add(loc, build)
