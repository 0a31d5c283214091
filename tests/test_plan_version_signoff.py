"""A signed plan that changes starts a new version; its agencies get their own time to
sign from that day, not from the plan's first activation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from careplan.models import Need
from careplan.models.flags import FlagCode
from careplan.store import Store, add, get
from careplan.store.casework import save_plan_item
from careplan.store.flagdata import caseload_flags
from tests.flag_world import AGENCIES, PROS, plan_of, world

BUMPED = date(2025, 3, 3)


def _store_with_a_bumped_plan() -> tuple[Store, str]:
    facts = world()
    store = Store.open(":memory:")
    for entity in [*AGENCIES, *PROS, facts.person, *facts.plans, *facts.team,
                   *facts.consents, *facts.signoffs]:
        add(store, entity, "tester")
    plan = plan_of(facts)
    store.clock = lambda: datetime(BUMPED.year, BUMPED.month, BUMPED.day, 11, tzinfo=UTC)
    save_plan_item(store, Need(plan_id=plan.id, description="Night-time support",
                               domain="social care"), "tester")
    return store, plan.id


def _unsigned(store: Store, today: date) -> list[str]:
    return [f.message for f in caseload_flags(store, today) if f.code is FlagCode.PLAN_UNSIGNED]


def test_the_new_version_starts_its_own_fourteen_days() -> None:
    store, plan_id = _store_with_a_bumped_plan()
    plan = get(store, type(plan_of(world())), plan_id)
    assert plan.plan_version == 2
    assert plan.version_since == BUMPED
    sign_by = BUMPED + timedelta(days=14)
    assert _unsigned(store, BUMPED) == []
    assert _unsigned(store, sign_by) == []
    late = _unsigned(store, sign_by + timedelta(days=1))
    assert len(late) == 2  # both agencies signed version 1 only
    assert all("version 2" in m and "in force since 3 March 2025" in m for m in late)
    assert all("by 17 March 2025" in m for m in late)
