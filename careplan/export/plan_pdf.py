"""The joint care plan for one person, as a PDF every agency in the team can sign.

It prints the version in force (careplan.models.plan_versions): what matters, needs,
outcomes and actions as they were issued, with today's progress (status, achievement);
then the changes not yet issued (the draft of the next version, or none) and what the
version in force changed from the one before; then who has signed it.

It is made for an audience, an agency (careplan.export.audience): what an agency without
a sharing basis recorded stays out, and the first page says what was withheld and why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from careplan import clock
from careplan.export import outfile
from careplan.export import pdf_common as pc
from careplan.export.audience import Audience, Shared, for_audience, require_person
from careplan.export.flags import open_flags
from careplan.export.plan_costs import cost_summary
from careplan.export.records import Records, load
from careplan.models import Action, CarePlan, Need, Outcome, Person, PlanSignOff, PlanVersion, nhs
from careplan.models.dates import age_on
from careplan.models.flags import flag_label
from careplan.models.plan_versions import (
    NEED,
    Namer,
    PlanChange,
    VersionState,
    as_signed,
    being_written,
    describe,
    make_namer,
    signed_content,
    signed_needs,
    version_state,
)
from careplan.store import Store, find
from careplan.store.visibility import Viewer


def _d(day: date | None) -> str:
    return day.strftime("%d %b %Y") if day else ""


def current_plan(rec: Records, person: Person) -> CarePlan | None:
    """The open plan (latest created), else the latest closed one."""
    plans = rec.plans.get(person.id, [])
    open_plans = [pl for pl in plans if pl.is_open]
    pool = open_plans or plans
    return max(pool, key=lambda pl: (pl.created_on, pl.plan_version)) if pool else None


def subject_line(person: Person, plan: CarePlan | None) -> str:
    number = nhs.format_334(person.nhs_number) if person.nhs_number else "no NHS number"
    version = f"plan version {plan.plan_version}" if plan else "no plan"
    # The header has one line: a long name is cut so the NHS number still shows.
    return f"{pc.short(person.name, 50)} · NHS {number} · {version}"


def _person_block(rec: Records, person: Person, plan: CarePlan | None,
                  today: date, what_matters: str) -> list[Flowable]:
    number = nhs.format_334(person.nhs_number) if person.nhs_number else "not recorded"
    pairs: list[tuple[str, Any]] = [
        ("NHS number", number),
        ("Date of birth", f"{_d(person.birth_date)} (age {age_on(person.birth_date, today)})"),
        ("Address", person.address or "not recorded"),
        ("GP practice", rec.agency_name(person.gp_practice_id) or "not recorded"),
    ]
    if person.local_authority_id:
        pairs.append(("Local authority id", person.local_authority_id))
    if plan is not None:
        pairs += [
            ("Plan", f"version {plan.plan_version}"
             + (f", in force since {_d(plan.current_version_start)}"
                if plan.current_version_start else "") + f", {plan.status.value}"),
            ("Dates", f"created {_d(plan.created_on)}"
             + (f", active from {_d(plan.activated_on)}" if plan.activated_on else "")
             + (f", review due {_d(plan.review_date)}" if plan.review_date else "")
             + (f", closed {_d(plan.closed_on)}" if plan.closed_on else "")),
        ]
    out: list[Flowable] = [pc.p("Joint care plan", "title"),
                           pc.p(person.name, "subtitle"), pc.facts(pairs)]
    if what_matters:
        out += [pc.p("What matters to me", "h3"), pc.p(f"“{what_matters}”", "quote")]
    return out


def _team(rec: Records, person: Person, today: date) -> list[Flowable]:
    rows: list[list[str]] = []
    lead_rows: list[int] = []
    members = sorted(rec.team.get(person.id, []), key=lambda m: (not m.is_lead, m.start_date))
    for m in members:
        prof = rec.professionals.get(m.professional_id)
        agency = rec.agencies.get(prof.agency_id) if prof else None
        period = _d(m.start_date) + (f" to {_d(m.end_date)}" if m.end_date else " onwards")
        status = "lead professional" if m.is_lead else ""
        if not m.active_on(today):
            status = (status + ", " if status else "") + "ended"
        if m.is_lead:
            lead_rows.append(len(rows))
        rows.append([prof.name if prof else "(unknown)", m.role.value,
                     agency.name if agency else "", agency.sector.value if agency else "",
                     period, status])
    if not rows:
        return pc.section("Care team", pc.p("No care team is recorded.", "warn"))
    t = pc.table(["Name", "Role", "Agency", "Sector", "Dates", ""], rows,
                 [34 * mm, 30 * mm, 48 * mm, 18 * mm, 30 * mm, 18 * mm])
    return pc.section("Care team", t)


def _flags(store: Store, person: Person, today: date,
           withheld: set[str] | frozenset[str] = frozenset()) -> list[Flowable]:
    flags = [f for f in open_flags(store, [person.id], today) if f.subject_id not in withheld]
    if not flags:
        return pc.section("Open flags", pc.p(f"No open flags on {_d(today)}.", "body"))
    # The flag in words, as the screens show it (the code stays in exports' data).
    rows = [[f.severity.value, flag_label(f.code), _d(f.since), f.message] for f in flags]
    crit = [i for i, f in enumerate(flags) if f.severity.value == "critical"]
    return pc.section(f"Open flags ({len(flags)})", pc.table(
        ["Severity", "Flag", "Since", "Why"], rows, [18 * mm, 34 * mm, 20 * mm, 106 * mm],
        highlight=crit))


def _action_rows(rec: Records, actions: list[Action], today: date,
                 also: dict[str, str] | None = None) -> tuple[list[list[str]], list[int]]:
    """One row per action; ``also``: action id -> the other needs it meets, in words."""
    rows: list[list[str]] = []
    warn: list[int] = []
    for a in actions:
        owner = rec.professional_name(a.owner_professional_id)
        agency = rec.agency_name(a.owner_agency_id)
        overdue = a.is_open and a.due_date is not None and a.due_date < today
        if not owner or overdue:
            warn.append(len(rows))
        others = (also or {}).get(a.id, "")
        rows.append([a.description + (f" (also meets {others})" if others else ""),
                     owner or "NO OWNER", agency or "no agency",
                     _d(a.due_date) + (" (overdue)" if overdue else ""), a.status.value])
    return rows, warn


def _plan_body(rec: Records, needs: list[Need], outcomes: list[Outcome],
               actions: list[Action], today: date,
               met: dict[str, tuple[str, ...]] | None = None,
               withheld_for: frozenset[str] = frozenset()) -> list[Flowable]:
    """Each need with its outcomes and every action that meets it (an action that meets
    several needs is listed under each); ``met``: action id -> the needs it meets, as
    signed (an action not in it meets its own ``need_id``). ``withheld_for``: the needs
    met by actions left out of this copy, which must not read as having none."""
    out: list[Flowable] = []
    widths = [72 * mm, 30 * mm, 38 * mm, 20 * mm, 18 * mm]
    header = ["Action", "Owner", "Agency", "Due", "Status"]
    number = {n.id: i for i, n in enumerate(needs, 1)}

    def meets(a: Action) -> tuple[str, ...]:
        found = (met or {}).get(a.id)
        if found is None:
            found = (a.need_id,) if a.need_id else ()
        return tuple(i for i in found if i in number)

    groups: list[tuple[str | None, str]] = [
        (n.id, f"Need {i}: {n.description} ({n.domain.value})") for i, n in enumerate(needs, 1)]
    if any(not meets(a) for a in actions) or any(o.need_id not in number for o in outcomes):
        groups.append((None, "Other outcomes and actions"))
    for need_id, title in groups:
        block: list[Flowable] = []
        for o in (o for o in outcomes if (o.need_id if o.need_id in number else None)
                  == need_id):
            target = f", by {_d(o.target_date)}" if o.target_date else ""
            block.append(pc.rich(f"<b>Outcome:</b> “{pc.e(o.description)}” "
                                 f"<font color='#5c6670'>({pc.e(o.achievement.value)}"
                                 f"{target})</font>"))
        mine = [a for a in actions if (need_id in meets(a) if need_id is not None
                                       else not meets(a))]
        also = {a.id: ", ".join(f"need {number[i]}" for i in sorted(
            meets(a), key=number.__getitem__) if i != need_id) for a in mine}
        if mine:
            rows, warn = _action_rows(rec, mine, today, also)
            block += [pc.spacer(1.5), pc.table(header, rows, widths, highlight=warn)]
        elif need_id in withheld_for:
            block.append(pc.p("Its actions are withheld from this copy (see above).", "warn"))
        elif need_id is not None:
            block.append(pc.p("No actions yet for this need.", "warn"))
        out += [pc.p(title, "h3"), *block]
    if not groups:
        out.append(pc.p("The plan has no needs or actions yet.", "warn"))
    return pc.section("Needs, outcomes and actions", *out) if out else []


def _namer(rec: Records, state: VersionState, needs: list[Need]) -> Namer:
    names = {i.id: i.label for i in state.in_force if i.kind == NEED}
    names.update({n.id: n.description for n in needs})
    return make_namer(rec.professional_name, rec.agency_name,
                      lambda need_id: names.get(need_id, ""), _d)


def _listed(changes: tuple[PlanChange, ...], name: Namer) -> list[Flowable]:
    return [pc.rich(f"{n}. {pc.e(describe(c, name, width=120))}")
            for n, c in enumerate(changes, 1)]


def _versions(rec: Records, plan: CarePlan, state: VersionState,
              needs: list[Need]) -> list[Flowable]:
    name = _namer(rec, state, needs)
    n = state.number
    issued = ""
    if state.issued_at is not None:
        by = rec.professional_name(state.issued_by) or state.issued_by or ""
        issued = f"Version {n} was issued for sign-off on {_d(state.issued_at)}" + (
            f" by {by}." if by else ".")
    out: list[Flowable] = [pc.p(issued, "body")] if issued else []
    if not state.recorded and being_written(plan, rec.signoffs.get(plan.id, [])):
        out.append(pc.p(f"Version {n} is still being written (a draft plan no agency has "
                        "signed): changes are part of it until an agency signs it.", "body"))
    elif state.draft:
        out += [pc.p(f"Changes not yet issued (the draft of version {state.draft_number}): "
                     f"{len(state.draft)}. They are not part of the version signed below.",
                     "h3"), *_listed(state.draft, name)]
    else:
        out.append(pc.p(f"Changes not yet issued: none. The plan is as version {n} was "
                        "issued.", "body"))
    if state.since_previous:
        out += [pc.p(f"What version {n} changed from version {n - 1}", "h3"),
                *_listed(state.since_previous, name)]
    return pc.section(f"Version {n} and its changes", *out)


def _signoffs(rec: Records, person: Person, plan: CarePlan, today: date) -> list[Flowable]:
    team_agencies: list[str] = []
    for m in rec.team.get(person.id, []):
        prof = rec.professionals.get(m.professional_id)
        if prof and m.active_on(today) and prof.agency_id not in team_agencies:
            team_agencies.append(prof.agency_id)
    signed: dict[str, PlanSignOff] = {}
    for s in sorted(rec.signoffs.get(plan.id, []), key=lambda s: s.signed_at):
        signed[s.agency_id] = s
        if s.agency_id not in team_agencies:
            team_agencies.append(s.agency_id)
    rows: list[list[str]] = []
    warn: list[int] = []
    for agency_id in sorted(team_agencies, key=rec.agency_name):
        got = signed.get(agency_id)
        if got is None:
            warn.append(len(rows))
            rows.append([rec.agency_name(agency_id), "not signed", "", "", ""])
            continue
        s = got
        stale = s.plan_version != plan.plan_version
        if stale:
            warn.append(len(rows))
        rows.append([rec.agency_name(agency_id), rec.professional_name(s.signed_by),
                     s.signed_at.strftime("%d %b %Y %H:%M"),
                     f"version {s.plan_version}" + (" (earlier version)" if stale else ""),
                     ""])
    t = pc.table(["Agency", "Signed by", "Signed on", "Version signed", "Signature"], rows,
                 [52 * mm, 38 * mm, 30 * mm, 34 * mm, 24 * mm], highlight=warn)
    note = pc.p(f"Each agency in the care team signs version {plan.plan_version} of this "
                "plan. A signature on an earlier version does not cover changes since.",
                "small")
    return pc.section("Sign-off by each agency", note, pc.spacer(1.5), t)


def withheld_section(shared: Shared, person_id: str | None = None,
                     title: str = "Withheld from this copy") -> list[Flowable]:
    """What the audience does not receive, and why (nothing printed when nothing is)."""
    lines = shared.sentences(person_id)
    persons = shared.persons_sentence() if person_id is None else ""
    if persons:
        lines.insert(0, persons)
    if not lines:
        return []
    return pc.section(title, pc.p(
        f"This copy is for {shared.audience.name}. Records of agencies the person's "
        "information may not be shared with stay out of it:", "small"),
        *[pc.p(line, "warn") for line in lines])


def plan_pdf(store: Store, person_id: str, out: str | Path, *, printed_by: str,
             today: date, audience: Audience, reader: Viewer,
             printed_at: datetime | None = None) -> Path:
    """Write the joint care plan of ``person_id`` to ``out``, for ``audience``, printed by
    ``reader`` (who must be able to see the person).

    Raises:
        NotSharedError: the reader's agency may not see the person's record.
        NothingShared: the audience may receive nothing of it (no file is written).
    """
    outfile.check(out, store.path)
    full = load(store, [person_id])
    shared = for_audience(full, audience, today, reader.agency_id)
    require_person(full, shared, person_id, today, reader)
    rec = shared.records
    person = rec.persons[0]
    plan = current_plan(rec, person)
    hidden = shared.withheld_ids
    if plan is None:
        story: list[Flowable] = [
            *_person_block(rec, person, plan, today, person.what_matters),
            *withheld_section(shared, person.id),
            *_team(rec, person, today), *_flags(store, person, today, hidden),
            pc.p("No care plan has been started for this person.", "warn")]
    else:
        needs = rec.needs.get(plan.id, [])
        outcomes = rec.outcomes.get(plan.id, [])
        actions = full.actions.get(plan.id, [])  # every action: the versions compare them
        links = [link for a in actions for link in full.action_needs.get(a.id, [])]
        state = version_state(plan, find(store, PlanVersion, plan_id=plan.id),
                              signed_content(person.what_matters, needs, outcomes, actions,
                                             links))
        matters, in_needs, in_outcomes, in_actions = as_signed(state, plan.id, needs,
                                                                outcomes, actions)
        for a in in_actions:  # as signed: an action may have been another agency's then
            agency = a.owner_agency_id
            if a.id not in hidden and agency is not None and shared.blocks(person.id, agency):
                shared.withhold(person.id, "action", agency, a.id)
        # The needs that withheld actions meet: "no actions" would be untrue of them.
        withheld_for = frozenset(
            need for a in actions if a.id in hidden
            for need in (a.need_id, *(link.need_id for link in full.action_needs.get(a.id, [])))
            if need)
        in_actions = [a for a in in_actions if a.id not in hidden]
        state = _without(state, hidden)
        story = [*_person_block(rec, person, plan, today, matters),
                 *withheld_section(shared, person.id),
                 *_team(rec, person, today), *_flags(store, person, today, hidden),
                 *_plan_body(rec, in_needs, in_outcomes, in_actions, today,
                             signed_needs(state.in_force), withheld_for),
                 *_versions(rec, plan, state, needs),
                 *cost_summary(store, person.id, plan.id, today, skip=hidden),
                 *_signoffs(rec, person, plan, today)]
    running = pc.Running("Joint care plan", subject_line(person, plan), printed_by,
                         printed_at or clock.now(), audience.name)
    return pc.build(out, story, running)


def _without(state: VersionState, hidden: set[str] | frozenset[str]) -> VersionState:
    """The version state with no change to a withheld record listed."""
    if not hidden:
        return state
    since = state.since_previous
    return replace(state, draft=tuple(c for c in state.draft if c.id not in hidden),
                   since_previous=None if since is None else tuple(
                       c for c in since if c.id not in hidden))
