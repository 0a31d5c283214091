"""``break-glass``: a record opened in an emergency by an agency with no sharing basis.

A professional may open the record of a person their agency may not see, in an
emergency, giving the reason (careplan.models.emergency). The access is reported to the
person's lead professional by this flag, from the day of the access until the lead
professional (or a manager of an agency on the care team) records that they reviewed it.
Whether or not a plan is open: the access happened either way. A warning; no threshold.

Source: the sharing basis of DESIGN.md and the Caldicott principles (access on a need to
know, everyone accountable for what they open); the NHS's "legitimate relationship"
self-claim is reported to a privacy officer in the same way.
"""

from __future__ import annotations

from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Candidates, Context, active_team, day, flag

#: Candidates for ``break_glass``: persons with an emergency access made by today and not
#: reviewed by today.
BREAK_GLASS_SQL = (
    "SELECT person_id FROM emergency_accesses WHERE substr(opened_at, 1, 10) <= :today "
    "AND (reviewed_at IS NULL OR substr(reviewed_at, 1, 10) > :today)"
)
BREAK_GLASS = Candidates(FlagCode.BREAK_GLASS, BREAK_GLASS_SQL, needs_open_plan=False)

#: The longest part of a reason a message quotes.
_QUOTE = 160


def break_glass(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each emergency access not yet reviewed on ``today``."""
    today = ctx.today
    directory = facts.directory
    out: list[Flag] = []
    for access in facts.emergency_accesses:
        opened = access.opened_at.date()
        if opened > today or (access.reviewed_at is not None
                               and access.reviewed_at.date() <= today):
            continue
        who = directory.professional_name(access.professional_id)
        agency = directory.agency_name(access.agency_id)
        reason = " ".join(access.reason.split())
        if len(reason) > _QUOTE:
            reason = reason[:_QUOTE - 1] + "…"
        lead = next((m.professional_id for m in active_team(facts, today) if m.is_lead),
                    None)
        to = (f"{directory.professional_name(lead)} (the lead professional) reviews it"
              if lead else "no lead professional is named to review it")
        message = (f"Emergency access: {who} of {agency} opened {facts.person.name}'s record "
                   f"on {day(opened)} at {access.opened_at:%H:%M} without a sharing basis, "
                   f"giving the reason “{reason}”; {to}.")
        evidence = {
            "access_id": access.id,
            "professional": who,
            "agency": agency,
            "opened_at": access.opened_at.isoformat(timespec="minutes"),
            "reason": access.reason,
        }
        out.append(flag(facts, FlagCode.BREAK_GLASS, Severity.WARNING,
                        (SubjectType.EMERGENCY_ACCESS, access.id), opened, None, message,
                        evidence))
    return out
