"""Imported dateTimes are instants: their date is the date in the UK (Europe/London) at
that instant, not the first ten characters of the text. An Encounter ending
2026-06-30T23:30:00Z ended at half past midnight British Summer Time on 1 July.

A dateTime with a time and no zone is not FHIR R4 ("If hours and minutes are specified,
a time zone SHALL be populated"): the R4 check refuses it, naming the field. Were one to
reach the mapping, it would be read as UK local time, as CarePlan keeps its own times."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir_referrals import bundle, care_plan, patient, service_request, step, task, teams, write

from careplan.export.fhir_import import import_fhir, parse_date, parse_datetime
from careplan.export.fhir_read import ImportRefused
from careplan.store import Store
from careplan.store.digest import content_digest


def stay(start: str, end: str | None) -> dict[str, Any]:
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "Encounter", "id": "e1",
            "status": "finished" if end else "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "IMP"},
            "subject": {"reference": "Patient/p1"},
            "serviceProvider": {"reference": "Organization/gp"}, "period": period}


@pytest.mark.parametrize("text,day", [
    ("2026-06-30T23:30:00Z", date(2026, 7, 1)),         # BST: 00:30 on 1 July
    ("2026-06-30T22:59:59Z", date(2026, 6, 30)),        # BST: 23:59:59
    ("2026-12-31T23:30:00Z", date(2026, 12, 31)),       # GMT: the same day
    ("2026-03-29T00:30:00Z", date(2026, 3, 29)),        # clocks go forward at 01:00 GMT
    ("2026-10-24T23:30:00Z", date(2026, 10, 25)),       # the last BST night
    ("2026-07-01T00:30:00+02:00", date(2026, 6, 30)),   # 23:30 BST the day before
    ("2026-06-30T23:30:00+01:00", date(2026, 6, 30)),
    ("2026-06-30T23:59:60Z", date(2026, 7, 1)),          # a leap second is valid FHIR
    ("2026-06-30T23:30:00.0012313+00:00", date(2026, 7, 1)),  # seven digits (UK Core)
    ("2026-06-30", date(2026, 6, 30)),                  # a date is a date
    ("2026-06-30T23:30:00", date(2026, 6, 30)),         # no zone: UK local (not valid R4)
    ("2026-06", None),
])
def test_dates_are_taken_in_uk_time(text: str, day: date | None) -> None:
    assert parse_date(text) == day


def test_times_are_uk_wall_clock() -> None:
    assert parse_datetime("2026-06-30T23:30:00Z") == datetime(2026, 7, 1, 0, 30)
    assert parse_datetime("2026-01-15T23:30:00Z") == datetime(2026, 1, 15, 23, 30)


def test_an_encounter_ending_late_on_30_june_utc_ends_on_1_july(store: Store,
                                                                 tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(
        *teams(), patient(), stay("2026-06-20T23:15:00Z", "2026-06-30T23:30:00Z"))))
    row = store.query("SELECT admitted_on, discharged_on FROM hospital_stays")[0]
    assert row == {"admitted_on": "2026-06-21", "discharged_on": "2026-07-01"}


def test_onsets_sending_dates_and_steps_are_uk_dates(store: Store, tmp_path: Path) -> None:
    onset = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
             "code": {"text": "Schizophrenia"}, "onsetDateTime": "2025-08-31T23:10:58Z"}
    sent_step = {**step("sent", "x", "cmht")}
    sent_step["extension"][1] = {"url": "occurred", "valueDateTime": "2026-01-05T23:45:00Z"}
    import_fhir(store, write(tmp_path, bundle(
        *teams(), patient(), care_plan(), onset,
        service_request(sent="2026-05-04T23:20:00Z"), task([sent_step]))))
    assert store.query("SELECT onset_date FROM conditions")[0]["onset_date"] == "2025-09-01"
    assert store.query("SELECT sent_on FROM referrals")[0]["sent_on"] == "2026-05-05"
    # 23:45 GMT in January is still 5 January in the UK.
    assert store.query("SELECT occurred_on FROM referral_events")[0]["occurred_on"] == \
        "2026-01-05"


def test_a_time_without_a_zone_is_refused_naming_the_field(store: Store,
                                                           tmp_path: Path) -> None:
    before = content_digest(store)
    with pytest.raises(ImportRefused, match=r"Encounter/e1\): field 'period.end' is not valid "
                                            r"R4.*2026-06-30T23:30:00"):
        import_fhir(store, write(tmp_path, bundle(
            *teams(), patient(), stay("2026-06-20", "2026-06-30T23:30:00"))))
    assert content_digest(store) == before
