"""``s117-aftercare-unassigned``: discharged after detention under the Mental Health Act
(section 3, 37, 45A, 47 or 48) with no aftercare plan naming both the NHS body and the
local authority.

Sources: Mental Health Act 1983, s.117(1)-(2): a person who ceases to be detained under
those sections and leaves hospital is owed aftercare by the integrated care board and the
local social services authority together, until both are satisfied it is no longer
needed; Mental Health Act 1983 Code of Practice (2015), para 33.10: the duty begins when
the person leaves hospital, but planning starts at admission. NHS Standard Contract,
Schedule 4A: follow-up within 72 hours of discharge from inpatient mental health care.
Thresholds in ``rules.toml``, ``[aftercare]``. A stay is judged as it stood on
``today``. The flag does not need an open care plan: the duty is open in itself.
"""

from __future__ import annotations

from datetime import timedelta

from careplan.models.enums import Sector
from careplan.models.episodes import HospitalStay
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.health import AFTERCARE_SECTIONS, AftercarePlan
from careplan.models.rules.common import Candidates, Context, day, flag, names, plural

_SECTIONS_SQL = "(" + ", ".join(f"'{s.value}'" for s in sorted(AFTERCARE_SECTIONS)) + ")"

#: SQL for "aftercare plan ``p`` of stay ``s``, agreed by :today, names an NHS body (an
#: agency of the health sector) and a local authority (of the social care sector)"
#: (:func:`names_both`).
NAMES_BOTH_SQL = (
    "SELECT 1 FROM aftercare_plans p "
    f"JOIN agencies n ON n.id = p.nhs_agency_id AND n.sector = '{Sector.HEALTH.value}' "
    f"JOIN agencies l ON l.id = p.council_agency_id AND l.sector = '{Sector.SOCIAL_CARE.value}' "
    "WHERE p.stay_id = s.id AND p.agreed_on <= :today"
)

#: Candidates for ``s117_aftercare_unassigned``: a stay with a detention that brings the
#: duty, discharged by today, with no plan naming both.
S117_AFTERCARE_UNASSIGNED_SQL = (
    f"SELECT s.person_id FROM hospital_stays s WHERE s.mha_section IN {_SECTIONS_SQL} "
    f"AND s.discharged_on <= :today AND NOT EXISTS ({NAMES_BOTH_SQL})"
)

S117_AFTERCARE_UNASSIGNED = Candidates(FlagCode.S117_AFTERCARE_UNASSIGNED,
                                       S117_AFTERCARE_UNASSIGNED_SQL, needs_open_plan=False)


def names_both(plan: AftercarePlan, facts: PersonFacts) -> bool:
    """Whether the plan names an NHS body and a local social services authority."""
    agencies = facts.directory.agencies
    nhs = agencies.get(plan.nhs_agency_id or "")
    council = agencies.get(plan.council_agency_id or "")
    return (nhs is not None and nhs.sector is Sector.HEALTH
            and council is not None and council.sector is Sector.SOCIAL_CARE)


def s117_aftercare_unassigned(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each stay after such a detention, discharged by today, whose aftercare no
    plan assigns to both bodies: a warning from the day of discharge, critical once more
    than ``aftercare.critical_days`` have passed."""
    out: list[Flag] = []
    for stay in facts.stays:
        section = stay.mha_section
        if (section is None or not section.brings_aftercare or stay.discharged_on is None
                or stay.discharged_on > ctx.today):
            continue
        plans = [p for p in facts.health.aftercare
                 if p.stay_id == stay.id and p.agreed_on <= ctx.today]
        if any(names_both(p, facts) for p in plans):
            continue
        out.append(_unassigned(facts, ctx, stay, plans))
    return out


def _unassigned(facts: PersonFacts, ctx: Context, stay: HospitalStay,
                plans: list[AftercarePlan]) -> Flag:
    t, today = ctx.thresholds, ctx.today
    left = stay.discharged_on
    assert left is not None and stay.mha_section is not None
    days = (today - left).days
    critical_from = left + timedelta(days=t.aftercare_critical_days + 1)
    critical = today >= critical_from
    hospital = facts.directory.agency_name(stay.hospital_id)
    named_nhs = sorted({facts.directory.agency_name(p.nhs_agency_id) for p in plans
                        if p.nhs_agency_id})
    named_council = sorted({facts.directory.agency_name(p.council_agency_id) for p in plans
                            if p.council_agency_id})
    if not plans:
        gap = "no section 117 aftercare plan is recorded"
    else:
        missing = []
        if not any(_is(p.nhs_agency_id, Sector.HEALTH, facts) for p in plans):
            missing.append("the NHS body (integrated care board)")
        if not any(_is(p.council_agency_id, Sector.SOCIAL_CARE, facts) for p in plans):
            missing.append("the local authority")
        gap = f"the aftercare plan does not name {names(missing) or 'both bodies together'}"
    when = (f"critical since {day(critical_from)}" if critical
            else f"critical from {day(critical_from)}")
    message = (
        f"Section 117 aftercare not assigned: discharged from {hospital} on {day(left)}, "
        f"{plural(days, 'day')} ago, after detention under {stay.mha_section.value} of the "
        f"Mental Health Act, and {gap}; aftercare is the joint duty of the NHS body and "
        f"the local authority from the day the person leaves hospital ({when})."
    )
    evidence = {
        "hospital_id": stay.hospital_id,
        "hospital": hospital,
        "admitted_on": stay.admitted_on.isoformat(),
        "discharged_on": left.isoformat(),
        "mha_section": stay.mha_section.value,
        "days_since_discharge": days,
        "aftercare_plan_ids": sorted(p.id for p in plans),
        "nhs_bodies_named": named_nhs,
        "local_authorities_named": named_council,
    }
    return flag(facts, FlagCode.S117_AFTERCARE_UNASSIGNED,
                Severity.CRITICAL if critical else Severity.WARNING,
                (SubjectType.HOSPITAL_STAY, stay.id), left,
                None if critical else critical_from, message, evidence)


def _is(agency_id: str | None, sector: Sector, facts: PersonFacts) -> bool:
    agency = facts.directory.agencies.get(agency_id or "")
    return agency is not None and agency.sector is sector
