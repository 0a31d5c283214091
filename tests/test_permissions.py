"""The permission rules (careplan.models.permissions), pure: for every rule, every kind
of actor — the professional concerned, a colleague in their agency, the lead
professional, a manager of the right agency and of another one, an administrator with
and without a professional, someone from an agency not on the care team, no one — the
answer, and for each refusal the one sentence that names who may."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from careplan.models import Action, Agency, CareTeamMember, Handoff, Professional
from careplan.models import permissions as rules
from careplan.models.accounts import Account, AccountRole
from careplan.models.enums import HandoffSubject, ReferralEventKind
from careplan.models.facts import Directory
from careplan.models.permissions import CareTeam, Decision, Who
from careplan.models.referral_chain import PANEL

CSC = Agency(name="Children's Social Care", sector="social care")
ASC = Agency(name="Adult Social Care", sector="social care")
GP = Agency(name="Riverside Surgery", sector="health")
MH = Agency(name="Community Mental Health Team", sector="health")
LD = Agency(name="Learning Disability Team", sector="health")

SAM_P = Professional(name="Sam Okafor", role="social worker", agency_id=CSC.id)
KIM_P = Professional(name="Kim Lee", role="manager", agency_id=CSC.id)
NINA_P = Professional(name="Nina Clarke", role="social worker", agency_id=ASC.id)
MAYA_P = Professional(name="Maya Shaw", role="manager", agency_id=ASC.id)
SHAH_P = Professional(name="Dr Asha Shah", role="GP", agency_id=GP.id)
ROY_P = Professional(name="Dr Roy Bell", role="GP", agency_id=GP.id)
GWEN_P = Professional(name="Gwen Hart", role="manager", agency_id=GP.id)
CARL_P = Professional(name="Carl Hughes", role="community psychiatric nurse",
                      agency_id=MH.id)
MO_P = Professional(name="Mo Rahman", role="manager", agency_id=MH.id)
LENA_P = Professional(name="Lena Nowak", role="learning disability nurse", agency_id=LD.id)
ADA_P = Professional(name="Ada Finch", role="other", agency_id=ASC.id)

NAMES = Directory(agencies={a.id: a for a in (CSC, ASC, GP, MH, LD)},
                  professionals={p.id: p for p in (SAM_P, KIM_P, NINA_P, MAYA_P, SHAH_P,
                                                   ROY_P, GWEN_P, CARL_P, MO_P, LENA_P,
                                                   ADA_P)})


def _who(p: Professional, role: AccountRole = AccountRole.PRACTITIONER) -> Who:
    return Who(p.id, p.agency_id, role, p.name.split()[-1].lower())


SAM = _who(SAM_P)  # children's social worker, the lead professional
KIM = _who(KIM_P, AccountRole.MANAGER)  # manager of children's social care
NINA = _who(NINA_P)  # adult social worker: her agency is not on the care team
MAYA = _who(MAYA_P, AccountRole.MANAGER)  # manager of adult social care
SHAH = _who(SHAH_P)  # the GP on the team
ROY = _who(ROY_P)  # another GP of the practice
GWEN = _who(GWEN_P, AccountRole.MANAGER)  # manager of the practice
CARL = _who(CARL_P)  # mental health nurse
MO = _who(MO_P, AccountRole.MANAGER)  # mental health manager
LENA = _who(LENA_P)
ADMIN = Who(None, None, AccountRole.ADMINISTRATOR, "admin")  # no professional
ADMIN_ASC = _who(ADA_P, AccountRole.ADMINISTRATOR)  # an administrator in adult care
NOBODY = None

#: Jordan's care team: children's social care (Sam leads) and the GP practice.
TEAM = CareTeam(frozenset({CSC.id, GP.id}), SAM_P.id)
ON_TEAM = "an agency on the care team (Children's Social Care or Riverside Surgery)"

HANDOFF = Handoff(person_id="p", subject=HandoffSubject.ACTION, action_id="a",
                  from_professional_id=SAM_P.id, from_agency_id=CSC.id,
                  to_professional_id=NINA_P.id, to_agency_id=ASC.id,
                  proposed_at=datetime(2025, 3, 1, 9), answer_by=date(2025, 3, 5))
GP_ACTION = Action(plan_id="plan", description="Medication review",
                   owner_professional_id=SHAH_P.id, owner_agency_id=GP.id)
UNOWNED = Action(plan_id="plan", description="Find an adult-services worker")
SAMS_ACTION = GP_ACTION.evolve(owner_professional_id=SAM_P.id, owner_agency_id=CSC.id)
GP_MEMBER = CareTeamMember(person_id="p", professional_id=SHAH_P.id, role="GP",
                           start_date=date(2024, 1, 1))

Case = tuple[str, Callable[[Who | None], Decision], list[Who | None], list[Who | None], str]

CASES: list[Case] = [
    ("answer a handoff", lambda w: rules.answer_handoff(w, HANDOFF, NAMES),
     [NINA, MAYA, ADMIN_ASC], [SAM, KIM, CARL, MO, ADMIN, NOBODY],
     "Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care may "
     "answer this handoff."),
    ("withdraw a handoff", lambda w: rules.withdraw_handoff(w, HANDOFF, NAMES),
     [SAM, KIM], [NINA, MAYA, SHAH, GWEN, ADMIN, NOBODY],
     "Only Sam Okafor (who is handing it over) or a manager of Children's Social Care may "
     "withdraw this handoff."),
    ("propose handing over coordination",
     lambda w: rules.propose_handoff(w, HANDOFF.evolve(subject=HandoffSubject.COORDINATION,
                                                       action_id=None), None, TEAM, NAMES),
     [SAM, KIM, GWEN], [SHAH, NINA, MAYA, MO, ADMIN, NOBODY],
     f"Only Sam Okafor (the lead professional) or a manager of {ON_TEAM} may propose "
     "handing over coordination."),
    ("hand over an action", lambda w: rules.propose_handoff(w, HANDOFF, GP_ACTION, TEAM, NAMES),
     [SHAH, ROY, GWEN, SAM], [NINA, KIM, CARL, MO, ADMIN, NOBODY],
     "Only Dr Asha Shah (its owner), a member of Riverside Surgery or Sam Okafor (the lead "
     "professional) may hand over this action."),
    ("change an action's status",
     lambda w: rules.change_action_status(w, GP_ACTION, TEAM, NAMES),
     [SHAH, ROY, GWEN, SAM], [NINA, KIM, CARL, MO, ADMIN, ADMIN_ASC, NOBODY],
     "Only Dr Asha Shah (its owner), a member of Riverside Surgery or Sam Okafor (the lead "
     "professional) may change this action's status."),
    ("change the lead's own action", lambda w: rules.change_action(w, SAMS_ACTION, TEAM, NAMES),
     [SAM, KIM], [SHAH, GWEN, NINA, NOBODY],
     "Only Sam Okafor (its owner and the lead professional) or a member of Children's Social "
     "Care may change this action."),
    ("change an action nobody owns", lambda w: rules.change_action(w, UNOWNED, TEAM, NAMES),
     [SAM, SHAH, ROY, KIM], [NINA, MAYA, CARL, ADMIN, NOBODY],
     f"Only a member of {ON_TEAM} or Sam Okafor (the lead professional) may change this "
     "action."),
    ("change an action's funding", lambda w: rules.change_funding(w, GP_ACTION, TEAM, NAMES),
     [SHAH, ROY, SAM], [NINA, MAYA, KIM, NOBODY],
     "Only Dr Asha Shah (its owner), a member of Riverside Surgery or Sam Okafor (the lead "
     "professional) may change this action's funding."),
    ("change the plan", lambda w: rules.change_plan(w, TEAM, NAMES),
     [SAM, KIM, SHAH, ROY, GWEN], [NINA, MAYA, CARL, MO, ADMIN, ADMIN_ASC, NOBODY],
     f"Only a member of {ON_TEAM} may change this plan."),
    ("record a case conference", lambda w: rules.record_conference(w, TEAM, NAMES),
     [SAM, SHAH], [NINA, MO, ADMIN, NOBODY],
     f"Only a member of {ON_TEAM} may record a case conference."),
    ("record consent", lambda w: rules.record_consent(w, TEAM, NAMES),
     [SAM, ROY], [NINA, MAYA, NOBODY],
     f"Only a member of {ON_TEAM} may record consent to share."),
    ("sign for an agency not on the team", lambda w: rules.sign_plan(w, ASC.id, TEAM, NAMES),
     [], [NINA, MAYA, ADMIN_ASC],
     f"Only a member of {ON_TEAM} may sign this plan, each for their own agency; Adult "
     "Social Care is not on the care team."),
    ("sign for the GP practice", lambda w: rules.sign_plan(w, GP.id, TEAM, NAMES),
     [SHAH, ROY, GWEN], [SAM, KIM, NINA, ADMIN, NOBODY],
     "Only a member of Riverside Surgery may sign this plan for Riverside Surgery."),
    ("issue a version", lambda w: rules.issue_version(w, TEAM, NAMES),
     [SAM, KIM, GWEN], [SHAH, ROY, MAYA, MO, ADMIN, ADMIN_ASC, NOBODY],
     f"Only Sam Okafor (the lead professional) or a manager of {ON_TEAM} may issue a new "
     "version of this plan for sign-off."),
    ("make someone lead", lambda w: rules.set_lead(w, TEAM, NAMES),
     [KIM, GWEN], [SAM, SHAH, NINA, MAYA, MO, ADMIN, ADMIN_ASC, NOBODY],
     f"Only a manager of {ON_TEAM} may make someone the lead professional, giving a "
     "reason; otherwise the lead changes only when a coordination handoff is accepted."),
    ("add to the care team", lambda w: rules.add_member(w, TEAM, NAMES),
     [SAM, SHAH, MAYA, MO, ADMIN_ASC], [NINA, CARL, ADMIN, NOBODY],
     f"Only a member of {ON_TEAM} or a manager may add to the care team."),
    ("end a membership", lambda w: rules.end_membership(w, GP_MEMBER, GP.id, TEAM, NAMES),
     [SHAH, ROY, GWEN, SAM], [KIM, NINA, MAYA, ADMIN, NOBODY],
     "Only Dr Asha Shah (the member), a member of Riverside Surgery or Sam Okafor (the lead "
     "professional) may end this membership of the care team."),
    ("send a referral", lambda w: rules.send_referral(w, GP.id, NAMES),
     [SHAH, ROY, GWEN], [SAM, MO, ADMIN, NOBODY],
     "Only a member of Riverside Surgery may send a referral from Riverside Surgery."),
    ("accept a referral", lambda w: rules.referral_step(w, ReferralEventKind.ACCEPTED, MH.id,
                                                        NAMES),
     [CARL, MO], [SAM, KIM, LENA, MAYA, ADMIN, NOBODY],
     "Only a member of Community Mental Health Team (which holds it) may accept this "
     "referral."),
    ("decline a referral", lambda w: rules.referral_step(w, ReferralEventKind.DECLINED, MH.id,
                                                         NAMES, MH.id),
     [CARL, MO], [SAM, LENA, NOBODY],
     "Only a member of Community Mental Health Team (which holds it) may decline this "
     "referral."),
    ("redirect a referral", lambda w: rules.referral_step(w, ReferralEventKind.REDIRECTED,
                                                          MH.id, NAMES),
     [CARL, MO], [SAM, LENA, GWEN, NOBODY],
     "Only a member of Community Mental Health Team (which holds it) may redirect this "
     "referral."),
    ("accept in another team's name",
     lambda w: rules.referral_step(w, ReferralEventKind.ACCEPTED, MH.id, NAMES, LD.id),
     [], [CARL, MO, LENA],
     "Only a member of Community Mental Health Team (which holds it) may accept this "
     "referral."),
    ("settle a referral a panel holds",
     lambda w: rules.referral_step(w, ReferralEventKind.ACCEPTED, PANEL, NAMES),
     [], [CARL, MO, SAM],
     "Only a manager may settle a referral a panel holds, by recording the panel's "
     "decision."),
    ("escalate a referral", lambda w: rules.referral_step(w, ReferralEventKind.ESCALATED,
                                                          MH.id, NAMES),
     [MO, MAYA, KIM, ADMIN_ASC], [CARL, SAM, ADMIN, NOBODY],
     "Only a manager may escalate this referral to a panel."),
    ("record a panel's decision",
     lambda w: rules.referral_step(w, ReferralEventKind.PANEL_DECISION, PANEL, NAMES),
     [MO, GWEN], [CARL, SHAH, ADMIN, NOBODY],
     "Only a manager may record the panel's decision."),
    ("change the rules' thresholds", lambda w: rules.administer(w, "change the rules' "
                                                                   "thresholds"),
     [ADMIN, ADMIN_ASC], [],
     ""),
]


@pytest.mark.parametrize(("what", "rule", "allowed", "refused", "sentence"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_rule_allows_whom_it_names_and_refuses_the_rest_naming_them(
        what: str, rule: Callable[[Who | None], Decision], allowed: list[Who | None],
        refused: list[Who | None], sentence: str) -> None:
    for who in allowed:
        assert rule(who) == rules.ALLOWED, (what, who)
    for who in refused:
        decision = rule(who)
        assert not decision and decision.reason == sentence, (what, who, decision.reason)
        assert decision.who_may and decision.who_may in sentence


@pytest.mark.parametrize(("who", "sentence"), [
    (MAYA, "Only an administrator may change the rules' thresholds; shaw is a manager."),
    (SAM, "Only an administrator may change the rules' thresholds; okafor is a "
          "practitioner."),
    (NOBODY, "Only an administrator may change the rules' thresholds; sign in as one "
             "first."),
])
def test_only_administrators_change_thresholds_and_accounts(who: Who | None,
                                                            sentence: str) -> None:
    decision = rules.administer(who, "change the rules' thresholds")
    assert not decision and decision.reason == sentence


def test_a_referral_nobody_holds_is_no_ones_to_take() -> None:
    decision = rules.referral_step(CARL, ReferralEventKind.ACCEPTED, None, NAMES)
    assert not decision and decision.reason == "Nobody may accept this referral: no team " \
                                               "holds it."


def test_a_team_without_a_lead_or_members_still_names_who_may() -> None:
    empty = CareTeam()
    assert rules.set_lead(MO, empty, NAMES).reason.startswith(
        "Only a manager of an agency on the care team (it has no members yet) may make")
    assert rules.change_action_status(NINA, UNOWNED, empty, NAMES).reason == (
        "Only a member of an agency on the care team (it has no members yet) may change "
        "this action's status.")
    assert rules.add_member(MO, empty, NAMES)  # a manager starts a team


# -- who is acting -------------------------------------------------------------------------


def _account(role: AccountRole, professional: Professional | None, active: bool = True
             ) -> Account:
    return Account(username="someone", role=role, active=active,
                   professional_id=professional.id if professional else None)


@pytest.mark.parametrize(("professional", "account", "expected"), [
    # A job title of "manager" grants nothing: authority is the account's.
    (KIM_P, None, Who(KIM_P.id, CSC.id, AccountRole.PRACTITIONER, "Kim Lee")),
    (KIM_P, _account(AccountRole.MANAGER, KIM_P),
     Who(KIM_P.id, CSC.id, AccountRole.MANAGER, "someone")),
    (SAM_P, _account(AccountRole.MANAGER, SAM_P),
     Who(SAM_P.id, CSC.id, AccountRole.MANAGER, "someone")),
    (None, _account(AccountRole.ADMINISTRATOR, None),
     Who(None, None, AccountRole.ADMINISTRATOR, "someone")),
    (SAM_P, _account(AccountRole.PRACTITIONER, SAM_P, active=False), None),
    (None, None, None),
])
def test_authority_comes_from_the_account_never_the_job_title(
        professional: Professional | None, account: Account | None,
        expected: Who | None) -> None:
    assert rules.who_is(professional, account) == expected


def test_the_care_team_is_the_memberships_active_that_day() -> None:
    agency_of = {SAM_P.id: CSC.id, SHAH_P.id: GP.id, NINA_P.id: ASC.id}
    members = [
        CareTeamMember(person_id="p", professional_id=SAM_P.id, role="social worker",
                       start_date=date(2024, 1, 1), is_lead=True),
        CareTeamMember(person_id="p", professional_id=SHAH_P.id, role="GP",
                       start_date=date(2024, 1, 1)),
        CareTeamMember(person_id="p", professional_id=NINA_P.id, role="social worker",
                       start_date=date(2024, 1, 1), end_date=date(2025, 1, 31)),
    ]
    assert rules.care_team(members, agency_of, date(2025, 3, 1)) == TEAM
    assert rules.care_team(members, agency_of, date(2025, 1, 31)).agencies == {
        CSC.id, GP.id, ASC.id}
    assert rules.care_team(members, agency_of, date(2023, 1, 1)) == CareTeam()


def test_who_may_is_worded_as_a_list() -> None:
    assert rules.either([]) == ""
    assert rules.either(["a"]) == "a"
    assert rules.either(["a", "b"]) == "a or b"
    assert rules.either(["a", "b", "c"]) == "a, b or c"
    assert rules.either(["a", "", "b"], "and") == "a and b"
