"""The demo store: deterministic, realistic, and holding every named situation."""

from __future__ import annotations

from datetime import date

import pytest

from careplan.demo.build import build_demo
from careplan.models import Agency, Person, Professional
from careplan.models.enums import AgencyKind, Sector
from careplan.store import InputError, Store, find
from careplan.store import audit as audit_log
from careplan.store.digest import content_digest

TODAY = date(2026, 11, 22)


def _demo(persons: int = 120, seed: int = 7, parallel: bool | None = None) -> Store:
    s = Store.open(":memory:")
    build_demo(s, persons=persons, seed=seed, today=TODAY, parallel=parallel)
    return s


def test_same_seed_and_today_give_the_same_store() -> None:
    a, b = _demo(), _demo()
    assert content_digest(a, ignore_wall_clock=True) == content_digest(b, ignore_wall_clock=True)
    assert a.store_id == b.store_id


def test_other_seed_or_today_give_another_store() -> None:
    base = content_digest(_demo(), ignore_wall_clock=True)
    assert content_digest(_demo(seed=8), ignore_wall_clock=True) != base
    other = Store.open(":memory:")
    build_demo(other, persons=120, seed=7, today=date(2026, 11, 23))
    assert content_digest(other, ignore_wall_clock=True) != base


def test_parallel_and_serial_builds_agree() -> None:
    serial = _demo(persons=1200, parallel=False)
    parallel = _demo(persons=1200, parallel=True)
    assert content_digest(serial, ignore_wall_clock=True) == content_digest(
        parallel, ignore_wall_clock=True
    )


def test_counts_and_an_audit_event_per_record() -> None:
    s = _demo()
    counts = s.table_counts()
    assert counts["persons"] == 120
    rows = sum(n for t, n in counts.items() if t not in {"audit_events", "store_meta"})
    assert counts["audit_events"] == rows
    assert s.integrity_check() == "ok"
    assert not s.conn.execute("PRAGMA foreign_key_check").fetchall()
    assert all(e.actor == "demo" for e in audit_log.events(s, limit=50))


def test_agencies_of_every_sector_with_named_professionals() -> None:
    s = _demo()
    agencies = find(s, Agency)
    assert {a.sector for a in agencies} == set(Sector)
    kinds = {a.kind for a in agencies}
    assert {AgencyKind.GP_PRACTICE, AgencyKind.MENTAL_HEALTH, AgencyKind.LEARNING_DISABILITY,
            AgencyKind.ACUTE_HOSPITAL, AgencyKind.ADULT_SOCIAL_CARE,
            AgencyKind.CHILDRENS_SOCIAL_CARE} <= kinds
    pros = find(s, Professional)
    assert {p.agency_id for p in pros} == {a.id for a in agencies}


def test_named_situations_are_there() -> None:
    s = _demo()
    names = {p.name: p for p in find(s, Person)}
    for name in ["Jordan Ellis", "Margaret Okafor", "Daniel Price", "Aisha Rahman",
                 "Peter Walsh", "Grace Thompson", "Tom Baker", "Ruth Collins", "Leon Carter"]:
        assert name in names
    jordan = names["Jordan Ellis"]
    assert (TODAY - jordan.birth_date).days // 365 == 17
    stay = s.query("SELECT * FROM hospital_stays WHERE person_id = ?",
                   (names["Margaret Okafor"].id,))
    assert stay[0]["discharged_on"] is None
    assert (TODAY - date.fromisoformat(stay[0]["discharge_ready_on"])).days == 9
    bounces = s.query(
        "SELECT e.kind FROM referral_events e JOIN referrals r ON r.id = e.referral_id "
        "WHERE r.person_id = ? ORDER BY e.occurred_on, e.rowid", (names["Daniel Price"].id,))
    assert [b["kind"] for b in bounces] == ["sent", "declined", "sent", "declined", "redirected"]


def test_demo_needs_an_empty_store() -> None:
    s = _demo(persons=20)
    before = content_digest(s)
    with pytest.raises(InputError, match="already holds 20 persons"):
        build_demo(s, persons=20, seed=1, today=TODAY)
    assert content_digest(s) == before


def test_too_few_persons_is_refused() -> None:
    with pytest.raises(InputError, match="persons: must be at least"):
        build_demo(Store.open(":memory:"), persons=3, today=TODAY)
