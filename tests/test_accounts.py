"""Accounts in the store: the first account, administrators' adds, signing in, the
lockout, every refusal's sentence, the audit trail, and that no hash or password is ever
in an audit event or anywhere but ``account_secrets``. Then the pure rules (user names,
the password policy, the lockout schedule) as properties."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from careplan.models import Agency, Professional
from careplan.models.accounts import (
    FIRST_WAIT,
    LOCK_AFTER,
    LONGEST_WAIT,
    PASSWORD_MIN,
    WRONG,
    Account,
    AccountRole,
    SignIn,
    SignInOutcome,
    check_password,
    locked_for,
    lockout_wait,
    normalise_username,
    refusal,
    typed_username,
    wait_words,
)
from careplan.store import InputError, Store, add, audit, find
from careplan.store import accounts as acc
from careplan.store.accounts import NotAllowedError, SignInError
from careplan.store.repo import actor_name

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ADMIN_PW = "admin password 1"
SUE_PW = "sue's password 22"


@pytest.fixture
def team(store: Store) -> tuple[Store, Professional, Professional]:
    """An in-memory store with two professionals and its administrator (no professional)."""
    asc = add(store, Agency(name="Adult Social Care", sector="social care"), "setup")
    sue = add(store, Professional(name="Sue Marsh", role="manager", agency_id=asc.id), "setup")
    sam = add(store, Professional(name="Sam Green", role="social worker", agency_id=asc.id),
              "setup")
    acc.add_account(store, "Admin", ADMIN_PW, "administrator")
    return store, sue, sam


def _admin(store: Store) -> Account:
    found = acc.find_account(store, "admin")
    assert found is not None
    return found


def _refused(store: Store, username: str, password: str, now: datetime) -> SignInError:
    with pytest.raises(SignInError) as caught:
        acc.authenticate(store, username, password, now)
    return caught.value


def _outcomes(store: Store) -> list[str]:
    return [s.outcome.value for s in find(store, SignIn, order_by="at")]


# -- the first account, and who adds the others ---------------------------------------------


def test_the_first_account_needs_no_one_and_must_be_an_administrator(store: Store) -> None:
    with pytest.raises(InputError, match="^role: the first account of a store must be an "
                                         "administrator$"):
        acc.add_account(store, "sam", SUE_PW, "practitioner", None)
    assert acc.count(store) == 0
    first = acc.add_account(store, "  Boss.Admin ", ADMIN_PW, "administrator")
    assert (first.username, first.role, first.active) == ("boss.admin", "administrator", True)
    assert not first.must_change_password  # they chose it themselves
    (event,) = audit.events_for(store, "accounts", first.id)
    assert event.actor == f"account:{first.id}" and event.after["username"] == "boss.admin"
    assert actor_name(store, first.actor) == "boss.admin"


def test_later_accounts_are_added_by_an_active_administrator_only(
        team: tuple[Store, Professional, Professional]) -> None:
    store, sue, sam = team
    with pytest.raises(NotAllowedError, match="^Only an administrator may add accounts; "
                                              "sign in as one first.$"):
        acc.add_account(store, "sue", SUE_PW, "manager", sue.id)
    manager = acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store))
    assert manager.must_change_password  # the administrator knows the password
    (event,) = audit.events_for(store, "accounts", manager.id)
    assert event.actor == f"account:{_admin(store).id}"
    with pytest.raises(NotAllowedError, match="^Only an administrator may add accounts; sue "
                                              "is a manager.$"):
        acc.add_account(store, "sam", SUE_PW, "practitioner", sam.id, manager)
    second = acc.add_account(store, "deputy", ADMIN_PW, "administrator", None, _admin(store))
    acc.deactivate(store, "deputy", _admin(store))
    with pytest.raises(NotAllowedError, match="the account deputy is no longer active"):
        acc.add_account(store, "sam", SUE_PW, "practitioner", sam.id, second)
    assert acc.find_account(store, "sam") is None


@pytest.mark.parametrize(("username", "role", "who", "password", "sentence"), [
    ("ADMIN", "administrator", None, SUE_PW, "user name: 'admin' is already taken"),
    ("a", "administrator", None, SUE_PW, "user name: must be 2 to 64 characters (this one has 1)"),
    ("sue marsh", "manager", "sue", SUE_PW, "user name: 'sue marsh' may hold only letters a to "
                                            "z, digits and . _ - @, and must begin with a "
                                            "letter or digit"),
    ("sam", "practitioner", None, SUE_PW, "professional: is required for a practitioner's "
                                          "account (only an administrator's account may "
                                          "belong to no professional)"),
    ("sam", "chief", "sam", SUE_PW, "role: 'chief' is not one of practitioner, manager, "
                                    "administrator"),
    ("sam", "practitioner", "nobody", SUE_PW, "professional: there is no professional with id "
                                              "nobody in this store"),
    ("sam", "practitioner", "sam", "short", f"password: must be at least {PASSWORD_MIN} "
                                            "characters"),
    ("sam.green.x", "practitioner", "sam", "Sam.Green.X", "password: must not be the user name"),
    ("sam", "practitioner", "sam", "tab\there is long", "password: may not hold line breaks, "
                                                        "tabs or other control characters"),
])
def test_a_bad_account_is_refused_in_one_sentence_naming_the_field(
        team: tuple[Store, Professional, Professional], username: str, role: str,
        who: str | None, password: str, sentence: str) -> None:
    store, sue, sam = team
    professional = {"sue": sue.id, "sam": sam.id}.get(who or "", who)
    events = audit.count(store)
    with pytest.raises(InputError) as refused:
        acc.add_account(store, username, password, role, professional, _admin(store))
    assert str(refused.value) == sentence
    assert password not in str(refused.value) or password == "short"
    assert audit.count(store) == events and acc.count(store) == 1


def test_one_account_per_professional(team: tuple[Store, Professional, Professional]) -> None:
    store, sue, _ = team
    acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store))
    with pytest.raises(InputError, match=r"^professional: already has an account \(sue\)$"):
        acc.add_account(store, "sue.marsh", SUE_PW, "manager", sue.id, _admin(store))


# -- signing in ---------------------------------------------------------------------------------


def test_signing_in_is_recorded_with_its_audit_event_whatever_the_outcome(
        team: tuple[Store, Professional, Professional]) -> None:
    store, sue, _ = team
    acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store), temporary=False)
    account = acc.authenticate(store, " SUE ", SUE_PW, T0)
    assert account.username == "sue" and account.actor == sue.id
    assert str(_refused(store, "sue", "not her password", T0)) == WRONG
    assert str(_refused(store, "nobody", SUE_PW, T0)) == WRONG  # the same words
    rows = find(store, SignIn, order_by="at")
    assert [(r.username, r.account_id, r.outcome.value) for r in rows] == [
        ("sue", account.id, "signed in"), ("sue", account.id, "wrong password"),
        ("nobody", None, "unknown user")]
    for row in rows:
        (event,) = audit.events_for(store, "sign_ins", row.id)
        assert event.after["outcome"] == row.outcome.value
        assert event.actor == (sue.id if row.account_id else acc.UNKNOWN_ACTOR)


def test_a_sign_in_is_never_part_of_a_larger_transaction(
        team: tuple[Store, Professional, Professional]) -> None:
    """A refusal raises after the attempt is committed; inside an outer transaction the
    raise would take the record of the attempt back with it."""
    store, *_ = team
    with pytest.raises(RuntimeError, match="a transaction of its own"), store.atomic():
        acc.authenticate(store, "admin", "wrong", T0)
    assert _outcomes(store) == []


def test_five_failures_lock_for_a_minute_then_each_doubles_up_to_an_hour(
        team: tuple[Store, Professional, Professional]) -> None:
    store, *_ = team
    for i in range(LOCK_AFTER):
        assert _refused(store, "admin", "wrong", T0 + timedelta(seconds=i)).outcome \
            is SignInOutcome.WRONG_PASSWORD
    last = T0 + timedelta(seconds=LOCK_AFTER - 1)
    locked = _refused(store, "admin", ADMIN_PW, last + timedelta(seconds=18))
    assert locked.outcome is SignInOutcome.LOCKED  # the right password is not even tried
    assert str(locked) == ("Too many failed sign-ins with this user name; try again in 42 "
                           "seconds.")
    # The wait ends 60 s after the fifth failure; the next failure doubles it.
    assert _refused(store, "admin", "wrong", last + timedelta(seconds=60)).outcome \
        is SignInOutcome.WRONG_PASSWORD
    sixth = last + timedelta(seconds=60)
    assert _refused(store, "admin", ADMIN_PW, sixth + timedelta(seconds=119)).wait_seconds == 1
    assert acc.authenticate(store, "admin", ADMIN_PW, sixth + timedelta(seconds=120))
    # A success starts the count again.
    assert _refused(store, "admin", "wrong", sixth + timedelta(seconds=121)).outcome \
        is SignInOutcome.WRONG_PASSWORD
    assert _outcomes(store).count("locked") == 2


def test_unknown_user_names_lock_the_same_way_so_they_cannot_be_told_apart(
        team: tuple[Store, Professional, Professional]) -> None:
    store, *_ = team
    for who in ("admin", "nobody"):
        for i in range(LOCK_AFTER):
            assert str(_refused(store, who, "wrong", T0 + timedelta(seconds=i))) == WRONG
        assert str(_refused(store, who, "wrong", T0 + timedelta(seconds=10))) == (
            "Too many failed sign-ins with this user name; try again in 54 seconds.")


def test_deactivated_accounts_say_so_only_to_whoever_knows_the_password(
        team: tuple[Store, Professional, Professional]) -> None:
    store, sue, _ = team
    acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store), temporary=False)
    acc.deactivate(store, "sue", _admin(store))
    assert str(_refused(store, "sue", "guess", T0)) == WRONG
    assert str(_refused(store, "sue", SUE_PW, T0)) == (
        "This account has been deactivated; ask an administrator to reactivate it.")
    with pytest.raises(InputError, match="^user name: sue is already deactivated$"):
        acc.deactivate(store, "sue", _admin(store))
    acc.reactivate(store, "sue", _admin(store))
    assert acc.authenticate(store, "sue", SUE_PW, T0).active
    assert _outcomes(store) == ["wrong password", "deactivated", "signed in"]


def test_the_only_active_administrator_cannot_be_deactivated(
        team: tuple[Store, Professional, Professional]) -> None:
    store, *_ = team
    with pytest.raises(InputError, match="^user name: admin is the only active administrator; "
                                         "add or reactivate another first$"):
        acc.deactivate(store, "admin", _admin(store))


def test_a_reset_password_must_be_changed_before_anything_else(
        team: tuple[Store, Professional, Professional]) -> None:
    store, sue, _ = team
    acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store), temporary=False)
    for i in range(LOCK_AFTER):
        _refused(store, "sue", "wrong", T0 + timedelta(seconds=i))
    assert acc.reset_password(store, "sue", "temporary pass 1", _admin(store)) is None
    later = T0 + timedelta(seconds=10)  # the lockout ended with the reset
    refused = _refused(store, "sue", "temporary pass 1", later)
    assert refused.outcome is SignInOutcome.MUST_CHANGE_PASSWORD
    assert str(refused) == ("Your password was reset or set by an administrator: you must set "
                            "a new password first.")
    with pytest.raises(InputError, match="^password: the new password must differ"):
        acc.change_password(store, "sue", "temporary pass 1", "temporary pass 1", later)
    with pytest.raises(SignInError, match=f"^{WRONG}$"):
        acc.change_password(store, "sue", "not the temporary", "her own choice 1", later)
    changed = acc.change_password(store, "sue", "temporary pass 1", "her own choice 1", later)
    assert not changed.must_change_password
    assert acc.authenticate(store, "sue", "her own choice 1", later).username == "sue"


def test_only_an_administrator_resets_deactivates_or_lists(
        team: tuple[Store, Professional, Professional]) -> None:
    store, sue, sam = team
    manager = acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store))
    acc.add_account(store, "sam", SUE_PW, "practitioner", sam.id, _admin(store))
    for act in (lambda: acc.reset_password(store, "sam", "a new password", manager),
                lambda: acc.deactivate(store, "sam", manager),
                lambda: acc.reactivate(store, "sam", manager),
                lambda: acc.list_accounts(store, manager)):
        with pytest.raises(NotAllowedError, match="^Only an administrator may .*; sue is a "
                                                  "manager.$"):
            act()
    acc.authenticate(store, "admin", ADMIN_PW, T0)
    lines = acc.list_accounts(store, _admin(store))
    assert [(a.username, a.name, a.agency, a.role.value, a.active) for a in lines] == [
        ("admin", "", "", "administrator", True),
        ("sam", "Sam Green", "Adult Social Care", "practitioner", True),
        ("sue", "Sue Marsh", "Adult Social Care", "manager", True)]
    assert lines[0].last_sign_in == T0.isoformat() and lines[1].last_sign_in is None


@pytest.mark.parametrize(("outcome", "sentence"), [
    (SignInOutcome.WRONG_PASSWORD, "Wrong user name or password."),
    (SignInOutcome.UNKNOWN_USER, "Wrong user name or password."),
    (SignInOutcome.LOCKED, "Too many failed sign-ins with this user name; try again in 42 "
                           "seconds."),
    (SignInOutcome.DEACTIVATED, "This account has been deactivated; ask an administrator to "
                                "reactivate it."),
    (SignInOutcome.MUST_CHANGE_PASSWORD, "Your password was reset or set by an administrator: "
                                         "you must set a new password first."),
])
def test_every_refusal_is_one_plain_sentence(outcome: SignInOutcome, sentence: str) -> None:
    said = refusal(outcome, 42)
    assert said == sentence and said.count(".") == 1 and said.endswith(".")


# -- secrets ------------------------------------------------------------------------------------


def test_no_hash_or_password_is_in_any_audit_event_or_any_table_but_secrets(
        tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        asc = add(store, Agency(name="ASC", sector="social care"), "setup")
        sue = add(store, Professional(name="Sue", role="manager", agency_id=asc.id), "setup")
        admin = acc.add_account(store, "admin", ADMIN_PW, "administrator")
        acc.add_account(store, "sue", SUE_PW, "manager", sue.id, admin)
        acc.reset_password(store, "sue", "temporary pass 1", admin)
        acc.change_password(store, "sue", "temporary pass 1", "her own choice 1", T0)
        acc.authenticate(store, "sue", "her own choice 1", T0)
        _refused(store, "sue", ADMIN_PW, T0)
        hashes = [r[0] for r in store.conn.execute("SELECT password_hash FROM account_secrets")]
        assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)
        secrets = [*hashes, ADMIN_PW, SUE_PW, "temporary pass 1", "her own choice 1"]
        for table in [r[0] for r in store.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]:
            if table == "account_secrets":
                continue
            text = repr(store.conn.execute(f'SELECT * FROM "{table}"').fetchall())
            assert not any(s in text for s in secrets), table
        # A change of password is audited on the account, as when it changed.
        changes = [e for e in audit.events_for(store, "accounts", acc._account(store, "sue").id)
                   if e.before and e.before["password_changed_at"] != e.after[
                       "password_changed_at"]]
        assert len(changes) == 2  # the reset, then her own
        assert set(changes[-1].after) == {"id", "version", "username", "professional_id",
                                          "role", "active", "must_change_password",
                                          "password_changed_at"}
    store.close()
    assert not any(p.encode() in path.read_bytes() for p in secrets[2:])


def test_a_hash_made_with_other_parameters_is_made_again_at_sign_in(
        team: tuple[Store, Professional, Professional]) -> None:
    store, *_ = team
    older = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(ADMIN_PW)
    with store.atomic():
        store.conn.execute("UPDATE account_secrets SET password_hash = ?", (older,))
    acc.authenticate(store, "admin", ADMIN_PW, T0)
    (now,) = store.conn.execute("SELECT password_hash FROM account_secrets").fetchone()
    assert now != older and not acc.HASHER.check_needs_rehash(now)
    assert acc.authenticate(store, "admin", ADMIN_PW, T0).username == "admin"


def test_the_product_hashes_with_argon2id_defaults() -> None:
    """The suite hashes cheaply (tests/conftest.py); the product never does: a process of
    its own, which that fixture does not reach, hashes as argon2-cffi's defaults say."""
    code = ("from careplan.store import accounts; "
            "print(accounts.HASHER.hash('a password of some length'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_actor_names_show_the_professional_or_the_account(
        team: tuple[Store, Professional, Professional]) -> None:
    store, sue, _ = team
    account = acc.add_account(store, "sue", SUE_PW, "manager", sue.id, _admin(store))
    assert account.actor == sue.id and actor_name(store, account.actor) == "Sue Marsh"
    assert actor_name(store, _admin(store).actor) == "admin"
    assert actor_name(store, "account:gone") == "account:gone"


# -- the pure rules, as properties --------------------------------------------------------------

failures = st.integers(min_value=0, max_value=10_000)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.just(UTC))


@given(failures)
def test_the_wait_is_nothing_then_a_minute_doubling_up_to_an_hour(n: int) -> None:
    wait = lockout_wait(n)
    if n < LOCK_AFTER:
        assert wait == timedelta(0)
    elif n == LOCK_AFTER:
        assert wait == FIRST_WAIT
    else:
        assert wait == min(lockout_wait(n - 1) * 2, LONGEST_WAIT)
    assert timedelta(0) <= wait <= LONGEST_WAIT and lockout_wait(n + 1) >= wait


@given(failures, moments, st.integers(min_value=-10_000, max_value=10_000))
def test_the_time_left_counts_down_from_the_last_failure(n: int, last: datetime,
                                                         seconds: int) -> None:
    now = last + timedelta(seconds=seconds)
    left = locked_for(n, last, now)
    wait = int(lockout_wait(n).total_seconds())
    assert left == max(0, wait - seconds)
    assert locked_for(n, last, now + timedelta(microseconds=1)) == max(0, wait - seconds)
    assert locked_for(n, None, now) == 0


@given(st.integers(min_value=0, max_value=LONGEST_WAIT.seconds))
def test_a_wait_reads_as_seconds_then_minutes(seconds: int) -> None:
    words = wait_words(seconds)
    number, unit = words.split()
    assert unit in ("second", "seconds", "minutes") and int(number) >= 0
    assert (int(number) * (60 if unit == "minutes" else 1)) >= seconds


@given(st.text(min_size=PASSWORD_MIN, max_size=200).filter(str.isprintable),
       st.text(max_size=30))
def test_a_long_enough_printable_password_is_accepted_unless_it_is_the_name(
        password: str, username: str) -> None:
    if password.strip().lower() == username.strip().lower():
        with pytest.raises(ValueError, match="^password: must not be the user name$"):
            check_password(password, username)
    else:
        check_password(password, username)


@given(st.text(max_size=PASSWORD_MIN - 1), st.text(max_size=30))
def test_a_short_password_is_refused_without_repeating_it(password: str, username: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_password(password, username)
    assert str(refused.value) == f"password: must be at least {PASSWORD_MIN} characters"


@given(st.text(max_size=80))
def test_user_names_are_stored_in_one_form_and_typed_names_are_always_recordable(
        text: str) -> None:
    typed = typed_username(text)
    SignIn(username=typed, at=T0, outcome=SignInOutcome.UNKNOWN_USER)  # never refused
    try:
        name = normalise_username(text)
    except ValueError as exc:
        assert str(exc).startswith("user name: ")
        return
    assert name == normalise_username(name) == typed == name.lower()
    assert Account(username=name, role=AccountRole.ADMINISTRATOR).username == name
