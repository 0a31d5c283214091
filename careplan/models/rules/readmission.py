"""``readmitted-30-days``: an emergency admission within 30 days of the last discharge.

Sources: NHS England (NHS Digital), "Emergency readmissions within 30 days of discharge
from hospital" (NHS Outcomes Framework indicator 3b; CCG Outcomes Indicator Set 3.2;
Compendium I02040): emergency admissions 0 to 29 days inclusive after the last, previous
discharge from hospital, a measure of how well health and social care together help a
person recover after a stay; NHS Digital's seven-day services indicator of emergency
readmissions within seven days. The indicator leaves out admissions for cancer and
obstetrics; a stay here records no specialty, so none is left out. Thresholds in
``rules.toml``, ``[readmission]``. Stays are judged as they stood on ``today``. The flag
does not need an open care plan: the person is back in hospital whatever their plan.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from careplan.models.episodes import HospitalStay
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.health import AdmissionMethod
from careplan.models.rules.common import Candidates, Context, day, flag, plural
from careplan.models.thresholds import Thresholds

#: Candidates for ``readmitted_30_days``: an emergency admission on or before today,
#: still flagged today (admitted after :flagged_after, or still in hospital), with an
#: earlier discharge fewer than ``readmission.within_days`` days before it.
READMITTED_SQL = (
    "SELECT r.person_id FROM hospital_stays r "
    f"WHERE r.admission_method = '{AdmissionMethod.EMERGENCY.value}' "
    "AND r.admitted_on <= :today AND (r.admitted_on > :flagged_after "
    "OR r.discharged_on IS NULL OR r.discharged_on > :today) "
    "AND EXISTS (SELECT 1 FROM hospital_stays p WHERE p.person_id = r.person_id "
    "AND p.id != r.id AND p.discharged_on <= r.admitted_on "
    "AND p.discharged_on > date(r.admitted_on, :window))"
)


def _params(today: date, t: Thresholds) -> dict[str, Any]:
    return {"flagged_after": (today - timedelta(days=t.readmission_flagged_days)).isoformat(),
            "window": f"-{t.readmission_within_days} days"}


READMITTED_30_DAYS = Candidates(FlagCode.READMITTED_30_DAYS, READMITTED_SQL, _params,
                                needs_open_plan=False)


def previous_discharge(stay: HospitalStay, stays: list[HospitalStay]) -> HospitalStay | None:
    """The person's stay last discharged on or before ``stay`` began (the index stay)."""
    earlier = [s for s in stays if s.id != stay.id and s.discharged_on is not None
               and s.discharged_on <= stay.admitted_on]
    return max(earlier, key=lambda s: (s.discharged_on, s.admitted_on, s.id), default=None)


def readmitted_30_days(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each emergency admission begun fewer than ``readmission.within_days`` days
    after the person's last discharge: from the day of readmission, for
    ``readmission.flagged_days`` days or as long as the stay lasts; critical when it came
    fewer than ``readmission.critical_days`` days after the discharge."""
    t, today = ctx.thresholds, ctx.today
    out: list[Flag] = []
    for stay in facts.stays:
        if stay.admission_method is not AdmissionMethod.EMERGENCY or stay.admitted_on > today:
            continue
        flagged_until = stay.admitted_on + timedelta(days=t.readmission_flagged_days)
        if today >= flagged_until and not stay.in_hospital_on(today):
            continue
        index = previous_discharge(stay, facts.stays)
        if index is None or index.discharged_on is None:
            continue
        gap = (stay.admitted_on - index.discharged_on).days
        if gap >= t.readmission_within_days:
            continue
        out.append(_readmitted(facts, ctx, stay, index, gap, flagged_until))
    return out


def _readmitted(facts: PersonFacts, ctx: Context, stay: HospitalStay, index: HospitalStay,
                gap: int, flagged_until: date) -> Flag:
    t, today = ctx.thresholds, ctx.today
    left = index.discharged_on
    assert left is not None
    critical = gap < t.readmission_critical_days
    d = facts.directory
    still_in = stay.in_hospital_on(today)
    where = d.agency_name(stay.hospital_id)
    after = ("the same day as" if gap == 0
             else f"{plural(gap, 'day')} after")
    window = (f"fewer than {t.readmission_critical_days} days after discharge, so the "
              "discharge itself did not hold" if critical
              else f"within the {t.readmission_within_days} days NHS England's "
                   "readmission measure counts")
    message = (
        f"Emergency readmission: admitted to {where} as an emergency on "
        f"{day(stay.admitted_on)}, {after} discharge from "
        f"{d.agency_name(index.hospital_id)} on {day(left)} ({window}); "
        + ("still in hospital; " if still_in else "")
        + "review with the team why the discharge arrangements did not hold."
    )
    evidence = {
        "hospital_id": stay.hospital_id,
        "hospital": where,
        "readmitted_on": stay.admitted_on.isoformat(),
        "previous_stay_id": index.id,
        "previous_hospital": d.agency_name(index.hospital_id),
        "previous_admitted_on": index.admitted_on.isoformat(),
        "previous_discharged_on": left.isoformat(),
        "previous_pathway": None if index.pathway is None else int(index.pathway),
        "days_after_discharge": gap,
        "still_in_hospital": still_in,
        "flagged_until": None if still_in else flagged_until.isoformat(),
    }
    return flag(facts, FlagCode.READMITTED_30_DAYS,
                Severity.CRITICAL if critical else Severity.WARNING,
                (SubjectType.HOSPITAL_STAY, stay.id), stay.admitted_on, None, message,
                evidence)
