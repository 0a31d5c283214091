"""``discharge-delayed``: still in hospital past the discharge ready date, or in hospital
for days with no discharge ready date at all.

Sources: NHS England's Discharge Ready Date (DRD): delay = discharge date (or today)
minus the discharge ready date; the DRD is to be recorded for every inpatient with a
stay of one night or longer once they no longer meet the criteria to reside (NHS
England, PRN00312, 2023, and its data collection guidance). The thresholds are in
``rules.toml``, ``[discharge]``. A stay is judged as it stood on ``today``: a stay
discharged after that day was still under way on it. The flag does not need an open
care plan: a person in hospital is in hospital whether or not their plan is open.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.episodes import HospitalStay
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Candidates, Context, day, flag, plural
from careplan.models.thresholds import Thresholds

#: A stay ``s`` under way on :today (``HospitalStay.in_hospital_on``), in SQL: the loader
#: (``store.flagdata``) reads these stays and their delay reasons.
IN_HOSPITAL_SQL = ("s.admitted_on <= :today "
                   "AND (s.discharged_on IS NULL OR s.discharged_on > :today)")

#: Candidates for ``discharge_delayed``: a stay under way today that is past its
#: discharge ready date (the rule waits ``discharge.warning_days`` of delay, at least 1,
#: so this superset needs no threshold), or that has none and began on or before
#: :admitted_by (``discharge.no_ready_date_days`` before today).
DISCHARGE_DELAYED_SQL = (
    f"SELECT s.person_id FROM hospital_stays s WHERE {IN_HOSPITAL_SQL} "
    "AND (s.discharge_ready_on < :today "
    "OR (s.discharge_ready_on IS NULL AND s.admitted_on <= :admitted_by))"
)


def _delayed_params(today: date, t: Thresholds) -> dict[str, Any]:
    return {"admitted_by": (today - timedelta(days=t.discharge_no_ready_date_days)).isoformat()}


DISCHARGE_DELAYED = Candidates(FlagCode.DISCHARGE_DELAYED, DISCHARGE_DELAYED_SQL,
                               _delayed_params, needs_open_plan=False)


def discharge_delayed(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each stay under way today: past its discharge ready date, a warning from
    ``warning_days`` of delay and critical from ``critical_days``; with no discharge
    ready date, a warning once the stay has lasted ``no_ready_date_days`` and critical
    from ``no_ready_date_critical_days``."""
    out: list[Flag] = []
    for stay in facts.stays:
        if not stay.in_hospital_on(ctx.today):
            continue
        found = (_no_ready_date(facts, ctx, stay) if stay.discharge_ready_on is None
                 else _delayed(facts, ctx, stay))
        if found is not None:
            out.append(found)
    return out


def delayed_discharges(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """The flags of stays past their discharge ready date (delayed discharges proper)."""
    return [f for f in discharge_delayed(facts, ctx)
            if f.evidence["discharge_ready_on"] is not None]


def _evidence(facts: PersonFacts, ctx: Context, stay: HospitalStay) -> dict[str, Any]:
    directory = facts.directory
    return {
        "hospital_id": stay.hospital_id,
        "hospital": directory.agency_name(stay.hospital_id),
        "admitted_on": stay.admitted_on.isoformat(),
        "discharge_ready_on": None if stay.discharge_ready_on is None
        else stay.discharge_ready_on.isoformat(),
        "days_delayed": stay.days_delayed(ctx.today),
        "days_in_hospital": (ctx.today - stay.admitted_on).days,
        "pathway": None if stay.pathway is None else int(stay.pathway),
        "delay_reasons": [
            {
                "reason": r.reason,
                "owner_agency_id": r.owner_agency_id,
                "owner_agency": directory.agency_name(r.owner_agency_id),
                "recorded_on": r.recorded_on.isoformat(),
            }
            for r in sorted(
                (r for r in facts.delay_reasons.get(stay.id, ())
                 if r.recorded_on <= ctx.today),
                key=lambda r: (r.recorded_on, r.reason),
            )
        ],
    }


def _held_up(evidence: dict[str, Any]) -> str:
    reasons = evidence["delay_reasons"]
    if not reasons:
        return "no delay reason is recorded, so nobody owns clearing it"
    return "held up by " + "; ".join(f"{r['reason']} ({r['owner_agency']} to resolve)"
                                     for r in reasons)


def _delayed(facts: PersonFacts, ctx: Context, stay: HospitalStay) -> Flag | None:
    t = ctx.thresholds
    today = ctx.today
    ready = stay.discharge_ready_on
    assert ready is not None
    delay = stay.days_delayed(today)
    if delay < t.discharge_warning_days:
        return None
    since = ready + timedelta(days=t.discharge_warning_days)
    critical_from = ready + timedelta(days=t.discharge_critical_days)
    critical = today >= critical_from
    evidence = _evidence(facts, ctx, stay)
    when = (
        f"critical since {day(critical_from)}" if critical
        else f"critical from {day(critical_from)}"
    )
    message = (
        f"Delayed discharge: ready to leave {evidence['hospital']} since {day(ready)} but "
        f"not yet discharged, {plural(delay, 'day')} past the discharge ready date "
        f"({when}, {t.discharge_critical_days} days' delay); {_held_up(evidence)}."
    )
    return flag(
        facts, FlagCode.DISCHARGE_DELAYED,
        Severity.CRITICAL if critical else Severity.WARNING,
        (SubjectType.HOSPITAL_STAY, stay.id), since, None if critical else critical_from,
        message, evidence,
    )


def _no_ready_date(facts: PersonFacts, ctx: Context, stay: HospitalStay) -> Flag | None:
    t = ctx.thresholds
    today = ctx.today
    nights = (today - stay.admitted_on).days
    if nights < t.discharge_no_ready_date_days:
        return None
    since = stay.admitted_on + timedelta(days=t.discharge_no_ready_date_days)
    critical_from = stay.admitted_on + timedelta(days=t.discharge_no_ready_date_critical_days)
    critical = today >= critical_from
    evidence = _evidence(facts, ctx, stay)
    when = (
        f"critical since {day(critical_from)}" if critical
        else f"critical from {day(critical_from)}"
    )
    message = (
        f"No discharge ready date: in {evidence['hospital']} since "
        f"{day(stay.admitted_on)}, {plural(nights, 'night')}, and no discharge ready date "
        "is recorded, so nobody can tell whether the discharge is delayed (NHS England "
        "asks for one for every stay of a night or more once the person no longer meets "
        f"the criteria to reside; {when}, {t.discharge_no_ready_date_critical_days} days "
        "in hospital)"
        + (f"; {_held_up(evidence)}." if evidence["delay_reasons"] else ".")
    )
    return flag(
        facts, FlagCode.DISCHARGE_DELAYED,
        Severity.CRITICAL if critical else Severity.WARNING,
        (SubjectType.HOSPITAL_STAY, stay.id), since, None if critical else critical_from,
        message, evidence,
    )
