"""Adding needs and outcomes, care team membership, the lead professional and consent.

Each edit asks in a :class:`RecordForm` (the record's validation names the field, and
the form stays open until the store has taken it), then saves through the workspace's
writer as an undoable operation. Undoing any edit puts back every row it wrote;
undoing an addition removes the record (the audit trail keeps both events).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from careplan.models import CareTeamMember, Consent, Need, Outcome
from careplan.models import permissions as rules
from careplan.models.enums import ConsentStatus, LegalBasis, NeedDomain, Role
from careplan.store import team
from careplan.store.casework import save_plan_item
from careplan.ui.workspace.dialogs import StepDialog
from careplan.ui.workspace.forms import RecordForm

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace


# -- the plan ------------------------------------------------------------------------------


def add_need(ws: PersonWorkspace) -> bool:
    plan = ws.pf.plan
    if not ws.require_actor():
        return False
    if plan is None:
        ws.refused(ws.tr("need: this person has no care plan yet"))
        return False
    tr = ws.tr
    form = RecordForm(tr("Add a need"), tr("Something the person needs help with, in one "
                                           "domain. Outcomes and actions can then name it."),
                      lambda f: Need(plan_id=plan.id, description=f.text("description"),
                                     domain=f.choice("domain")), ws)
    form.add_text("description", tr("&Need:"), hint=tr("e.g. Help to manage money"))
    form.add_choice("domain", tr("&Domain:"), [(d.value, d) for d in NeedDomain],
                    NeedDomain.SOCIAL_CARE)
    actor = ws.actor_id()
    return ws.ask(form, tr("Add need"), lambda need: lambda s: save_plan_item(s, need, actor))


def add_outcome(ws: PersonWorkspace) -> bool:
    plan = ws.pf.plan
    if not ws.require_actor():
        return False
    if plan is None:
        ws.refused(ws.tr("outcome: this person has no care plan yet"))
        return False
    tr = ws.tr

    def build(f: RecordForm) -> Outcome:
        return Outcome(plan_id=plan.id, description=f.text("description"),
                       need_id=f.choice("need"),
                       target_date=f.day_or_none("target"))

    form = RecordForm(tr("Add an outcome"), tr(
        "A goal in %s's own words: what matters to them, not what services will do.")
        % ws.pf.person.given_name, build, ws)
    form.add_text("description", tr("&In their words:"),
                  hint=tr("e.g. I want to go to college with my friends"))
    form.add_choice("need", tr("For &need:"), [(tr("— none —"), None)]
                    + [(n.description, n.id) for n in ws.pf.needs])
    form.add_date("target", tr("&Target date:"), None, optional=True)
    actor = ws.actor_id()
    return ws.ask(form, tr("Add outcome"),
                  lambda outcome: lambda s: save_plan_item(s, outcome, actor))


# -- the care team -------------------------------------------------------------------------


def _allowed(ws: PersonWorkspace, decision: rules.Decision) -> bool:
    """Whether the rule allows the act; if not, say why and who may."""
    if not decision:
        ws.refused(decision.reason)
    return decision.allowed


def add_member(ws: PersonWorkspace) -> bool:
    if not ws.require_actor():
        return False
    tr, d = ws.tr, ws.pf.directory
    care_team = ws.care_team()
    if not _allowed(ws, rules.add_member(ws.who, care_team, d)):
        return False
    # Only a manager of an agency on the team may add the lead, giving a reason.
    may_lead = rules.set_lead(ws.who, care_team, d).allowed
    present = {m.professional_id for m in ws.pf.team if m.active_on(ws.today)}
    choices = [(f"{p.name} — {p.role.value}, {d.agency_name(p.agency_id)}", p.id)
               for p in d.professionals.values() if p.id not in present]

    def build(f: RecordForm) -> tuple[CareTeamMember, str]:
        pro = d.professionals.get(str(f.choice("professional") or ""))
        if pro is None:
            raise ValueError("professional: choose who joins the care team")
        role = f.choice("role") or pro.role
        lead = may_lead and bool(f.choice("lead"))
        reason = f.text("reason") if may_lead else ""
        if lead and not reason:
            raise ValueError(f"reason: say why {pro.name} becomes the lead professional "
                             "(it is recorded)")
        return CareTeamMember(person_id=ws.person_id, professional_id=pro.id, role=role,
                              start_date=f.day("start"), is_lead=lead), reason

    form = RecordForm(tr("Add to the care team"), tr(
        "A professional who works with %s from now on.") % ws.pf.person.name, build, ws)
    form.add_choice("professional", tr("&Professional:"), choices)
    form.add_choice("role", tr("&Role in this team:"),
                    [(tr("their usual role"), None)] + [(r.value, r) for r in Role])
    form.add_date("start", tr("&From:"), ws.today)
    if may_lead:
        form.add_choice("lead", tr("&Lead professional:"),
                        [(tr("no"), False), (tr("yes — the care coordinator from now on"), True)])
        form.add_text("reason", tr("Why they &lead:"),
                      hint=tr("needed to make them the lead professional; it is recorded"))
    actor = ws.actor_id()
    return ws.ask(form, tr("Add to the care team"),
                  lambda built: lambda s: team.add_member(s, built[0], actor, built[1]))


def end_membership(ws: PersonWorkspace, member: CareTeamMember | None) -> bool:
    if member is None:
        ws.refused(ws.tr("care team member: choose whose membership ends first"))
        return False
    if not ws.require_actor():
        return False
    tr = ws.tr
    name = ws.pf.directory.professional_name(member.professional_id)
    form = RecordForm(tr("End care team membership"), tr(
        "%s leaves %s's care team. The record of their time in the team is kept.")
        % (name, ws.pf.person.name),
        lambda f: member.evolve(end_date=f.day("end")), ws)
    form.add_date("end", tr("&Last day:"), ws.today)
    actor = ws.actor_id()
    return ws.ask(form, tr("End %s's membership") % name,
                  lambda ended: lambda s: team.end_membership(s, member, ended.end_date, actor))


def make_lead(ws: PersonWorkspace, member: CareTeamMember | None) -> bool:
    """A manager makes a member the lead professional, saying why (recorded with it).
    Anyone else hands coordination over instead (the Handoffs tab)."""
    if member is None:
        ws.refused(ws.tr("lead professional: choose a member of the care team first"))
        return False
    if not ws.require_actor() or member.is_lead:
        return False
    if not _allowed(ws, rules.set_lead(ws.who, ws.care_team(), ws.pf.directory)):
        return False
    tr = ws.tr
    name = ws.pf.directory.professional_name(member.professional_id)
    dialog = StepDialog(tr("Make %s the lead professional") % name, tr(
        "%s becomes the care coordinator for %s from today. Say why: the reason is "
        "recorded with the change.") % (name, ws.pf.person.name), ws,
        text_label=tr("&Reason:"), text_required=True, build=lambda d: d.reason())
    actor, person = ws.actor_id(), ws.person_id
    return ws.ask(dialog, tr("Make %s the lead professional") % name,
                  lambda reason: lambda s: team.set_lead(s, person, member.id, actor, reason))


# -- consent -----------------------------------------------------------------------------


def record_consent(ws: PersonWorkspace) -> bool:
    if not ws.require_actor():
        return False
    assert ws.actor is not None
    tr, d, actor_pro = ws.tr, ws.pf.directory, ws.actor
    in_team = {d.professionals[m.professional_id].agency_id for m in ws.pf.team
               if m.active_on(ws.today) and m.professional_id in d.professionals}
    agencies = sorted(d.agencies.values(), key=lambda a: (a.id not in in_team, a.name))

    def build(f: RecordForm) -> Consent:
        status = ConsentStatus(f.choice("status"))
        kind = f.choice("kind") if status is ConsentStatus.LEGAL_BASIS else None
        if status is ConsentStatus.LEGAL_BASIS and kind is None:
            raise ValueError("legal basis: choose which: direct care, safeguarding or a "
                             "court order")
        return Consent(person_id=ws.person_id, agency_id=f.choice("agency"),
                       status=status, recorded_on=f.day("recorded"),
                       recorded_by=actor_pro.id, basis=kind,
                       legal_basis=f.text("basis") if kind is not None else "")

    form = RecordForm(tr("Record consent to share"), tr(
        "What %s said about sharing their information with one agency, or the legal "
        "basis for sharing without consent. The latest record for an agency decides; "
        "without consent or a legal basis the agency sees nothing of them.")
        % ws.pf.person.name, build, ws)
    form.add_choice("agency", tr("&Agency:"), [(a.name, a.id) for a in agencies])
    form.add_choice("status", tr("&Consent:"), [(s.value, s) for s in ConsentStatus])
    kinds = form.add_choice("kind", tr("&Legal basis:"), [(tr("— none —"), None)] + [
        (f"{b.value}: {b.source}", b) for b in LegalBasis])
    kinds.setToolTip(tr("Needed for “legal basis”. A direct-care basis does not stand "
                        "against the person's refusal (Health and Social Care Act 2012 "
                        "s.251B(4)(a))."))
    form.add_text("basis", tr("&Particulars:"),
                  hint=tr("for a legal basis: e.g. the s.42 enquiry, or the court and date "
                          "of the order"))
    form.add_date("recorded", tr("&Recorded on:"), ws.today)
    actor = ws.actor_id()
    return ws.ask(form, tr("Record consent to share"),
                  lambda consent: lambda s: team.record_consent(s, consent, actor))
