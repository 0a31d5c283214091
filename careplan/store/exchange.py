"""Change packs between stores: what a pack carries, what each store is known to have
seen, and importing one, all or nothing.

A pack for store B carries every event this store holds that B has not seen
(careplan.store.replication.events_for). What B has seen is known from B itself: every
pack B sends says what B had seen when it was made (its sender's vector); the newest
knowledge per trusted store is kept in ``share_peers``, merged with what was known
before (packs may arrive out of order or twice). A pack made earlier says as much of
what went into it (``since``: a pack this store made for B, which B has read, or one B
made for this store). Knowing nothing, a pack carries everything. A pack sent twice, or
carrying what B had already, costs B nothing: what it holds is skipped.

Relaying is the same: a pack carries the events of every store this one holds, so B's
pack for C carries A's events too, and C applies each once whichever way it came.

Consent: a pack carries only what its recipient may see. :func:`shareable` is the
hook deciding it per event and recipient agency: an event about a person goes whole
only to a store of an agency with a sharing basis for them (careplan.store.visibility).
An event the recipient may not see travels as
a stub (:func:`stub`): its place in its store's sequence and nothing of what it says,
so the recipient's copy of that sequence stays whole and later events apply; the
recipient keeps the stub as a withheld event and relays it as such. The sender
remembers what it sent each store as stubs (``share_withheld``); a later pack for that
store carries whole those its agency may see by then, and the recipient fills its stubs
in with them (careplan.store.replication.apply_events).

Importing verifies and opens the pack (careplan.store.packs: refused in one sentence,
nothing changed, when it is not what it claims), then applies its events through the
one apply path (careplan.store.replication.apply_events), each checked against the
permission rules for its author (careplan.store.remote_permissions), and remembers what
the sender had seen, in one transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from careplan.models.sync import WITHHELD, hlc_time
from careplan.store import packs
from careplan.store.db import Store, utc_now
from careplan.store.errors import InputError
from careplan.store.files import is_store_file
from careplan.store.operations import person_of
from careplan.store.packs import PackError
from careplan.store.permissions import today
from careplan.store.remote_permissions import authorise as check_authors
from careplan.store.replication import (
    ApplyResult,
    Authorise,
    Event,
    Refusal,
    apply_events,
    events_by_id,
    events_for,
    new_identity,
    open_conflicts,
    version_vector,
)
from careplan.store.visibility import shareable_persons

#: Progress: done, total (0: unknown), what is being done.
Progress = Callable[[int, int, str], None]
#: "May this event go whole to a store of this agency?" (None: agency not recorded).
Shareable = Callable[[Store, Event, "str | None"], bool]


def shareable(store: Store, event: Event, recipient_agency: str | None) -> bool:
    """Whether ``event`` may go whole in a pack for a store of ``recipient_agency``
    (None: the recipient's agency is not recorded; ``careplan share trust --agency``).

    Sharing follows consent (careplan.models.sharing_basis): an event about a person
    (a row of theirs, or of their plans, actions and the rest, found through its parents)
    goes whole only when the person's records may be shared with the recipient's agency
    on the store's today (consent given, or a legal basis recorded, and not refused or
    withdrawn since). An event about no person (agencies, professionals, funding streams,
    joint budgets) goes whole. A recipient whose agency is not recorded is sent everything,
    as before the rule: record it with ``careplan share trust --agency``. An event for
    which this answers False travels as a :func:`stub`. Called once per event per pack,
    inside the pack's read transaction, so it may read the store; :func:`make_pack` uses
    :class:`Sharing`, which reads the agency's persons once per pack."""
    return Sharing()(store, event, recipient_agency)


class Sharing:
    """:func:`shareable` for one pack: whom the recipient's agency may see is read once,
    and the person of each record once."""

    def __init__(self) -> None:
        self._persons: dict[str, set[str]] = {}
        self._owner: dict[tuple[str, str], str | None] = {}

    def __call__(self, store: Store, event: Event, recipient_agency: str | None) -> bool:
        if recipient_agency is None:
            return True
        key = (event.entity, event.entity_id)
        if key not in self._owner:
            self._owner[key] = event_person(store, event)
        person = self._owner[key]
        if person is None:
            return True
        persons = self._persons.get(recipient_agency)
        if persons is None:
            persons = self._persons[recipient_agency] = shareable_persons(
                store, recipient_agency, today(store))
        return person in persons


def event_person(store: Store, event: Event) -> str | None:
    """The person ``event``'s record belongs to (None: no one's), from its values before
    and after and, through its parents, the rows they refer to."""
    if event.entity == "persons":
        return event.entity_id
    values = {**(event.before or {}), **event.after}
    return person_of(store, event.entity, values)


def stub(event: Event) -> dict[str, Any]:
    """What travels in place of a withheld event: its id, store, sequence, clock and
    vector (its place in the sequence, and what it depends on), and its link in its
    store's audit chain (careplan.store.chain), nothing of what it says. The recipient
    stores it as an event of kind ``withheld`` that makes no row, with that link as its
    hash: the stub's own content cannot be checked there, but the next event of its
    store links to that hash, so the chain stays whole and checkable after it."""
    return _stub(event.id, event.store_id, event.store_seq, event.hlc, event.vector,
                 event.hash)


def _stub(event_id: str, store_id: str, store_seq: int, hlc: str,
          vector: Mapping[str, int], digest: str | None) -> dict[str, Any]:
    return {"id": event_id, "store_id": store_id, "store_seq": store_seq,
            "parent_id": None, "entity": WITHHELD, "entity_id": event_id,
            "version_before": None, "version_after": 0, "before": None, "after": {},
            "actor": WITHHELD, "at": hlc_time(hlc).isoformat(), "hlc": hlc,
            "vector": dict(vector), "resolves": {}, "hash": digest}


def stub_from(data: Any) -> Any:
    """A :func:`stub` in full from what the team server hands a laptop in place of a
    withheld event (its id, store, sequence, clock, vector and link only:
    careplan.store.teamserver); anything else as it is (reading it checks it)."""
    if not isinstance(data, dict) or data.get("entity") != WITHHELD or "after" in data:
        return data
    try:
        return _stub(str(data["id"]), str(data["store_id"]), int(data["store_seq"]),
                     str(data["hlc"]), dict(data.get("vector") or {}), data.get("hash"))
    except (KeyError, TypeError, ValueError):
        return data  # not a stub after all: reading it as an event says what is wrong


@contextlib.contextmanager
def reading(store: Store) -> Iterator[None]:
    """One read transaction (a snapshot: writers elsewhere are not waited for, nor do
    they wait), unless the caller holds one already."""
    conn = store.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# -- what each trusted store has seen ---------------------------------------------------


def merge_vectors(*vectors: Mapping[str, int]) -> dict[str, int]:
    """The highest sequence of each store in any of ``vectors``."""
    out: dict[str, int] = {}
    for vector in vectors:
        for origin, seq in vector.items():
            if int(seq) > out.get(origin, 0):
                out[origin] = int(seq)
    return out


def known_vector(store: Store, peer: str) -> dict[str, int]:
    """What ``peer`` had seen when it made the newest pack this store received from it
    (empty: nothing is known, so a pack for it carries everything)."""
    row = store.conn.execute("SELECT vector FROM share_peers WHERE store_id = ?",
                             (peer,)).fetchone()
    return {} if row is None else {str(k): int(v) for k, v in json.loads(row[0]).items()}


def remember(store: Store, peer: str, vector: Mapping[str, int], made_at: str) -> None:
    """Merge what ``peer`` had seen into what is known of it (in the caller's
    transaction, with the import it came with)."""
    merged = merge_vectors(known_vector(store, peer), vector)
    store.conn.execute(
        "INSERT INTO share_peers (store_id, vector, pack_made_at, received_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(store_id) DO UPDATE SET vector = excluded.vector, "
        "pack_made_at = max(coalesce(pack_made_at, ''), excluded.pack_made_at), "
        "received_at = excluded.received_at",
        (peer, json.dumps(merged, sort_keys=True), made_at, utc_now().isoformat()))


def peer_agency(store: Store, peer: str) -> str | None:
    row = store.conn.execute("SELECT agency_id FROM share_peers WHERE store_id = ?",
                             (peer,)).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def set_peer_agency(store: Store, peer: str, agency_id: str | None) -> None:
    """Record the agency whose store ``peer`` is (what its packs may carry)."""
    with store.atomic() as conn:
        conn.execute("INSERT INTO share_peers (store_id, agency_id) VALUES (?, ?) "
                     "ON CONFLICT(store_id) DO UPDATE SET agency_id = excluded.agency_id",
                     (peer, agency_id))


@dataclass(frozen=True, slots=True)
class Peer:
    """A store this one trusts, as the share commands list it."""

    store_id: str
    name: str
    agency_id: str | None
    last_pack_made: str | None
    last_pack_received: str | None


def peers(store: Store) -> list[Peer]:
    """The stores this one trusts, by name."""
    return [Peer(str(r[0]), str(r[1]), r[2], r[3], r[4]) for r in store.conn.execute(
        "SELECT t.store_id, t.name, p.agency_id, p.pack_made_at, p.received_at "
        "FROM trusted_stores t LEFT JOIN share_peers p ON p.store_id = t.store_id "
        "ORDER BY lower(t.name), t.store_id")]


def find_peer(store: Store, text: str, option: str = "--for") -> Peer:
    """A trusted store by its id, the start of its id, or its name.

    Raises:
        InputError: naming ``option``: no trusted store, or more than one, answers to it.
    """
    everyone = peers(store)
    wanted = text.strip()
    found = [p for p in everyone if p.store_id == wanted] or \
        [p for p in everyone if p.name and p.name.lower() == wanted.lower()] or \
        [p for p in everyone if len(wanted) >= 6 and p.store_id.startswith(wanted)]
    if len(found) == 1:
        return found[0]
    if not found:
        known = ", ".join(f"{p.name or '(no name)'} {p.store_id}" for p in everyone)
        raise InputError(f"{option}: {wanted} is not a store this one shares with "
                         f"({'it trusts ' + known if known else 'it trusts none yet'}); "
                         "add its identity first with careplan share trust")
    raise InputError(f"{option}: {len(found)} trusted stores answer to {wanted}; give the "
                     "store id")


# -- making a pack ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MadePack:
    """A pack written: for whom, how many events (and how many of them withheld),
    its size, and from what knowledge of the recipient it was made."""

    recipient: str
    recipient_name: str
    path: Path
    events: int
    withheld: int
    size: int
    basis: str
    #: Events sent to it as stubs before that go whole now (its agency may see them).
    filled: int = 0

    def lines(self) -> list[str]:
        name = f"{self.recipient_name} ({self.recipient})" if self.recipient_name \
            else self.recipient
        out = [f"Wrote {self.path}: {self.events:,} change{'s' if self.events != 1 else ''} "
               f"for {name}, {self.size:,} bytes, signed by this store and sealed for it.",
               f"It carries {self.basis}."]
        if self.withheld:
            out.append(f"{self.withheld:,} of them travel without their content: that store's "
                       "agency may not see them.")
        if self.filled:
            out.append(f"{self.filled:,} of them went to it before without their content and "
                       "go whole now: its agency may see them.")
        return out


def since_pack(store: Store, data: bytes) -> tuple[str, dict[str, int]]:
    """The recipient and what it has seen, from a pack made earlier: one this store made
    for it (and it has read), or one it made for this store.

    Raises:
        PackError: the pack is neither, or is damaged or changed.
    """
    header = packs.read_header(store, data)
    if header.sender == store.store_id:
        return header.recipient, header.sender_vector
    return header.sender, header.sender_vector


def make_pack(store: Store, out: Path, recipient: str, *,
              since: Mapping[str, int] | None = None, everything: bool = False,
              share: Shareable | None = None, progress: Progress | None = None) -> MadePack:
    """Write a pack for the trusted store ``recipient`` into ``out``: every event it has
    not seen, as far as this store knows (what it said in its newest pack, merged with
    ``since``), or every event this store holds (``everything``). ``share`` decides
    which events go whole (default: :class:`Sharing`, the consent rule of
    :func:`shareable`); the others travel as stubs.

    Raises:
        InputError: the recipient is not a trusted store.
    """
    peer = packs.trusted(store, recipient)
    if peer is None:
        raise InputError(f"--for: {recipient} is not a store this one shares with; add its "
                         "identity first with careplan share trust")
    if share is None:
        share = Sharing()
    if progress is not None:
        progress(0, 0, "Finding the changes it has not seen…")
    remembered = known_vector(store, recipient)
    if everything:
        vector: dict[str, int] = {}
        basis = "every change this store holds"
    else:
        vector = merge_vectors(remembered, since or {})
        basis = ("the changes it has not seen, from what it had seen when it made its last "
                 "pack for this store" if remembered else
                 "the changes made since that pack" if since else
                 "every change this store holds (nothing is known yet of what it has seen)")
    with reading(store):  # one snapshot of the log: the events and the vector agree
        sender_vector = version_vector(store)
        events = events_for(store, vector)
        agency = peer_agency(store, recipient)
        # First, what went to it as stubs and may go whole now (it fills them in).
        filled = [e for e in stubbed_for(store, recipient) if share(store, e, agency)]
        payload: list[dict[str, Any]] = [e.to_json() for e in filled]
        stubbed: list[str] = []
        for n, event in enumerate(events, start=1):
            if event.entity == WITHHELD or share(store, event, agency):
                payload.append(event.to_json())
            else:
                payload.append(stub(event))
                stubbed.append(event.id)
            if progress is not None and n % 2_000 == 0:
                progress(n, len(events), "Reading the changes…")
    if progress is not None:
        progress(len(events), len(events), "Signing and sealing the pack…")
    size = packs.write_pack(store, recipient, payload, sender_vector, out)
    with store.atomic() as conn:  # the pack is written: what it withheld, and filled
        conn.executemany("INSERT OR IGNORE INTO share_withheld (store_id, event_id) "
                         "VALUES (?, ?)", [(recipient, i) for i in stubbed])
        conn.executemany("DELETE FROM share_withheld WHERE store_id = ? AND event_id = ?",
                         [(recipient, e.id) for e in filled])
    return MadePack(recipient, peer.name, out, len(payload), len(stubbed), size, basis,
                    len(filled))


def stubbed_for(store: Store, recipient: str) -> list[Event]:
    """The events this store sent ``recipient`` as stubs, whole (as this store holds
    them), in their order here; a later pack sends those its agency may see by then.

    One sent whole is forgotten: were that pack lost, ``careplan share export
    --everything`` sends every event again, and the recipient fills in what it holds
    as stubs among them."""
    return [e for e in events_by_id(store, [str(r[0]) for r in store.conn.execute(
        "SELECT event_id FROM share_withheld WHERE store_id = ?", (recipient,))])
        if e.entity != WITHHELD]


# -- importing a pack ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Arrived:
    """What applying another store's events did, for the command line and the app:
    the apply's result, and the conflicts it opened and closed described in words."""

    result: ApplyResult
    opened: tuple[str, ...]
    closed: int
    #: Conflicts found among the changes that arrived and decided by one of them.
    settled: int = 0
    #: Events that were refused or waiting here before this apply.
    earlier: frozenset[str] = frozenset()

    @property
    def refused_now(self) -> tuple[Refusal, ...]:
        """The refusals of events that arrived now (not those refused before)."""
        return tuple(x for x in self.result.refused if x.event_id not in self.earlier)

    def lines(self) -> list[str]:
        r = self.result
        out: list[str] = []
        if r.applied:
            out.append(f"{r.applied:,} change{'s' if r.applied != 1 else ''} arrived and "
                       f"{'were' if r.applied != 1 else 'was'} applied.")
        elif not r.refused and not r.pending and not r.filled:
            out.append("Nothing new: this store had every change in it already.")
        if r.filled:
            out.append(f"{r.filled:,} change{'s' if r.filled != 1 else ''} withheld from this "
                       f"store before arrived whole: its agency may see "
                       f"{'them' if r.filled != 1 else 'it'} now.")
        if r.already_seen:
            out.append(f"{r.already_seen:,} {'were' if r.already_seen != 1 else 'was'} "
                       "here already.")
        if r.pending:
            out.append(f"{r.pending:,} wait{'s' if r.pending == 1 else ''} for earlier "
                       "changes that have not arrived yet; they are applied when those do.")
        now = self.refused_now
        if now:
            out.append(f"{len(now):,} refused, because their author may not make "
                       "them here (kept; the changes that depend on them wait):")
            out += [f"  - {x.reason}" for x in now]
        if len(r.refused) > len(now):
            still = len(r.refused) - len(now)
            verb = "wait" if still != 1 else "waits"
            out.append(f"{still:,} change{'s' if still != 1 else ''} refused earlier still "
                       f"{verb}, with the changes that depend on {'them' if still != 1 else 'it'}.")
        if self.opened:
            out.append(f"{len(self.opened):,} conflict{'s' if len(self.opened) != 1 else ''} "
                       "opened, for a person to decide (careplan share conflicts):")
            out += [f"  - {text}" for text in self.opened]
        if self.closed:
            out.append(f"{self.closed:,} conflict{'s' if self.closed != 1 else ''} closed by "
                       "decisions made elsewhere.")
        if self.settled:
            out.append(f"{self.settled:,} conflict{'s' if self.settled != 1 else ''} among "
                       "the changes that arrived had been decided already, elsewhere.")
        return out


def describe_conflicts(store: Store, ids: Iterable[str]) -> tuple[str, ...]:
    """The open conflicts among ``ids``, one line per record and field, in words."""
    from careplan.models.rules.sync import describe, groups
    from careplan.store.person_file import load_directory

    wanted = set(ids)
    found = [c for c in open_conflicts(store) if c.id in wanted]
    if not found:
        return ()
    from careplan.store.repo import actor_name

    directory = load_directory(store)
    # Authors who are not professionals (an administrator's account) by their names too.
    others = {a for c in found for a in (c.actor_a, c.actor_b)
              if a and a not in directory.professionals}
    names = {a: actor_name(store, a) for a in others}
    lines = []
    for group in groups(found):
        line = describe(group, directory)
        for actor, name in names.items():
            line = line.replace(f"({actor},", f"({name},")
        lines.append(line)
    return tuple(lines)


def held(store: Store) -> frozenset[str]:
    """The events waiting here (for others, or refused)."""
    return frozenset(str(r[0]) for r in store.conn.execute("SELECT id FROM sync_pending"))


def arrived(store: Store, result: ApplyResult,
            earlier: frozenset[str] = frozenset()) -> Arrived:
    opened, closed = set(result.opened), set(result.closed)
    return Arrived(result, describe_conflicts(store, opened - closed), len(closed - opened),
                   len(opened & closed), earlier)


@dataclass(frozen=True, slots=True)
class PackImport:
    """A pack imported: from whom, when it was made, and what arrived."""

    sender: str
    sender_name: str
    made_at: str
    events: int
    arrived: Arrived

    def lines(self) -> list[str]:
        name = f"{self.sender_name} ({self.sender})" if self.sender_name else self.sender
        return [f"Read a change pack from {name}, made {self.made_at[:16].replace('T', ' ')} "
                f"UTC, holding {self.events:,} change{'s' if self.events != 1 else ''}.",
                *self.arrived.lines()]


def read_events(items: Iterable[Any]) -> list[Event]:
    """Events from their JSON objects.

    Raises:
        PackError: one is not an event (naming which, and the field).
    """
    out = []
    for n, item in enumerate(items, start=1):
        try:
            out.append(Event.from_json(item))
        except ValueError as exc:
            raise PackError(f"The change pack's change number {n} cannot be read ({exc}); "
                            "nothing was imported.") from None
    return out


def import_pack(store: Store, data: bytes, *, authorise: Authorise | None = check_authors,
                progress: Progress | None = None) -> PackImport:
    """Verify, open and apply a pack addressed to this store, all or nothing, and
    remember what its sender had seen.

    Raises:
        PackError: the pack is not what it claims (one sentence; nothing changed).
        InputError: its events claim places another store's events hold here (a copied
            store that was not given an identity of its own); nothing changed.
        StoreError: the store could not take them (a full disk); nothing changed.
    """
    if progress is not None:
        progress(0, 0, "Checking the pack's signature and opening it…")
    pack = packs.read_pack(store, data)
    events = read_events(pack.events)
    if progress is not None:
        progress(0, len(events), f"Applying {len(events):,} changes…")
    with store.atomic():
        earlier = held(store)
        result = apply_events(store, events, authorise)
        remember(store, pack.sender, pack.sender_vector, pack.created_at)
    peer = packs.trusted(store, pack.sender)
    if progress is not None:
        progress(len(events), len(events), "Done.")
    return PackImport(pack.sender, peer.name if peer is not None else "", pack.created_at,
                      len(events), arrived(store, result, earlier))


def import_pack_file(store: Store, path: Path, **kwargs: Any) -> PackImport:
    """:func:`import_pack` of the file at ``path``.

    Raises:
        PackError: as :func:`import_pack`; the file cannot be read, or is the store
            itself or its journal (read with a plain handle, closing it would drop this
            process's SQLite locks on the store).
    """
    if is_store_file(path, store.path):
        raise PackError(f"{path} is the store itself (or its journal), not a change pack.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackError(f"The change pack {path} cannot be read "
                        f"({exc.strerror or exc}).") from None
    return import_pack(store, data, **kwargs)


# -- a copy for another laptop ------------------------------------------------------------------


def copy_store(store: Store, out: Path, name: str | None = None) -> str:
    """Copy this store to ``out`` (a new file) for another laptop, as a store of its own:
    a new identity (everything it holds counts as seen from this one), new keys (made
    when it first gives out its identity), no trusted stores, no team server setting.
    Built aside and given its name only if the name is still free. Returns its id.

    The copy of an encrypted store is encrypted with the same key and gets a copy of its
    keyring (``out.keys``: the same accounts, the same passwords; the refused sign-ins
    still to be recorded stay with this store), given its name before the store's and
    taken away again if the store's cannot be; both files are mode 0600.

    Raises:
        InputError: ``out``, or its keyring, exists.
        StoreError: it could not be written (a full disk, a read-only folder).
    """
    from careplan.store import keyring, secure, sqlite
    from careplan.store.backup_files import fsync_path, place_new
    from careplan.store.errors import StoreError

    ring_out = keyring.path_of(out)
    if ring_out.exists() or ring_out.is_symlink():  # it would make the copy look encrypted
        raise InputError(f"--out: {ring_out} exists already (the keyring of another "
                         "store?); name a new file")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    placed: list[Path] = []  # names given, taken back unless the copy is whole
    try:
        with secure.private():
            target = sqlite.connect(tmp, key=store.key)
        try:
            store.conn.backup(target)
        finally:
            target.close()
        with Store.open(tmp, create=False, key=store.key) as copy:
            new_id = new_identity(copy)
            with copy.atomic() as conn:
                conn.execute("DELETE FROM store_meta WHERE key IN "
                             "('sign_private', 'box_private', 'name', 'team_server')")
                conn.execute("DELETE FROM trusted_stores")
                conn.execute("DELETE FROM share_peers")
                conn.execute("DELETE FROM share_withheld")
            if name:
                copy.set_meta("name", name.strip())
        secure.tighten(tmp)
        fsync_path(tmp)
        if store.key is not None:
            ring = keyring.load(store.path)
            ring.store_id = new_id
            ring.attempts = []
            keyring.save(tmp, ring, new=True)
            try:
                place_new(keyring.path_of(tmp), ring_out)
            except FileExistsError:
                raise InputError(f"--out: {ring_out} exists already (the keyring of "
                                 "another store?); name a new file") from None
            placed.append(ring_out)
        try:
            place_new(tmp, out)  # never replaces a file that appeared meanwhile
        except FileExistsError:
            raise InputError(f"--out: {out} exists already; name a new file") from None
        placed.clear()
        return new_id
    except (OSError, sqlite.Error, keyring.KeyringError) as exc:
        raise StoreError(f"The copy could not be written to {out} ({exc}); nothing was "
                         "left there.") from exc
    finally:
        for file in placed:
            file.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal", keyring.SUFFIX):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)


__all__ = ["Arrived", "MadePack", "PackImport", "Peer", "Shareable", "Sharing", "arrived",
           "copy_store", "describe_conflicts", "event_person", "find_peer", "held",
           "import_pack", "import_pack_file", "known_vector", "make_pack", "merge_vectors",
           "peer_agency", "peers", "read_events", "reading", "remember", "set_peer_agency",
           "shareable", "since_pack", "stub", "stub_from", "stubbed_for"]
