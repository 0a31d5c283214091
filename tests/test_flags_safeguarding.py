"""safeguarding-decision-overdue (issue 15): a safeguarding concern with no decision on a
Care Act 2014 s.42 enquiry within the locally set working days.

Care Act 2014 s.42(1)-(2): the local authority must make whatever enquiries it thinks
necessary where it has reasonable cause to suspect abuse or neglect of an adult with
needs for care and support. The Act and the statutory guidance (chapter 14) leave the
time to decide to local procedures: careplan/resources/rules.toml, [safeguarding],
default 2 working days (issue 15), critical after 5; working days skip weekends and
England and Wales bank holidays (careplan.models.workdays). Boundaries the day before, of
and after each, with ``today`` injected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from export_sample import reader_of_everyone

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.models import SafeguardingConcern
from careplan.models.flags import FlagCode, Severity, SubjectType
from careplan.models.social import SafeguardingDecision
from careplan.store import InputError, Store, add_many, find, get
from careplan.store import social as so
from careplan.store.audit import events_for
from careplan.store.digest import content_digest
from careplan.store.flagdata import caseload_flags
from tests.flag_world import AGENCIES, GP, PROS, SW, flags_of, plan_of, world

D = date
ONE = timedelta(days=1)
CODE = FlagCode.SAFEGUARDING_DECISION_OVERDUE
SUMMARY = "Bruising on both forearms seen at a visit"


def concerned(received: date, **kw):  # type: ignore[no-untyped-def]
    facts = world()
    facts.safeguarding_concerns = [SafeguardingConcern(
        person_id=facts.person.id, received_on=received, summary=SUMMARY, agency_id=GP.id,
        **kw)]
    return facts


def sev(facts, day: date, **limits: int) -> list[Severity]:  # type: ignore[no-untyped-def]
    return [f.severity for f in flags_of(facts, day, CODE, **limits)]


def test_two_working_days_then_a_warning_critical_after_five() -> None:
    facts = concerned(D(2025, 3, 3))  # Monday: due Wednesday 5 March
    assert sev(facts, D(2025, 3, 3)) == []
    assert sev(facts, D(2025, 3, 5)) == []
    assert sev(facts, D(2025, 3, 6)) == [Severity.WARNING]
    assert sev(facts, D(2025, 3, 7)) == [Severity.WARNING]
    assert sev(facts, D(2025, 3, 10)) == [Severity.WARNING]  # fifth working day
    assert sev(facts, D(2025, 3, 11)) == [Severity.CRITICAL]
    warning, = flags_of(facts, D(2025, 3, 6), CODE)
    assert (warning.since, warning.due) == (D(2025, 3, 6), D(2025, 3, 11))
    concern = facts.safeguarding_concerns[0]
    assert (warning.subject_type, warning.subject_id) == (
        SubjectType.SAFEGUARDING_CONCERN, concern.id)
    assert warning.evidence["decision_due"] == "2025-03-05"
    assert ("received on 3 March 2025, has no decision on whether a Care Act 2014 s.42 "
            "enquiry is needed, due within 2 working days of receipt, by 5 March 2025 "
            "(critical from 11 March 2025)") in warning.message
    assert "from Riverside Surgery" in warning.message
    critical, = flags_of(facts, D(2025, 3, 11), CODE)
    assert critical.due is None and "critical since 11 March 2025" in critical.message


def test_the_flag_never_says_what_the_concern_is() -> None:
    found, = flags_of(concerned(D(2025, 3, 3)), D(2025, 3, 12), CODE)
    assert SUMMARY not in json.dumps(found.to_json())
    assert "Bruising" not in found.message


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    thursday = concerned(D(2025, 3, 6))  # due Monday 10 March
    for day in (D(2025, 3, 7), D(2025, 3, 8), D(2025, 3, 9), D(2025, 3, 10)):
        assert sev(thursday, day) == []
    assert sev(thursday, D(2025, 3, 11)) == [Severity.WARNING]
    easter = concerned(D(2025, 4, 17))  # Good Friday 18th, Easter Monday 21st
    assert sev(easter, D(2025, 4, 23)) == []
    assert sev(easter, D(2025, 4, 24)) == [Severity.WARNING]
    christmas = concerned(D(2025, 12, 23))  # 25th, 26th bank holidays: due Monday 29th
    assert sev(christmas, D(2025, 12, 29)) == []
    assert sev(christmas, D(2025, 12, 30)) == [Severity.WARNING]


def test_a_decision_clears_it_from_its_day_a_late_one_leaves_the_days_before() -> None:
    on_time = concerned(D(2025, 3, 3), decision="section 42 enquiry",
                        decided_on=D(2025, 3, 5))
    assert sev(on_time, D(2025, 3, 20)) == []
    late = concerned(D(2025, 3, 3), decision="no safeguarding enquiry",
                     decided_on=D(2025, 3, 12), reason="A fall, seen by the GP")
    assert sev(late, D(2025, 3, 11)) == [Severity.CRITICAL]  # as it stood that day
    assert sev(late, D(2025, 3, 12)) == []


def test_a_concern_is_flagged_whatever_the_plan() -> None:
    facts = concerned(D(2025, 3, 3))
    facts.plans = [plan_of(facts).evolve(status="closed", closed_on=D(2025, 3, 1))]
    assert sev(facts, D(2025, 3, 6)) == [Severity.WARNING]
    facts.plans = []
    assert sev(facts, D(2025, 3, 6)) == [Severity.WARNING]


def test_the_working_days_are_the_stores_to_set() -> None:
    facts = concerned(D(2025, 3, 3))
    assert sev(facts, D(2025, 3, 3), safeguarding_decision_working_days=0) == []
    assert sev(facts, D(2025, 3, 4), safeguarding_decision_working_days=0) == [
        Severity.WARNING]
    assert sev(facts, D(2025, 3, 4), safeguarding_decision_working_days=0,
               safeguarding_critical_working_days=0) == [Severity.CRITICAL]
    assert sev(facts, D(2025, 3, 6), safeguarding_decision_working_days=3) == []
    assert sev(facts, D(2025, 3, 7), safeguarding_decision_working_days=3) == [
        Severity.WARNING]


def test_a_decision_must_be_whole() -> None:
    facts = world()
    with pytest.raises(ValueError, match="^decided on: is required"):
        SafeguardingConcern(person_id=facts.person.id, received_on=D(2025, 3, 3),
                            summary=SUMMARY, decision="section 42 enquiry")
    with pytest.raises(ValueError, match="^decision: is required"):
        SafeguardingConcern(person_id=facts.person.id, received_on=D(2025, 3, 3),
                            summary=SUMMARY, decided_on=D(2025, 3, 4))
    with pytest.raises(ValueError, match="^summary: is required"):
        SafeguardingConcern(person_id=facts.person.id, received_on=D(2025, 3, 3),
                            summary="  ")


# -- through the store -----------------------------------------------------------------


def _stored() -> tuple[Store, SafeguardingConcern]:
    facts = world()
    store = Store.open(":memory:")
    add_many(store, [*AGENCIES, *PROS], "test")
    add_many(store, [facts.person, *facts.plans, *facts.team, *facts.consents,
                     *facts.signoffs], "test")
    concern = so.record_concern(store, SafeguardingConcern(
        person_id=facts.person.id, received_on=D(2025, 3, 3), summary=SUMMARY,
        agency_id=GP.id), SW.id)
    return store, concern


def test_deciding_clears_the_flag_and_is_audited() -> None:
    store, concern = _stored()
    assert [f.severity for f in caseload_flags(store, D(2025, 3, 6)) if f.code is CODE] == [
        Severity.WARNING]
    decided = so.decide_concern(store, concern, SafeguardingDecision.SECTION_42,
                                D(2025, 3, 10), "", SW.id)
    assert get(store, SafeguardingConcern, concern.id) == decided
    assert events_for(store, "safeguarding_concerns", concern.id)[-1].after["decision"] == (
        "section 42 enquiry")
    assert not [f for f in caseload_flags(store, D(2025, 3, 10)) if f.code is CODE]
    # Judged on a day before the decision, the concern was still waiting.
    assert [f.code for f in caseload_flags(store, D(2025, 3, 7))].count(CODE) == 1


def test_refusals_name_the_field_and_write_nothing() -> None:
    store, concern = _stored()
    before = content_digest(store)
    with pytest.raises(InputError, match="^reason: say why no safeguarding enquiry"):
        so.decide_concern(store, concern, SafeguardingDecision.NO_ENQUIRY, D(2025, 3, 4),
                          "  ", SW.id)
    with pytest.raises(InputError, match="^decided on: 2025-03-02 is before received on"):
        so.decide_concern(store, concern, SafeguardingDecision.SECTION_42, D(2025, 3, 2),
                          "", SW.id)
    with pytest.raises(InputError, match="^decision: record the concern first"):
        so.record_concern(store, concern.evolve(id="n" * 36, decision="section 42 enquiry",
                                                decided_on=D(2025, 3, 4)), SW.id)
    assert content_digest(store) == before
    decided = so.decide_concern(store, concern, SafeguardingDecision.OTHER_ENQUIRY,
                                D(2025, 3, 4), "", SW.id)
    with pytest.raises(InputError, match="^decision: other safeguarding enquiry was already "
                                         "decided on 04 Mar 2025"):
        so.decide_concern(store, decided, SafeguardingDecision.SECTION_42, D(2025, 3, 5), "",
                          SW.id)
    assert len(find(store, SafeguardingConcern)) == 1


def test_careplan_flags_today_shows_the_demos_undecided_concern(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    today = D(2025, 3, 12)
    with Store.open(db) as store:
        build_demo(store, persons=22, seed=4, today=today, parallel=False)
    user = reader_of_everyone(db, signed_in)
    assert main(["flags", "--db", str(db), "--today", today.isoformat(), "--json",
                 "--code", CODE.value, *user]) == 0
    flags = json.loads(capsys.readouterr().out)
    assert [(f["person_name"], f["severity"]) for f in flags] == [("Edna Clarke", "warning")]
    assert flags[0]["evidence"]["raised_by"] == "Northbridge Community Health: District Nursing"
