"""``referral-dispute``: a referral bounced between teams, nobody accepted in time, or a
service refused a person NICE QS188 says it must not exclude.

The bounce chain is read from the referral's events, in order. A dispute is settled only
when a team accepts as lead or a panel decision is recorded; an acceptance for
assessment (not as lead) stops the "not accepted in time" clock when it comes in time,
and settles nothing. A refusal after a settlement (a lead team handing the referral
back, a team declining what a panel decided) opens the referral again: what follows is
judged afresh, with the clock running again from that refusal.

Sources: NICE QS188 statement 2 (coexisting severe mental illness and substance misuse:
from age 14 nobody is excluded from mental health services because of substance
misuse, nor from substance misuse services because of severe mental illness); the
accept and escalation windows are CarePlan defaults (``rules.toml``, ``[referral]``).
The flag does not need an open care plan: a person whose plan was closed is still owed
an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from careplan.models.dates import age_on, nth_birthday
from careplan.models.enums import ClinicalStatus, DeclineReason, ReferralEventKind
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.handoffs import Referral, ReferralEvent
from careplan.models.rules.common import (
    Candidates,
    Context,
    day,
    flag,
    iso,
    names,
    plural,
)

K = ReferralEventKind
_ONE_DAY = timedelta(days=1)
_REFUSALS = (K.DECLINED, K.REDIRECTED)

#: Refusals NICE QS188 statement 2 rules out from age 14, and whom they exclude from what.
EXCLUSIONS: dict[DeclineReason, str] = {
    DeclineReason.SUBSTANCE_USE:
        "from mental health services because of substance misuse",
    DeclineReason.SEVERE_MENTAL_ILLNESS:
        "from substance misuse services because of severe mental illness",
}


def settles(event: ReferralEvent) -> bool:
    """A team accepted as lead, or a panel decided."""
    return (event.kind is K.ACCEPTED and event.as_lead) or event.kind is K.PANEL_DECISION


def _refusal(event: ReferralEvent) -> bool:
    return event.kind in _REFUSALS


def standing_exclusions(events: list[ReferralEvent]) -> list[ReferralEvent]:
    """Refusals for a reason QS188 rules out (:data:`EXCLUSIONS`) that still stand: the
    refusing team has not accepted the person since, and no panel has decided since."""
    out = []
    for i, e in enumerate(events):
        if not _refusal(e) or e.reason_code not in EXCLUSIONS:
            continue
        if not any(later.kind is K.PANEL_DECISION
                   or (later.kind is K.ACCEPTED and later.team_id == e.team_id)
                   for later in events[i + 1:]):
            out.append(e)
    return out


@dataclass(slots=True)
class _Chain:
    """What the events say, in order: ``steps`` and ``declines`` over the referral's whole
    history; the rest over its open stretch (after the last settlement, if any)."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    declines: list[ReferralEvent] = field(default_factory=list)
    #: The last settlement (acceptance as lead or panel decision), if any.
    settled: ReferralEvent | None = None
    #: The refusal that opened the referral again after ``settled``.
    reopened: ReferralEvent | None = None
    #: Refusals of the open stretch, a team's decline and its redirect of the same day
    #: counted once: "declined, and sent to the drug and alcohol service" is one refusal.
    refusals: list[ReferralEvent] = field(default_factory=list)
    two_teams_on: date | None = None
    returned_on: date | None = None
    #: Acceptances for assessment (not as lead) in the open stretch.
    acceptances: list[ReferralEvent] = field(default_factory=list)
    teams: set[str] = field(default_factory=set)

    @property
    def is_open(self) -> bool:
        return self.settled is None or self.reopened is not None


def _read_chain(facts: PersonFacts, events: list[ReferralEvent]) -> _Chain:
    chain = _Chain()
    name = facts.directory.agency_name
    last_settle = max((i for i, e in enumerate(events) if settles(e)), default=-1)
    if last_settle >= 0:
        chain.settled = events[last_settle]
        chain.reopened = next((e for e in events[last_settle + 1:] if _refusal(e)), None)
    # The open stretch: all of it when never settled, from the reopening refusal after a
    # settlement, none when the last settlement stands.
    start = (0 if chain.settled is None else
             events.index(chain.reopened) if chain.reopened is not None else len(events))
    ever_declined: set[str] = set()  # a team that declined at any time, before too
    decliners: set[str] = set()  # teams that refused in the open stretch
    for i, e in enumerate(events):
        open_part = i >= start
        step: dict[str, Any] = {"on": e.occurred_on.isoformat(), "step": e.kind.value,
                                "team_id": e.team_id, "team": name(e.team_id) if e.team_id
                                else None}
        if e.kind is K.ACCEPTED:
            step["as_lead"] = e.as_lead
        if e.team_id:
            chain.teams.add(e.team_id)
        if e.kind is K.SENT:
            if open_part and e.team_id in ever_declined and chain.returned_on is None:
                chain.returned_on = e.occurred_on
        elif _refusal(e):
            chain.declines.append(e)
            step["reason"] = e.reason
            step["reason_code"] = None if e.reason_code is None else e.reason_code.value
            if e.to_team_id:
                chain.teams.add(e.to_team_id)
                step["to_team_id"] = e.to_team_id
                step["to_team"] = name(e.to_team_id)
            if open_part:
                last = chain.refusals[-1] if chain.refusals else None
                if last is None or (last.team_id, last.occurred_on) != (e.team_id,
                                                                         e.occurred_on):
                    chain.refusals.append(e)
                if e.team_id:
                    decliners.add(e.team_id)
                if len(decliners) >= 2 and chain.two_teams_on is None:
                    chain.two_teams_on = e.occurred_on
                if e.to_team_id in ever_declined and chain.returned_on is None:
                    chain.returned_on = e.occurred_on
            if e.team_id:
                ever_declined.add(e.team_id)
        elif e.kind is K.ACCEPTED and open_part and not e.as_lead:
            chain.acceptances.append(e)
        chain.steps.append(step)
    return chain


def _bounce_text(facts: PersonFacts, declines: list[ReferralEvent]) -> str:
    parts = []
    for e in declines:
        who = facts.directory.agency_name(e.team_id)
        why = (f" because of {e.reason_code.value}" if e.reason_code in EXCLUSIONS
               and e.reason_code is not None else "")
        if e.kind is K.REDIRECTED:
            parts.append(f"redirected by {who}{why} to "
                         f"{facts.directory.agency_name(e.to_team_id)} on {day(e.occurred_on)}")
        else:
            parts.append(f"declined by {who}{why} on {day(e.occurred_on)}")
    return names(parts)


def _settled_text(facts: PersonFacts, e: ReferralEvent) -> str:
    if e.kind is K.PANEL_DECISION:
        lead = (f" that {facts.directory.agency_name(e.team_id)} leads" if e.team_id else "")
        return f"a panel decided{lead} on {day(e.occurred_on)}"
    return f"{facts.directory.agency_name(e.team_id)} accepted it as lead on {day(e.occurred_on)}"


#: Refusals and settlements, as SQL conditions on a referral event ``s``.
_REFUSAL_SQL = f"s.kind IN ('{K.DECLINED.value}', '{K.REDIRECTED.value}')"
_SETTLES_SQL = (f"((s.kind = '{K.ACCEPTED.value}' AND s.as_lead = 1) "
                f"OR s.kind = '{K.PANEL_DECISION.value}')")
_EXCLUSION_SQL = ", ".join(f"'{r.value}'" for r in EXCLUSIONS)

#: A referral ``r`` the rule must read today (``referral_dispute`` judges the rest): sent
#: by today, and either settled by no event up to today (:func:`settles`), or refused
#: on or after the day of its last settlement (a refusal may open it again), or refused
#: at some time for a reason QS188 rules out (:data:`EXCLUSIONS`: such a refusal stands
#: even after another team accepts). The loader (``store.flagdata``) reads the referrals
#: and their events with the same condition.
OPEN_REFERRAL_SQL = (
    "r.sent_on <= :today AND (NOT EXISTS (SELECT 1 FROM referral_events s "
    f"WHERE s.referral_id = r.id AND s.occurred_on <= :today AND {_SETTLES_SQL}) "
    "OR EXISTS (SELECT 1 FROM referral_events s WHERE s.referral_id = r.id "
    f"AND s.occurred_on <= :today AND {_REFUSAL_SQL} AND (s.reason_code IN "
    f"({_EXCLUSION_SQL}) OR s.occurred_on >= (SELECT max(x.occurred_on) FROM "
    "referral_events x WHERE x.referral_id = r.id AND x.occurred_on <= :today AND "
    f"{_SETTLES_SQL.replace('s.', 'x.')}))))"
)

#: Candidates for ``referral_dispute``: a referral the rule must read today
#: (:data:`OPEN_REFERRAL_SQL`). Whether it bounced, waited more than
#: ``referral.accept_working_days`` or excluded the person is the rule's to judge.
REFERRAL_DISPUTE_SQL = f"SELECT r.person_id FROM referrals r WHERE {OPEN_REFERRAL_SQL}"
REFERRAL_DISPUTE = Candidates(FlagCode.REFERRAL_DISPUTE, REFERRAL_DISPUTE_SQL,
                              needs_open_plan=False)


def referral_dispute(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each referral that two teams refused, that came back to a team that had
    declined it, that nobody accepted within ``accept_working_days``, that was refused
    after a panel decided it, or that a service refused for a reason QS188 rules out.
    Critical when it is a dual-diagnosis dispute, for such a refusal from
    ``substance_use_min_age``, or once escalation is due."""
    out: list[Flag] = []
    for referral in facts.referrals:
        found = _dispute(facts, ctx, referral)
        if found is not None:
            out.append(found)
    return out


@dataclass(slots=True)
class _Timing:
    """When the open stretch became a dispute, and when escalation is due (and why)."""

    starts: list[date] = field(default_factory=list)
    #: (escalation day, what it counts from), for every cause, met or pending.
    escalations: list[tuple[date, str]] = field(default_factory=list)


def _timing(chain: _Chain, referral: Referral, ctx: Context) -> tuple[_Timing, date]:
    today, t, cal = ctx.today, ctx.thresholds, ctx.calendar
    timing = _Timing()
    if not chain.is_open:
        return timing, cal.add(referral.sent_on, t.referral_accept_working_days)
    opened_on = referral.sent_on if chain.reopened is None else chain.reopened.occurred_on
    accept_by = cal.add(opened_on, t.referral_accept_working_days)
    escalate = t.referral_escalation_working_days

    def escalation(on: date, basis: str) -> None:
        timing.escalations.append((cal.add(on, escalate), basis))

    def start(on: date) -> None:
        if on <= today:
            timing.starts.append(on)

    if not any(a.occurred_on <= accept_by for a in chain.acceptances):
        start(accept_by + _ONE_DAY)
        escalation(accept_by, "the accept-by date")
    if chain.two_teams_on is not None:
        start(chain.two_teams_on)  # escalation: from the second refusal, no later
    if len(chain.refusals) >= 2:
        escalation(chain.refusals[1].occurred_on, "the second decline")
    if chain.returned_on is not None:
        start(chain.returned_on)
        escalation(chain.returned_on, "its return to a team that had declined it")
    if (chain.reopened is not None and chain.settled is not None
            and chain.settled.kind is K.PANEL_DECISION):
        start(chain.reopened.occurred_on)
        escalation(chain.reopened.occurred_on, "the refusal of the panel's decision")
    return timing, accept_by


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
    chain = _read_chain(facts, events)
    timing, accept_by = _timing(chain, referral, ctx)
    birth = facts.person.birth_date
    min_age_on = nth_birthday(birth, t.referral_substance_use_min_age)
    of_age = age_on(birth, today) >= t.referral_substance_use_min_age
    excluded = standing_exclusions(events)
    starts = list(timing.starts)
    if excluded:  # a warning below the age QS188 names, critical from it
        starts.append(min(e.occurred_on for e in excluded))
    if not starts:
        return None
    since = min(starts)

    escalation_due, escalation_basis = (min(timing.escalations) if timing.escalations
                                        else (None, ""))
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
    exclusion = bool(excluded) and of_age
    overdue = escalation_due is not None and today >= escalation_due
    critical = dual or exclusion or overdue

    days_open = (today - referral.sent_on).days
    sender = directory.agency_name(referral.from_agency_id)
    what = (f"{'Dual-diagnosis referral dispute' if dual else 'Referral dispute'}: the "
            f"{referral.domain.value} referral sent by {sender} on {day(referral.sent_on)}")
    if chain.declines:
        what += f" was {_bounce_text(facts, chain.declines)}"
    if chain.settled is not None:
        what += "; " + _settled_text(facts, chain.settled)
        if chain.reopened is not None:
            what += (f", but {directory.agency_name(chain.reopened.team_id)} refused it on "
                     f"{day(chain.reopened.occurred_on)}, opening it again")
    if chain.is_open:
        if chain.returned_on is not None:
            what += (f", coming back to a team that had already declined it on "
                     f"{day(chain.returned_on)}")
        late = [a for a in chain.acceptances if a.occurred_on > accept_by]
        in_time = [a for a in chain.acceptances if a.occurred_on <= accept_by]
        if not in_time and today > accept_by:
            first = not chain.declines and chain.settled is None
            window = f"{t.referral_accept_working_days} working days (by {day(accept_by)})"
            if late:
                what += (f"{' was' if first else '; it was'} accepted for assessment only, "
                         f"not as lead, by {directory.agency_name(late[0].team_id)} on "
                         f"{day(late[0].occurred_on)}, after its {window} to be accepted")
            else:
                what += (" has not been accepted by any team within " if first
                         else "; no team accepted it within ") + window
        what += f", and no team has taken the lead after {plural(days_open, 'day')}"
    if dual:
        what += f" although {facts.person.name} has active conditions in {names(shared)}"
    if excluded:
        whom = names(sorted({EXCLUSIONS[e.reason_code] for e in excluded
                             if e.reason_code is not None}))
        if of_age:
            what += (f"; the refusal excludes {facts.person.name} {whom}, which NICE QS188 "
                     f"rules out from age {t.referral_substance_use_min_age}, and stands until "
                     "that service accepts or a panel decides")
        else:
            what += (f"; the refusal excludes {facts.person.name} {whom}, which NICE QS188 "
                     f"rules out from age {t.referral_substance_use_min_age}: critical from "
                     f"their {t.referral_substance_use_min_age}th birthday, {day(min_age_on)}")
    if chain.is_open and escalation_due is not None:
        verb = "was" if today >= escalation_due else "is"
        what += (f"; escalation {verb} due on {day(escalation_due)}, "
                 f"{t.referral_escalation_working_days} working days after "
                 f"{escalation_basis}")
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
        "escalation_due": iso(escalation_due) if chain.is_open else None,
        "interim_owner_id": owner,
        "interim_owner": directory.professional_name(owner) if owner else None,
        "dual_diagnosis": dual,
        "shared_domains": shared,
        "declined_for_substance_use": exclusion and any(
            e.reason_code is DeclineReason.SUBSTANCE_USE for e in excluded),
        "excluded_by": [{"team_id": e.team_id, "team": directory.agency_name(e.team_id),
                         "on": e.occurred_on.isoformat(),
                         "reason_code": None if e.reason_code is None
                         else e.reason_code.value} for e in excluded],
        "settled_on": None if chain.settled is None else chain.settled.occurred_on.isoformat(),
        "reopened_on": None if chain.reopened is None
        else chain.reopened.occurred_on.isoformat(),
    }
    due: date | None = None
    if not critical:
        pending = [d for d in (escalation_due if chain.is_open else None,
                               min_age_on if excluded else None) if d is not None]
        due = min(pending) if pending else None
    return flag(facts, FlagCode.REFERRAL_DISPUTE,
                Severity.CRITICAL if critical else Severity.WARNING,
                (SubjectType.REFERRAL, referral.id), since, due, what + ".", evidence)
