"""``discharge-delayed``: still in hospital past the discharge ready date (NHS England)."""

from __future__ import annotations

from datetime import timedelta

from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Candidates, Context, current_plan, day, flag, plural

#: Candidates for ``discharge_delayed``: a stay not discharged and past its discharge
#: ready date. The rule waits ``discharge.warning_days`` of delay (at least 1, so this
#: superset needs no threshold).
DISCHARGE_DELAYED_SQL = (
    "SELECT person_id FROM hospital_stays WHERE discharged_on IS NULL "
    "AND discharge_ready_on < :today"
)
DISCHARGE_DELAYED = Candidates(FlagCode.DISCHARGE_DELAYED, DISCHARGE_DELAYED_SQL)


def discharge_delayed(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag a stay with a discharge ready date and no discharge: warning from
    ``warning_days`` of delay, critical from ``critical_days``. Delay is today minus the
    discharge ready date (NHS England's definition)."""
    if current_plan(facts) is None:
        return []
    t = ctx.thresholds
    today = ctx.today
    directory = facts.directory
    out: list[Flag] = []
    for stay in facts.stays:
        ready = stay.discharge_ready_on
        if ready is None or stay.discharged_on is not None:
            continue
        delay = stay.days_delayed(today)
        if delay < t.discharge_warning_days:
            continue
        since = ready + timedelta(days=t.discharge_warning_days)
        critical_from = ready + timedelta(days=t.discharge_critical_days)
        critical = today >= critical_from
        reasons = sorted(
            (r for r in facts.delay_reasons.get(stay.id, ()) if r.recorded_on <= today),
            key=lambda r: (r.recorded_on, r.reason),
        )
        if reasons:
            held_up = "held up by " + "; ".join(
                f"{r.reason} ({directory.agency_name(r.owner_agency_id)} to resolve)"
                for r in reasons
            )
        else:
            held_up = "no delay reason is recorded, so nobody owns clearing it"
        hospital = directory.agency_name(stay.hospital_id)
        when = (
            f"critical since {day(critical_from)}" if critical
            else f"critical from {day(critical_from)}"
        )
        message = (
            f"Delayed discharge: ready to leave {hospital} since {day(ready)} but not yet "
            f"discharged, {plural(delay, 'day')} past the discharge ready date "
            f"({when}, {t.discharge_critical_days} days' delay); {held_up}."
        )
        evidence = {
            "hospital_id": stay.hospital_id,
            "hospital": hospital,
            "admitted_on": stay.admitted_on.isoformat(),
            "discharge_ready_on": ready.isoformat(),
            "days_delayed": delay,
            "pathway": None if stay.pathway is None else int(stay.pathway),
            "delay_reasons": [
                {
                    "reason": r.reason,
                    "owner_agency_id": r.owner_agency_id,
                    "owner_agency": directory.agency_name(r.owner_agency_id),
                    "recorded_on": r.recorded_on.isoformat(),
                }
                for r in reasons
            ],
        }
        out.append(flag(
            facts, FlagCode.DISCHARGE_DELAYED,
            Severity.CRITICAL if critical else Severity.WARNING,
            (SubjectType.HOSPITAL_STAY, stay.id), since, None if critical else critical_from,
            message, evidence,
        ))
    return out
