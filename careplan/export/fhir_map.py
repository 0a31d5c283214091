"""FHIR R4 resources -> CarePlan entities (one function per resource type).

Our own exports carry local codings and extensions that make the mapping exact; foreign
data (HL7 examples, Synthea, UK Core) is mapped from the standard elements, with
defaults named in docs/fhir-mapping.md.
"""

from __future__ import annotations

from typing import Any

from careplan.export import fhir_codes as fc
from careplan.export.fhir_import import (
    NO_NAME,
    Importer,
    codings,
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
from careplan.export.fhir_map_events import consent, encounter, handoff, referral
from careplan.export.fhir_read import ImportRefused
from careplan.export.fhir_refs import Located, entity_id
from careplan.models import (
    Action,
    ActionNeed,
    Agency,
    CarePlan,
    CareTeamMember,
    Condition,
    Need,
    Outcome,
    Person,
    PlanSignOff,
    Professional,
    nhs,
)
from careplan.models.condition_codes import ICD_10_SYSTEMS, SNOMED_CT
from careplan.models.enums import (
    AgencyKind,
    ClientGroup,
    ClinicalStatus,
    NeedDomain,
    OutcomeStatus,
    PlanStatus,
    Role,
    Sector,
    Verification,
)
from careplan.models.matching import Identity, disagreements, field_list

_SECTOR_BY_ORG_TYPE = {"prov": Sector.HEALTH, "dept": Sector.HEALTH, "team": Sector.HEALTH,
                       "govt": Sector.SOCIAL_CARE, "cg": Sector.VOLUNTARY,
                       "reli": Sector.VOLUNTARY}


def organization(imp: Importer, loc: Located) -> None:
    res = loc.resource

    def build(eid: str) -> Agency:
        sector = enum_from_slug(Sector, local_code(ext_value(res, "agency-sector",
                                                             "valueCoding"), fc.cs("sector")))
        if sector is None:
            org_type = local_code(res.get("type", []), fc.ORGANIZATION_TYPE)
            sector = _SECTOR_BY_ORG_TYPE.get(org_type or "", Sector.HEALTH)
        kind = enum_from_slug(AgencyKind, local_code(res.get("type", []), fc.cs("agency-kind")))
        group = enum_from_slug(ClientGroup, local_code(
            ext_value(res, "client-group", "valueCoding"), fc.cs("client-group")))
        domain = enum_from_slug(NeedDomain, local_code(
            ext_value(res, "care-domain", "valueCoding"), fc.cs("need-domain")))
        ods = next((i.get("value", "") for i in res.get("identifier", []) or []
                    if i.get("system") == fc.ODS_CODE), "")
        return Agency(id=eid, name=res.get("name") or ods or f"Organisation {loc.key}",
                      sector=sector, kind=kind or AgencyKind.OTHER,
                      client_group=group or ClientGroup.ALL_AGES, domain=domain,
                      neighbourhood=ext_value(res, "neighbourhood", "valueString") or "",
                      ods_code=ods)

    imp.add(loc, build, "agencies")


def _human_name(names: Any) -> str:
    for n in names or []:
        if n.get("text"):
            return str(n["text"])
        parts = [*(n.get("prefix") or []), *(n.get("given") or []), n.get("family") or ""]
        text = " ".join(p for p in parts if p)
        if text:
            return text
    return ""


def practitioners(imp: Importer) -> None:
    roles: dict[str, Located] = {}
    for loc in imp.of_type("PractitionerRole"):
        target = (loc.resource.get("practitioner") or {}).get("reference")
        found = imp.index.find(target, loc.key) if isinstance(target, str) else None
        if found is not None:
            roles.setdefault(found.key, loc)
        else:
            imp.report.skipped["PractitionerRole"] += 1
    for loc in imp.of_type("Practitioner"):
        role_loc = roles.get(loc.key)
        res = loc.resource

        def build(eid: str, res: dict[str, Any] = res, role_loc: Located | None = role_loc,
                  loc: Located = loc) -> Professional:
            role, agency = Role.OTHER, None
            if role_loc is not None:
                role = enum_from_slug(Role, local_code(role_loc.resource.get("code", []),
                                                       fc.cs("role"))) or Role.OTHER
                agency = imp.resolve(role_loc.resource.get("organization"), role_loc,
                                     "Organization", "organization")
            if agency is None:
                imp.report.warn(f"{loc.key}: no organisation given; filed under "
                                "'Organisation not stated (FHIR import)'.")
                agency = imp.unknown_agency()
            telecom = res.get("telecom", []) or []
            email = next((t.get("value", "") for t in telecom if t.get("system") == "email"), "")
            phone = next((t.get("value", "") for t in telecom if t.get("system") == "phone"), "")
            return Professional(id=eid, name=_human_name(res.get("name")) or loc.key,
                                role=role, agency_id=agency, email=email, phone=phone)

        imp.add(loc, build, "professionals")


def _official_name(res: dict[str, Any]) -> tuple[str, str]:
    """(given, family) of a Patient's official name (else its first), as stored."""
    names = res.get("name", []) or []
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = " ".join(name.get("given") or []) or ""
    family = name.get("family") or ""
    if not family and name.get("text"):
        *first, family = str(name["text"]).split()
        given = given or " ".join(first)
    return given, family


def _family_names(res: dict[str, Any]) -> list[str]:
    """Every family name a Patient gives (official, usual, previous, maiden...)."""
    out = []
    for name in res.get("name", []) or []:
        if name.get("family"):
            out.append(str(name["family"]))
        elif str(name.get("text") or "").split():
            out.append(str(name["text"]).split()[-1])
    return out


def _confirm(imp: Importer, loc: Located, person_id: str, incoming: Identity,
             how: str) -> None:
    """Refuse the file unless ``incoming`` is the person ``person_id`` by the matching
    rule (careplan.models.matching): NHS number, date of birth and family name agree.
    The refusal names the fields that do not agree, never their values."""
    known = imp.identity_of(person_id)
    if known is None:
        return
    fields = disagreements(known, incoming)
    if not fields:
        return
    verb = "does" if len(fields) == 1 else "do"
    other = imp.person_where.get(person_id)
    if other is not None:
        raise ImportRefused(f"{loc.where} {how} of {other}, but their {field_list(fields)} "
                            f"{verb} not agree.")
    raise ImportRefused(f"{loc.where}: {how} of a person already in the store, but its "
                        f"{field_list(fields)} {verb} not agree with that person's record.")


def patient(imp: Importer, loc: Located) -> None:
    res = loc.resource
    number, unverified, la_id = None, None, ""
    for ident in res.get("identifier", []) or []:
        system, value = ident.get("system"), str(ident.get("value", ""))
        if system == fc.NHS_NUMBER and value:
            if nhs.is_valid(value):
                number = nhs.normalise(value)
            else:
                unverified = value
        elif system == fc.UNVERIFIED_NHS_NUMBER and value:
            unverified = value
        elif system == fc.LOCAL_AUTHORITY_ID and value:
            la_id = value
    incoming = Identity.of(number, parse_date(res.get("birthDate")), _family_names(res))
    eid = entity_id(loc.key)
    if imp.in_store("persons", eid):
        # The same id as an earlier import's person: the same person only if the rule says so.
        _confirm(imp, loc, eid, incoming, "its id is that")
        imp.matched_stored.add(eid)
    if number:
        existing = imp.person_by_nhs(number)
        if existing and existing != eid:
            _confirm(imp, loc, existing, incoming, "has the NHS number" if
                     existing in imp.person_where else "its NHS number is that")
            if existing not in imp.entities:
                imp.matched_stored.add(existing)
            imp.report.already["Patient"] += 1
            imp.report.warn(f"{loc.key}: NHS number {nhs.format_334(number)} is already "
                            "recorded for the same person (date of birth and family name "
                            "agree); linked to that person instead of adding another.")
            imp.eid[loc.key] = existing
            return
    if unverified and number is None:
        imp.report.warn(f"{loc.key}: NHS number {unverified!r} fails the Modulus 11 check; "
                        "kept as an unverified NHS number in the local authority id field.")
        la_id = la_id or f"{fc.UNVERIFIED_NHS_PREFIX}{unverified}"

    def build(eid: str) -> Person | None:
        given, family = _official_name(res)
        birth = parse_date(res.get("birthDate"))
        if birth is None:
            raise ValueError("birth date: missing or not a full date")
        address = next((a.get("text") or ", ".join(
            [*(a.get("line") or []), *(x for x in (a.get("city"), a.get("postalCode")) if x)])
            for a in res.get("address", []) or []), "")
        gp = None
        for g in res.get("generalPractitioner", []) or []:
            if imp.ref_type(g, loc) == "Organization":
                gp = imp.resolve(g, loc, "Organization", "general practitioner")
        return Person(id=eid, given_name=given or "(not given)",
                      family_name=family or NO_NAME, birth_date=birth,
                      nhs_number=number, local_authority_id=la_id, gp_practice_id=gp,
                      address=address,
                      neighbourhood=ext_value(res, "neighbourhood", "valueString") or "",
                      what_matters=ext_value(res, "what-matters-to-me", "valueString") or "")

    added = imp.add(loc, build, "persons")
    if added is not None and isinstance(imp.entities.get(added), Person):
        imp.person_where.setdefault(added, loc.where)


def care_team(imp: Importer, loc: Located) -> None:
    res = loc.resource
    person = imp.resolve(res.get("subject"), loc, "Patient", "subject")
    if person is None:
        imp.report.warn(f"{loc.key}: its patient is not in the file or the store; skipped.")
        return
    team_start = parse_date((res.get("period") or {}).get("start"))
    for i, part in enumerate(res.get("participant", []) or []):
        member = part.get("member") or {}
        if imp.ref_type(member, loc) in ("Patient", "RelatedPerson", "Organization",
                                         "CareTeam"):
            continue  # the person, family and organisations are not members here
        prof = imp.resolve(member, loc, "Practitioner", f"participant {i + 1}")
        if prof is None:
            continue
        period = part.get("period") or {}
        start = parse_date(period.get("start")) or team_start
        role = enum_from_slug(Role, local_code(part.get("role", []), fc.cs("role")))
        lead = any(e.get("url") == fc.ext("lead-professional") and e.get("valueBoolean")
                   for e in part.get("extension", []) or [])
        if start is None:
            imp.report.warn(f"{loc.key} participant {i + 1}: no start date; skipped.")
            continue
        try:
            member_row = CareTeamMember(
                id=part.get("id") or entity_id(f"{loc.key}#participant-{i}"),
                person_id=person, professional_id=prof,
                role=role or Role.OTHER, start_date=start,
                end_date=parse_date(period.get("end")), is_lead=lead)
        except ValueError as exc:
            imp.report.warn(f"{loc.key} participant {i + 1} not imported: {exc}.")
            continue
        imp.put(member_row, f"{loc.where} participant {i + 1}" if part.get("id") else None)


def _is_need(res: dict[str, Any]) -> bool:
    return local_code(res.get("category", []), fc.cs("condition-kind")) == "care-need"


def condition_domain(imp: Importer, res: dict[str, Any], count: bool = True) -> NeedDomain:
    """A Condition's care domain: our own need-domain category when it has one (our
    exports), else the value set its SNOMED CT or ICD-10 code falls in
    (resources/condition_codes.toml), else OTHER (counted when it was coded)."""
    local = local_code(res.get("category", []), fc.cs("need-domain"))
    if local is not None:
        return need_domain(res.get("category", []))
    coded = codings(res.get("code"))
    found = imp.codes.domain_of(coded)
    if found is not None:
        return found
    if count and any(system == SNOMED_CT or system in ICD_10_SYSTEMS for system, _ in coded):
        imp.uncoded_conditions += 1
    return NeedDomain.OTHER


def _stored_code(code: dict[str, Any]) -> str:
    """The one code a Condition keeps: SNOMED CT, else ICD-10, else our local code."""
    icd10 = next((c for s, c in codings(code) if s in ICD_10_SYSTEMS), None)
    return (local_code(code, fc.SNOMED) or icd10 or local_code(code, fc.cs("condition-code"))
            or "")


def condition(imp: Importer, loc: Located) -> None:
    res = loc.resource
    person = imp.resolve(res.get("subject"), loc, "Patient", "subject")
    if person is None:
        imp.report.warn(f"{loc.key}: its patient is not in the file or the store; skipped.")
        return

    def build(eid: str) -> Condition:
        code = res.get("code") or {}
        snomed = _stored_code(code)
        clinical = local_code(res.get("clinicalStatus"), fc.CONDITION_CLINICAL)
        verification = local_code(res.get("verificationStatus"), fc.CONDITION_VERIFICATION)
        return Condition(
            id=eid, person_id=person, name=concept_text(code) or snomed or "(no name)",
            domain=condition_domain(imp, res),
            clinical_status=ClinicalStatus.ACTIVE if clinical in (
                None, "active", "recurrence", "relapse") else ClinicalStatus.RESOLVED,
            verification=Verification.PROVISIONAL if verification in (
                "provisional", "differential", "unconfirmed") else Verification.CONFIRMED,
            onset_date=parse_date(res.get("onsetDateTime")), code=snomed)

    imp.add(loc, build, "conditions")


def _signoffs(imp: Importer, loc: Located, plan_id: str) -> None:
    for n, ext in enumerate(extension(loc.resource, "plan-sign-off")):
        v = sub_values(ext)
        agency = imp.resolve(v.get("agency"), loc, "Organization", "sign-off agency")
        by = imp.resolve(v.get("signedBy"), loc, "Practitioner", "signed by")
        at = parse_datetime(v.get("signedAt"))
        if agency and by and at and v.get("planVersion"):
            imp.make(f"{loc.key} sign-off", PlanSignOff,
                     given=f"{loc.where} sign-off {n + 1}" if ext.get("id") else None,
                     id=ext.get("id") or entity_id(f"{loc.key}#signoff-{agency}"),
                     plan_id=plan_id, agency_id=agency, plan_version=v["planVersion"],
                     signed_by=by, signed_at=at)


def care_plan(imp: Importer, loc: Located) -> None:
    res = loc.resource
    person = imp.resolve(res.get("subject"), loc, "Patient", "subject")
    if person is None:
        imp.report.warn(f"{loc.key}: its patient is not in the file or the store; skipped.")
        return
    for inner in imp.index.contained(loc.key):
        if inner.rtype == "CareTeam":
            care_team(imp, inner)
    period = res.get("period") or {}
    status = enum_from_slug(PlanStatus, local_code(ext_value(res, "plan-status", "valueCoding"),
                                                   fc.cs("plan-status")))
    status = status or fc.PLAN_STATUS_IN.get(res.get("status", ""), PlanStatus.DRAFT)
    created = parse_date(res.get("created")) or parse_date(period.get("start"))
    closed = parse_date(period.get("end"))
    if created is None:
        imp.report.warn(f"{loc.key}: no created or start date; skipped.")
        return
    if status is PlanStatus.CLOSED and closed is None:
        closed = created

    def build(eid: str) -> CarePlan:
        return CarePlan(id=eid, person_id=person, status=status,
                        plan_version=ext_value(res, "plan-version", "valueInteger") or 1,
                        created_on=created,
                        activated_on=parse_date(period.get("start")) if status is not
                        PlanStatus.DRAFT else None,
                        review_date=parse_date(ext_value(res, "review-date", "valueDate")),
                        closed_on=closed if status is PlanStatus.CLOSED else None)

    plan_id = imp.add(loc, build, "care_plans")
    if plan_id is None or plan_id not in imp.entities:
        for item in [*(res.get("addresses") or []), *(res.get("goal") or [])]:
            found = imp.index.find(str(item.get("reference", "")), loc.key)
            if found is not None:
                imp.used.add(found.key)  # stored with the plan already, or lost with it
        return
    need_of: dict[str, str] = {}
    for i, addressed in enumerate(res.get("addresses", []) or []):
        found = imp.index.find(str(addressed.get("reference", "")), loc.key)
        if found is None or found.rtype != "Condition":
            imp.report.unresolved.append(f"{loc.key} addresses: {addressed.get('reference')}")
            continue
        text = concept_text(found.resource.get("code")) or addressed.get("display") or ""
        need_id = entity_id(found.key) if _is_need(found.resource) else entity_id(
            f"{loc.key}#need-{i}")
        imp.used.add(found.key)
        domain = need_domain(found.resource.get("category", [])) if _is_need(
            found.resource) else condition_domain(imp, found.resource, count=False)
        if text and imp.make(f"{loc.key} need {i + 1}", Need, id=need_id, plan_id=plan_id,
                             description=text, domain=domain):
            need_of[found.key] = need_id
        if not _is_need(found.resource):
            condition(imp, found)
    for goal_ref in res.get("goal", []) or []:
        found = imp.index.find(str(goal_ref.get("reference", "")), loc.key)
        if found is None or found.rtype != "Goal":
            imp.report.unresolved.append(f"{loc.key} goal: {goal_ref.get('reference')}")
            continue
        imp.used.add(found.key)
        _goal(imp, found, plan_id, need_of)
    for i, activity in enumerate(res.get("activity", []) or []):
        _activity(imp, loc, plan_id, i, activity, need_of)
    _signoffs(imp, loc, plan_id)


def _goal(imp: Importer, loc: Located, plan_id: str, need_of: dict[str, str]) -> None:
    res = loc.resource
    ach = res.get("achievementStatus")
    status = enum_from_slug(OutcomeStatus, local_code(ach, fc.cs("outcome-status")))
    if status is None:
        standard = local_code(ach, fc.GOAL_ACHIEVEMENT)
        status = fc.ACHIEVEMENT_IN.get(standard or "") or (
            OutcomeStatus.ACHIEVED if res.get("lifecycleStatus") == "completed"
            else OutcomeStatus.NOT_STARTED)
    need = None
    for a in res.get("addresses", []) or []:
        found = imp.index.find(str(a.get("reference", "")), loc.key)
        need = need_of.get(found.key) if found else None
    target = next((parse_date(t.get("dueDate")) for t in res.get("target", []) or []
                   if t.get("dueDate")), None)
    description = concept_text(res.get("description")) or "(no description)"
    imp.make(loc.key, Outcome, id=entity_id(loc.key), plan_id=plan_id, need_id=need,
             description=description, target_date=target, achievement=status)


def _activity(imp: Importer, loc: Located, plan_id: str, i: int, activity: dict[str, Any],
              need_of: dict[str, str]) -> None:
    detail = activity.get("detail") or {}
    text = detail.get("description") or concept_text(detail.get("code")) or str(
        (activity.get("reference") or {}).get("display") or "")
    if not text:
        imp.report.skipped["CarePlan.activity without description"] += 1
        return
    owner = agency = None
    for p in detail.get("performer", []) or []:
        kind = imp.ref_type(p, loc)
        if kind == "Organization":
            agency = imp.resolve(p, loc, "Organization", "activity performer")
        elif kind in ("Practitioner", "PractitionerRole"):
            owner = imp.resolve(p, loc, "Practitioner", "activity performer")
    if owner and agency is None:
        agency = imp.agency_of(owner)
    # Every need the action meets: the first is its own, the others are linked to it.
    needs: list[str] = []
    for r in detail.get("reasonReference", []) or []:
        found = imp.index.find(str(r.get("reference", "")), loc.key)
        need = need_of.get(found.key) if found else None
        if need is not None and need not in needs:
            needs.append(need)
    due = parse_date((detail.get("scheduledPeriod") or {}).get("end"))
    status = fc.ACTION_STATUS_IN.get(detail.get("status", ""))
    where = f"{loc.key} activity {i + 1}"
    action_id = imp.make(where, Action,
                         given=f"{loc.where} activity {i + 1}" if activity.get("id") else None,
                         id=activity.get("id") or entity_id(f"{loc.key}#activity-{i}"),
                         plan_id=plan_id, need_id=needs[0] if needs else None,
                         description=str(text), owner_professional_id=owner,
                         owner_agency_id=agency, due_date=due,
                         status=status or fc.ACTION_STATUS_IN["not-started"])
    if action_id is None:
        return
    for need in needs[1:]:
        imp.make(f"{where} need {need}", ActionNeed,
                 id=entity_id(f"{loc.key}#activity-{i}#need-{need}"),
                 action_id=action_id, need_id=need)


def map_all(imp: Importer) -> None:
    """Map every resource of the file in dependency order."""
    for loc in imp.of_type("Organization"):
        organization(imp, loc)
    practitioners(imp)
    for loc in imp.of_type("Patient"):
        patient(imp, loc)
    for loc in imp.of_type("CareTeam"):
        care_team(imp, loc)
    for loc in imp.of_type("CarePlan"):
        care_plan(imp, loc)
    for loc in imp.of_type("Condition"):
        if loc.key not in imp.used:
            condition(imp, loc)
    for loc in imp.of_type("Goal"):
        if loc.key not in imp.used:
            imp.report.skipped["Goal (not in a care plan)"] += 1
    tasks_by_focus: dict[str, Located] = {}
    for loc in imp.of_type("Task"):
        code = local_code(loc.resource.get("code"), fc.cs("task-kind")) or ""
        if code.startswith("handoff-"):
            handoff(imp, loc, code.removeprefix("handoff-"))
            continue
        focus = imp.index.find(str((loc.resource.get("focus") or {}).get("reference", "")),
                               loc.key)
        if focus is not None and focus.rtype == "ServiceRequest":
            tasks_by_focus[focus.key] = loc
        else:
            imp.report.skipped["Task (not a handoff or referral)"] += 1
    for loc in imp.of_type("ServiceRequest"):
        referral(imp, loc, tasks_by_focus.get(loc.key))
    for loc in imp.of_type("Encounter"):
        encounter(imp, loc)
    for loc in imp.of_type("Consent"):
        consent(imp, loc)
