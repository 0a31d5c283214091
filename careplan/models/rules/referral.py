"""``referral-dispute``: a referral bounced between teams, or that nobody accepted in time.

The bounce chain is read from the referral's events. A dispute is settled only when a
team accepts as lead or a panel decision is recorded; an acceptance that is not as
lead stops the "not accepted in time" clock but settles no bounce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from careplan.models.dates import age_on
from careplan.models.enums import ClinicalStatus, DeclineReason, ReferralEventKind
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.handoffs import Referral, ReferralEvent
from careplan.models.rules.common import (
    Candidates,
    Context,
    current_plan,
    day,
    flag,
    iso,
    names,
    plural,
)

K = ReferralEventKind


def settles(event: ReferralEvent) -> bool:
    """A team accepted as lead, or a panel decided."""
    return (event.kind is K.ACCEPTED and event.as_lead) or event.kind is K.PANEL_DECISION


@dataclass(slots=True)
class _Chain:
    """What the events say, in order."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    declines: list[ReferralEvent] = field(default_factory=list)
    #: Declines and redirects, a team's decline and its redirect of the same day counted
    #: once: "declined, and sent to the drug and alcohol service" is one refusal.
    refusals: list[ReferralEvent] = field(default_factory=list)
    two_teams_on: date | None = None
    returned_on: date | None = None
    accepted: bool = False
    teams: set[str] = field(default_factory=set)


def _read_chain(facts: PersonFacts, events: list[ReferralEvent]) -> _Chain:
    chain = _Chain()
    decliners: set[str] = set()
    name = facts.directory.agency_name
    for e in events:
        step: dict[str, Any] = {"on": e.occurred_on.isoformat(), "step": e.kind.value,
                                "team_id": e.team_id, "team": name(e.team_id) if e.team_id
                                else None}
        if e.team_id:
            chain.teams.add(e.team_id)
        if e.kind is K.SENT:
            if e.team_id in decliners and chain.returned_on is None:
                chain.returned_on = e.occurred_on
        elif e.kind in (K.DECLINED, K.REDIRECTED):
            chain.declines.append(e)
            last = chain.refusals[-1] if chain.refusals else None
            if last is None or (last.team_id, last.occurred_on) != (e.team_id, e.occurred_on):
                chain.refusals.append(e)
            if e.team_id:
                decliners.add(e.team_id)
            if len(decliners) >= 2 and chain.two_teams_on is None:
                chain.two_teams_on = e.occurred_on
            step["reason"] = e.reason
            step["reason_code"] = None if e.reason_code is None else e.reason_code.value
            if e.to_team_id:
                chain.teams.add(e.to_team_id)
                step["to_team_id"] = e.to_team_id
                step["to_team"] = name(e.to_team_id)
                if e.to_team_id in decliners and chain.returned_on is None:
                    chain.returned_on = e.occurred_on
        elif e.kind is K.ACCEPTED:
            chain.accepted = True
        chain.steps.append(step)
    return chain


def _bounce_text(facts: PersonFacts, declines: list[ReferralEvent]) -> str:
    parts = []
    for e in declines:
        who = facts.directory.agency_name(e.team_id)
        if e.kind is K.REDIRECTED:
            parts.append(f"redirected by {who} to {facts.directory.agency_name(e.to_team_id)} "
                         f"on {day(e.occurred_on)}")
        else:
            parts.append(f"declined by {who} on {day(e.occurred_on)}")
    return names(parts)


#: Candidates for ``referral_dispute``: a referral sent by today that no event up to
#: today settles (:func:`settles`: accepted as lead, or a panel decision). Whether it
#: bounced or waited more than ``referral.accept_working_days`` is the rule's to judge.
REFERRAL_DISPUTE_SQL = (
    "SELECT r.person_id FROM referrals r WHERE r.sent_on <= :today AND NOT EXISTS "
    "(SELECT 1 FROM referral_events s WHERE s.referral_id = r.id "
    f"AND s.occurred_on <= :today AND ((s.kind = '{K.ACCEPTED.value}' AND s.as_lead = 1) "
    f"OR s.kind = '{K.PANEL_DECISION.value}'))"
)
REFERRAL_DISPUTE = Candidates(FlagCode.REFERRAL_DISPUTE, REFERRAL_DISPUTE_SQL)


def referral_dispute(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each unsettled referral that two teams declined or redirected, that came
    back to a team that had declined it, or that nobody accepted within
    ``accept_working_days``. Critical when it is a dual-diagnosis dispute, when a team
    declined for substance use (NICE QS188), or once escalation is due."""
    if current_plan(facts) is None:
        return []
    out: list[Flag] = []
    for referral in facts.referrals:
        found = _dispute(facts, ctx, referral)
        if found is not None:
            out.append(found)
    return out


def _dispute(facts: PersonFacts, ctx: Context, referral: Referral) -> Flag | None:
    today = ctx.today
    t = ctx.thresholds
    if referral.sent_on > today:
        return None
    # By date; events of the same day keep the order they were recorded in.
    events = sorted(
        (e for e in facts.referral_events.get(referral.id, ()) if e.occurred_on <= today),
        key=lambda e: e.occurred_on,
    )
    if any(settles(e) for e in events):
        return None
    chain = _read_chain(facts, events)
    accept_by = ctx.calendar.add(referral.sent_on, t.referral_accept_working_days)
    unaccepted_from = (
        accept_by + timedelta(days=1)
        if not chain.accepted and today > accept_by else None
    )
    starts = [d for d in (chain.two_teams_on, chain.returned_on, unaccepted_from) if d]
    if not starts:
        return None
    since = min(starts)

    escalation_due = None
    if len(chain.refusals) >= 2:
        escalation_due = ctx.calendar.add(chain.refusals[1].occurred_on,
                                          t.referral_escalation_working_days)
    directory = facts.directory
    team_domains = {
        a.domain for tid in chain.teams
        if (a := directory.agencies.get(tid)) is not None and a.domain is not None
    }
    condition_domains = {
        c.domain for c in facts.conditions if c.clinical_status is ClinicalStatus.ACTIVE
    }
    shared = sorted(d.value for d in team_domains & condition_domains)
    dual = len(shared) >= 2
    substance_declined = (
        any(e.reason_code is DeclineReason.SUBSTANCE_USE for e in chain.declines)
        and age_on(facts.person.birth_date, today) >= t.referral_substance_use_min_age
    )
    overdue = escalation_due is not None and today >= escalation_due
    critical = dual or substance_declined or overdue

    days_open = (today - referral.sent_on).days
    sender = directory.agency_name(referral.from_agency_id)
    what = (f"{'Dual-diagnosis referral dispute' if dual else 'Referral dispute'}: the "
            f"{referral.domain.value} referral sent by {sender} on {day(referral.sent_on)}")
    if chain.declines:
        what += f" was {_bounce_text(facts, chain.declines)}"
        if chain.returned_on is not None:
            what += f", coming back to a team that had already declined it on " \
                    f"{day(chain.returned_on)}"
        elif chain.two_teams_on is None:  # flagged only because time ran out: say so
            what += (f"; no team accepted it within {t.referral_accept_working_days} "
                     f"working days (by {day(accept_by)})")
    else:
        what += (f" has not been accepted by any team within "
                 f"{t.referral_accept_working_days} working days (by {day(accept_by)})")
    what += f", and no team has taken the lead after {plural(days_open, 'day')}"
    if dual:
        what += f" although {facts.person.name} has active conditions in {names(shared)}"
    if substance_declined:
        what += " (a decline for substance use, which NICE QS188 rules out from age " \
                f"{t.referral_substance_use_min_age})"
    if escalation_due is not None:
        verb = "was" if today >= escalation_due else "is"
        what += (f"; escalation {verb} due on {day(escalation_due)}, "
                 f"{t.referral_escalation_working_days} working days after the second decline")
    owner = referral.interim_owner_id
    what += (f"; interim owner: {directory.professional_name(owner)}" if owner
             else "; no interim owner is recorded")
    evidence = {
        "sent_on": referral.sent_on.isoformat(),
        "from_agency_id": referral.from_agency_id,
        "from_agency": sender,
        "domain": referral.domain.value,
        "summary": referral.summary,
        "chain": chain.steps,
        "days_since_sent": days_open,
        "accept_by": accept_by.isoformat(),
        "escalation_due": iso(escalation_due),
        "interim_owner_id": owner,
        "interim_owner": directory.professional_name(owner) if owner else None,
        "dual_diagnosis": dual,
        "shared_domains": shared,
        "declined_for_substance_use": substance_declined,
    }
    due = None if critical else escalation_due
    return flag(facts, FlagCode.REFERRAL_DISPUTE,
                Severity.CRITICAL if critical else Severity.WARNING,
                (SubjectType.REFERRAL, referral.id), since, due, what + ".", evidence)
