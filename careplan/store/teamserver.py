"""The team server: a PostgreSQL database holding the events of every store in a team.

Laptops push the audit events they have and pull the ones they lack; the server only
keeps them, in the order it received them. Its rules are in the database, not in the
clients, so a client cannot break them:

- ``careplan.events`` is append-only: clients get no INSERT, UPDATE or DELETE on it.
- Clients push through ``careplan.push(events)``, a SECURITY DEFINER function that
  records ``session_user`` (the database role the client signed in as) as each event's
  author: a client cannot push as someone else. Pushing an event the server already has
  does nothing, so a push cut short is simply pushed again.
- Pushes take one advisory lock for their whole transaction, so server sequence numbers
  become visible in order: a reader that asks for "everything after the last one I
  saw" never skips an event whose number was handed out earlier but committed later.
- Clients pull through ``careplan.pull(after, max_rows, held)``, which hands each laptop
  whole only what its agency may see (HAZ-029; :data:`CONSENT`): the agency whose store
  a client role syncs is the server's record (``careplan.laptops``, kept by the owner:
  :func:`record_laptop`), never the laptop's claim; the rest travels as stubs, and the
  stubs a laptop holds (``held``) are sent whole once its agency may see them.
- ``careplan.server_id()`` names the server (made once, by ``init_server``): a laptop
  keeps its place in the server's sequence per server id, so a server built again from
  nothing (its sequence starting over) is never taken for the one it replaced.

Events are JSON objects; the server reads their ``id``, ``store_id`` and ``store_seq``,
and, to apply the sharing basis, the person each is about and the consent records (see
careplan.store.replication for what they hold).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from careplan.models.sharing_basis import latest_allows_sql
from careplan.models.sync import DELETED, WITHHELD
from careplan.store.errors import InputError, StoreError
from careplan.store.operations import PERSON_PARENTS

#: The role every client login role is a member of: it may only call push and pull.
CLIENT_ROLE = "careplan_client"
#: Events pulled per round trip.
PULL_BATCH = 5_000
#: The key of the advisory lock that orders pushes (any fixed number).
_ORDER_LOCK = 0x43617265506C616E  # "CarePlan"

def _parents_values() -> str:
    return ", ".join(f"({n}, '{column}', {'NULL' if parent is None else repr(parent)})"
                     for n, (column, parent) in enumerate(PERSON_PARENTS, start=1))


#: Consent on the server (HAZ-029): what a pull hands a laptop follows the sharing basis
#: of the laptop's agency, as the server's records stand, by the rule the stores' reads
#: and change packs apply (careplan.models.sharing_basis).
#:
#: - ``careplan.laptops``: the agency whose store each client role syncs, recorded by the
#:   server's owner (``careplan server laptop``). The server's record decides, never the
#:   laptop's own claim: a role signs in with its own password, so a laptop cannot pull
#:   as another agency.
#: - ``events.about``: the person each event is about ('' none, '?' not found: withheld
#:   from every laptop of a recorded agency, NULL not worked out yet: likewise), worked
#:   out when it is pushed as careplan.store.operations.person_of does, through
#:   ``careplan.row_persons`` (each row's person, '' none). The rule is ``careplan.note``,
#:   one event at a time (``init_server`` runs it over events kept before the server
#:   worked persons out); ``careplan.push`` reaches the same result for a whole batch in
#:   a few statements (temporary tables of the batch, its links and its persons, settled
#:   in rounds: an event leads only to rows of events before it), as its events are
#:   stored, so no event is read or written twice (tests/test_server_push.py).
#: - ``careplan.consents``: each consent record as its latest pushed event leaves it.
#: - ``careplan.pull(after, max_rows, held)``: the events after ``after``, each whole when
#:   the laptop's agency may see its person (or the laptop's agency is not recorded, as
#:   packs do for a store whose agency is not recorded) and otherwise as a stub (its id,
#:   store, sequence, clock, vector and link; careplan.store.exchange.stub); then, first
#:   in the answer, those of ``held`` (the events the laptop holds as stubs) that it may
#:   see now, whole, marked ``again``, so a consent given later delivers what was
#:   withheld. One statement: one snapshot, so no event goes whole while an earlier one
#:   of the same person the laptop holds as a stub stays withheld.
CONSENT = f"""
CREATE TABLE IF NOT EXISTS careplan.laptops (
    role name PRIMARY KEY,
    agency_id text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON careplan.laptops FROM PUBLIC;
ALTER TABLE careplan.events ADD COLUMN IF NOT EXISTS about text;
CREATE TABLE IF NOT EXISTS careplan.row_persons (
    entity text NOT NULL,
    entity_id text NOT NULL,
    person_id text NOT NULL,
    PRIMARY KEY (entity, entity_id)
);
REVOKE ALL ON careplan.row_persons FROM PUBLIC;
CREATE TABLE IF NOT EXISTS careplan.consents (
    id text PRIMARY KEY,
    person_id text NOT NULL,
    agency_id text NOT NULL,
    status text NOT NULL,
    basis text,
    recorded_on text NOT NULL
);
CREATE INDEX IF NOT EXISTS consents_person_agency
    ON careplan.consents (person_id, agency_id, recorded_on, status, basis);
REVOKE ALL ON careplan.consents FROM PUBLIC;
CREATE OR REPLACE FUNCTION careplan.note(seq bigint) RETURNS void
LANGUAGE plpgsql SET search_path = careplan, pg_temp AS $$
DECLARE
    e json;
    v jsonb;
    ent text;
    eid text;
    who text;
    unfound boolean := false;
    link record;
    val text;
    parent_person text;
BEGIN
    SELECT payload INTO e FROM careplan.events WHERE server_seq = seq;
    ent := e ->> 'entity';
    eid := e ->> 'entity_id';
    v := CASE WHEN json_typeof(e -> 'before') = 'object' THEN (e -> 'before')::jsonb
              ELSE '{{}}'::jsonb END
         || CASE WHEN json_typeof(e -> 'after') = 'object' THEN (e -> 'after')::jsonb
                 ELSE '{{}}'::jsonb END;
    IF ent = 'persons' THEN
        who := eid;
    ELSE
        FOR link IN SELECT * FROM (VALUES {_parents_values()}) AS t(n, col, parent)
                    ORDER BY n LOOP
            val := v ->> link.col;
            CONTINUE WHEN val IS NULL;
            IF link.parent IS NULL THEN
                who := val;
                EXIT;
            END IF;
            SELECT r.person_id INTO parent_person FROM careplan.row_persons r
            WHERE r.entity = link.parent AND r.entity_id = val;
            IF FOUND THEN
                who := parent_person;
                EXIT;
            END IF;
            unfound := true;
        END LOOP;
        IF who IS NULL THEN
            who := CASE WHEN unfound THEN '?' ELSE '' END;
        END IF;
    END IF;
    UPDATE careplan.events SET about = who WHERE server_seq = seq;
    IF ent <> '{WITHHELD}' THEN
        INSERT INTO careplan.row_persons (entity, entity_id, person_id) VALUES (ent, eid, who)
        ON CONFLICT (entity, entity_id) DO UPDATE SET person_id = excluded.person_id
        WHERE careplan.row_persons.person_id IN ('', '?') AND excluded.person_id <> '';
    END IF;
    IF ent = 'consents' THEN
        IF (e -> 'after' ->> '{DELETED}') IN ('true', '1') THEN
            DELETE FROM careplan.consents WHERE id = eid;
        ELSIF v ->> 'person_id' IS NOT NULL AND v ->> 'agency_id' IS NOT NULL THEN
            INSERT INTO careplan.consents (id, person_id, agency_id, status, basis,
                                           recorded_on)
            VALUES (eid, v ->> 'person_id', v ->> 'agency_id', v ->> 'status',
                    v ->> 'basis', v ->> 'recorded_on')
            ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id,
                agency_id = excluded.agency_id, status = excluded.status,
                basis = excluded.basis, recorded_on = excluded.recorded_on;
        END IF;
    END IF;
END $$;
REVOKE ALL ON FUNCTION careplan.note(bigint) FROM PUBLIC;
DO $$
DECLARE
    s bigint;
BEGIN
    FOR s IN SELECT server_seq FROM careplan.events WHERE about IS NULL ORDER BY server_seq
    LOOP
        PERFORM careplan.note(s);
    END LOOP;
END $$;
CREATE OR REPLACE FUNCTION careplan.push(events json) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = careplan, pg_temp SET jit = off AS $$
DECLARE
    added bigint[];
    s bigint;
    kept bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({_ORDER_LOCK});
    -- The events the server does not have yet, each read once.
    CREATE TEMP TABLE push_batch ON COMMIT DROP AS
    SELECT t.n, t.e, r.id AS event_id, r.store_id AS origin, r.store_seq AS origin_seq,
           r.entity AS ent, r.entity_id AS eid,
           coalesce((r.after ->> '{DELETED}') IN ('true', '1'), false) AS gone,
           CASE WHEN jsonb_typeof(r.before) = 'object' THEN r.before ELSE '{{}}'::jsonb END
           || CASE WHEN jsonb_typeof(r.after) = 'object' THEN r.after ELSE '{{}}'::jsonb END
               AS v
    FROM json_array_elements(events) WITH ORDINALITY AS t(e, n)
    CROSS JOIN LATERAL json_to_record(t.e) AS r(id text, store_id text, store_seq bigint,
                                                entity text, entity_id text, before jsonb,
                                                after jsonb)
    WHERE NOT EXISTS (SELECT 1 FROM careplan.events x WHERE x.event_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM careplan.events x WHERE x.origin = r.store_id
                      AND x.origin_seq = r.store_seq);
    IF EXISTS (SELECT 1 FROM pg_temp.push_batch GROUP BY event_id HAVING count(*) > 1)
       OR EXISTS (SELECT 1 FROM pg_temp.push_batch GROUP BY origin, origin_seq
                  HAVING count(*) > 1) THEN
        -- An event twice in one push: one at a time, as the server received them first.
        DROP TABLE pg_temp.push_batch;
        WITH put AS (
            INSERT INTO careplan.events (event_id, origin, origin_seq, payload, author)
            SELECT e ->> 'id', e ->> 'store_id', (e ->> 'store_seq')::bigint, e, session_user
            FROM json_array_elements(events) WITH ORDINALITY AS t(e, n)
            ORDER BY n
            ON CONFLICT DO NOTHING
            RETURNING careplan.events.server_seq)
        SELECT coalesce(array_agg(put.server_seq ORDER BY put.server_seq), '{{}}') INTO added
        FROM put;
        FOREACH s IN ARRAY added LOOP
            PERFORM careplan.note(s);
        END LOOP;
        RETURN coalesce(array_length(added, 1), 0);
    END IF;
    -- The person of each, as careplan.note finds it one event at a time: a person is
    -- about itself; another row through the first of its links that leads somewhere,
    -- the row it points to as the server's table holds it (held) after the events pushed
    -- before, those of this push too; '' none, '?' not found.
    CREATE TEMP TABLE push_who ON COMMIT DROP AS
    SELECT b.n, b.ent, b.eid, CASE WHEN b.ent = 'persons' THEN b.eid END AS about
    FROM pg_temp.push_batch b;
    CREATE TEMP TABLE push_links ON COMMIT DROP AS
    SELECT b.n, p.k, p.parent, b.v ->> p.col AS val,
           (SELECT r.person_id FROM careplan.row_persons r
            WHERE r.entity = p.parent AND r.entity_id = b.v ->> p.col) AS held
    FROM pg_temp.push_batch b
    CROSS JOIN (VALUES {_parents_values()}) AS p(k, col, parent)
    WHERE b.ent IS DISTINCT FROM 'persons' AND b.v ->> p.col IS NOT NULL;
    UPDATE pg_temp.push_who w SET about = ''
    WHERE w.ent IS DISTINCT FROM 'persons'
      AND NOT EXISTS (SELECT 1 FROM pg_temp.push_links l WHERE l.n = w.n);
    -- Each round settles every event whose links lead to rows settled already; an event
    -- leads only to earlier ones, so each round settles at least the first unsettled.
    LOOP
        UPDATE pg_temp.push_who b SET about = w.who
        FROM (
            SELECT DISTINCT ON (s.n) s.n, CASE WHEN s.stop THEN s.who ELSE '?' END AS who,
                   NOT s.stop OR s.ready AS ready
            FROM (
                SELECT l.n, l.k,
                       l.parent IS NULL OR d.n IS NOT NULL OR l.held IS NOT NULL AS stop,
                       d.n IS NULL OR d.about IS NOT NULL AS ready,
                       CASE WHEN l.parent IS NULL THEN l.val
                            WHEN d.n IS NULL OR l.held NOT IN ('', '?') THEN l.held
                            WHEN d.about NOT IN ('', '?') THEN d.about
                            WHEN l.held = '?' OR d.about = '?' THEN '?'
                            ELSE '' END AS who
                FROM pg_temp.push_links l
                JOIN pg_temp.push_who u ON u.n = l.n AND u.about IS NULL
                LEFT JOIN (
                    -- what the row holds after this push's events before: its first
                    -- person, else '?', else ''; NULL while one of them is unsettled
                    SELECT DISTINCT ON (l2.n, l2.k) l2.n, l2.k, x.about
                    FROM pg_temp.push_links l2
                    JOIN pg_temp.push_who u2 ON u2.n = l2.n AND u2.about IS NULL
                    JOIN pg_temp.push_who x
                      ON x.ent = l2.parent AND x.eid = l2.val AND x.n < l2.n
                    ORDER BY l2.n, l2.k, x.about IS NULL DESC, x.about NOT IN ('', '?') DESC,
                             x.about = '?' DESC, x.n) d ON d.n = l.n AND d.k = l.k
            ) s
            ORDER BY s.n, s.stop DESC, s.k
        ) w
        WHERE b.n = w.n AND w.ready;
        EXIT WHEN NOT FOUND;
    END LOOP;
    INSERT INTO careplan.events (event_id, origin, origin_seq, payload, author, about)
    SELECT b.event_id, b.origin, b.origin_seq, b.e, session_user, w.about
    FROM pg_temp.push_batch b JOIN pg_temp.push_who w ON w.n = b.n ORDER BY b.n;
    GET DIAGNOSTICS kept = ROW_COUNT;
    INSERT INTO careplan.row_persons (entity, entity_id, person_id)
    SELECT DISTINCT ON (w.ent, w.eid) w.ent, w.eid, w.about
    FROM pg_temp.push_who w WHERE w.ent <> '{WITHHELD}'
    ORDER BY w.ent, w.eid, w.about NOT IN ('', '?') DESC NULLS LAST,
             w.about = '?' DESC NULLS LAST, w.n
    ON CONFLICT (entity, entity_id) DO UPDATE SET person_id = excluded.person_id
    WHERE careplan.row_persons.person_id IN ('', '?') AND excluded.person_id <> '';
    -- The consent records as the last event of each that says something leaves them.
    WITH last AS (
        SELECT DISTINCT ON (b.eid) b.eid, b.gone, b.v
        FROM pg_temp.push_batch b
        WHERE b.ent = 'consents' AND (b.gone OR (b.v ->> 'person_id' IS NOT NULL
                                                 AND b.v ->> 'agency_id' IS NOT NULL))
        ORDER BY b.eid, b.n DESC
    ), removed AS (
        DELETE FROM careplan.consents c USING last g WHERE c.id = g.eid AND g.gone)
    INSERT INTO careplan.consents (id, person_id, agency_id, status, basis, recorded_on)
    SELECT g.eid, g.v ->> 'person_id', g.v ->> 'agency_id', g.v ->> 'status',
           g.v ->> 'basis', g.v ->> 'recorded_on'
    FROM last g WHERE NOT g.gone
    ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id,
        agency_id = excluded.agency_id, status = excluded.status,
        basis = excluded.basis, recorded_on = excluded.recorded_on;
    DROP TABLE pg_temp.push_links, pg_temp.push_who, pg_temp.push_batch;
    RETURN kept;
END $$;
CREATE OR REPLACE FUNCTION careplan.stub(e json) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('id', e -> 'id', 'store_id', e -> 'store_id',
                             'store_seq', e -> 'store_seq', 'entity', '{WITHHELD}',
                             'hlc', e -> 'hlc', 'vector', e -> 'vector', 'hash', e -> 'hash')
$$;
REVOKE ALL ON FUNCTION careplan.stub(json) FROM PUBLIC;
CREATE OR REPLACE FUNCTION careplan.pull(after bigint, max_rows integer,
                                         held text[] DEFAULT '{{}}')
RETURNS TABLE (server_seq bigint, payload json, author name, again boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = careplan, pg_temp AS $$
    WITH me AS (
        SELECT (SELECT l.agency_id FROM careplan.laptops l WHERE l.role = session_user)
                   AS agency,
               to_char((now() AT TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') AS today
    ), picked AS (
        SELECT e.server_seq, e.payload, e.author, e.about, true AS again
        FROM careplan.events e WHERE e.event_id = ANY (held)
        UNION ALL
        SELECT * FROM (
            SELECT e.server_seq, e.payload, e.author, e.about, false AS again
            FROM careplan.events e WHERE e.server_seq > after
            ORDER BY e.server_seq LIMIT max_rows) AS news
    ), judged AS (
        SELECT p.*, coalesce(me.agency IS NULL OR p.about = '' OR (p.about <> '?' AND
               {latest_allows_sql("p.about", "me.agency", "me.today", "careplan.consents")}
               = 1), false) AS whole
        FROM picked p CROSS JOIN me
    )
    SELECT j.server_seq, CASE WHEN j.whole THEN j.payload ELSE careplan.stub(j.payload) END,
           j.author, j.again
    FROM judged j WHERE j.whole OR NOT j.again
    ORDER BY j.again DESC, j.server_seq
$$;
"""

SCHEMA = f"""
CREATE SCHEMA IF NOT EXISTS careplan;
REVOKE ALL ON SCHEMA careplan FROM PUBLIC;
CREATE TABLE IF NOT EXISTS careplan.events (
    server_seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    origin text NOT NULL,
    origin_seq bigint NOT NULL,
    payload json NOT NULL,
    author name NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (origin, origin_seq)
);
REVOKE ALL ON careplan.events FROM PUBLIC;
-- Events are kept as the text they were pushed in (json, not jsonb, which reorders an
-- object's keys): every store then holds each event alike, byte for byte.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'careplan'
               AND table_name = 'events' AND column_name = 'payload'
               AND data_type = 'jsonb') THEN
        ALTER TABLE careplan.events ALTER COLUMN payload TYPE json USING payload::json;
    END IF;
END $$;
DROP FUNCTION IF EXISTS careplan.push(jsonb);
DROP FUNCTION IF EXISTS careplan.pull(bigint, integer);
DROP FUNCTION IF EXISTS careplan.pull(bigint, integer, text[]);
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{CLIENT_ROLE}') THEN
        CREATE ROLE {CLIENT_ROLE} NOLOGIN;
    END IF;
END $$;
{CONSENT}CREATE TABLE IF NOT EXISTS careplan.server_info (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    server_id uuid NOT NULL DEFAULT gen_random_uuid()
);
REVOKE ALL ON careplan.server_info FROM PUBLIC;
INSERT INTO careplan.server_info DEFAULT VALUES ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION careplan.server_id() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = careplan, pg_temp AS $$
    SELECT server_id::text FROM careplan.server_info
$$;
REVOKE ALL ON FUNCTION careplan.server_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION careplan.server_id() TO {CLIENT_ROLE};
REVOKE ALL ON FUNCTION careplan.push(json) FROM PUBLIC;
REVOKE ALL ON FUNCTION careplan.pull(bigint, integer, text[]) FROM PUBLIC;
GRANT USAGE ON SCHEMA careplan TO {CLIENT_ROLE};
GRANT EXECUTE ON FUNCTION careplan.push(json) TO {CLIENT_ROLE};
GRANT EXECUTE ON FUNCTION careplan.pull(bigint, integer, text[]) TO {CLIENT_ROLE};
"""


class ServerError(StoreError):
    """The team server could not be reached, or refused; the sentence says which."""


@dataclass(frozen=True, slots=True)
class Pulled:
    """An event as the server hands it to this laptop: its place in the server's order,
    the event as pushed (or its stub, when this laptop's agency may not see it), the
    database role that pushed it, and whether it is one the laptop holds as a stub, sent
    again whole (``again``: its place is behind the laptop's cursor already)."""

    server_seq: int
    event: dict[str, Any]
    author: str
    again: bool = False


def connect(dsn: str, timeout: int = 10) -> psycopg.Connection[Any]:
    """A connection to the team server (the DSN in libpq's form; passwords belong in a
    password file or PGPASSWORD, never on the command line), giving up after
    ``timeout`` seconds.

    Raises:
        ServerError: the server cannot be reached or refused the sign-in.
    """
    try:
        return psycopg.connect(dsn, connect_timeout=timeout, autocommit=False)
    except psycopg.Error as exc:
        raise ServerError(f"The team server cannot be reached ({_first_line(exc)}).") from exc


def init_server(dsn: str) -> None:
    """Create (or bring up to date) the server's schema; run as the database's owner.

    Raises:
        ServerError: the server refused (e.g. the role may not create a schema).
    """
    with connect(dsn) as conn:
        try:
            conn.execute(SCHEMA)
            conn.commit()
        except psycopg.Error as exc:
            raise ServerError(f"The team server's schema could not be created "
                              f"({_first_line(exc)}).") from exc


def server_id(conn: psycopg.Connection[Any]) -> str:
    """The server's own id.

    Raises:
        ServerError: the connection dropped, or the server's schema is older than this
            CarePlan (``careplan server init`` brings it up to date).
    """
    rows = _call(conn, "SELECT careplan.server_id()", ())
    row = rows[0] if rows else None
    if row is None or not row[0]:  # pragma: no cover - init_server makes the row
        raise ServerError("The team server has no id; its owner runs careplan server init.")
    return str(row[0])


def push(conn: psycopg.Connection[Any], events: Sequence[dict[str, Any]]) -> int:
    """Push events in their order; return how many the server did not have yet.

    Raises:
        ServerError: the push was refused or the connection dropped (nothing of this
            call is kept then; pushing again is safe).
    """
    if not events:
        return 0
    try:
        row = conn.execute("SELECT careplan.push(%s::json)", (json.dumps(list(events)),)
                           ).fetchone()
        conn.commit()
    except psycopg.Error as exc:
        _rollback(conn)
        raise ServerError(f"The team server refused the events ({_first_line(exc)}).") \
            from exc
    return int(row[0]) if row else 0


def pull(conn: psycopg.Connection[Any], after: int, limit: int = PULL_BATCH,
         held: Sequence[str] = ()) -> list[Pulled]:
    """Events the server holds after ``after`` (a server sequence), at most ``limit``,
    each whole or as a stub as this laptop's agency may see it; and first, those of
    ``held`` (events the laptop holds as stubs) it may see now, whole.

    Raises:
        ServerError: the connection dropped, or the server's schema is older than this
            CarePlan.
    """
    rows = _call(conn, "SELECT * FROM careplan.pull(%s, %s, %s::text[])",
                 (after, limit, list(held)))
    return [Pulled(int(seq), dict(payload), str(author), bool(again))
            for seq, payload, author, again in rows]


@dataclass(frozen=True, slots=True)
class Laptop:
    """A client role and the agency whose store it syncs, as the server records it."""

    role: str
    agency_id: str
    agency_name: str | None


def record_laptop(dsn: str, role: str, agency: str) -> Laptop:
    """Record, as the server's owner, that the client role ``role`` syncs a store of the
    agency ``agency`` (its id, or its name as the server's events last recorded it):
    what its pulls hand it follows that agency's sharing basis for each person.

    Raises:
        InputError: naming ``--role`` (not a client role of this server) or ``--agency``
            (no agency of that id or name on the server, or more than one by that name).
        ServerError: the server cannot be reached or refused.
    """
    with connect(dsn) as conn:
        try:
            row = conn.execute("SELECT pg_has_role(r.oid, %s, 'MEMBER') FROM pg_roles r "
                               "WHERE r.rolname = %s", (CLIENT_ROLE, role)).fetchone()
            if row is None or not row[0]:
                raise InputError(f"--role: {role} is not a role of this team server's "
                                 f"laptops (a login role in {CLIENT_ROLE})")
            agencies = _agencies(conn)
            wanted = agency.strip()
            found = [a for a in agencies if a[0] == wanted] or \
                [a for a in agencies if (a[1] or "").lower() == wanted.lower()]
            if not found:
                raise InputError(f"--agency: no agency with the id or name {wanted} is on "
                                 "the team server (a laptop of the team pushes it first)")
            if len(found) > 1:
                raise InputError(f"--agency: {len(found)} agencies on the team server are "
                                 f"named {wanted}; give the agency's id")
            agency_id, name = found[0]
            conn.execute("INSERT INTO careplan.laptops (role, agency_id) VALUES (%s, %s) "
                         "ON CONFLICT (role) DO UPDATE SET agency_id = excluded.agency_id, "
                         "recorded_at = now()", (role, agency_id))
            conn.commit()
        except psycopg.errors.UndefinedTable:
            _rollback(conn)
            raise ServerError("The team server's schema is older than this CarePlan; "
                              "bring it up to date first with careplan server init.") from None
        except psycopg.Error as exc:
            raise _refused(conn, exc) from exc
    return Laptop(role, agency_id, name)


def laptops(dsn: str) -> list[Laptop]:
    """The client roles whose agency the server records, by role.

    Raises:
        ServerError: the server cannot be reached or refused.
    """
    with connect(dsn) as conn:
        try:
            names = dict(_agencies(conn))
            rows = conn.execute("SELECT role, agency_id FROM careplan.laptops ORDER BY role"
                                ).fetchall()
        except psycopg.Error as exc:
            raise _refused(conn, exc) from exc
    return [Laptop(str(r), str(a), names.get(str(a))) for r, a in rows]


def _agencies(conn: psycopg.Connection[Any]) -> list[tuple[str, str | None]]:
    """Every agency on the server (id, its name as its latest event left it)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (payload ->> 'entity_id') payload ->> 'entity_id', "
        "payload -> 'after' ->> 'name' FROM careplan.events "
        "WHERE payload ->> 'entity' = 'agencies' "
        "ORDER BY payload ->> 'entity_id', server_seq DESC").fetchall()
    return [(str(i), None if n is None else str(n)) for i, n in rows]


def pull_all(conn: psycopg.Connection[Any], after: int) -> Iterable[Pulled]:
    """Every event after ``after``, batch by batch."""
    while batch := pull(conn, after):
        yield from batch
        after = batch[-1].server_seq


def _call(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> list[Any]:
    """The rows of one of the server's functions, committed; its failures in words.

    Raises:
        ServerError: the connection dropped, or the server's schema is older than this
            CarePlan (``careplan server init`` brings it up to date).
    """
    try:
        rows = conn.execute(sql, params).fetchall()
        conn.commit()
    except psycopg.errors.UndefinedFunction:
        _rollback(conn)
        raise ServerError("The team server's schema is older than this CarePlan; its owner "
                          "brings it up to date with careplan server init.") from None
    except psycopg.Error as exc:
        _rollback(conn)
        raise ServerError(f"The team server did not answer ({_first_line(exc)}).") from exc
    return rows


def _refused(conn: psycopg.Connection[Any], exc: psycopg.Error) -> ServerError:
    """A statement the server refused: its transaction rolled back, the refusal in words."""
    _rollback(conn)
    return ServerError(f"The team server refused ({_first_line(exc)}).")


def _rollback(conn: psycopg.Connection[Any]) -> None:
    with contextlib.suppress(psycopg.Error):  # the connection is gone: nothing to undo
        conn.rollback()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["CLIENT_ROLE", "Laptop", "Pulled", "ServerError", "connect", "init_server",
           "laptops", "pull", "pull_all", "push", "record_laptop", "server_id"]
