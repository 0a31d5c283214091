"""``sharing-basis-missing``: an action handed to an agency with no sharing basis.

Handing an action to an agency passes it the person's information it needs to act; the
agency's sharing basis (careplan.models.sharing_basis: consent given or a legal basis,
the latest record deciding) must allow that. Flagged: a handoff of an action proposed to
such an agency, and one it accepted while the action is still open, in a plan in force,
with that agency. A warning when nothing is recorded for the agency, critical when the
person refused or withdrew consent. It clears when a basis is recorded, or the action is
handed elsewhere, finished or cancelled, or the handoff is withdrawn or declined.

Source: the sharing basis of DESIGN.md (consent or a recorded legal basis); no grace
period, as for ``consent-missing``. The app asks for confirmation before such a handoff
is proposed (careplan.ui.workspace.handoffs_tab).
"""

from __future__ import annotations

from datetime import date

from careplan.models.enums import HandoffStatus, HandoffSubject
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import (
    Candidates,
    Context,
    current_plan,
    day,
    flag,
    plans_in_force,
)
from careplan.models.sharing_basis import SharingBasis, latest_allows_sql, sharing_bases

#: Candidates for ``sharing_basis_missing``: persons with an action handoff proposed or
#: accepted by today whose receiving agency has no sharing basis today (the same rule, as
#: SQL, careplan.models.sharing_basis). No threshold.
SHARING_BASIS_MISSING_SQL = (
    "SELECT h.person_id FROM handoffs h WHERE h.subject = 'action' "
    "AND h.status IN ('proposed', 'accepted') AND substr(h.proposed_at, 1, 10) <= :today "
    f"AND NOT {latest_allows_sql('h.person_id', 'h.to_agency_id', ':today')}"
)
SHARING_BASIS_MISSING = Candidates(FlagCode.SHARING_BASIS_MISSING, SHARING_BASIS_MISSING_SQL)

#: The longest part of an action's description a message quotes.
_QUOTE = 80


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= _QUOTE else text[:_QUOTE - 1] + '…'}”"


def sharing_basis_missing(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each action handoff, proposed or accepted, to an agency with no sharing
    basis today."""
    plan = current_plan(facts)
    if plan is None:
        return []
    today = ctx.today
    handoffs = [h for h in facts.handoffs
                if h.subject is HandoffSubject.ACTION and h.action_id
                and h.status in (HandoffStatus.PROPOSED, HandoffStatus.ACCEPTED)
                and h.proposed_at.date() <= today]
    if not handoffs:
        return []
    bases = sharing_bases(facts.consents, today)
    if all((b := bases.get(h.to_agency_id)) is not None and b.allowed for h in handoffs):
        return []  # the common case: every receiving agency may be shared with
    in_force = {p.id for p in plans_in_force(facts)}
    actions = {a.id: a for a in facts.actions}
    directory = facts.directory
    out: list[Flag] = []
    for h in handoffs:
        basis = bases.get(h.to_agency_id) or SharingBasis(h.to_agency_id, False)
        if basis.allowed:
            continue
        action = actions.get(h.action_id or "")
        agency = directory.agency_name(h.to_agency_id)
        what = _quote(action.description) if action is not None else "an action"
        to = directory.professional_name(h.to_professional_id)
        since: date
        if h.status is HandoffStatus.ACCEPTED:
            answered = h.answered_at.date() if h.answered_at else h.proposed_at.date()
            if (action is None or not action.is_open or action.plan_id not in in_force
                    or action.owner_agency_id != h.to_agency_id or answered > today):
                continue
            since = answered
            opening = f"{to} of {agency} accepted {what} on {day(answered)}"
        else:
            since = h.proposed_at.date()
            by = directory.professional_name(h.from_professional_id)
            opening = (f"{by} proposed on {day(since)} to hand {what} to {to} of {agency}")
        record = basis.objection or basis.record
        severity = Severity.WARNING if basis.severity_rank == 1 else Severity.CRITICAL
        if record is not None and record.recorded_on > since:
            since = record.recorded_on
        message = (f"Action handed to an agency with no sharing basis: {opening}, but "
                   f"{facts.person.name}'s information may not be shared with {agency} "
                   f"({basis.reason}); record consent or a legal basis for {agency}, or "
                   "hand the action to another agency.")
        evidence = {
            "plan_id": plan.id,
            "handoff_id": h.id,
            "action_id": h.action_id,
            "handoff_status": h.status.value,
            "agency": agency,
            "sharing_basis": basis.reason,
        }
        out.append(flag(facts, FlagCode.SHARING_BASIS_MISSING, severity,
                        (SubjectType.HANDOFF, h.id), since, None, message, evidence))
    return out
