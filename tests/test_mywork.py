"""My work, read from the store at its edges: answered handoffs drop out, referrals held
by another team are not mine, due dates on the boundary, signatures per agency, open
conflicts of my persons; and one statement per kind of row, whatever the caseload."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import ui_world
from ui_world import TODAY

from careplan.models import Action, CarePlan, Handoff, Professional, Referral, ReferralEvent
from careplan.models.enums import ActionStatus, ReferralEventKind, ReferralStatus
from careplan.store import NotFoundError, Store, get
from careplan.store.casework import answer_handoff, sign_plan
from careplan.store.mywork import DUE_WITHIN_DAYS, WorkItem, WorkKind, my_work
from careplan.store.repo import add, update


@pytest.fixture
def world(tmp_path: Path) -> tuple[Store, ui_world.World]:
    store = Store.open(tmp_path / "store.db")
    return store, ui_world.build(store)


def _of(items: list[WorkItem], kind: WorkKind) -> list[WorkItem]:
    return [w for w in items if w.kind is kind]


def test_a_handoff_waits_for_its_receiver_until_answered(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    nina = my_work(store, w.nina_nurse, TODAY)
    [row] = _of(nina, WorkKind.HANDOFF)
    assert (row.person_id, row.subject_id, row.person_name) == (w.teen, w.handoff,
                                                                 "Jordan Baker")
    assert row.when == TODAY - timedelta(days=2) and row.overdue
    assert "Care Act assessment before 18th birthday" in row.what
    assert "Children's Social Care" in row.what
    assert _of(my_work(store, w.sam_social, TODAY), WorkKind.HANDOFF) == []  # the proposer
    answer_handoff(store, get(store, Handoff, w.handoff), True, datetime(2025, 3, 10, 9),
                   w.nina_nurse)
    assert _of(my_work(store, w.nina_nurse, TODAY), WorkKind.HANDOFF) == []


def test_a_referral_is_with_the_team_that_holds_it_now(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    # Redirected back to mental health last: Carl's team holds it, not Lena's.
    [row] = _of(my_work(store, w.carl_cpn, TODAY), WorkKind.REFERRAL)
    assert (row.person_id, row.subject_id) == (w.dual, w.dual_referral)
    assert row.when == TODAY - timedelta(days=40)
    assert _of(my_work(store, w.lena_ld, TODAY), WorkKind.REFERRAL) == []
    assert _of(my_work(store, w.dr_shah, TODAY), WorkKind.REFERRAL) == []  # who sent it
    # Accepted: no longer waiting for anyone's answer.
    add(store, ReferralEvent(referral_id=w.dual_referral, kind=ReferralEventKind.ACCEPTED,
                             occurred_on=TODAY, team_id=w.mh_team), "test")
    update(store, get(store, Referral, w.dual_referral).evolve(
        status=ReferralStatus.ACCEPTED), "test")
    assert _of(my_work(store, w.carl_cpn, TODAY), WorkKind.REFERRAL) == []


@pytest.mark.parametrize(("days", "listed", "overdue"), [
    (-30, True, True), (-1, True, True), (0, True, False),
    (DUE_WITHIN_DAYS, True, False), (DUE_WITHIN_DAYS + 1, False, False)])
def test_my_actions_due_on_the_boundary(world, days: int, listed: bool,  # type: ignore[no-untyped-def]
                                        overdue: bool) -> None:
    store, w = world
    action = get(store, Action, w.teen_action)
    update(store, action.evolve(due_date=TODAY + timedelta(days=days)), "test")
    found = _of(my_work(store, w.sam_social, TODAY), WorkKind.ACTION)
    assert [(r.subject_id, r.overdue) for r in found] == ([(w.teen_action, overdue)]
                                                          if listed else [])
    # Nobody else's list has it (the other action of the plan has no owner).
    assert _of(my_work(store, w.dr_shah, TODAY), WorkKind.ACTION) == []


def test_a_done_or_cancelled_action_is_not_due(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    action = get(store, Action, w.teen_action)
    action = update(store, action.evolve(due_date=TODAY - timedelta(days=3)), "test")
    assert _of(my_work(store, w.sam_social, TODAY), WorkKind.ACTION)
    for status in (ActionStatus.COMPLETED, ActionStatus.CANCELLED):
        action = update(store, action.evolve(status=status), "test")
        assert _of(my_work(store, w.sam_social, TODAY), WorkKind.ACTION) == []


def test_a_plan_waits_for_each_agency_of_the_team_to_sign(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    for pro in (w.sam_social, w.dr_shah):
        [row] = _of(my_work(store, pro, TODAY), WorkKind.SIGNATURE)
        assert (row.person_id, row.subject_id) == (w.teen, w.teen_plan)
        assert row.what == "Sign version 1 of the care plan"
    assert _of(my_work(store, w.carl_cpn, TODAY), WorkKind.SIGNATURE) == []  # not his person
    sign_plan(store, get(store, CarePlan, w.teen_plan), get(store, Professional, w.sam_social),
              datetime(2025, 3, 10, 9))
    assert _of(my_work(store, w.sam_social, TODAY), WorkKind.SIGNATURE) == []
    # Rosa is in Sam's agency but not on Jordan's team: signing is for the team's members.
    assert _of(my_work(store, w.rosa_manager, TODAY), WorkKind.SIGNATURE) == []
    assert _of(my_work(store, w.dr_shah, TODAY), WorkKind.SIGNATURE)  # the GP has not


def test_a_plan_not_in_force_waits_for_no_signature(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    plan = get(store, CarePlan, w.teen_plan)
    update(store, plan.evolve(status="draft"), "test")
    assert _of(my_work(store, w.sam_social, TODAY), WorkKind.SIGNATURE) == []


def _conflict(store: Store, person_id: str, n: int, status: str = "open") -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO sync_conflicts (id, entity, entity_id, field, kind, person_id, "
            "event_a, event_b, value_a, value_b, status) VALUES (?, 'persons', ?, "
            "'address', 'field', ?, 'a', 'b', NULL, NULL, ?)",
            (f"c{n}", person_id, person_id, status))


def test_open_conflicts_of_my_persons_one_row_per_person(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    _conflict(store, w.teen, 1)
    _conflict(store, w.teen, 2)
    _conflict(store, w.older, 3, status="closed")
    [row] = _of(my_work(store, w.sam_social, TODAY), WorkKind.CONFLICT)
    assert (row.person_id, row.what) == (w.teen, "2 sync conflicts to decide")
    assert _of(my_work(store, w.nina_nurse, TODAY), WorkKind.CONFLICT) == []  # closed one
    assert _of(my_work(store, w.carl_cpn, TODAY), WorkKind.CONFLICT) == []


def test_a_membership_that_ended_is_not_mine(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    _conflict(store, w.teen, 1)
    later = TODAY + timedelta(days=1)
    row = store.query("SELECT id FROM care_team_members WHERE professional_id = ?",
                      (w.sam_social,))[0]
    with store.atomic():
        store.conn.execute("UPDATE care_team_members SET end_date = ? WHERE id = ?",
                           (TODAY.isoformat(), row["id"]))
    assert _of(my_work(store, w.sam_social, TODAY), WorkKind.CONFLICT)  # ends today: still on
    assert _of(my_work(store, w.sam_social, later), WorkKind.CONFLICT) == []


def test_order_kinds_then_most_urgent(world) -> None:  # type: ignore[no-untyped-def]
    store, w = world
    _conflict(store, w.teen, 1)
    update(store, get(store, Action, w.teen_action).evolve(due_date=TODAY), "test")
    kinds = [r.kind for r in my_work(store, w.sam_social, TODAY)]
    assert kinds == [WorkKind.ACTION, WorkKind.SIGNATURE, WorkKind.CONFLICT]


def test_unknown_professional(world) -> None:  # type: ignore[no-untyped-def]
    store, _w = world
    with pytest.raises(NotFoundError):
        my_work(store, "no-such-professional", TODAY)


def test_one_statement_per_kind_whatever_the_caseload(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "big.db")
    w = ui_world.build(store, extra_persons=300)
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    my_work(store, w.sam_social, date(2025, 3, 10))
    store.conn.set_trace_callback(None)
    # the professional, one per kind, and whom of them the agency may see (one for all)
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 7
