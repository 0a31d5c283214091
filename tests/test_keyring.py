"""A store's keyring: its key wrapped per account, the lockout it keeps before the store
can be read, and the refused attempts it keeps for the store's record.

Real files throughout: the keyring is written beside a store path in the test's folder and
read back as JSON where its form matters.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from careplan.models.accounts import WRONG, SignInOutcome, refusal
from careplan.store import accounts, keyring

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PASSWORD = "keyring-pass-1"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "team.db"


@pytest.fixture
def key(store_path: Path) -> bytes:
    key = keyring.new_key()
    keyring.create(store_path, key, "store-1", [("admin", PASSWORD), ("sam.okafor", PASSWORD)])
    return key


def test_the_key_unwraps_with_each_accounts_password_and_nothing_else(
        store_path: Path, key: bytes) -> None:
    assert len(key) == 32 and key != keyring.new_key()
    assert keyring.unlock(store_path, "admin", PASSWORD, T0) == key
    assert keyring.unlock(store_path, " Sam.Okafor ", PASSWORD, T0) == key  # as typed
    for user, password in (("admin", "wrong-pass-99"), ("nobody", PASSWORD)):
        with pytest.raises(keyring.UnlockRefused) as refused:
            keyring.unlock(store_path, user, password, T0)
        assert str(refused.value) == WRONG  # an unknown user reads as a wrong password


def test_the_keyring_is_its_owners_only_and_holds_no_key_user_name_or_password(
        store_path: Path, key: bytes) -> None:
    file = keyring.path_of(store_path)
    assert file.name == "team.db.keys"
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    raw = file.read_bytes()
    for secret in (key, key.hex().encode(), PASSWORD.encode(), b"sam.okafor", b"admin"):
        assert secret not in raw
    data = json.loads(raw)
    assert data["format"] == "careplan keyring" and data["store_id"] == "store-1"
    assert len(data["entries"]) == 2


def test_an_entry_moved_to_another_user_name_opens_nothing(store_path: Path,
                                                           key: bytes) -> None:
    ring = keyring.load(store_path)
    admin = ring.entries[ring.entry_id("admin")]
    ring.entries[ring.entry_id("sam.okafor")] = admin
    keyring.save(store_path, ring)
    with pytest.raises(keyring.UnlockRefused):
        keyring.unlock(store_path, "sam.okafor", PASSWORD, T0)
    assert keyring.unlock(store_path, "admin", PASSWORD, T0) == key


def test_five_failures_lock_the_user_name_as_the_sign_in_does(store_path: Path,
                                                              key: bytes) -> None:
    at = T0
    for _ in range(5):
        with pytest.raises(keyring.UnlockRefused) as refused:
            keyring.unlock(store_path, "admin", "wrong-pass-99", at)
        assert refused.value.outcome is SignInOutcome.WRONG_PASSWORD
        at += timedelta(seconds=1)
    with pytest.raises(keyring.UnlockRefused) as refused:  # even the right password waits
        keyring.unlock(store_path, "admin", PASSWORD, at)
    assert refused.value.outcome is SignInOutcome.LOCKED
    assert str(refused.value) == refusal(SignInOutcome.LOCKED, refused.value.wait_seconds)
    assert 55 <= refused.value.wait_seconds <= 60
    # Another account is not locked; after the wait the right password opens, and the
    # count starts again.
    assert keyring.unlock(store_path, "sam.okafor", PASSWORD, at) == key
    later = at + timedelta(seconds=61)
    assert keyring.unlock(store_path, "admin", PASSWORD, later) == key
    assert keyring.load(store_path).failures == {}


def test_unknown_user_names_are_counted_and_locked_the_same_way(store_path: Path,
                                                                key: bytes) -> None:
    for n in range(6):
        with pytest.raises(keyring.UnlockRefused) as refused:
            keyring.unlock(store_path, "mallory", PASSWORD, T0 + timedelta(seconds=n))
    assert refused.value.outcome is SignInOutcome.LOCKED
    assert b"mallory" not in keyring.path_of(store_path).read_bytes().split(b'"attempts"')[0]


def test_refused_attempts_wait_in_the_keyring_for_the_stores_record(store_path: Path,
                                                                     key: bytes) -> None:
    with pytest.raises(keyring.UnlockRefused):
        keyring.unlock(store_path, "admin", "wrong-pass-99", T0)
    with pytest.raises(keyring.UnlockRefused):
        keyring.unlock(store_path, "Mallory", PASSWORD, T0)
    taken = keyring.take_attempts(store_path)
    assert [(a["username"], a["outcome"]) for a in taken] == [
        ("admin", "wrong password"), ("mallory", "unknown user")]
    assert keyring.take_attempts(store_path) == []
    keyring.put_back_attempts(store_path, taken)
    assert len(keyring.load(store_path).attempts) == 2


def test_a_new_password_wraps_the_same_key_and_the_old_one_opens_nothing(
        store_path: Path, key: bytes) -> None:
    with keyring.changing(store_path) as ring:
        keyring.wrap_with_password(ring, key, "admin", "a-new-password-2")
    assert keyring.unlock(store_path, "admin", "a-new-password-2", T0) == key
    with pytest.raises(keyring.UnlockRefused):
        keyring.unlock(store_path, "admin", PASSWORD, T0)


def test_a_provisional_entry_from_a_password_hash_is_wrapped_anew_at_first_use(
        store_path: Path, key: bytes) -> None:
    """careplan encrypt wraps the key for accounts whose password nobody typed with their
    argon2id hash; their own password opens it, and it is then wrapped under a fresh
    salt, so the old hash opens nothing any more."""
    password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(
        "carls-own-pass-3")
    with keyring.changing(store_path) as ring:
        assert keyring.wrap_with_hash(ring, key, "carl.hughes", password_hash)
        assert not keyring.wrap_with_hash(ring, key, "bad", "$pbkdf2$not-argon")
    entry = keyring.load(store_path).entries[ring.entry_id("carl.hughes")]
    assert entry.provisional
    assert keyring.unlock(store_path, "carl.hughes", "carls-own-pass-3", T0) == key
    fresh = keyring.load(store_path).entries[ring.entry_id("carl.hughes")]
    assert not fresh.provisional and fresh.salt != entry.salt
    assert keyring.unlock(store_path, "carl.hughes", "carls-own-pass-3", T0) == key


def test_a_missing_or_damaged_keyring_is_one_sentence(store_path: Path, key: bytes) -> None:
    file = keyring.path_of(store_path)
    file.write_text("{ not json", encoding="utf-8")
    with pytest.raises(keyring.KeyringError, match="is damaged"):
        keyring.unlock(store_path, "admin", PASSWORD, T0)
    file.unlink()
    with pytest.raises(keyring.KeyringError, match="has no keyring"):
        keyring.unlock(store_path, "admin", PASSWORD, T0)


def test_a_new_keyring_never_replaces_one(store_path: Path, key: bytes) -> None:
    before = keyring.path_of(store_path).read_bytes()
    with pytest.raises(keyring.KeyringError, match="exists already"):
        keyring.create(store_path, keyring.new_key(), "other", [("admin", PASSWORD)])
    assert keyring.path_of(store_path).read_bytes() == before


def test_the_derivation_follows_the_sign_ins_hasher() -> None:
    kdf = keyring.Kdf.current()
    assert (kdf.time_cost, kdf.memory_cost, kdf.parallelism) == (
        accounts.HASHER.time_cost, accounts.HASHER.memory_cost, accounts.HASHER.parallelism)
