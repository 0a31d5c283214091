"""Who may do what: the permission rules, as pure functions.

Each rule takes who is acting (:class:`Who`; None for an actor the store knows as no
one), the record acted on and what it needs to know of the person's care team
(:class:`CareTeam`), and answers :data:`ALLOWED` or a refusal whose ``reason`` is one
sentence naming who may ("Only Nina Clarke (to whom it is addressed) or a manager of
Adult Social Care may answer this handoff."). The store checks them before every
person's write (careplan.store.permissions); the desktop app asks the same rules to
disable a control and put the reason in its tooltip.

Authority comes from the professional's account, set by an administrator:
practitioner, manager or administrator. A professional with no account is a
practitioner, whatever their job title (``Professional.role`` "manager" is a title
anyone who edits the record could give, so it grants nothing). A manager's authority
is over their own agency; an administrator's account counts as a manager of its own
agency (when it belongs to a professional) and alone may change accounts and the
rules' thresholds.

Names reach the sentences through :class:`Names` (careplan.models.facts.Directory is
one), so the rules read nothing themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from careplan.models.accounts import Account, AccountRole
from careplan.models.enums import HandoffSubject, ReferralEventKind
from careplan.models.handoffs import Handoff
from careplan.models.people import CareTeamMember, Professional
from careplan.models.plan import Action
from careplan.models.referral_chain import PANEL


class Names(Protocol):
    """How the sentences name agencies and professionals."""

    def agency_name(self, agency_id: str | None) -> str: ...

    def professional_name(self, professional_id: str | None) -> str: ...


@dataclass(frozen=True, slots=True)
class Who:
    """Someone acting: their professional and agency (an administrator's account may
    have neither) and the authority of their account."""

    professional_id: str | None
    agency_id: str | None
    authority: AccountRole = AccountRole.PRACTITIONER
    #: How a refusal about accounts names them: the account's user name, else the
    #: professional's name.
    name: str = ""

    def member_of(self, agency_id: str | None) -> bool:
        return agency_id is not None and self.agency_id == agency_id

    @property
    def is_manager(self) -> bool:
        """A manager (or an administrator) of an agency."""
        return self.agency_id is not None and self.authority in (
            AccountRole.MANAGER, AccountRole.ADMINISTRATOR)

    def manager_of(self, agency_id: str | None) -> bool:
        return self.is_manager and self.member_of(agency_id)


def who_is(professional: Professional | None, account: Account | None) -> Who | None:
    """The rules' view of an actor, from their professional and account records.

    None (no one: every rule refuses) for a deactivated account, or for neither a
    professional nor an administrator's account. The authority is the account's role;
    a professional with no account is a practitioner."""
    if account is not None and not account.active:
        return None
    if professional is None:
        if account is None or account.role is not AccountRole.ADMINISTRATOR:
            return None
        return Who(None, None, AccountRole.ADMINISTRATOR, account.username)
    return Who(professional.id, professional.agency_id,
               account.role if account is not None else AccountRole.PRACTITIONER,
               account.username if account is not None else professional.name)


@dataclass(frozen=True, slots=True)
class CareTeam:
    """A person's care team on the day of an act: the agencies of its members, and
    the lead professional (care coordinator)."""

    agencies: frozenset[str] = frozenset()
    lead: str | None = None


def care_team(members: Iterable[CareTeamMember], agency_of: Mapping[str, str],
              day: date) -> CareTeam:
    """The team of the memberships active on ``day``; ``agency_of`` maps each
    professional to their agency."""
    agencies: set[str] = set()
    lead = None
    for m in members:
        if not m.active_on(day):
            continue
        agency = agency_of.get(m.professional_id)
        if agency is not None:
            agencies.add(agency)
        if m.is_lead:
            lead = m.professional_id
    return CareTeam(frozenset(agencies), lead)


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule's answer: allowed, or the one sentence saying who may (``reason``)."""

    allowed: bool
    reason: str = ""
    #: Who may, as the sentence names them ("Nina Clarke (to whom it is addressed) or
    #: a manager of Adult Social Care").
    who_may: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


# -- wording ---------------------------------------------------------------------------------


def either(parts: Sequence[str], word: str = "or") -> str:
    """``A``, ``A or B``, ``A, B or C``."""
    items = [p for p in parts if p]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


#: A part of "who may": a phrase ("a manager of Adult Social Care"), or a professional's
#: name with why they may (("Nina Clarke", "to whom it is addressed")); empty: left out.
Part = str | tuple[str, str]


def _refused(parts: Sequence[Part], what: str) -> Decision:
    who_may = either(_merged(parts))
    return Decision(False, f"Only {who_may} may {what}.", who_may)


def _merged(parts: Sequence[Part]) -> list[str]:
    """Each person named once: ("Sam Okafor", "its owner") and ("Sam Okafor", "the lead
    professional") become "Sam Okafor (its owner and the lead professional)"."""
    order: list[str] = []
    why: dict[str, list[str]] = {}
    for part in parts:
        if not part:
            continue
        name, reason = (part, "") if isinstance(part, str) else part
        if name not in why:
            order.append(name)
            why[name] = []
        if reason:
            why[name].append(reason)
    return [f"{k} ({either(why[k], 'and')})" if why[k] else k for k in order]


def _person(names: Names, professional_id: str | None, why: str) -> Part:
    name = names.professional_name(professional_id)
    return (name, why) if professional_id and name else ""


def _team_agencies(team: CareTeam, names: Names) -> str:
    if not team.agencies:
        return "an agency on the care team (it has no members yet)"
    listed = sorted(names.agency_name(a) for a in team.agencies)
    return f"an agency on the care team ({either(listed)})"


def _lead(team: CareTeam, names: Names) -> Part:
    return _person(names, team.lead, "the lead professional")


def _on_team(who: Who | None, team: CareTeam) -> bool:
    return who is not None and who.agency_id is not None and who.agency_id in team.agencies


def _is(who: Who | None, professional_id: str | None) -> bool:
    return who is not None and professional_id is not None \
        and who.professional_id == professional_id


# -- handoffs ----------------------------------------------------------------------------------


def answer_handoff(who: Who | None, handoff: Handoff, names: Names) -> Decision:
    """Accept or decline: the professional it is addressed to, or a manager of the
    receiving agency."""
    if _is(who, handoff.to_professional_id) or (
            who is not None and who.manager_of(handoff.to_agency_id)):
        return ALLOWED
    return _refused([_person(names, handoff.to_professional_id, "to whom it is addressed"),
                     f"a manager of {names.agency_name(handoff.to_agency_id)}"],
                    "answer this handoff")


def withdraw_handoff(who: Who | None, handoff: Handoff, names: Names) -> Decision:
    """Take back an unanswered handoff: the professional handing over, or a manager of
    their agency."""
    if _is(who, handoff.from_professional_id) or (
            who is not None and who.manager_of(handoff.from_agency_id)):
        return ALLOWED
    return _refused([_person(names, handoff.from_professional_id, "who is handing it over"),
                     f"a manager of {names.agency_name(handoff.from_agency_id)}"],
                    "withdraw this handoff")


def propose_handoff(who: Who | None, handoff: Handoff, action: Action | None,
                    team: CareTeam, names: Names) -> Decision:
    """Handing over an action: as for changing it (:func:`change_action`). Handing over
    coordination: the lead professional, or a manager of an agency on the care team."""
    if handoff.subject is HandoffSubject.ACTION and action is not None:
        return change_action(who, action, team, names, "hand over this action")
    return propose_coordination(who, team, names)


def propose_coordination(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """Propose handing over coordinating the person: the lead professional, or a
    manager of an agency on the care team."""
    return _lead_or_manager(who, team, names, "propose handing over coordination")


def _lead_or_manager(who: Who | None, team: CareTeam, names: Names, what: str) -> Decision:
    if _is(who, team.lead) or (who is not None and who.is_manager and _on_team(who, team)):
        return ALLOWED
    return _refused([_lead(team, names), f"a manager of {_team_agencies(team, names)}"], what)


# -- the plan ------------------------------------------------------------------------------------


def change_action(who: Who | None, action: Action, team: CareTeam, names: Names,
                  what: str = "change this action") -> Decision:
    """An action (its status, its what, who and when, its funding, handing it over):
    its owner, a member of its agency, or the lead professional. An action that nobody
    and no agency owns: a member of an agency on the care team too."""
    owner, agency = action.owner_professional_id, action.owner_agency_id
    unowned = owner is None and agency is None
    if who is not None and (_is(who, owner) or who.member_of(agency) or _is(who, team.lead)
                            or (unowned and _on_team(who, team))):
        return ALLOWED
    parts: list[Part] = [_person(names, owner, "its owner"),
                         f"a member of {names.agency_name(agency)}" if agency else "",
                         f"a member of {_team_agencies(team, names)}" if unowned else "",
                         _lead(team, names)]
    if not any(parts):
        parts = ["the lead professional"]
    return _refused(parts, what)


def change_action_status(who: Who | None, action: Action, team: CareTeam,
                         names: Names) -> Decision:
    """An action's status: its owner, a member of its agency, or the lead professional."""
    return change_action(who, action, team, names, "change this action's status")


def change_plan(who: Who | None, team: CareTeam, names: Names,
                what: str = "change this plan") -> Decision:
    """The plan's needs and outcomes, a new action, a case conference, consent: a member
    of an agency on the care team."""
    if _on_team(who, team):
        return ALLOWED
    return _refused([f"a member of {_team_agencies(team, names)}"], what)


def sign_plan(who: Who | None, agency_id: str, team: CareTeam, names: Names) -> Decision:
    """Sign the version in force: only for the signer's own agency, and only while that
    agency is on the care team."""
    agency = names.agency_name(agency_id)
    if who is None or not who.member_of(agency_id):
        return _refused([f"a member of {agency}"], f"sign this plan for {agency}")
    if agency_id not in team.agencies:
        who_may = f"a member of {_team_agencies(team, names)}"
        return Decision(False, f"Only {who_may} may sign this plan, each for their own "
                               f"agency; {agency} is not on the care team.", who_may)
    return ALLOWED


def issue_version(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """Issue the draft for sign-off: the lead professional, or a manager of an agency
    on the care team."""
    return _lead_or_manager(who, team, names, "issue a new version of this plan for sign-off")


def record_conference(who: Who | None, team: CareTeam, names: Names) -> Decision:
    return change_plan(who, team, names, "record a case conference")


def change_funding(who: Who | None, action: Action, team: CareTeam, names: Names) -> Decision:
    """An action's cost and funders: as for changing the action."""
    return change_action(who, action, team, names, "change this action's funding")


def change_personal_budget(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """A person's personal budget (its allocation, streams, dates): a member of an
    agency on the care team."""
    return change_plan(who, team, names, "change this person's personal budget")


# -- persons and their hospital stays -----------------------------------------------------------


def register_person(who: Who | None) -> Decision:
    """Register a new person: any professional signed in to their own account (an
    administrator's account that belongs to no professional changes nothing)."""
    if who is not None and who.professional_id is not None and who.agency_id is not None:
        return ALLOWED
    return Decision(False, "Only a professional signed in to their own account may register "
                           "a person.", "a professional")


def edit_person(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """Correct a person's name, date of birth, NHS number and other details: a member of
    an agency on the care team, or a manager of any agency (who may also add someone
    to a care team that has nobody left on it)."""
    if _on_team(who, team) or (who is not None and who.is_manager):
        return ALLOWED
    return _refused([f"a member of {_team_agencies(team, names)}", "a manager"],
                    "change this person's details")


def record_stay(who: Who | None, hospital_id: str | None, team: CareTeam,
                names: Names) -> Decision:
    """A hospital stay (admission, discharge ready date, delay reasons, the discharge and
    its pathway): a member of the hospital's agency or of an agency on the care team."""
    if _on_team(who, team) or (who is not None and who.member_of(hospital_id)):
        return ALLOWED
    return _refused([f"a member of {names.agency_name(hospital_id)}" if hospital_id else "",
                     f"a member of {_team_agencies(team, names)}"], "record this hospital stay")


# -- the care team ---------------------------------------------------------------------------------


def set_lead(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """Make someone the lead professional directly (with a recorded reason): a manager
    of an agency on the care team. Otherwise the lead changes only when a coordination
    handoff is accepted (:func:`answer_handoff`)."""
    if who is not None and who.is_manager and _on_team(who, team):
        return ALLOWED
    who_may = f"a manager of {_team_agencies(team, names)}"
    return Decision(False, f"Only {who_may} may make someone the lead professional, giving "
                           "a reason; otherwise the lead changes only when a coordination "
                           "handoff is accepted.", who_may)


def add_member(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """Add someone to the care team: a member of an agency on it, or a manager."""
    if _on_team(who, team) or (who is not None and who.is_manager):
        return ALLOWED
    return _refused([f"a member of {_team_agencies(team, names)}", "a manager"],
                    "add to the care team")


def end_membership(who: Who | None, member: CareTeamMember, member_agency_id: str | None,
                   team: CareTeam, names: Names) -> Decision:
    """End a membership: the member, a member of their agency, or the lead
    professional."""
    if who is not None and (_is(who, member.professional_id)
                            or who.member_of(member_agency_id) or _is(who, team.lead)):
        return ALLOWED
    return _refused([_person(names, member.professional_id, "the member"),
                     f"a member of {names.agency_name(member_agency_id)}"
                     if member_agency_id else "", _lead(team, names)],
                    "end this membership of the care team")


def record_consent(who: Who | None, team: CareTeam, names: Names) -> Decision:
    return change_plan(who, team, names, "record consent to share")


# -- emergency access ----------------------------------------------------------------------------


def break_glass(who: Who | None) -> Decision:
    """Open in an emergency the record of a person one's agency may not see, giving the
    reason (careplan.models.emergency): any professional; it is recorded and reported to
    the person's lead professional."""
    if who is not None and who.professional_id is not None and who.agency_id is not None:
        return ALLOWED
    return Decision(False, "Only a professional may open a record in an emergency; sign in "
                           "with a professional's account.", "a professional")


def review_emergency_access(who: Who | None, team: CareTeam, names: Names) -> Decision:
    """Record that an emergency access was reviewed: the lead professional, or a manager
    of an agency on the care team."""
    return _lead_or_manager(who, team, names, "record the review of this emergency access")


# -- referrals -------------------------------------------------------------------------------------

_STEP_WORDS = {
    ReferralEventKind.SENT: "send this referral",
    ReferralEventKind.ACCEPTED: "accept this referral",
    ReferralEventKind.DECLINED: "decline this referral",
    ReferralEventKind.REDIRECTED: "redirect this referral",
    ReferralEventKind.ESCALATED: "escalate this referral to a panel",
    ReferralEventKind.PANEL_DECISION: "record the panel's decision",
}


def send_referral(who: Who | None, from_agency_id: str, names: Names) -> Decision:
    """A referral is sent from the sender's own agency."""
    if who is not None and who.member_of(from_agency_id):
        return ALLOWED
    agency = names.agency_name(from_agency_id)
    return _refused([f"a member of {agency}"], f"send a referral from {agency}")


def referral_step(who: Who | None, kind: ReferralEventKind, holder: str | None,
                  names: Names, team_id: str | None = None) -> Decision:
    """Accept, decline or redirect: a member of the team that holds the referral (the
    receiving team's agency), in that team's name. Escalating to a panel or recording
    its decision: a manager.

    ``holder`` is the agency that holds the referral (the last to receive it), PANEL, or
    None before anyone has; ``team_id`` the team the step is recorded for, if named."""
    what = _STEP_WORDS[kind]
    if kind in (ReferralEventKind.ESCALATED, ReferralEventKind.PANEL_DECISION):
        if who is not None and who.is_manager:
            return ALLOWED
        return _refused(["a manager"], what)
    if holder == PANEL:
        return Decision(False, "Only a manager may settle a referral a panel holds, by "
                               "recording the panel's decision.", "a manager")
    if holder is not None and who is not None and who.member_of(holder) \
            and team_id in (None, holder):
        return ALLOWED
    if holder is None:
        return Decision(False, f"Nobody may {what}: no team holds it.", "")
    return _refused([f"a member of {names.agency_name(holder)} (which holds it)"], what)


# -- accounts and thresholds -------------------------------------------------------------------


def administer(who: Who | None, what: str) -> Decision:
    """Accounts and the rules' thresholds: an administrator."""
    if who is not None and who.authority is AccountRole.ADMINISTRATOR:
        return ALLOWED
    if who is None:
        return Decision(False, f"Only an administrator may {what}; sign in as one first.",
                        "an administrator")
    tail = f"; {who.name} is a {who.authority.value}" if who.name else ""
    return Decision(False, f"Only an administrator may {what}{tail}.", "an administrator")


__all__ = [
    "ALLOWED",
    "CareTeam",
    "Decision",
    "Names",
    "Who",
    "add_member",
    "administer",
    "answer_handoff",
    "break_glass",
    "care_team",
    "change_action",
    "change_action_status",
    "change_funding",
    "change_personal_budget",
    "change_plan",
    "edit_person",
    "either",
    "end_membership",
    "issue_version",
    "propose_coordination",
    "propose_handoff",
    "record_conference",
    "record_consent",
    "record_stay",
    "referral_step",
    "register_person",
    "review_emergency_access",
    "send_referral",
    "set_lead",
    "sign_plan",
    "who_is",
    "withdraw_handoff",
]
