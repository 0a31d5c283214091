"""transition-25 (issue 15): a young person with an education, health and care plan, or a
care leaver, between 18 and 25 with no adult-services plan in place.

NICE NG43 and QS140 cover young people aged up to 25; an EHC plan is for a young person
under 25 (Children and Families Act 2014 s.83(2)) and a care leaver has a personal adviser
up to 25 (Children Act 1989 s.23CZB). "In place" is transition-18's test (NICE NG43,
Care Act 2014 s.58): an adult-services professional in the team and a completed Care
Act adult assessment, with a care plan in force. Ages in careplan/resources/rules.toml,
[transition25]; boundaries the day before, of and after each birthday, 29 February too.
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
from careplan.models import Assessment, YoungPersonStatus
from careplan.models.flags import FlagCode, Severity, SubjectType
from careplan.models.rules import CANDIDATES, evaluate_all
from careplan.store import Store, add_many
from careplan.store.flagcandidates import candidates_sql
from careplan.store.flagdata import caseload_flags, load_facts
from careplan.store.overrides import default_thresholds
from tests.flag_world import AGENCIES, ASC, CSW, DR, PROS, SW, flags_of, member, plan_of, world

D = date
ONE = timedelta(days=1)
T25 = FlagCode.TRANSITION_25
T18 = FlagCode.TRANSITION_18
BORN = D(2006, 6, 15)  # 18 on 15 June 2024, 19 on 15 June 2025, 25 on 15 June 2031


def young(born: date = BORN, kind: str = "care leaver", plan: str | None = "closed",
          start: date | None = None, end: date | None = None):  # type: ignore[no-untyped-def]
    """A young person known to children's services only, with an EHC plan or care leaver
    status; their plan closed (the default), open in the given status, or none."""
    facts = world(born=born)
    facts.team = [member(DR, facts.person, is_lead=True), member(CSW, facts.person)]
    facts.young_person_statuses = [YoungPersonStatus(
        person_id=facts.person.id, kind=kind, start_date=start or D(2020, 1, 1),
        end_date=end, agency_id=ASC.id)]
    if plan is None:
        facts.plans = []
    elif plan == "closed":
        facts.plans = [plan_of(facts).evolve(status="closed", closed_on=D(2025, 1, 2))]
    else:
        facts.plans = [plan_of(facts).evolve(status=plan)]
    return facts


def adult_services(facts) -> None:  # type: ignore[no-untyped-def]
    facts.team = [*facts.team, member(SW, facts.person, start_date=D(2023, 1, 1))]
    facts.assessments = [Assessment(
        person_id=facts.person.id, kind="Care Act adult assessment", status="completed",
        requested_on=D(2023, 1, 1), completed_on=D(2023, 3, 1), agency_id=ASC.id)]


def sev(facts, day: date, code: FlagCode = T25) -> list[Severity]:  # type: ignore[no-untyped-def]
    return [f.severity for f in flags_of(facts, day, code)]


def test_with_no_open_plan_critical_from_the_18th_birthday_until_the_25th() -> None:
    for plan in ("closed", None):
        facts = young(plan=plan)
        assert sev(facts, D(2024, 6, 14)) == []
        assert sev(facts, D(2024, 6, 15)) == [Severity.CRITICAL]
        assert sev(facts, D(2024, 6, 16)) == [Severity.CRITICAL]
        assert sev(facts, D(2031, 6, 14)) == [Severity.CRITICAL]
        assert sev(facts, D(2031, 6, 15)) == []
    found, = flags_of(young(), D(2026, 1, 5), T25)
    assert (found.subject_type, found.subject_id) == (SubjectType.PERSON, found.person_id)
    assert (found.since, found.due) == (D(2024, 6, 15), None)
    assert "care leaver status in force but no care plan is open" in found.message
    assert "until their 25th birthday, 15 June 2031" in found.message
    assert found.evidence["statuses"][0]["kind"] == "care leaver"
    assert found.evidence["flagged_until"] == "2031-06-15"


def test_transition_18_speaks_first_then_transition_25_takes_over_at_19() -> None:
    facts = young(kind="education, health and care plan", plan="active")
    assert sev(facts, D(2024, 6, 15), T18) == [Severity.CRITICAL]
    assert sev(facts, D(2024, 6, 15)) == []  # one flag for one gap
    assert sev(facts, D(2025, 6, 14), T18) == [Severity.CRITICAL]
    assert sev(facts, D(2025, 6, 14)) == []
    assert sev(facts, D(2025, 6, 15), T18) == []
    assert sev(facts, D(2025, 6, 15)) == [Severity.WARNING]
    warning, = flags_of(facts, D(2025, 6, 16), T25)
    assert ("an education, health and care plan in force and no adult-services plan in "
            "place: no adult-services professional and no completed Care Act adult "
            "assessment") in warning.message


def test_adult_services_and_a_plan_in_force_clear_it() -> None:
    facts = young(kind="education, health and care plan", plan="active")
    adult_services(facts)
    assert sev(facts, D(2026, 1, 5)) == [] and sev(facts, D(2024, 7, 1), T18) == []
    facts.plans = [plan_of(facts).evolve(status="under review")]
    assert sev(facts, D(2026, 1, 5)) == []
    # A draft plan is no plan in place, even with adult services lined up (which leaves
    # transition-18 nothing to say, so transition-25 says it from 18).
    facts.plans = [plan_of(facts).evolve(status="draft", activated_on=None)]
    assert sev(facts, D(2024, 6, 14)) == []
    assert sev(facts, D(2024, 6, 15)) == [Severity.WARNING]
    found, = flags_of(facts, D(2024, 6, 15), T25)
    assert "in place: no care plan in force (" in found.message
    # Adult services with the case closed: still nobody holds it.
    facts.plans = [plan_of(facts).evolve(status="closed", closed_on=D(2025, 2, 1))]
    assert sev(facts, D(2026, 1, 5)) == [Severity.CRITICAL]


def test_only_while_the_status_is_in_force() -> None:
    facts = young(start=D(2026, 3, 1), end=D(2027, 2, 1))
    assert sev(facts, D(2026, 2, 28)) == []
    assert sev(facts, D(2026, 3, 1)) == [Severity.CRITICAL]
    assert flags_of(facts, D(2026, 3, 1), T25)[0].since == D(2026, 3, 1)
    assert sev(facts, D(2027, 2, 1)) == [Severity.CRITICAL]
    assert sev(facts, D(2027, 2, 2)) == []
    facts.young_person_statuses = []
    assert sev(facts, D(2026, 6, 1)) == []


def test_29_february_birthdays_fall_on_1_march() -> None:
    facts = young(born=D(2004, 2, 29))
    assert sev(facts, D(2022, 2, 28)) == []
    assert sev(facts, D(2022, 3, 1)) == [Severity.CRITICAL]
    assert sev(facts, D(2029, 2, 28)) == [Severity.CRITICAL]
    assert sev(facts, D(2029, 3, 1)) == []


def test_the_ages_are_the_stores_to_set() -> None:
    facts = young()
    assert sev(facts, D(2031, 6, 15)) == []
    found = flags_of(facts, D(2031, 6, 15), T25, transition25_until_age=26)
    assert [f.severity for f in found] == [Severity.CRITICAL]
    assert flags_of(facts, D(2024, 6, 15), T25, transition25_from_age=19) == []
    with pytest.raises(ValueError, match="transition25.until_age: must be above"):
        default_thresholds().with_overrides({"transition25.until_age": 18})


@pytest.mark.parametrize("day", [D(2022, 2, 28), D(2022, 3, 1), D(2029, 2, 28),
                                 D(2029, 3, 1), D(2024, 2, 29), D(2028, 2, 29)])
def test_the_store_finds_what_the_rule_finds_at_the_edges(day: date) -> None:
    """The candidate query's window of birth dates holds every person the rule flags,
    29 February birthdays included (the property tests of test_flags_store.py draw the
    rest)."""
    store = Store.open(":memory:")
    add_many(store, [*AGENCIES, *PROS], "test")
    for born in (D(2004, 2, 29), D(2004, 2, 28), D(2004, 3, 1), D(2010, 2, 28)):
        facts = young(born=born, plan="closed")
        facts.person = facts.person.evolve(nhs_number=None)
        facts.plans = [facts.plans[0].evolve(person_id=facts.person.id)]
        add_many(store, [facts.person, *facts.plans, *facts.team,
                         *facts.young_person_statuses], "test")
    t = default_thresholds()
    sql, params = candidates_sql(day, t, [T25])
    picked = {r[0] for r in store.conn.execute(sql, params)}
    everyone = [f for f in caseload_flags(store, day) if f.code is T25]
    full = [f for f in evaluate_all(load_facts(store, day), day, t) if f.code is T25]
    assert {f.person_id for f in full} <= picked
    assert [f.to_json() for f in everyone] == [f.to_json() for f in full]
    assert CANDIDATES[T25].needs_open_plan is False


def test_careplan_flags_today_shows_the_demos_young_adults(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    today = D(2026, 11, 22)
    with Store.open(db) as store:
        build_demo(store, persons=22, seed=4, today=today, parallel=False)
    user = reader_of_everyone(db, signed_in)
    assert main(["flags", "--db", str(db), "--today", today.isoformat(), "--json",
                 "--code", T25.value, *user]) == 0
    flags = {f["person_name"]: f for f in json.loads(capsys.readouterr().out)}
    assert flags["Chloe Martin"]["severity"] == "critical"
    assert "care leaver status in force" in flags["Chloe Martin"]["message"]
    assert flags["Ryan Shah"]["severity"] == "warning"
    assert "no completed Care Act adult assessment" in flags["Ryan Shah"]["message"]
