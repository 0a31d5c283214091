"""Change packs: a store's events for one other store, signed by the sender and sealed for
the recipient, carried offline (a memory stick, secure e-mail).

A pack is::

    MAGIC  len(header) header  ciphertext  signature

- ``header`` (JSON) names the format, the sending and receiving stores, when it was made,
  the sender's version vector, how many events it holds, and the sealing parameters.
- ``ciphertext`` is the events (JSON, compressed), encrypted with ChaCha20-Poly1305 under
  a key only the recipient can derive: X25519 between a one-off key of the sender's and
  the recipient's published key, through HKDF-SHA256. The header is its associated
  data, so it cannot be changed either.
- ``signature`` is the sending store's Ed25519 signature over everything before it.

A store reads packs only from stores it trusts (``careplan share trust``): their
identities (store id, name, both public keys) travel as one line of text, exchanged once
when a laptop joins the team. Anything else (a tampered, truncated, foreign or
misaddressed pack, or one from another deployment) is refused in one sentence before
any event is looked at.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from careplan.store import audit
from careplan.store.db import Store, utc_now
from careplan.store.errors import InputError, StoreError

MAGIC = b"CAREPLAN-PACK\n"
FORMAT = 1
#: A pack's events, uncompressed, may not exceed this (a compression bomb is refused).
MAX_PLAIN_BYTES = 2 * 1024 * 1024 * 1024
_MAX_HEADER = 1024 * 1024
_SIGNATURE = 64
IDENTITY_PREFIX = "careplan-store-v1"
_INFO = b"careplan change pack v1"


class PackError(StoreError):
    """A pack that cannot be read: the sentence says why; nothing was changed."""


@dataclass(frozen=True, slots=True)
class StoreIdentity:
    """What other stores need to know of a store: who it is and its public keys."""

    store_id: str
    name: str
    sign_public: bytes
    box_public: bytes

    def line(self) -> str:
        """The identity as one line, to be passed to ``careplan share trust``."""
        parts = [IDENTITY_PREFIX, self.store_id, _b64(self.name.encode()),
                 _b64(self.sign_public), _b64(self.box_public)]
        return ":".join(parts)

    @staticmethod
    def parse(line: str) -> StoreIdentity:
        """Raises InputError naming what is wrong with the line."""
        parts = line.strip().split(":")
        if len(parts) != 5 or parts[0] != IDENTITY_PREFIX:
            raise InputError("store identity: not a CarePlan store identity line (it "
                             f"starts with {IDENTITY_PREFIX}: and has five parts)")
        try:
            name = _unb64(parts[2]).decode()
            sign, box = _unb64(parts[3]), _unb64(parts[4])
        except (ValueError, UnicodeDecodeError):
            raise InputError("store identity: the line is damaged") from None
        if len(sign) != 32 or len(box) != 32:
            raise InputError("store identity: the line's keys are damaged")
        return StoreIdentity(parts[1], name, sign, box)


@dataclass(frozen=True, slots=True)
class Pack:
    """A pack that was read, verified and opened."""

    sender: str
    recipient: str
    created_at: str
    sender_vector: dict[str, int]
    events: list[dict[str, Any]]


# -- this store's keys and the stores it trusts -----------------------------------------


def _keys(store: Store) -> tuple[Ed25519PrivateKey, X25519PrivateKey]:
    """The store's signing and sealing keys, made on first use."""
    sign_raw, box_raw = store.meta("sign_private"), store.meta("box_private")
    if sign_raw is None or box_raw is None:
        sign_raw = _b64(Ed25519PrivateKey.generate().private_bytes_raw())
        box_raw = _b64(X25519PrivateKey.generate().private_bytes_raw())
        with store.atomic() as conn:  # both or neither; another process may race us
            for key, value in (("sign_private", sign_raw), ("box_private", box_raw)):
                conn.execute("INSERT OR IGNORE INTO store_meta(key, value) VALUES (?, ?)",
                             (key, value))
        sign_raw, box_raw = store.meta("sign_private"), store.meta("box_private")
    assert sign_raw is not None and box_raw is not None
    return (Ed25519PrivateKey.from_private_bytes(_unb64(sign_raw)),
            X25519PrivateKey.from_private_bytes(_unb64(box_raw)))


def identity(store: Store, name: str = "") -> StoreIdentity:
    """This store's identity, to give to the stores it shares with."""
    sign, box = _keys(store)
    return StoreIdentity(store.store_id, name or store.meta("name") or "",
                         _raw_public(sign.public_key()), _raw_public(box.public_key()))


def trust(store: Store, line: str, actor: str) -> StoreIdentity:
    """Trust another store: read its packs, and seal packs for it (an audited write).

    Raises:
        InputError: the line is not an identity, or is this store's own.
    """
    other = StoreIdentity.parse(line)
    if other.store_id == store.store_id:
        raise InputError("store identity: that is this store's own identity")
    row = {"store_id": other.store_id, "name": other.name,
           "sign_public": _b64(other.sign_public), "box_public": _b64(other.box_public)}
    with store.atomic() as conn:
        current = conn.execute("SELECT name, sign_public, box_public, version FROM "
                               "trusted_stores WHERE store_id = ?", (other.store_id,)).fetchone()
        if current is not None and (current[1], current[2]) == (row["sign_public"],
                                                              row["box_public"]):
            return other
        version = 1 if current is None else int(current[3]) + 1
        before = None if current is None else {
            "store_id": other.store_id, "name": current[0], "sign_public": current[1],
            "box_public": current[2], "version": version - 1}
        conn.execute("INSERT INTO trusted_stores (store_id, name, sign_public, box_public, "
                     "version, trusted_at, trusted_by) VALUES (?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT(store_id) DO UPDATE SET name = excluded.name, "
                     "sign_public = excluded.sign_public, box_public = excluded.box_public, "
                     "version = excluded.version, trusted_at = excluded.trusted_at, "
                     "trusted_by = excluded.trusted_by",
                     (*row.values(), version, utc_now().isoformat(), actor))
        audit.record(store, "trusted_stores", other.store_id, before,
                     {**row, "version": version}, actor, store.clock())
    return other


def trusted(store: Store, store_id: str) -> StoreIdentity | None:
    row = store.conn.execute("SELECT name, sign_public, box_public FROM trusted_stores "
                             "WHERE store_id = ?", (store_id,)).fetchone()
    if row is None:
        return None
    return StoreIdentity(store_id, str(row[0]), _unb64(row[1]), _unb64(row[2]))


# -- writing and reading packs -------------------------------------------------------------


def write_pack(store: Store, recipient_id: str, events: list[dict[str, Any]],
               sender_vector: dict[str, int], out: Path) -> int:
    """Seal ``events`` for the trusted store ``recipient_id`` into the file ``out``
    (written whole, then renamed into place); return its size in bytes.

    Raises:
        InputError: the recipient is not a store this one trusts.
    """
    recipient = trusted(store, recipient_id)
    if recipient is None:
        raise InputError(f"--for: {recipient_id} is not a store this one shares with; add "
                         "its identity first with careplan share trust")
    sign_key, _ = _keys(store)
    ephemeral = X25519PrivateKey.generate()
    nonce = os.urandom(12)
    header = {"format": FORMAT, "sender": store.store_id, "recipient": recipient_id,
              "created_at": utc_now().isoformat(), "count": len(events),
              "sender_vector": sender_vector, "nonce": _b64(nonce),
              "ephemeral": _b64(_raw_public(ephemeral.public_key()))}
    header_bytes = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    key = _pack_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.box_public)),
                    store.store_id, recipient_id)
    plain = zlib.compress(json.dumps(events, separators=(",", ":")).encode(), 6)
    body = (MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes
            + ChaCha20Poly1305(key).encrypt(nonce, plain, header_bytes))
    data = body + sign_key.sign(body)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return len(data)


def _header(data: bytes) -> tuple[dict[str, Any], bytes, int]:
    """A pack's header (checked for shape, not yet for its signature), its bytes, and
    where the ciphertext starts.

    Raises:
        PackError: not a pack, truncated, or its header is damaged or of another format.
    """
    if not data.startswith(MAGIC):
        raise PackError("This file is not a CarePlan change pack.")
    if len(data) < len(MAGIC) + 4 + _SIGNATURE:
        raise PackError("The change pack is truncated (it ends too soon).")
    (size,) = struct.unpack(">I", data[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4
    if size > _MAX_HEADER or start + size + _SIGNATURE > len(data):
        raise PackError("The change pack is truncated or damaged (its header does not fit).")
    header_bytes = data[start:start + size]
    try:
        header = json.loads(header_bytes)
        header["sender"], header["recipient"] = str(header["sender"]), str(header["recipient"])
        _unb64(header["nonce"]), _unb64(header["ephemeral"])
        header["sender_vector"] = {str(k): int(v)
                                   for k, v in dict(header["sender_vector"]).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PackError("The change pack is damaged (its header cannot be read).") from None
    if header.get("format") != FORMAT:
        raise PackError(f"The change pack is in format {header.get('format')}; this "
                        f"CarePlan reads format {FORMAT}.")
    return header, header_bytes, start + size


def _verify(data: bytes, sign_public: bytes) -> None:
    body, signature = data[:-_SIGNATURE], data[-_SIGNATURE:]
    try:
        Ed25519PublicKey.from_public_bytes(sign_public).verify(signature, body)
    except InvalidSignature:
        raise PackError("The change pack was changed after it was made, or is damaged "
                        "(its signature does not match); nothing was imported.") from None


def read_pack(store: Store, data: bytes) -> Pack:
    """Verify and open a pack's bytes addressed to this store.

    Raises:
        PackError: one sentence: not a pack, truncated, from a store this one does not
            trust, for another store, tampered with, or damaged.
    """
    header, header_bytes, sealed = _header(data)
    sender, recipient = header["sender"], header["recipient"]
    nonce, ephemeral = _unb64(header["nonce"]), _unb64(header["ephemeral"])
    vector = header["sender_vector"]
    if recipient != store.store_id:
        raise PackError(f"The change pack was made for store {recipient}, not this one "
                        f"({store.store_id}).")
    if sender == store.store_id:
        raise PackError("The change pack was made by this store itself; nothing to import.")
    known = trusted(store, sender)
    if known is None:
        raise PackError(f"The change pack comes from store {sender}, which this store does "
                        "not share with (another team, or not yet trusted); nothing was "
                        "imported.")
    _verify(data, known.sign_public)
    body = data[:-_SIGNATURE]
    box_raw = store.meta("box_private")
    if box_raw is None:
        raise PackError("This store has never given out its identity, so no pack can be "
                        "sealed for it (another copy of this store?); nothing was imported.")
    box = X25519PrivateKey.from_private_bytes(_unb64(box_raw))
    try:
        key = _pack_key(box.exchange(X25519PublicKey.from_public_bytes(ephemeral)),
                        sender, recipient)
        plain = ChaCha20Poly1305(key).decrypt(nonce, body[sealed:], header_bytes)
        events = _inflate(plain)
    except (InvalidTag, ValueError, zlib.error):
        raise PackError("The change pack cannot be opened with this store's key "
                        "(sealed for another copy of this store?); nothing was "
                        "imported.") from None
    if not isinstance(events, list) or len(events) != header.get("count"):
        raise PackError("The change pack is damaged (its events do not match its header).")
    return Pack(sender, recipient, str(header.get("created_at", "")), vector, events)


@dataclass(frozen=True, slots=True)
class PackHeader:
    """What a pack says of itself, outside its sealed events."""

    sender: str
    recipient: str
    created_at: str
    sender_vector: dict[str, int]
    count: int


def read_header(store: Store, data: bytes) -> PackHeader:
    """The header of a pack this store made, or of one made for it by a store it trusts,
    its signature checked (its events stay sealed: this store cannot open a pack it made
    for another).

    Raises:
        PackError: not a pack, damaged or changed, neither made by this store nor for
            it, or from a store it does not trust.
    """
    header, _, _ = _header(data)
    sender, recipient = header["sender"], header["recipient"]
    if sender == store.store_id:
        sign, _ = _keys(store)
        _verify(data, _raw_public(sign.public_key()))
    elif recipient == store.store_id:
        known = trusted(store, sender)
        if known is None:
            raise PackError(f"The change pack comes from store {sender}, which this store "
                            "does not share with.")
        _verify(data, known.sign_public)
    else:
        raise PackError(f"The change pack was made by store {sender} for store "
                        f"{recipient}: neither is this one ({store.store_id}).")
    count = header.get("count")
    return PackHeader(sender, recipient, str(header.get("created_at", "")),
                      header["sender_vector"], count if isinstance(count, int) else 0)


def _inflate(plain: bytes) -> Any:
    decompressor = zlib.decompressobj()
    out = decompressor.decompress(plain, MAX_PLAIN_BYTES)
    if decompressor.unconsumed_tail:
        raise ValueError("too large")
    return json.loads(out)


def _pack_key(shared: bytes, sender: str, recipient: str) -> bytes:
    info = _INFO + b"|" + sender.encode() + b"|" + recipient.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _raw_public(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def made_at(pack: Pack) -> datetime | None:
    try:
        return datetime.fromisoformat(pack.created_at)
    except ValueError:
        return None


__all__ = ["MAGIC", "Pack", "PackError", "PackHeader", "StoreIdentity", "identity",
           "read_header", "read_pack", "trust", "trusted", "write_pack"]
