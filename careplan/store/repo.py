"""Load and save domain entities. Every write is one transaction with its audit event."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from careplan.models import ENTITY_TYPES, nhs
from careplan.models.accounts import ACCOUNT_ACTOR
from careplan.models.base import Entity, label
from careplan.store import audit, chain, plausible, sqlite
from careplan.store.db import Store
from careplan.store.errors import InputError, NotFoundError, StaleWriteError
from careplan.store.rows import columns, from_row, row_maker, to_row, to_value

E = TypeVar("E", bound=Entity)
_WRITE_ORDER = {cls.TABLE: i for i, cls in enumerate(ENTITY_TYPES)}

#: Which table each reference column points at, so a dangling reference is refused
#: with a sentence naming the field instead of SQLite's bare "FOREIGN KEY constraint".
REFERENCES: dict[str, str] = {
    "person_id": "persons",
    "agency_id": "agencies",
    "professional_id": "professionals",
    "plan_id": "care_plans",
    "need_id": "needs",
    "action_id": "actions",
    "referral_id": "referrals",
    "stay_id": "hospital_stays",
    "conference_id": "case_conferences",
    "gp_practice_id": "agencies",
    "owner_professional_id": "professionals",
    "owner_agency_id": "agencies",
    "from_professional_id": "professionals",
    "to_professional_id": "professionals",
    "from_agency_id": "agencies",
    "to_agency_id": "agencies",
    "team_id": "agencies",
    "to_team_id": "agencies",
    "by_professional_id": "professionals",
    "interim_owner_id": "professionals",
    "hospital_id": "agencies",
    "chair_id": "professionals",
    "signed_by": "professionals",
    "recorded_by": "professionals",
    "budget_id": "joint_budgets",
    "host_agency_id": "agencies",
    "stream_id": "funding_streams",
    "cost_id": "action_costs",
    "personal_budget_id": "personal_budgets",
    "assessment_id": "assessments",
    "nhs_agency_id": "agencies",
    "council_agency_id": "agencies",
    "reviewed_by": "professionals",
}

_NOUNS = {
    "persons": "person",
    "agencies": "agency",
    "professionals": "professional",
    "care_plans": "care plan",
    "needs": "need",
    "actions": "action",
    "referrals": "referral",
    "hospital_stays": "hospital stay",
    "case_conferences": "case conference",
    "joint_budgets": "joint budget",
    "funding_streams": "funding stream",
    "action_costs": "action cost",
    "personal_budgets": "personal budget",
    "assessments": "assessment",
}


def _check_references(store: Store, entity: Entity) -> None:
    row = to_row(entity)
    for name, table in REFERENCES.items():
        value = row.get(name)
        if value is None or name not in row:
            continue
        found = store.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (value,)).fetchone()
        if found is None:
            field = label(name.removesuffix("_id"))
            raise InputError(f"{field}: there is no {_NOUNS[table]} with id {value} in this store")


def _check_unique(store: Store, entity: Entity) -> None:
    number = getattr(entity, "nhs_number", None)
    if entity.TABLE == "persons" and number:
        clash = store.conn.execute(
            "SELECT 1 FROM persons WHERE nhs_number = ? AND id != ?", (number, entity.id)
        ).fetchone()
        if clash:
            raise InputError(
                f"NHS number: {nhs.format_334(number)} is already recorded for another person"
            )


#: SQLite stores integers in 64 bits.
_INT64 = range(-(2**63), 2**63)


def _check_storable(entity: Entity) -> None:
    """Refuse, naming the field, values SQLite cannot hold: integers beyond 64 bits and
    text that is not valid Unicode (lone surrogates, e.g. from a broken JSON escape)."""
    for name, value in to_row(entity).items():
        if isinstance(value, int) and value not in _INT64:
            raise InputError(f"{label(name)}: {value} is too large a number")
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(f"{label(name)}: contains characters that are not valid "
                                 "text") from None


def _insert_sql(cls: type[Entity]) -> str:
    cols = columns(cls) + ["created_at", "updated_at", "updated_by"]
    marks = ", ".join("?" for _ in cols)
    return f"INSERT INTO {cls.TABLE} ({', '.join(cols)}) VALUES ({marks})"


def add(store: Store, entity: E, actor: str) -> E:
    """Insert a new record (version 1) and its audit event; return it as stored."""
    stored = entity.evolve(version=1)
    _check_storable(stored)
    now = store.clock()
    with store.atomic():
        _check_references(store, stored)
        _check_unique(store, stored)
        row = to_row(stored)
        plausible.check(store, stored, None, row)
        try:
            store.conn.execute(
                _insert_sql(type(stored)),
                [*row.values(), now.isoformat(), now.isoformat(), actor],
            )
        except sqlite.IntegrityError as exc:
            raise _integrity(stored, exc) from exc
        audit.record(store, stored.TABLE, stored.id, None, row, actor, now)
    return stored


@dataclass
class Prepared:
    """New records turned into row values and audit JSON, ready for ``write_prepared``.

    Preparing is pure CPU work, so big loads (the demo) prepare in other processes.
    """

    rows: dict[str, tuple[str, list[list[Any]]]] = field(default_factory=dict)
    audit: list[tuple[str, str, str]] = field(default_factory=list)  # entity, id, after


def prepare(entities: Iterable[Entity]) -> Prepared:
    """Rows grouped by table, tables parents first (``ENTITY_TYPES`` order), so a
    batch's foreign keys hold whatever order its records came in."""
    out = Prepared()
    events = out.audit
    add_event = events.append
    encode = chain.encode_row  # audit.dumps's text, with the encoder made once
    # Per class: its row maker, its table and its table's rows (looked up once a class).
    by_class: dict[type[Entity], tuple[Callable[[Entity], dict[str, Any]], str,
                                       list[list[Any]]]] = {}
    for entity in entities:
        slot = by_class.get(entity.__class__)
        if slot is None:
            cls = entity.__class__
            table = cls.TABLE
            if table not in out.rows:
                out.rows[table] = (_insert_sql(cls), [])
            slot = by_class[cls] = (row_maker(cls), table, out.rows[table][1])
        make, table, params = slot
        row = make(entity)
        row["version"] = 1  # a new record; set on the row to spare re-validating a copy
        params.append(list(row.values()))
        add_event((table, row["id"], encode(row)))
    out.rows = dict(sorted(out.rows.items(), key=lambda kv: _WRITE_ORDER.get(kv[0], 0)))
    return out


#: The placeholders of the metadata columns ending every ``_insert_sql``.
_META_MARKS = "?, ?, ?)"


def _with_meta(sql: str, stamp: str, actor: str) -> str | None:
    """An ``_insert_sql`` with the metadata every record of a batch shares (created and
    updated at ``stamp`` by ``actor``) written in as SQL text, so that the rows need not
    be copied to add them, nor those values bound for each; None when that cannot be."""
    at, by = sqlite.text_literal(stamp), sqlite.text_literal(actor)
    if at is None or by is None or not sql.endswith(_META_MARKS):
        return None
    return f"{sql[:-len(_META_MARKS)]}{at}, {at}, {by})"


def write_prepared(store: Store, prepared: Prepared, actor: str,
                   event_ids: Iterable[str] | None = None) -> int:
    """Insert prepared records and one creation event each, in one transaction.

    References are left to SQLite's foreign keys here (bulk loads such as the demo and
    imports build consistent graphs); a failure rolls the whole batch back.
    """
    now = store.clock()
    stamp = now.isoformat()
    ids = event_ids if event_ids is not None else audit.new_event_ids(now,
                                                                      len(prepared.audit))
    with store.atomic():
        for table, (sql, params) in prepared.rows.items():
            try:
                literal = _with_meta(sql, stamp, actor)
                if literal is not None:
                    store.conn.executemany(literal, params)
                else:
                    store.conn.executemany(sql, [[*p, stamp, stamp, actor] for p in params])
            except (sqlite.IntegrityError, OverflowError, UnicodeEncodeError) as exc:
                raise InputError(f"{table.replace('_', ' ')}: {exc}") from exc
        audit.record_created(store, prepared.audit, actor, now, ids)
    return len(prepared.audit)


def add_many(store: Store, entities: Sequence[Entity], actor: str,
             event_ids: Iterable[str] | None = None) -> int:
    """Insert many new records and one audit event each, in one transaction."""
    return write_prepared(store, prepare(entities), actor, event_ids)


def update(store: Store, entity: E, actor: str) -> E:
    """Save a changed record if nobody changed it meanwhile; return the new version.

    Raises:
        StaleWriteError: the stored version differs from ``entity.version``.
    """
    cls = type(entity)
    _check_storable(entity)
    now = store.clock()
    with store.atomic():
        current = store.query(f"SELECT * FROM {cls.TABLE} WHERE id = ?", (entity.id,))
        if not current:
            raise NotFoundError(f"That {cls.NOUN} no longer exists in this store.")
        before_row = {c: current[0][c] for c in columns(cls)}
        if before_row["version"] != entity.version:
            raise StaleWriteError(
                f"This {cls.NOUN} was changed by {actor_name(store, current[0]['updated_by'])} at "
                f"{current[0]['updated_at']} after you opened it (version "
                f"{before_row['version']}, yours {entity.version}); nothing was saved. "
                "Reload it and make your change again."
            )
        stored = entity.evolve(version=entity.version + 1)
        _check_references(store, stored)
        _check_unique(store, stored)
        after_row = to_row(stored)
        if after_row == {**before_row, "version": stored.version}:
            return entity  # nothing changed: no write, no audit event
        plausible.check(store, stored, before_row, after_row)
        sets = ", ".join(f"{c} = ?" for c in after_row if c != "id")
        values = [v for c, v in after_row.items() if c != "id"]
        try:
            cur = store.conn.execute(
                f"UPDATE {cls.TABLE} SET {sets}, updated_at = ?, updated_by = ? "
                "WHERE id = ? AND version = ?",
                [*values, now.isoformat(), actor, entity.id, entity.version],
            )
        except sqlite.IntegrityError as exc:
            raise _integrity(stored, exc) from exc
        if cur.rowcount != 1:  # pragma: no cover - guarded by the version check above
            raise StaleWriteError(f"This {cls.NOUN} changed while saving; nothing was saved.")
        audit.record(store, cls.TABLE, entity.id, before_row, after_row, actor, now)
    return stored


def remove(store: Store, entity: E, actor: str) -> None:
    """Remove a record that nothing refers to, if it is still as ``entity`` holds it; the
    audit trail keeps what it was (``after`` says deleted). Like ``add`` and ``update``,
    a primitive: people's removals go through their checked operations (an addition is
    removed by undoing it, careplan.store.operations.revert).

    Raises:
        StaleWriteError: the record changed since ``entity`` was read.
        InputError: another record refers to it.
    """
    cls = type(entity)
    with store.atomic():
        current = get(store, cls, entity.id)
        if current.evolve(version=0) != entity.evolve(version=0):
            raise StaleWriteError(f"This {cls.NOUN} was changed by "
                                  f"{actor_name(store, _updated_by(store, entity))} since; "
                                  "nothing was removed.")
        before = to_row(current)
        try:
            store.conn.execute(f"DELETE FROM {cls.TABLE} WHERE id = ?", (entity.id,))
        except sqlite.IntegrityError:
            raise InputError(f"{cls.NOUN}: other records refer to it, so it cannot be "
                             "removed") from None
        after = {"id": entity.id, "version": current.version + 1, "deleted": True}
        audit.record(store, cls.TABLE, entity.id, before, after, actor, store.clock())


def _updated_by(store: Store, entity: Entity) -> str:
    row = store.conn.execute(f"SELECT updated_by FROM {entity.TABLE} WHERE id = ?",
                             (entity.id,)).fetchone()
    return "someone" if row is None else str(row[0])


def get(store: Store, cls: type[E], entity_id: str) -> E:
    """The record of type ``cls`` with this id.

    Raises:
        NotFoundError: there is none.
    """
    rows = store.query(f"SELECT * FROM {cls.TABLE} WHERE id = ?", (entity_id,))
    if not rows:
        raise NotFoundError(f"There is no {cls.NOUN} with id {entity_id} in this store.")
    return from_row(cls, rows[0])


def find(store: Store, cls: type[E], order_by: str = "", **equals: Any) -> list[E]:
    """Records whose fields equal the given values, e.g. ``find(s, Action, plan_id=x)``."""
    known = set(columns(cls))
    for name in equals:
        if name not in known:
            raise ValueError(f"{cls.__name__} has no field {name!r}")
    where = " AND ".join(f"{name} IS ?" for name in equals)
    sql = f"SELECT * FROM {cls.TABLE}"
    if where:
        sql += f" WHERE {where}"
    if order_by:
        if order_by.lstrip("-") not in known:
            raise ValueError(f"{cls.__name__} has no field {order_by!r}")
        desc = " DESC" if order_by.startswith("-") else ""
        sql += f" ORDER BY {order_by.lstrip('-')}{desc}"
    params = tuple(to_value(v) for v in equals.values())
    return [from_row(cls, r) for r in store.query(sql, params)]


def find_in(store: Store, cls: type[E], key: str, values: Iterable[Any],
            order_by: str = "") -> list[E]:
    """Records whose field ``key`` is one of ``values``, e.g. the actions of 1,000 plans in
    a few statements (``values`` is read in chunks SQLite takes). Ordered by ``order_by``
    within each chunk."""
    known = set(columns(cls))
    for name in (key, order_by.lstrip("-")):
        if name and name not in known:
            raise ValueError(f"{cls.__name__} has no field {name!r}")
    wanted = [to_value(v) for v in dict.fromkeys(values)]
    order = ""
    if order_by:
        order = f" ORDER BY {order_by.lstrip('-')}{' DESC' if order_by.startswith('-') else ''}"
    out: list[E] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start:start + _IN_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        out += [from_row(cls, r) for r in store.query(
            f"SELECT * FROM {cls.TABLE} WHERE {key} IN ({marks}){order}", tuple(chunk))]
    return out


#: Values per ``IN (...)`` (SQLite's default limit on parameters is far above it).
_IN_CHUNK = 900


def actor_name(store: Store, actor: str) -> str:
    """The professional's name for an actor id; an account's user name for
    ``account:<id>`` (an administrator's account that belongs to no professional); else
    the actor as it is (e.g. "demo")."""
    if actor.startswith(ACCOUNT_ACTOR):
        row = store.conn.execute("SELECT username FROM accounts WHERE id = ?",
                                 (actor.removeprefix(ACCOUNT_ACTOR),)).fetchone()
    else:
        row = store.conn.execute("SELECT name FROM professionals WHERE id = ?",
                                 (actor,)).fetchone()
    return actor if row is None else str(row[0])


def _integrity(entity: Entity, exc: sqlite.IntegrityError) -> InputError:
    return InputError(f"{entity.NOUN}: could not be saved ({exc})")
