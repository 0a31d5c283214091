"""The store enforces the permission rules on every person's write: each refused write
changes nothing (the store's content digest is the same), raises one sentence naming
who may, and is checked against the records as stored, not the caller's copy. The
people entitled to act get through.

The first tests are the reported defects: a children's social worker accepted a handoff
addressed to someone else, accepted a referral on behalf of the mental health team,
made herself lead professional, and signed the plan for an agency not on the care team.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import ui_world

from careplan.models import (
    Action,
    ActionCost,
    ActionFunder,
    CarePlan,
    CareTeamMember,
    CaseConference,
    Consent,
    FundingStream,
    Handoff,
    Need,
    Professional,
    Referral,
)
from careplan.models.enums import (
    ActionStatus,
    ConsentStatus,
    HandoffStatus,
    HandoffSubject,
    ReferralEventKind,
)
from careplan.store import Store, StoreError, add, find, get
from careplan.store import casework as cw
from careplan.store import team as tm
from careplan.store.accounts import NotAllowedError, deactivate, find_account
from careplan.store.digest import content_digest
from careplan.store.funding import save_funding
from careplan.store.overrides import clear_override, set_override
from careplan.store.plan_versions import issue_version
from tests.signin import ensure_account

AT = datetime.combine(ui_world.TODAY, datetime.min.time()).replace(hour=10)
ON_TEAM = "an agency on the care team (Children's Social Care or Riverside Surgery)"


@dataclass
class Setup:
    store: Store
    w: ui_world.World

    def pro(self, professional_id: str) -> Professional:
        return get(self.store, Professional, professional_id)


@pytest.fixture
def s() -> Iterator[Setup]:
    store = Store.open(":memory:")
    store.clock = lambda: AT  # "today" for the rules is the neighbourhood's
    yield Setup(store, ui_world.build(store))
    store.close()


def _refused(store: Store, write: Callable[[], Any], sentence: str) -> None:
    """``write`` is refused with exactly ``sentence``, and the store is as it was."""
    before = content_digest(store)
    with pytest.raises(StoreError) as caught:
        write()
    assert str(caught.value) == sentence
    assert isinstance(caught.value, NotAllowedError)
    assert content_digest(store) == before


# -- the reported defects ------------------------------------------------------------------


def test_a_childrens_social_worker_cannot_accept_a_handoff_addressed_to_someone_else(
        s: Setup) -> None:
    handoff = get(s.store, Handoff, s.w.handoff)
    _refused(s.store, lambda: cw.answer_handoff(s.store, handoff, True, AT, s.w.sam_social),
             "Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care "
             "may answer this handoff.")


def test_a_childrens_social_worker_cannot_accept_a_referral_for_the_mental_health_team(
        s: Setup) -> None:
    referral = get(s.store, Referral, s.w.dual_referral)
    step = cw.ReferralStep(ReferralEventKind.ACCEPTED, ui_world.TODAY, team_id=s.w.mh_team)
    _refused(s.store, lambda: cw.referral_step(s.store, referral, step, s.w.sam_social),
             "Only a member of Community Mental Health Team (which holds it) may accept this "
             "referral.")


def test_a_childrens_social_worker_cannot_make_herself_lead_professional(s: Setup) -> None:
    member = add(s.store, CareTeamMember(person_id=s.w.dual, professional_id=s.w.sam_social,
                                         role="social worker", start_date=date(2025, 1, 1)),
                 "setup")
    _refused(s.store, lambda: tm.set_lead(s.store, s.w.dual, member.id, s.w.sam_social),
             "Only a manager of an agency on the care team (Children's Social Care, "
             "Community Mental Health Team or Riverside Surgery) may make someone the lead "
             "professional, giving a reason; otherwise the lead changes only when a "
             "coordination handoff is accepted.")


def test_nobody_signs_the_plan_for_an_agency_not_on_the_care_team(s: Setup) -> None:
    plan = get(s.store, CarePlan, s.w.teen_plan)
    nina = s.pro(s.w.nina_nurse)  # Adult Social Care: not on Jordan's care team
    _refused(s.store, lambda: cw.sign_plan(s.store, plan, nina, AT),
             f"Only a member of {ON_TEAM} may sign this plan, each for their own agency; "
             "Adult Social Care is not on the care team.")


# -- every refused write, table-driven ------------------------------------------------------


def _stream(s: Setup) -> FundingStream:
    return add(s.store, FundingStream(name="Children's services",
                                      kind="council children's services",
                                      principle="means-tested", agency_id=s.w.children),
               "setup")


def _fund(s: Setup, who: str) -> Callable[[], Any]:
    stream = _stream(s)
    cost = ActionCost(action_id=s.w.teen_action, unit_cost_pence=100, frequency="weekly",
                      start_date=ui_world.TODAY)
    funders = [ActionFunder(cost_id=cost.id, stream_id=stream.id, share_bp=10_000)]
    return lambda: save_funding(s.store, cost, funders, who)


def _new_handoff(s: Setup, subject: HandoffSubject) -> Handoff:
    return Handoff(person_id=s.w.teen, subject=subject,
                   action_id=s.w.teen_action if subject is HandoffSubject.ACTION else None,
                   from_professional_id=s.w.sam_social, from_agency_id=s.w.children,
                   to_professional_id=s.w.dr_shah, to_agency_id=s.w.gp, proposed_at=AT,
                   answer_by=ui_world.TODAY + timedelta(days=3))


def _step(s: Setup, kind: ReferralEventKind, who: str) -> Callable[[], Any]:
    referral = get(s.store, Referral, s.w.dual_referral)
    team = s.w.ld_team if kind is ReferralEventKind.PANEL_DECISION else s.w.mh_team
    step = cw.ReferralStep(kind, ui_world.TODAY, team_id=team, reason="Because")
    return lambda: cw.referral_step(s.store, referral, step, who)


def _action(s: Setup) -> Action:
    return get(s.store, Action, s.w.teen_action)


def _member(s: Setup, professional_id: str) -> CareTeamMember:
    return next(m for m in find(s.store, CareTeamMember, person_id=s.w.teen)
                if m.professional_id == professional_id)


#: (what, the refused write, the sentence). Each write is made by someone the rule does
#: not allow; the Setup gives the neighbourhood of tests/ui_world.py.
REFUSED: list[tuple[str, Callable[[Setup], Callable[[], Any]], str]] = [
    ("decline a handoff for someone else",
     lambda s: lambda: cw.answer_handoff(s.store, get(s.store, Handoff, s.w.handoff), False,
                                         AT, s.w.carl_cpn, "Not mine"),
     "Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care may "
     "answer this handoff."),
    ("answer a copy readdressed to oneself",
     lambda s: lambda: cw.answer_handoff(s.store, get(s.store, Handoff, s.w.handoff).evolve(
         to_professional_id=s.w.carl_cpn, to_agency_id=s.w.mh_team), True, AT, s.w.carl_cpn),
     "Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care may "
     "answer this handoff."),
    ("answer as no one the store knows",
     lambda s: lambda: cw.answer_handoff(s.store, get(s.store, Handoff, s.w.handoff), True,
                                         AT, "nobody"),
     "Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care may "
     "answer this handoff."),
    ("withdraw someone else's handoff",
     lambda s: lambda: cw.withdraw_handoff(s.store, get(s.store, Handoff, s.w.handoff),
                                           s.w.nina_nurse),
     "Only Sam Okafor (who is handing it over) or a manager of Children's Social Care may "
     "withdraw this handoff."),
    ("hand over an action one may not change",
     lambda s: lambda: cw.propose_handoff(s.store, _new_handoff(s, HandoffSubject.ACTION),
                                          s.w.carl_cpn),
     "Only Sam Okafor (its owner and the lead professional) or a member of Children's "
     "Social Care may hand over this action."),
    ("propose handing over coordination, not being the lead",
     lambda s: lambda: cw.propose_handoff(
         s.store, _new_handoff(s, HandoffSubject.COORDINATION), s.w.dr_shah),
     f"Only Sam Okafor (the lead professional) or a manager of {ON_TEAM} may propose "
     "handing over coordination."),
    ("change an action's status",
     lambda s: lambda: cw.save_plan_item(s.store, _action(s).evolve(
         status=ActionStatus.COMPLETED), s.w.nina_nurse),
     "Only Sam Okafor (its owner and the lead professional) or a member of Children's "
     "Social Care may change this action's status."),
    ("change what an action is",
     lambda s: lambda: cw.save_plan_item(s.store, _action(s).evolve(
         description="Something else"), s.w.dr_shah),
     "Only Sam Okafor (its owner and the lead professional) or a member of Children's "
     "Social Care may change this action."),
    ("add a need, from an agency not on the team",
     lambda s: lambda: cw.save_plan_item(s.store, Need(
         plan_id=s.w.teen_plan, description="Money", domain="social care"), s.w.nina_nurse),
     f"Only a member of {ON_TEAM} may change this plan."),
    ("record a case conference",
     lambda s: lambda: cw.save_conference(s.store, CaseConference(
         person_id=s.w.teen, held_at=AT), get(s.store, CarePlan, s.w.teen_plan), [],
         s.w.carl_cpn),
     f"Only a member of {ON_TEAM} may record a case conference."),
    ("sign for another agency",
     lambda s: lambda: cw.sign_plan(s.store, get(s.store, CarePlan, s.w.teen_plan),
                                    s.pro(s.w.sam_social).evolve(agency_id=s.w.gp), AT),
     "Only a member of Riverside Surgery may sign this plan for Riverside Surgery."),
    ("issue a version, neither lead nor manager",
     lambda s: lambda: issue_version(s.store, get(s.store, CarePlan, s.w.teen_plan),
                                     s.w.dr_shah, AT),
     f"Only Sam Okafor (the lead professional) or a manager of {ON_TEAM} may issue a new "
     "version of this plan for sign-off."),
    ("send a referral from another agency",
     lambda s: lambda: cw.send_referral(s.store, Referral(
         person_id=s.w.teen, domain="mental health", summary="Low mood",
         from_agency_id=s.w.gp, sent_on=ui_world.TODAY), s.w.mh_team, s.w.sam_social),
     "Only a member of Riverside Surgery may send a referral from Riverside Surgery."),
    ("decline a referral another team holds",
     lambda s: _step(s, ReferralEventKind.DECLINED, s.w.lena_ld),
     "Only a member of Community Mental Health Team (which holds it) may decline this "
     "referral."),
    ("redirect a referral in another team's name",
     lambda s: lambda: cw.referral_step(
         s.store, get(s.store, Referral, s.w.dual_referral),
         cw.ReferralStep(ReferralEventKind.REDIRECTED, ui_world.TODAY, team_id=s.w.ld_team,
                         to_team_id=s.w.gp), s.w.carl_cpn),
     "Only a member of Community Mental Health Team (which holds it) may redirect this "
     "referral."),
    ("escalate, not a manager", lambda s: _step(s, ReferralEventKind.ESCALATED, s.w.carl_cpn),
     "Only a manager may escalate this referral to a panel."),
    ("record a panel's decision, not a manager",
     lambda s: _step(s, ReferralEventKind.PANEL_DECISION, s.w.carl_cpn),
     "Only a manager may record the panel's decision."),
    ("make someone lead, not a manager",
     lambda s: lambda: tm.set_lead(s.store, s.w.teen, _member(s, s.w.dr_shah).id,
                                   s.w.sam_social, "I am away"),
     f"Only a manager of {ON_TEAM} may make someone the lead professional, giving a "
     "reason; otherwise the lead changes only when a coordination handoff is accepted."),
    ("add someone as lead, not a manager",
     lambda s: lambda: tm.add_member(s.store, CareTeamMember(
         person_id=s.w.teen, professional_id=s.w.nina_nurse, role="social worker",
         start_date=ui_world.TODAY, is_lead=True), s.w.dr_shah, "Adult services lead"),
     f"Only a manager of {ON_TEAM} may make someone the lead professional, giving a "
     "reason; otherwise the lead changes only when a coordination handoff is accepted."),
    ("add to a team one's agency is not on",
     lambda s: lambda: tm.add_member(s.store, CareTeamMember(
         person_id=s.w.teen, professional_id=s.w.carl_cpn, role="community psychiatric "
         "nurse", start_date=ui_world.TODAY), s.w.carl_cpn),
     f"Only a member of {ON_TEAM} or a manager may add to the care team."),
    ("end someone else's membership",
     lambda s: lambda: tm.end_membership(s.store, _member(s, s.w.dr_shah), ui_world.TODAY,
                                         s.w.nina_nurse),
     "Only Dr Asha Shah (the member), a member of Riverside Surgery or Sam Okafor (the lead "
     "professional) may end this membership of the care team."),
    ("record consent, from an agency not on the team",
     lambda s: lambda: tm.record_consent(s.store, Consent(
         person_id=s.w.teen, agency_id=s.w.mh_team, status=ConsentStatus.GIVEN,
         recorded_on=ui_world.TODAY, recorded_by=s.w.carl_cpn), s.w.carl_cpn),
     f"Only a member of {ON_TEAM} may record consent to share."),
    ("fund an action one may not change", lambda s: _fund(s, s.w.nina_nurse),
     "Only Sam Okafor (its owner and the lead professional) or a member of Children's "
     "Social Care may change this action's funding."),
    ("change a threshold, not an administrator",
     lambda s: lambda: set_override(s.store, "discharge.critical_days", 9, s.w.sam_social),
     "Only an administrator may change the rules' thresholds; Sam Okafor is a "
     "practitioner."),
    ("clear a threshold as no one",
     lambda s: lambda: clear_override(s.store, "discharge.critical_days", "someone"),
     "Only an administrator may change the rules' thresholds; sign in as one first."),
]


@pytest.mark.parametrize(("what", "write", "sentence"), REFUSED, ids=[r[0] for r in REFUSED])
def test_every_refused_write_changes_nothing_and_names_who_may(
        s: Setup, what: str, write: Callable[[Setup], Callable[[], Any]],
        sentence: str) -> None:
    _refused(s.store, write(s), sentence)


# -- the people entitled to act get through ----------------------------------------------------


def test_the_addressee_or_a_manager_of_the_receiving_agency_answers_and_both_sides_are_kept(
        s: Setup) -> None:
    handoff = get(s.store, Handoff, s.w.handoff)
    noted = add(s.store, Handoff(
        person_id=s.w.older, subject=HandoffSubject.COORDINATION,
        from_professional_id=s.w.nina_nurse, from_agency_id=s.w.adult_care,
        to_professional_id=s.w.dr_shah, to_agency_id=s.w.gp, proposed_at=AT,
        answer_by=ui_world.TODAY + timedelta(days=2), reason="Her needs are mostly medical"),
        "setup")
    answered = cw.answer_handoff(s.store, handoff, False, AT, s.w.nina_nurse,
                                 reason="Adult services start at 18")
    assert (answered.status, answered.answered_by, answered.answer_reason, answered.reason) == (
        HandoffStatus.DECLINED, s.w.nina_nurse, "Adult services start at 18", "")
    # A manager of the GP practice answers for Dr Shah; the note stays as the proposer wrote it.
    manager = add(s.store, Professional(name="Gwen Hart", role="manager", agency_id=s.w.gp),
                  "setup")
    ensure_account(s.store, "gwen", "manager", manager.id)
    accepted = cw.answer_handoff(s.store, noted, True, AT, manager.id, "Agreed at the MDT")
    assert (accepted.answered_by, accepted.answer_reason, accepted.reason) == (
        manager.id, "Agreed at the MDT", "Her needs are mostly medical")
    lead = [m for m in find(s.store, CareTeamMember, person_id=s.w.older) if m.is_lead]
    assert [m.professional_id for m in lead if m.active_on(ui_world.TODAY)] == [s.w.dr_shah]


def test_a_manager_makes_a_lead_with_a_reason_that_is_recorded(s: Setup) -> None:
    ui_world.make_manager(s.store, s.w.rosa_manager)
    shah = _member(s, s.w.dr_shah)
    before = content_digest(s.store)
    with pytest.raises(ValueError, match="^reason: say why Dr Asha Shah becomes the lead"):
        tm.set_lead(s.store, s.w.teen, shah.id, s.w.rosa_manager, "  ")
    assert content_digest(s.store) == before
    tm.set_lead(s.store, s.w.teen, shah.id, s.w.rosa_manager, "Sam is on leave")
    leads = [(m.professional_id, m.lead_reason)
             for m in find(s.store, CareTeamMember, person_id=s.w.teen) if m.is_lead]
    assert leads == [(s.w.dr_shah, "Sam is on leave")]
    assert _member(s, s.w.sam_social).lead_reason == ""


def test_the_lead_a_colleague_and_the_owner_change_an_action_and_the_team_takes_an_unowned_one(
        s: Setup) -> None:
    colleague = add(s.store, Professional(name="Tess Moore", role="social worker",
                                          agency_id=s.w.children), "setup")
    for who, status in ((s.w.sam_social, ActionStatus.IN_PROGRESS),
                        (colleague.id, ActionStatus.ON_HOLD)):
        cw.save_plan_item(s.store, _action(s).evolve(status=status), who)
        assert _action(s).status is status
    unowned = next(a for a in find(s.store, Action, plan_id=s.w.teen_plan)
                   if a.owner_professional_id is None)
    cw.save_plan_item(s.store, unowned.evolve(owner_professional_id=s.w.dr_shah,
                                              owner_agency_id=s.w.gp), s.w.dr_shah)
    _fund(s, colleague.id)()  # funding, as for the action itself


def test_the_holding_team_takes_a_referral_and_a_manager_escalates_it(s: Setup) -> None:
    ui_world.make_manager(s.store, s.w.rosa_manager)
    _step(s, ReferralEventKind.DECLINED, s.w.carl_cpn)()
    _step(s, ReferralEventKind.ESCALATED, s.w.rosa_manager)()
    # A panel holds it now: no team's member accepts it, a manager records the decision.
    _refused(s.store, _step(s, ReferralEventKind.ACCEPTED, s.w.carl_cpn),
             "Only a manager may settle a referral a panel holds, by recording the panel's "
             "decision.")
    _step(s, ReferralEventKind.PANEL_DECISION, s.w.rosa_manager)()
    assert get(s.store, Referral, s.w.dual_referral).status.value == "resolved"


def test_an_administrator_changes_thresholds_and_a_deactivated_account_acts_as_no_one(
        s: Setup) -> None:
    admin = ensure_account(s.store)
    set_override(s.store, "discharge.critical_days", 9, admin.actor)
    clear_override(s.store, "discharge.critical_days", admin.actor)
    ensure_account(s.store, "nina", "manager", s.w.nina_nurse)
    deactivate(s.store, "nina", admin)
    assert find_account(s.store, "nina") is not None
    _refused(s.store, lambda: cw.answer_handoff(s.store, get(s.store, Handoff, s.w.handoff),
                                                True, AT, s.w.nina_nurse),
             "Only Nina Clarke (to whom it is addressed) or a manager of Adult Social Care "
             "may answer this handoff.")
