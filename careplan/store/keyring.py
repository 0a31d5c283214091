"""A store's keyring: its random 256-bit key, wrapped once per account.

An encrypted store (SQLCipher 4, careplan.store.sqlite) is opened with a random key made
when the store is. The key is never kept as it is: the keyring, a small JSON file beside
the store (``NAME.db.keys``, mode 0600), holds it wrapped once per account, with AES-256-GCM
under a key derived from that account's password by argon2id. Signing in unwraps it
(:func:`unlock`), and only then is the store opened. Changing a password wraps the same
key again for that account; adding an account wraps it for the new one (an
administrator, who holds the key, does it); nothing re-encrypts the store.

The accounts themselves live in the store, which cannot be read before the key is
unwrapped; so the keyring also keeps what must be known before that:

- ``failures``: consecutive failed unwraps per user name, counted by the sign-in's own
  lockout schedule (careplan.models.accounts.locked_for: 5 tries, then 60 s, doubling);
  an unknown user name counts the same, and reads the same, as a wrong password.
- ``attempts``: the refused attempts not yet written to the store's sign-in record; the
  next sign-in that opens the store records them there with their audit events
  (careplan.store.accounts.record_pending).
- ``demo``: for the demo store only, its published user names and password.

User names are not kept in the clear in ``entries`` and ``failures``: each is found by a
digest of the name with the keyring's own salt. Refused attempts name the user name as
typed, as the store's record of them will.

An entry made by ``careplan encrypt`` for an account whose password nobody typed is
*provisional*: its wrapping key is the account's existing argon2id password hash (the
same derivation, with that hash's salt and parameters). At that account's next sign-in it
is wrapped again under a fresh salt, so that the hash, which an old plain backup holds,
opens nothing any more.

Writes are serialised between processes (an advisory lock on the store's folder) and made
whole (a temporary file renamed over the keyring), so a crash leaves the old keyring or
the new one, never half of one.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2 import Type, extract_parameters, low_level
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from careplan.models.accounts import SignInOutcome, locked_for, typed_username
from careplan.store import secure
from careplan.store.errors import StoreError
from careplan.store.sqlite import KEY_BYTES

SUFFIX = ".keys"
FORMAT = "careplan keyring"
VERSION = 1
#: Refused attempts kept for the store's record; older ones beyond this are dropped.
MAX_ATTEMPTS = 500
_SALT_BYTES = 16
_NONCE_BYTES = 12


class KeyringError(StoreError):
    """The keyring is missing, unreadable or damaged, or does not fit its store."""


class UnlockRefused(StoreError):
    """A wrong password or user name, or a locked user name: the one sentence to show
    (careplan.models.accounts.refusal)."""

    def __init__(self, outcome: SignInOutcome, wait_seconds: int = 0) -> None:
        from careplan.models.accounts import refusal

        super().__init__(refusal(outcome, wait_seconds))
        self.outcome = outcome
        self.wait_seconds = wait_seconds


@dataclass(frozen=True, slots=True)
class Kdf:
    """argon2id's parameters for one wrapping key."""

    time_cost: int
    memory_cost: int
    parallelism: int

    @staticmethod
    def current() -> Kdf:
        """The sign-in's own: the password hasher's parameters (careplan.store.accounts)."""
        from careplan.store import accounts

        h = accounts.HASHER
        return Kdf(h.time_cost, h.memory_cost, h.parallelism)

    def derive(self, password: str, salt: bytes, length: int = KEY_BYTES) -> bytes:
        return low_level.hash_secret_raw(
            password.encode("utf-8", "surrogatepass"), salt, time_cost=self.time_cost,
            memory_cost=self.memory_cost, parallelism=self.parallelism, hash_len=length,
            type=Type.ID)


@dataclass(slots=True)
class Entry:
    """The store key wrapped for one account."""

    kdf: Kdf
    salt: bytes
    nonce: bytes
    wrapped: bytes
    #: Made by ``careplan encrypt`` from the account's password hash (see the module).
    provisional: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kdf": {"name": "argon2id", "time_cost": self.kdf.time_cost,
                    "memory_cost": self.kdf.memory_cost, "parallelism": self.kdf.parallelism},
            "salt": _b64(self.salt), "nonce": _b64(self.nonce), "wrapped": _b64(self.wrapped),
        }
        if self.provisional:
            out["provisional"] = True
        return out

    @staticmethod
    def from_json(data: dict[str, Any]) -> Entry:
        kdf = data["kdf"]
        if kdf.get("name") != "argon2id":
            raise ValueError("unknown key derivation")
        return Entry(Kdf(int(kdf["time_cost"]), int(kdf["memory_cost"]),
                         int(kdf["parallelism"])),
                     _unb64(data["salt"]), _unb64(data["nonce"]), _unb64(data["wrapped"]),
                     bool(data.get("provisional", False)))


@dataclass(slots=True)
class Keyring:
    """A keyring as read from its file."""

    store_id: str
    salt: bytes
    entries: dict[str, Entry] = field(default_factory=dict)
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    attempts: list[dict[str, str]] = field(default_factory=list)
    demo: dict[str, Any] | None = None

    def entry_id(self, username: str) -> str:
        """The digest a user name is kept under (see the module)."""
        digest = hashlib.sha256(self.salt + b"\0" + typed_username(username).encode())
        return digest.hexdigest()[:32]

    def has(self, username: str) -> bool:
        return self.entry_id(username) in self.entries

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "cipher": "SQLCipher 4, raw 256-bit key",
            "store_id": self.store_id, "salt": _b64(self.salt),
            "entries": {k: e.to_json() for k, e in sorted(self.entries.items())},
            "failures": {k: {"count": n, "last": at}
                         for k, (n, at) in sorted(self.failures.items())},
            "attempts": self.attempts[-MAX_ATTEMPTS:],
        }
        if self.demo is not None:
            out["demo"] = self.demo
        return out


# -- where ------------------------------------------------------------------------------


def path_of(store_path: str | Path) -> Path:
    """The keyring of the store at ``store_path``: ``NAME.db.keys`` beside it."""
    store = Path(store_path)
    return store.with_name(store.name + SUFFIX)


def exists(store_path: str | Path) -> bool:
    return path_of(store_path).is_file()


# -- the key ------------------------------------------------------------------------------


def new_key() -> bytes:
    """A new store key: 256 random bits."""
    return secrets.token_bytes(KEY_BYTES)


def _aad(entry_id: str) -> bytes:
    # Binds a wrapped key to its user name: an entry copied to another name opens nothing.
    return f"{FORMAT} {VERSION}\0{entry_id}".encode()


def _wrap(key: bytes, wrapping: bytes, entry_id: str, kdf: Kdf, salt: bytes, *,
          provisional: bool = False) -> Entry:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return Entry(kdf, salt, nonce, AESGCM(wrapping).encrypt(nonce, key, _aad(entry_id)),
                 provisional)


def _unwrap(entry: Entry, wrapping: bytes, entry_id: str) -> bytes | None:
    try:
        key = AESGCM(wrapping).decrypt(entry.nonce, entry.wrapped, _aad(entry_id))
    except (InvalidTag, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None


def wrap_with_password(ring: Keyring, key: bytes, username: str, password: str) -> None:
    """Wrap ``key`` for ``username`` under ``password`` (a fresh salt), replacing any
    entry it had; its failure count ends."""
    kdf, salt = Kdf.current(), secrets.token_bytes(_SALT_BYTES)
    entry_id = ring.entry_id(username)
    ring.entries[entry_id] = _wrap(key, kdf.derive(password, salt), entry_id, kdf, salt)
    ring.failures.pop(entry_id, None)


def wrap_many(ring: Keyring, key: bytes, usernames: Sequence[str], password: str) -> None:
    """Wrap ``key`` for many accounts that share one password (the demo's published
    one): one derivation, one salt, a nonce each."""
    kdf, salt = Kdf.current(), secrets.token_bytes(_SALT_BYTES)
    wrapping = kdf.derive(password, salt)
    for username in usernames:
        entry_id = ring.entry_id(username)
        ring.entries[entry_id] = _wrap(key, wrapping, entry_id, kdf, salt)


def wrap_with_hash(ring: Keyring, key: bytes, username: str, password_hash: str) -> bool:
    """A provisional entry for an account whose password nobody typed: its wrapping key
    is the account's argon2id hash (see the module). False when the hash is not one."""
    try:
        params = extract_parameters(password_hash)
        parts = password_hash.split("$")
        salt, raw = _unb64(parts[-2]), _unb64(parts[-1])
    except Exception:  # noqa: BLE001 - anything unparsable is "not one"
        return False
    if params.type is not Type.ID or len(raw) != KEY_BYTES:
        return False
    kdf = Kdf(params.time_cost, params.memory_cost, params.parallelism)
    entry_id = ring.entry_id(username)
    ring.entries[entry_id] = _wrap(key, raw, entry_id, kdf, salt, provisional=True)
    return True


def remove_entry(ring: Keyring, username: str) -> None:
    ring.entries.pop(ring.entry_id(username), None)


# -- reading and writing ------------------------------------------------------------------


def load(store_path: str | Path) -> Keyring:
    """The keyring of the store at ``store_path``.

    Raises:
        KeyringError: there is none, or it cannot be read or is damaged.
    """
    file = path_of(store_path)
    try:
        data = json.loads(file.read_bytes())
    except FileNotFoundError:
        raise KeyringError(f"{store_path} has no keyring ({file.name} is missing beside it), "
                           "so it cannot be unlocked; restore the keyring from a backup "
                           "(each backup has its own beside it).") from None
    except OSError as exc:
        raise KeyringError(f"The keyring {file} cannot be read "
                           f"({(exc.strerror or str(exc)).lower()}).") from None
    except ValueError:
        raise KeyringError(f"The keyring {file} is damaged (it is not a keyring's JSON); "
                           "restore it from a backup.") from None
    try:
        if data.get("format") != FORMAT or int(data.get("version", 0)) != VERSION:
            raise ValueError("not a keyring of this version")
        return Keyring(
            store_id=str(data["store_id"]), salt=_unb64(data["salt"]),
            entries={str(k): Entry.from_json(v) for k, v in data["entries"].items()},
            failures={str(k): (int(v["count"]), str(v["last"]))
                      for k, v in data.get("failures", {}).items()},
            attempts=[{str(a): str(b) for a, b in item.items()}
                      for item in data.get("attempts", [])],
            demo=data.get("demo"))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise KeyringError(f"The keyring {file} is damaged (it is not a CarePlan keyring of "
                           "this version); restore it from a backup.") from None


def save(store_path: str | Path, ring: Keyring, *, new: bool = False) -> None:
    """Write the keyring whole (mode 0600): a temporary file renamed over the old one;
    ``new``: only if there is none yet.

    Raises:
        KeyringError: it could not be written (or, with ``new``, one exists).
    """
    file = path_of(store_path)
    text = json.dumps(ring.to_json(), indent=1, sort_keys=True).encode() + b"\n"
    try:
        secure.write_file_whole(file, text, replace=not new)
    except FileExistsError:
        raise KeyringError(f"{file} exists already; a new store's keyring never replaces "
                           "one.") from None
    except OSError as exc:
        raise KeyringError(f"The keyring {file} could not be written "
                           f"({(exc.strerror or str(exc)).lower()}).") from exc


@contextlib.contextmanager
def changing(store_path: str | Path) -> Iterator[Keyring]:
    """Read, change and write the keyring under the folder's lock (one process at a time).

    Raises:
        KeyringError: there is none, or it cannot be read or written.
    """
    with _locked(Path(store_path).resolve().parent):
        ring = load(store_path)
        yield ring
        save(store_path, ring)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # cannot even read the folder: saving will say so
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def create(store_path: str | Path, key: bytes, store_id: str,
           wrap: Sequence[tuple[str, str]] = (), *, demo: dict[str, Any] | None = None
           ) -> Keyring:
    """A new store's keyring, with ``key`` wrapped for each (user name, password).

    Raises:
        KeyringError: a keyring exists there already, or it could not be written.
    """
    ring = Keyring(store_id=store_id, salt=secrets.token_bytes(_SALT_BYTES), demo=demo)
    for username, password in wrap:
        wrap_with_password(ring, key, username, password)
    save(store_path, ring, new=True)
    return ring


# -- signing in ---------------------------------------------------------------------------


def unlock(store_path: str | Path, username: str, password: str, now: datetime) -> bytes:
    """The store key, unwrapped with ``username``'s password.

    A locked user name is refused before anything is derived. A refusal is counted
    towards the lockout and kept for the store's record of sign-ins. A provisional
    entry is wrapped again under a fresh salt.

    Raises:
        UnlockRefused: a wrong password or user name (the same sentence), or locked.
        KeyringError: the keyring is missing or damaged.
    """
    ring = load(store_path)
    entry_id = ring.entry_id(username)
    count, last = ring.failures.get(entry_id, (0, ""))
    wait = locked_for(count, datetime.fromisoformat(last) if last else None, now)
    if wait:
        _refused(store_path, username, now, SignInOutcome.LOCKED, count=False)
        raise UnlockRefused(SignInOutcome.LOCKED, wait)
    entry = ring.entries.get(entry_id)
    if entry is None:
        Kdf.current().derive(password, b"careplan-no-such-account")  # as long as a real one
        _refused(store_path, username, now, SignInOutcome.UNKNOWN_USER)
        raise UnlockRefused(SignInOutcome.UNKNOWN_USER)
    wrapping = entry.kdf.derive(password, entry.salt, KEY_BYTES)
    key = _unwrap(entry, wrapping, entry_id)
    if key is None:
        _refused(store_path, username, now, SignInOutcome.WRONG_PASSWORD)
        raise UnlockRefused(SignInOutcome.WRONG_PASSWORD)
    if entry.provisional or count:
        with contextlib.suppress(KeyringError), changing(store_path) as fresh:
            if entry.provisional:
                wrap_with_password(fresh, key, username, password)
            fresh.failures.pop(entry_id, None)
    return key


def _refused(store_path: str | Path, username: str, now: datetime,
             outcome: SignInOutcome, *, count: bool = True) -> None:
    """Count a refusal and keep it for the store's record (best effort: a keyring that
    cannot be written still refuses)."""
    with contextlib.suppress(KeyringError), changing(store_path) as ring:
        entry_id = ring.entry_id(username)
        if count:
            n, _ = ring.failures.get(entry_id, (0, ""))
            ring.failures[entry_id] = (n + 1, now.isoformat())
        ring.attempts.append({"username": typed_username(username), "at": now.isoformat(),
                              "outcome": outcome.value})


def take_attempts(store_path: str | Path) -> list[dict[str, str]]:
    """The refused attempts kept for the store's record, removed from the keyring (the
    caller records them in the store)."""
    with changing(store_path) as ring:
        taken, ring.attempts = ring.attempts, []
    return taken


def put_back_attempts(store_path: str | Path, attempts: list[dict[str, str]]) -> None:
    """Attempts taken but not recorded (the store refused the write): kept again."""
    with contextlib.suppress(KeyringError), changing(store_path) as ring:
        ring.attempts[:0] = attempts


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    # argon2's PHC strings leave out the padding.
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=False)


__all__ = ["SUFFIX", "Entry", "Kdf", "Keyring", "KeyringError", "UnlockRefused", "create",
           "exists", "load", "new_key", "path_of", "put_back_attempts", "remove_entry",
           "save", "take_attempts", "unlock", "wrap_many", "wrap_with_hash",
           "wrap_with_password"]
