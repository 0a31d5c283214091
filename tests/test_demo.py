"""The demo store: deterministic, realistic, and holding every named situation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from careplan.cli import main
from careplan.demo.accounts import ADMIN, DEMO_PASSWORD
from careplan.demo.build import build_demo
from careplan.models import Agency, Person, Professional
from careplan.models.accounts import Account, AccountRole
from careplan.models.enums import AgencyKind, Role, Sector
from careplan.store import InputError, Store, accounts, find
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
    # Password hashes have no audit events (no event may carry one); the chain heads are
    # the log's own bookkeeping.
    rows = sum(n for t, n in counts.items() if t not in {
        "audit_events", "audit_heads", "store_meta", "account_secrets"})
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
    s = _demo(persons=22)
    before = content_digest(s)
    with pytest.raises(InputError, match="already holds 22 persons"):
        build_demo(s, persons=22, seed=1, today=TODAY)
    assert content_digest(s) == before


def test_too_few_persons_is_refused() -> None:
    with pytest.raises(InputError, match="persons: must be at least"):
        build_demo(Store.open(":memory:"), persons=3, today=TODAY)


# -- the demo's accounts --------------------------------------------------------------------


def test_every_demo_professional_has_an_account_with_the_one_demo_password() -> None:
    s = _demo()
    made = {a.professional_id: a for a in find(s, Account)}
    professionals = find(s, Professional)
    assert set(made) == {p.id for p in professionals} | {None}
    admin = made[None]
    assert (admin.username, admin.role) == (ADMIN, AccountRole.ADMINISTRATOR)
    for pro in professionals:
        account = made[pro.id]
        first, last = pro.name.removeprefix("Dr ").lower().split()[-2:]
        assert account.username.startswith(f"{first}.{last}".replace("'", ""))
        assert account.role is (AccountRole.MANAGER if pro.role is Role.MANAGER
                                else AccountRole.PRACTITIONER)
        assert account.active and not account.must_change_password
    # One hash, made once, for them all; the published password signs every one in.
    assert s.conn.execute("SELECT count(DISTINCT password_hash) FROM account_secrets"
                          ).fetchone()[0] == 1
    for account in made.values():
        assert accounts.authenticate(s, account.username, DEMO_PASSWORD).id == account.id


def test_a_store_with_accounts_is_not_given_the_demo() -> None:
    s = Store.open(":memory:")
    accounts.add_account(s, "boss", "boss password 1", "administrator")
    before = content_digest(s)
    with pytest.raises(InputError, match="the store has accounts already"):
        build_demo(s, persons=22, seed=1, today=TODAY)
    assert content_digest(s) == before


def test_careplan_demo_says_how_to_sign_in_and_that_works(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "demo.db"
    assert main(["demo", "--db", str(db), "--persons", "22", "--today", "2026-11-22"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("Sign in as any demo professional by first.last (e.g. ")
    assert ("a manager), or as admin (the administrator, who manages accounts and sees no "
            "one's record); every demo account's password is careplan-demo.") in out[1]
    assert out[1].endswith("Each professional sees the persons whose records may be "
                           "shared with their agency.")
    assert out[2] == f"The store is encrypted; its keyring is {db}.keys."
    example = out[1].split("(e.g. ")[1].split(",")[0]
    assert out[3] == f"For example: careplan flags --db {db} --user {example}"
    user = demo_signed_in(db, "reader")
    assert main(["flags", "--db", str(db), "--today", "2026-11-22", *user]) == 0
    assert main(["flags", "--db", str(db), "--today", "2026-11-22", "--user", example]) == 0
