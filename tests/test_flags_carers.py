"""carer-assessment-missing (issue 15): a carer recorded on the plan with no carer's
assessment offered.

Care Act 2014 s.10(1) and (4): where it appears that a carer may have needs for support
the local authority must assess them, whatever the level of those needs; s.11(5): a carer
who refuses is not assessed, so an offer declined clears the flag. Neither the Act nor
the Care and Support Statutory Guidance sets a time (6.29), so the days are CarePlan's
(careplan/resources/rules.toml, [carer]): info from the day the carer is recorded, a
warning 28 days on, critical 90 days on. Boundaries are checked the day before, of and
after each, with ``today`` injected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from export_sample import lead_professional

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.models import Assessment, CarePlan, Carer
from careplan.models.enums import AssessmentStatus
from careplan.models.flags import FlagCode, Severity, SubjectType
from careplan.store import InputError, Store, add_many, find, get
from careplan.store import social as so
from careplan.store.audit import events_for
from careplan.store.digest import content_digest
from careplan.store.flagdata import caseload_flags
from tests.flag_world import AGENCIES, ASC, PROS, SW, TODAY, flags_of, plan_of, world

D = date
ONE = timedelta(days=1)
CODE = FlagCode.CARER_ASSESSMENT_MISSING
RECORDED = D(2025, 2, 1)
WARN = RECORDED + timedelta(days=28)  # 1 March 2025
CRITICAL = RECORDED + timedelta(days=90)  # 2 May 2025


def _carer(facts, **kw):  # type: ignore[no-untyped-def]
    fields = {"name": "Maureen Lovelace", "relationship": "spouse or partner",
              "recorded_on": RECORDED}
    fields.update(kw)
    return Carer(person_id=facts.person.id, **fields)


def _offer(facts, on: date, status: str = "requested", **kw):  # type: ignore[no-untyped-def]
    return Assessment(person_id=facts.person.id, kind=kw.pop("kind", "carer's assessment"),
                      status=status, requested_on=on, agency_id=ASC.id, **kw)


def with_carer(**kw):  # type: ignore[no-untyped-def]
    facts = world()
    facts.carers = [_carer(facts, **kw)]
    return facts


def sev(facts, day: date, **limits: int) -> list[Severity]:  # type: ignore[no-untyped-def]
    return [f.severity for f in flags_of(facts, day, CODE, **limits)]


def test_info_from_the_day_recorded_warning_at_28_days_critical_at_90() -> None:
    facts = with_carer()
    assert sev(facts, RECORDED - ONE) == []
    assert sev(facts, RECORDED) == [Severity.INFO]
    assert sev(facts, WARN - ONE) == [Severity.INFO]
    assert sev(facts, WARN) == [Severity.WARNING]
    assert sev(facts, WARN + ONE) == [Severity.WARNING]
    assert sev(facts, CRITICAL - ONE) == [Severity.WARNING]
    assert sev(facts, CRITICAL) == [Severity.CRITICAL]
    assert sev(facts, CRITICAL + ONE) == [Severity.CRITICAL]
    info, = flags_of(facts, RECORDED, CODE)
    assert (info.since, info.due) == (RECORDED, WARN)
    assert (info.subject_type, info.subject_id) == (SubjectType.CARER, facts.carers[0].id)
    assert "offer them a carer's assessment by 1 March 2025" in info.message
    assert "Care Act 2014 s.10" in info.message
    warning, = flags_of(facts, WARN, CODE)
    assert (warning.since, warning.due) == (RECORDED, CRITICAL)
    assert "Maureen Lovelace (spouse or partner)" in warning.message
    assert "28 days" in warning.message and "critical from 2 May 2025" in warning.message
    critical, = flags_of(facts, CRITICAL, CODE)
    assert critical.due is None and "critical since 2 May 2025" in critical.message


def test_an_offer_made_by_today_clears_it_whatever_became_of_it() -> None:
    """s.11(5): a carer may refuse; the offer was made, so the duty was met."""
    facts = with_carer()
    for status in ("requested", "in progress", "declined"):
        offer = _offer(facts, D(2025, 3, 5), status)
        facts.assessments = [offer]
        facts.carers = [_carer(facts, assessment_id=offer.id)]
        assert sev(facts, D(2025, 3, 4)) == [Severity.WARNING]  # offered only the next day
        assert sev(facts, D(2025, 3, 5)) == []
        assert sev(facts, CRITICAL + ONE) == []
    done = _offer(facts, D(2025, 3, 5), "completed", completed_on=D(2025, 3, 20))
    facts.assessments = [done]
    facts.carers = [_carer(facts, assessment_id=done.id)]
    assert sev(facts, TODAY) == []


def test_only_a_carers_assessment_named_on_the_carers_record_counts() -> None:
    facts = with_carer()
    offer = _offer(facts, D(2025, 2, 10))
    facts.assessments = [offer]  # offered to someone, but not recorded as this carer's
    assert sev(facts, TODAY) == [Severity.WARNING]
    adult = _offer(facts, D(2025, 2, 10), kind="Care Act adult assessment")
    facts.assessments = [adult]
    facts.carers = [_carer(facts, assessment_id=adult.id)]  # the person's, not the carer's
    assert sev(facts, TODAY) == [Severity.WARNING]


def test_each_carer_has_their_own_flag_and_a_carer_who_stopped_has_none() -> None:
    facts = world()
    wife = _carer(facts)
    son = _carer(facts, name="Byron Lovelace", relationship="son or daughter",
                 recorded_on=D(2025, 3, 10), end_date=D(2025, 3, 14))
    facts.carers = [son, wife]
    found = flags_of(facts, D(2025, 3, 14), CODE)
    assert [(f.subject_id, f.severity) for f in found] == [
        (wife.id, Severity.WARNING), (son.id, Severity.INFO)]
    assert [f.subject_id for f in flags_of(facts, D(2025, 3, 15), CODE)] == [wife.id]


def test_only_while_the_plan_is_open() -> None:
    facts = with_carer()
    facts.plans = [plan_of(facts).evolve(status="closed", closed_on=D(2025, 3, 1))]
    assert sev(facts, TODAY) == []
    facts.plans = []
    assert sev(facts, TODAY) == []
    facts.plans = [plan_of(world()).evolve(person_id=facts.person.id, status="draft",
                                           activated_on=None)]
    assert sev(facts, TODAY) == [Severity.WARNING]  # a draft plan is open: it is on it


def test_the_carer_of_a_child_is_owed_an_assessment_under_childrens_law() -> None:
    facts = world(born=D(2012, 4, 1))
    facts.carers = [_carer(facts, relationship="parent")]
    found, = flags_of(facts, TODAY, CODE)
    assert "Children Act 1989 s.17ZD and Care Act 2014 s.60" in found.message
    assert "Care Act 2014 s.10" not in found.message


def test_the_days_are_the_stores_to_set() -> None:
    facts = with_carer()
    assert sev(facts, RECORDED, carer_offer_days=0) == [Severity.WARNING]
    assert sev(facts, RECORDED, carer_offer_days=0, carer_critical_days=0) == [
        Severity.CRITICAL]
    assert sev(facts, WARN, carer_offer_days=29) == [Severity.INFO]


# -- through the store -----------------------------------------------------------------


def _stored(tmp: Path | None = None) -> tuple[Store, Carer]:
    facts = with_carer()
    store = Store.open(":memory:" if tmp is None else tmp)
    add_many(store, [*AGENCIES, *PROS], "test")
    add_many(store, [facts.person, *facts.plans, *facts.team, *facts.consents,
                     *facts.signoffs], "test")
    carer = so.add_carer(store, facts.carers[0], SW.id)
    return store, carer


def test_offering_writes_the_assessment_and_names_it_on_the_carer_in_one_go() -> None:
    store, carer = _stored()
    assert [f.severity for f in caseload_flags(store, TODAY) if f.code is CODE] == [
        Severity.WARNING]
    offer = so.offer_carer_assessment(store, carer, D(2025, 3, 11), SW.id, ASC.id)
    assert (offer.kind.value, offer.status, offer.requested_on) == (
        "carer's assessment", AssessmentStatus.REQUESTED, D(2025, 3, 11))
    assert get(store, Carer, carer.id).assessment_id == offer.id
    assert events_for(store, "assessments", offer.id)[-1].actor == SW.id
    assert [e.after["assessment_id"] for e in events_for(store, "carers", carer.id)] == [
        None, offer.id]
    assert not [f for f in caseload_flags(store, TODAY) if f.code is CODE]
    # Judged on the day before the offer, the carer was still waiting for it.
    assert [f.code for f in caseload_flags(store, D(2025, 3, 10))].count(CODE) == 1


def test_refusals_name_the_field_and_write_nothing() -> None:
    store, carer = _stored()
    before = content_digest(store)
    with pytest.raises(InputError, match="^assessment: record the carer first"):
        so.add_carer(store, carer.evolve(id="x" * 36, assessment_id="y"), SW.id)
    with pytest.raises(InputError, match="^carer's assessment: none has been offered"):
        so.record_carer_assessment(store, carer, AssessmentStatus.DECLINED, TODAY, SW.id)
    with pytest.raises(ValueError, match="^end date: 2025-01-01 is before recorded on"):
        so.end_carer(store, carer, D(2025, 1, 1), SW.id)
    stopped = so.end_carer(store, carer, D(2025, 3, 1), SW.id)
    after_end = content_digest(store)
    with pytest.raises(InputError, match="^offered on: Maureen Lovelace stopped caring"):
        so.offer_carer_assessment(store, stopped, D(2025, 3, 2), SW.id)
    assert content_digest(store) == after_end != before


def test_a_second_offer_waits_for_the_first_and_outcomes_are_recorded() -> None:
    store, carer = _stored()
    first = so.offer_carer_assessment(store, carer, D(2025, 3, 3), SW.id)
    carer = get(store, Carer, carer.id)
    before = content_digest(store)
    with pytest.raises(InputError, match="^carer's assessment: one offered to Maureen "
                                         "Lovelace on 03 Mar 2025 is still requested"):
        so.offer_carer_assessment(store, carer, D(2025, 3, 10), SW.id)
    with pytest.raises(InputError, match="^on: 01 Mar 2025 is before the assessment"):
        so.record_carer_assessment(store, carer, AssessmentStatus.COMPLETED, D(2025, 3, 1),
                                   SW.id)
    with pytest.raises(InputError, match="^status: choose"):
        so.record_carer_assessment(store, carer, AssessmentStatus.REQUESTED, TODAY, SW.id)
    assert content_digest(store) == before
    declined = so.record_carer_assessment(store, carer, AssessmentStatus.DECLINED,
                                          D(2025, 3, 4), SW.id)
    assert (declined.status, declined.completed_on) == (AssessmentStatus.DECLINED, None)
    assert not [f for f in caseload_flags(store, TODAY) if f.code is CODE]
    # Once declined, a new offer can be made (the carer asks again later).
    again = so.offer_carer_assessment(store, carer, TODAY, SW.id)
    assert get(store, Carer, carer.id).assessment_id == again.id != first.id
    done = so.record_carer_assessment(store, get(store, Carer, carer.id),
                                      AssessmentStatus.COMPLETED, TODAY, SW.id)
    assert done.completed_on == TODAY
    assert len(find(store, Assessment, person_id=carer.person_id)) == 2


def test_closing_the_plan_closes_the_flag_in_the_store_too() -> None:
    store, _ = _stored()
    plan = find(store, CarePlan)[0]
    from careplan.store import update
    update(store, plan.evolve(status="closed", closed_on=D(2025, 3, 1)), "test")
    assert not [f for f in caseload_flags(store, TODAY) if f.code is CODE]


def test_careplan_flags_today_shows_the_demos_unoffered_carers(
        tmp_path: Path, demo_signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    with Store.open(db) as store:
        build_demo(store, persons=22, seed=4, today=TODAY, parallel=False)
    with Store.open(db, create=False) as store:  # Frank's lead professional checks
        (frank_id,) = [r["id"] for r in store.query(
            "SELECT id FROM persons WHERE given_name = 'Frank' AND family_name = 'Doyle'")]
        lead = lead_professional(store, frank_id)
    # The demo gives every professional an account: sign in with the lead's.
    with Store.open(db, create=False) as store:
        username = str(store.conn.execute("SELECT username FROM accounts WHERE "
                                          "professional_id = ?", (lead,)).fetchone()[0])
    user = demo_signed_in(db, username)
    assert main(["flags", "--db", str(db), "--today", TODAY.isoformat(), "--json",
                 "--code", CODE.value, *user]) == 0
    flags = json.loads(capsys.readouterr().out)
    frank = [(f["evidence"]["carer"], f["severity"]) for f in flags
             if f["person_name"] == "Frank Doyle"]
    assert frank == [("Maureen Doyle", "warning"), ("Siobhan Doyle", "info")]
    assert all(f["code"] == CODE.value for f in flags)
