"""Each agency's days to sign the version in force: from the day that version was issued,
or from the day the agency joined the care team if that was later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from careplan.models import CarePlan, Need
from careplan.models.flags import FlagCode
from careplan.store import Store, add, get
from careplan.store.casework import save_plan_item, sign_plan
from careplan.store.flagdata import caseload_flags
from careplan.store.plan_versions import issue_version
from tests.flag_world import AGENCIES, CMHT, CPN, DR, PROS, flags_of, member, plan_of, world

ISSUED = date(2025, 3, 3)
DAYS = timedelta(days=14)
ONE = timedelta(days=1)


def _store(facts=None) -> Store:  # type: ignore[no-untyped-def]
    facts = facts or world()
    store = Store.open(":memory:")
    for entity in [*AGENCIES, *PROS, facts.person, *facts.plans, *facts.team,
                   *facts.consents, *facts.signoffs]:
        add(store, entity, "tester")
    return store


def _issue_version_2(store: Store, plan_id: str) -> None:
    store.clock = lambda: datetime(ISSUED.year, ISSUED.month, ISSUED.day, 11, tzinfo=UTC)
    save_plan_item(store, Need(plan_id=plan_id, description="Night-time support",
                               domain="social care"), DR.id)
    issue_version(store, get(store, CarePlan, plan_id), DR.id,  # the lead professional
                  datetime(ISSUED.year, ISSUED.month, ISSUED.day, 11))


def _unsigned(store: Store, today: date) -> list[str]:
    return [f.message for f in caseload_flags(store, today) if f.code is FlagCode.PLAN_UNSIGNED]


def test_an_issued_version_starts_its_own_fourteen_days() -> None:
    facts = world()
    store = _store(facts)
    plan_id = plan_of(facts).id
    save_plan_item(store, Need(plan_id=plan_id, description="Night-time support",
                               domain="social care"), DR.id)
    assert get(store, CarePlan, plan_id).plan_version == 1  # a draft: version 1 in force
    assert _unsigned(store, date(2025, 6, 1)) == []
    _issue_version_2(store, plan_id)
    plan = get(store, CarePlan, plan_id)
    assert (plan.plan_version, plan.version_since) == (2, ISSUED)
    sign_by = ISSUED + DAYS
    assert _unsigned(store, ISSUED) == []
    assert _unsigned(store, sign_by) == []
    late = _unsigned(store, sign_by + ONE)
    assert len(late) == 2  # both agencies signed version 1 only
    assert all("version 2" in m and "in force since 3 March 2025" in m for m in late)
    assert all("by 17 March 2025" in m for m in late)


def test_an_agency_joining_after_the_version_began_has_fourteen_days_from_joining() -> None:
    """The reported defect: the mental health team joined on 1 March, six weeks after
    version 1 began (5 January), and was flagged the next day."""
    facts = world()
    joined = date(2025, 3, 1)
    facts.team = [*facts.team, member(CPN, facts.person, start_date=joined)]
    assert flags_of(facts, joined + ONE, FlagCode.PLAN_UNSIGNED) == []
    assert flags_of(facts, joined + DAYS, FlagCode.PLAN_UNSIGNED) == []
    late = flags_of(facts, joined + DAYS + ONE, FlagCode.PLAN_UNSIGNED)
    assert [f.subject_id for f in late] == [CMHT.id]
    assert late[0].since == joined + DAYS + ONE
    assert late[0].evidence["joined_on"] == "2025-03-01"
    assert late[0].evidence["sign_by"] == "2025-03-15"
    assert ("Community Mental Health Team joined the care team on 1 March 2025; it should "
            "sign within 14 days of joining, by 15 March 2025.") in late[0].message


def test_an_agency_on_the_team_before_the_version_began_counts_from_the_version() -> None:
    facts = world()
    # A second GP joined later; the practice was on the team from 1 January.
    late_gp = member(DR, facts.person, start_date=date(2025, 3, 1))
    facts.team = [*facts.team, late_gp]
    facts.signoffs = [s for s in facts.signoffs if s.agency_id != DR.agency_id]
    sign_by = date(2025, 1, 5) + DAYS
    late = flags_of(facts, sign_by + ONE, FlagCode.PLAN_UNSIGNED)
    assert [f.subject_id for f in late] == [DR.agency_id]
    assert "every agency should sign within 14 days, by 19 January 2025." in late[0].message
    assert late[0].evidence["joined_on"] == "2025-01-01"


def test_the_store_finds_a_joining_agency_late_on_the_same_day_as_the_rule() -> None:
    """Candidate SQL and rule agree about the joining day (the property test in
    test_flags_store checks this for random teams)."""
    facts = world()
    joined = date(2025, 3, 20)  # after version 2 was issued on 3 March
    facts.team = [*facts.team, member(CPN, facts.person, start_date=joined)]
    store = _store(facts)
    _issue_version_2(store, plan_of(facts).id)
    # The next day: the store refuses a signature dated after its own today.
    store.clock = lambda: datetime(2025, 3, 4, 9, tzinfo=UTC)
    for agency_id in {s.agency_id for s in facts.signoffs}:  # both sign version 2
        signer = next(p for p in PROS if p.agency_id == agency_id)
        sign_plan(store, get(store, CarePlan, plan_of(facts).id), signer,
                  datetime(2025, 3, 4, 9))
    assert _unsigned(store, joined + DAYS) == []
    late = _unsigned(store, joined + DAYS + ONE)
    assert len(late) == 1 and late[0].startswith("Plan not signed: Community Mental Health")
    assert "by 3 April 2025" in late[0]
