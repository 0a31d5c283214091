"""FHIR import of referrals: every step of a referral's history arrives, the requester is
found however the file names it, and a referral the file says is done is not a dispute.

Before: steps without ids of one kind on one day collided and all but one were silently
dropped (two teams declining on the same day became one decline); a requester given as a
``urn:uuid:`` reference was not found, so the referral was skipped; a ServiceRequest with
status ``completed`` and no steps had no history saying any team took it, and was flagged
as a referral dispute once its answer-by date passed."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fhir_referrals import (
    bundle,
    care_plan,
    organization,
    patient,
    service_request,
    step,
    task,
    teams,
    write,
)

from careplan.export.fhir_import import import_fhir
from careplan.export.fhir_read import ImportRefused
from careplan.models.flags import FlagCode
from careplan.store import Store
from careplan.store.digest import content_digest
from careplan.store.flagdata import caseload_flags


def _events(store: Store) -> list[tuple[str, str, str | None]]:
    return [(r["kind"], r["occurred_on"], r["team_id"]) for r in store.query(
        "SELECT kind, occurred_on, team_id FROM referral_events ORDER BY rowid")]


def _disputes(store: Store, day: date) -> list[Any]:
    return caseload_flags(store, day, codes=[FlagCode.REFERRAL_DISPUTE])


def _people() -> list[dict[str, Any]]:
    return [*teams(), patient(), care_plan()]


def test_steps_of_one_kind_on_one_day_are_all_kept(store: Store, tmp_path: Path) -> None:
    """Sent to both teams on one day, declined by both on another: four steps, and the
    dispute between the two teams is seen the day they both declined."""
    steps = [step("sent", "2026-01-05", "cmht"), step("sent", "2026-01-05", "ldt"),
             step("declined", "2026-01-09", "cmht", reason="Not psychosis"),
             step("declined", "2026-01-09", "ldt", reason="Not a learning disability")]
    report = import_fhir(store, write(tmp_path, bundle(
        *_people(), service_request(), task(steps))))
    assert report.imported["referral step"] == 4
    cmht, ldt = (store.query("SELECT id FROM agencies WHERE name LIKE ?", (f"%{n}%",))[0]["id"]
                 for n in ("Mental Health", "Learning Disability"))
    assert _events(store) == [("sent", "2026-01-05", cmht), ("sent", "2026-01-05", ldt),
                              ("declined", "2026-01-09", cmht),
                              ("declined", "2026-01-09", ldt)]
    # Judged before the five working days to accept run out: only the two declines flag it.
    flags = _disputes(store, date(2026, 1, 9))
    assert len(flags) == 1 and flags[0].since == date(2026, 1, 9)
    assert "declined by Riverside" in flags[0].message
    assert "declined by Northbridge" in flags[0].message


def test_reimporting_the_file_adds_no_step(store: Store, tmp_path: Path) -> None:
    steps = [step("declined", "2026-01-09", "cmht", reason="Not psychosis"),
             step("declined", "2026-01-09", "ldt", reason="Not a learning disability")]
    path = write(tmp_path, bundle(*_people(), service_request(), task(steps)))
    import_fhir(store, path)
    before = content_digest(store)
    assert not import_fhir(store, path).imported
    assert content_digest(store) == before


def test_two_steps_the_file_gives_one_id_are_refused(store: Store, tmp_path: Path) -> None:
    steps = [step("declined", "2026-01-09", "cmht", reason="Not psychosis", sid="s1"),
             step("declined", "2026-01-12", "ldt", reason="Not a learning disability",
                  sid="s1")]
    before = content_digest(store)
    with pytest.raises(ImportRefused, match=r"referral step 1 and .* referral step 2 have "
                                            r"the same id 's1'"):
        import_fhir(store, write(tmp_path, bundle(*_people(), service_request(), task(steps))))
    assert content_digest(store) == before


def _ids() -> dict[str, str]:
    return {name: str(uuid.uuid5(uuid.NAMESPACE_URL, name))
            for name in ("gp", "doctor", "role", "p1", "sr1")}


@pytest.mark.parametrize("requester", ["gp", "role", "doctor"])
def test_a_requester_given_as_urn_uuid_is_found(store: Store, tmp_path: Path,
                                                requester: str) -> None:
    """A bundle whose references are all ``urn:uuid:`` fullUrls (as UK Core and PDS write
    them): the requester is an Organization, a PractitionerRole or a Practitioner."""
    ids = _ids()
    gp = {**organization(ids["gp"], "Canal Street Surgery")}
    doctor = {"resourceType": "Practitioner", "id": ids["doctor"],
              "name": [{"text": "Dr Asha Patel"}]}
    role = {"resourceType": "PractitionerRole", "id": ids["role"],
            "practitioner": {"reference": f"urn:uuid:{ids['doctor']}"},
            "organization": {"reference": f"urn:uuid:{ids['gp']}"}}
    person = {**patient(), "id": ids["p1"]}
    request = {**service_request(requester={"reference": f"urn:uuid:{ids[requester]}"}),
               "id": ids["sr1"], "subject": {"reference": f"urn:uuid:{ids['p1']}"}}
    report = import_fhir(store, write(tmp_path, bundle(gp, doctor, role, person, request,
                                                       urns=True)))
    assert report.imported["referral"] == 1, report.lines()
    row = store.query("SELECT from_agency_id FROM referrals")[0]
    assert row["from_agency_id"] == ids["gp"]


def test_a_completed_request_without_steps_is_no_dispute(store: Store, tmp_path: Path) -> None:
    """R4: ``completed``, "the activity described by the request has been fully
    performed". Its history is recorded as the step that status stands for: accepted as
    lead, by the performer, on the latest date the file gives (here its last update)."""
    request = service_request(status="completed", performer=[{"reference": "Organization/cmht"}],
                              meta={"lastUpdated": "2026-02-20T10:00:00Z"})
    report = import_fhir(store, write(tmp_path, bundle(*_people(), request)))
    cmht = store.query("SELECT id FROM agencies WHERE name LIKE '%Mental%'")[0]["id"]
    assert store.query("SELECT kind, occurred_on, team_id, as_lead FROM referral_events") == [
        {"kind": "accepted", "occurred_on": "2026-02-20", "team_id": cmht, "as_lead": 1}]
    assert any("status 'completed' and no referral steps" in w for w in report.warnings)
    assert _disputes(store, date(2026, 6, 1)) == []


def test_a_completed_task_without_steps_is_no_dispute(store: Store, tmp_path: Path) -> None:
    report = import_fhir(store, write(tmp_path, bundle(
        *_people(), service_request(), task([], status="completed",
                                            owner={"reference": "Organization/ldt"},
                                            lastModified="2026-01-20T09:00:00+00:00"))))
    assert report.imported["referral step"] == 1
    assert _disputes(store, date(2026, 6, 1)) == []


def test_an_accepted_task_without_steps_stops_the_clock_only(store: Store,
                                                             tmp_path: Path) -> None:
    """Accepted is not accepted as lead: a later bounce would still be a dispute, but no
    "not accepted in time"."""
    import_fhir(store, write(tmp_path, bundle(
        *_people(), service_request(), task([], status="accepted",
                                            owner={"reference": "Organization/cmht"}))))
    assert [(r["kind"], r["as_lead"]) for r in store.query(
        "SELECT kind, as_lead FROM referral_events")] == [("accepted", 0)]
    assert _disputes(store, date(2026, 6, 1)) == []


def test_an_open_request_without_steps_is_still_a_dispute_when_time_runs_out(
        store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(*_people(), service_request())))
    assert not store.query("SELECT 1 FROM referral_events")
    assert len(_disputes(store, date(2026, 6, 1))) == 1


def test_a_request_entered_in_error_is_skipped(store: Store, tmp_path: Path) -> None:
    report = import_fhir(store, write(tmp_path, bundle(
        *_people(), service_request(status="entered-in-error"))))
    assert report.skipped["ServiceRequest (entered in error)"] == 1
    assert not store.query("SELECT 1 FROM referrals")
