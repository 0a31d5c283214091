"""The acts of casework at the store API: each one transaction with an audit event for
every record it touches (deletes included), and steps out of turn refused unchanged."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from careplan.models import (
    Action,
    ActionCost,
    ActionFunder,
    Agency,
    CarePlan,
    CareTeamMember,
    CaseConference,
    FundingStream,
    Handoff,
    Need,
    Professional,
    Referral,
)
from careplan.models.enums import HandoffStatus, HandoffSubject, ReferralEventKind
from careplan.store import InputError, Store, add, add_many, audit, find, get
from careplan.store import casework as cw
from careplan.store.digest import content_digest
from careplan.store.funding import save_funding
from careplan.store.overrides import clear_override, set_override
from careplan.store.plan_versions import issue_version
from tests.factories import one_of_each
from tests.signin import ensure_account
from tests.store_checks import assert_whole

AT = datetime(2025, 3, 3, 10)


def _filled(store: Store) -> dict[str, object]:
    """The one-of-each graph, stored; returned by type name (the first of each)."""
    found: dict[str, object] = {}
    for entity in one_of_each():
        found.setdefault(type(entity).__name__, add(store, entity, "setup"))
    return found


def test_every_casework_write_leaves_a_whole_audit_trail(store_path: Path) -> None:
    with Store.open(store_path) as store:
        got = _filled(store)
        plan = got["CarePlan"]
        assert isinstance(plan, CarePlan)
        sw, dr = (p for p in find(store, Professional, order_by="name")
                  if p.name in ("Sam Green", "Dr Asha Patel"))
        sw, dr = (sw, dr) if sw.name == "Sam Green" else (dr, sw)
        asc = next(a for a in find(store, Agency) if a.name == "Adult Social Care")
        # The GP joins the team; Sam Green, the lead, is a manager of adult social care.
        add(store, CareTeamMember(person_id=plan.person_id, professional_id=dr.id,
                                  role="GP", start_date=date(2025, 1, 1)), "setup")
        ensure_account(store, "sam", "manager", sw.id)
        admin = ensure_account(store).actor

        # Plan edits go into the draft of version 2, issued explicitly; the GP practice
        # then signs it (version 1's signature stays).
        need = find(store, Need)[0]
        cw.save_plan_item(store, need.evolve(description="Personal care, mornings"), sw.id)
        new = cw.save_plan_item(store, Action(plan_id=plan.id, description="Order a hoist"),
                                sw.id)
        cw.rewrite_plan_item(store, new.evolve(description="Order a ceiling hoist"), new,
                             sw.id)
        assert get(store, CarePlan, plan.id).plan_version == 1
        issue_version(store, get(store, CarePlan, plan.id), sw.id, AT)
        plan = get(store, CarePlan, plan.id)
        assert plan.plan_version == 2
        cw.sign_plan(store, plan, dr, AT)

        # Handoffs: the stored one declined; coordination accepted; one withdrawn.
        waiting = find(store, Handoff)[0]
        cw.answer_handoff(store, waiting, False, AT, dr.id, reason="Not a GP task")
        lead = cw.propose_handoff(store, Handoff(
            person_id=plan.person_id, subject=HandoffSubject.COORDINATION,
            from_professional_id=sw.id, from_agency_id=asc.id, to_professional_id=dr.id,
            to_agency_id=dr.agency_id, proposed_at=AT, answer_by=date(2025, 3, 5)), sw.id)
        cw.answer_handoff(store, lead, True, AT, dr.id)
        again = cw.propose_handoff(store, Handoff(
            person_id=plan.person_id, subject=HandoffSubject.ACTION, action_id=new.id,
            from_professional_id=dr.id, from_agency_id=dr.agency_id, to_professional_id=sw.id,
            to_agency_id=asc.id, proposed_at=AT, answer_by=date(2025, 3, 5)), dr.id)
        cw.withdraw_handoff(store, again, dr.id)

        # A referral sent, declined, redirected and settled by a panel.
        referral = cw.send_referral(store, Referral(
            person_id=plan.person_id, domain="mental health", summary="Low mood",
            from_agency_id=dr.agency_id, sent_on=date(2025, 3, 1)), asc.id, dr.id)
        for step in (cw.ReferralStep(ReferralEventKind.DECLINED, date(2025, 3, 2), asc.id,
                                     reason="Not ours"),
                     cw.ReferralStep(ReferralEventKind.REDIRECTED, date(2025, 3, 2), asc.id,
                                     to_team_id=dr.agency_id),
                     cw.ReferralStep(ReferralEventKind.PANEL_DECISION, date(2025, 3, 3))):
            referral = cw.referral_step(store, referral, step, sw.id)

        # A case conference that agrees an action.
        cw.save_conference(store, CaseConference(person_id=plan.person_id, held_at=AT),
                           plan, [Action(plan_id=plan.id, description="Weekly visits")], sw.id)

        # Funding: the single funder replaced by two halves (the old one is deleted).
        cost = find(store, ActionCost)[0]
        streams = find(store, FundingStream)
        halves = [ActionFunder(cost_id=cost.id, stream_id=s.id, share_bp=5_000)
                  for s in streams[:2]]
        save_funding(store, cost.evolve(unit_cost_pence=40_000), halves, sw.id)
        assert {f.id for f in find(store, ActionFunder)} == {f.id for f in halves}

        # Rule overrides, set and cleared by an administrator.
        before = audit.count(store)
        set_override(store, "signoff.days", 10, admin)
        clear_override(store, "signoff.days", admin)
        assert audit.count(store) == before + 2
    counts = assert_whole(store_path)
    assert counts["events"] > counts["rows"]  # updates and the deleted funder


@pytest.mark.parametrize("status", [HandoffStatus.ACCEPTED, HandoffStatus.DECLINED,
                                    HandoffStatus.WITHDRAWN])
def test_only_a_proposed_handoff_is_answered_or_withdrawn(store: Store,
                                                          status: HandoffStatus) -> None:
    _filled(store)
    waiting = find(store, Handoff)[0]
    sw, dr = waiting.from_professional_id, waiting.to_professional_id
    if status is HandoffStatus.WITHDRAWN:
        done = cw.withdraw_handoff(store, waiting, sw)
    else:
        done = cw.answer_handoff(store, waiting, status is HandoffStatus.ACCEPTED, AT, dr,
                                 reason="Not a GP task")
    digest = content_digest(store)
    for attempt in (lambda: cw.answer_handoff(store, done, True, AT, dr),
                    lambda: cw.answer_handoff(store, done, False, AT, dr, reason="No"),
                    lambda: cw.withdraw_handoff(store, done, sw)):
        with pytest.raises(InputError, match=f"it was already {status.value}"):
            attempt()
    assert content_digest(store) == digest


def test_a_bulk_write_with_too_few_event_ids_writes_nothing(store: Store) -> None:
    entities = one_of_each()
    digest = content_digest(store)
    with pytest.raises(ValueError, match="shorter|longer"):
        add_many(store, entities, "importer", event_ids=["only-one"])
    assert content_digest(store) == digest and audit.count(store) == 0


def test_accepted_coordination_keeps_who_led_when(store_path: Path) -> None:
    from careplan.export import audit_data
    from careplan.export.records import load
    from careplan.models import CareTeamMember

    store = Store.open(store_path)
    got = _filled(store)
    plan = got["CarePlan"]
    assert isinstance(plan, CarePlan)
    sw = next(p for p in find(store, Professional) if p.name == "Sam Green")
    dr = next(p for p in find(store, Professional) if p.name == "Dr Asha Patel")
    add(store, CareTeamMember(person_id=plan.person_id, professional_id=dr.id, role="GP",
                              start_date=date(2025, 1, 1)), "setup")
    handoff = cw.propose_handoff(store, Handoff(
        person_id=plan.person_id, subject=HandoffSubject.COORDINATION,
        from_professional_id=sw.id, from_agency_id=sw.agency_id, to_professional_id=dr.id,
        to_agency_id=dr.agency_id, proposed_at=AT, answer_by=date(2025, 3, 5)), sw.id)
    cw.answer_handoff(store, handoff, True, AT, dr.id)

    team = find(store, CareTeamMember, person_id=plan.person_id)
    leads = sorted((m.start_date, m.end_date, m.professional_id) for m in team if m.is_lead)
    assert leads == [(date(2025, 1, 1), date(2025, 3, 2), sw.id),
                     (date(2025, 3, 3), None, dr.id)]
    active = [m for m in team if m.active_on(date(2025, 3, 3))]
    assert sorted(m.professional_id for m in active) == sorted([sw.id, dr.id])
    report = audit_data.audit(load(store), date(2025, 1, 1), date(2025, 3, 31),
                              date(2025, 3, 31))
    assert report.gaps == []
    store.close()
    assert_whole(store_path)
