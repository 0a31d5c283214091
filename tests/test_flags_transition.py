"""transition-18: school Year 9, the 17th and 18th birthdays, 29 February, clearing."""

from __future__ import annotations

from datetime import date, timedelta

from careplan.models import Assessment
from careplan.models.flags import FlagCode, Severity
from tests.flag_world import ASC, CSC, CSW, DR, SW, flags_of, member, plan_of, world

D = date
ONE = timedelta(days=1)
T18 = FlagCode.TRANSITION_18


def young(born: date):  # type: ignore[no-untyped-def]
    """A young person with children's services only: no adult services, no assessment."""
    facts = world(born=born)
    facts.team = [member(DR, facts.person, is_lead=True), member(CSW, facts.person)]
    return facts


def sev(facts, day: date) -> list[Severity]:  # type: ignore[no-untyped-def]
    return [f.severity for f in flags_of(facts, day, T18)]


def test_year_9_starts_with_the_school_year_in_which_they_turn_14() -> None:
    august = young(D(2010, 8, 31))  # turns 14 on 31 Aug 2024: Year 9 from 1 Sep 2023
    september = young(D(2010, 9, 1))  # turns 14 on 1 Sep 2024: Year 9 from 1 Sep 2024
    assert sev(august, D(2023, 8, 31)) == [] and sev(september, D(2023, 8, 31)) == []
    assert sev(august, D(2023, 9, 1)) == [Severity.INFO]
    assert sev(september, D(2023, 9, 1)) == []
    assert sev(september, D(2024, 8, 31)) == []
    assert sev(september, D(2024, 9, 1)) == [Severity.INFO]
    flag = flags_of(august, D(2023, 9, 2), T18)[0]
    assert flag.since == D(2023, 9, 1) and flag.due == D(2027, 8, 31)
    assert "Year 9" in flag.message and "1 September 2023" in flag.message


def test_warning_from_17th_birthday_critical_from_18th_until_19th() -> None:
    facts = young(D(2008, 6, 15))
    assert sev(facts, D(2025, 6, 14)) == [Severity.INFO]
    assert sev(facts, D(2025, 6, 15)) == [Severity.WARNING]
    assert sev(facts, D(2025, 6, 16)) == [Severity.WARNING]
    assert sev(facts, D(2026, 6, 14)) == [Severity.WARNING]
    assert sev(facts, D(2026, 6, 15)) == [Severity.CRITICAL]
    assert sev(facts, D(2027, 6, 14)) == [Severity.CRITICAL]
    assert sev(facts, D(2027, 6, 15)) == []  # past the cut-off: an adult case now
    warning = flags_of(facts, D(2025, 6, 15), T18)[0]
    assert warning.due == D(2026, 6, 15)
    assert "no adult-services professional" in warning.message
    assert "no completed Care Act adult assessment" in warning.message


def test_29_february_birthdays_fall_on_1_march() -> None:
    facts = young(D(2008, 2, 29))
    assert sev(facts, D(2025, 2, 28)) == [Severity.INFO]
    assert sev(facts, D(2025, 3, 1)) == [Severity.WARNING]
    assert sev(facts, D(2026, 2, 28)) == [Severity.WARNING]
    assert sev(facts, D(2026, 3, 1)) == [Severity.CRITICAL]
    assert flags_of(facts, D(2025, 3, 1), T18)[0].evidence["critical_from"] == "2026-03-01"


def _assessment(facts, done: date | None):  # type: ignore[no-untyped-def]
    return Assessment(person_id=facts.person.id, kind="Care Act adult assessment",
                      status="completed" if done else "in progress",
                      requested_on=D(2025, 1, 1), completed_on=done, agency_id=ASC.id)


def test_cleared_only_by_adult_services_and_a_completed_assessment() -> None:
    day = D(2026, 7, 1)  # past 18
    facts = young(D(2008, 6, 15))
    facts.team = [*facts.team, member(SW, facts.person)]
    found = flags_of(facts, day, T18)
    assert [f.severity for f in found] == [Severity.CRITICAL]
    assert "no adult-services professional" not in found[0].message
    assert found[0].evidence["adult_services_professionals"] == [SW.name]
    facts.assessments = [_assessment(facts, None)]
    assert sev(facts, day) == [Severity.CRITICAL]
    facts.assessments = [_assessment(facts, D(2026, 5, 1))]
    assert sev(facts, day) == []
    # An adult-services worker who has left the team does not count.
    facts.team = [member(DR, facts.person, is_lead=True), member(CSW, facts.person),
                  member(SW, facts.person, end_date=D(2026, 6, 1))]
    assert sev(facts, day) == [Severity.CRITICAL]


def test_childrens_services_do_not_count_as_adult_services() -> None:
    facts = young(D(2008, 6, 15))
    assert CSC.client_group.value == "children"
    facts.assessments = [_assessment(facts, D(2025, 1, 10))]
    assert sev(facts, D(2025, 7, 1)) == [Severity.WARNING]


def test_closing_the_plan_clears_the_transition_flag() -> None:
    facts = young(D(2008, 6, 15))
    assert sev(facts, D(2026, 7, 1)) == [Severity.CRITICAL]
    facts.plans = [plan_of(facts).evolve(status="closed", closed_on=D(2026, 6, 30))]
    assert sev(facts, D(2026, 7, 1)) == []
