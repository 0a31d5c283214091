"""Validation at construction names the field and the rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from careplan.models import (
    Assessment,
    CarePlan,
    CareTeamMember,
    Consent,
    Handoff,
    HospitalStay,
    Person,
    ReferralEvent,
)


def person(**changes: object) -> Person:
    values: dict[str, object] = {"given_name": "Ada", "family_name": "Lovelace",
                                 "birth_date": "1950-05-01"}
    values.update(changes)
    return Person(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"given_name": "  "}, "given name: is required"),
        ({"family_name": ""}, "family name: is required"),
        ({"birth_date": (date.today() + timedelta(days=1)).isoformat()}, "is in the future"),
        ({"birth_date": "1950-02-30"}, "birth date: '1950-02-30' is not a date"),
        ({"birth_date": None}, "birth date: is required"),
        ({"nhs_number": "943 476 5918"}, "NHS number: 943 476 5918 fails the Modulus 11"),
        ({"nhs_number": "94347659"}, "NHS number: '94347659' is not ten digits"),
    ],
)
def test_person_rules(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        person(**changes)


def test_nhs_number_is_kept_as_ten_digits() -> None:
    assert person(nhs_number="943-476-5919").nhs_number == "9434765919"


def test_unknown_enum_value_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="status: 'bogus' is not one of 'draft', 'active'"):
        CarePlan(person_id="p", status="bogus", created_on="2025-01-01")  # type: ignore[arg-type]


def test_end_not_before_start() -> None:
    with pytest.raises(ValueError, match="end date: 2024-12-31 is before start date 2025-01-01"):
        CareTeamMember(person_id="p", professional_id="x", role="GP",  # type: ignore[arg-type]
                       start_date=date(2025, 1, 1), end_date=date(2024, 12, 31))
    with pytest.raises(ValueError, match="discharged on: .* is before admitted on"):
        HospitalStay(person_id="p", hospital_id="h", admitted_on=date(2025, 1, 10),
                     discharged_on=date(2025, 1, 9))


def test_cross_field_rules() -> None:
    with pytest.raises(ValueError, match="closed on: is required"):
        CarePlan(person_id="p", status="closed", created_on="2025-01-01")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="completed on: is required"):
        Assessment(person_id="p", kind="Care Act adult assessment",  # type: ignore[arg-type]
                   status="completed", requested_on=date(2025, 1, 1))
    with pytest.raises(ValueError, match="legal basis: is required"):
        Consent(person_id="p", agency_id="a", status="legal basis",  # type: ignore[arg-type]
                recorded_on=date(2025, 1, 1), recorded_by="x")
    with pytest.raises(ValueError, match="action: is required when handing over an action"):
        Handoff(person_id="p", subject="action", from_professional_id="a",  # type: ignore[arg-type]
                from_agency_id="x", to_professional_id="b", to_agency_id="y",
                proposed_at="2025-01-01T09:00", answer_by="2025-01-03")
    with pytest.raises(ValueError, match="reason: is required"):
        ReferralEvent(referral_id="r", kind="declined",  # type: ignore[arg-type]
                      occurred_on=date(2025, 1, 1), team_id="t")
    with pytest.raises(ValueError, match="to team: is required"):
        ReferralEvent(referral_id="r", kind="redirected",  # type: ignore[arg-type]
                      occurred_on=date(2025, 1, 1), team_id="t")


@pytest.mark.parametrize("text", ["²", "--5", "1²", "5-", "٣"])
def test_whole_numbers_given_as_text_are_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match=f"^plan version: expected int, got {text!r}$"):
        CarePlan(person_id="p", created_on="2025-01-01", plan_version=text)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "number"), [(" 3 ", 3), ("007", 7), ("12", 12)])
def test_whole_numbers_given_as_text_are_read(text: str, number: int) -> None:
    plan = CarePlan(person_id="p", created_on="2025-01-01", plan_version=text)  # type: ignore[arg-type]
    assert plan.plan_version == number
