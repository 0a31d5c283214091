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
- Clients pull through ``careplan.pull(after, max_rows)``.
- ``careplan.server_id()`` names the server (made once, by ``init_server``): a laptop
  keeps its place in the server's sequence per server id, so a server built again from
  nothing (its sequence starting over) is never taken for the one it replaced.

Events are JSON objects; the server reads only their ``id``, ``store_id`` and
``store_seq`` (see careplan.store.replication for what they hold).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from careplan.store.errors import StoreError

#: The role every client login role is a member of: it may only call push and pull.
CLIENT_ROLE = "careplan_client"
#: Events pulled per round trip.
PULL_BATCH = 5_000
#: The key of the advisory lock that orders pushes (any fixed number).
_ORDER_LOCK = 0x43617265506C616E  # "CarePlan"

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
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{CLIENT_ROLE}') THEN
        CREATE ROLE {CLIENT_ROLE} NOLOGIN;
    END IF;
END $$;
CREATE OR REPLACE FUNCTION careplan.push(events json) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = careplan, pg_temp AS $$
DECLARE
    added bigint;
BEGIN
    PERFORM pg_advisory_xact_lock({_ORDER_LOCK});
    INSERT INTO careplan.events (event_id, origin, origin_seq, payload, author)
    SELECT e ->> 'id', e ->> 'store_id', (e ->> 'store_seq')::bigint, e, session_user
    FROM json_array_elements(events) WITH ORDINALITY AS t(e, n)
    ORDER BY n
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END $$;
CREATE OR REPLACE FUNCTION careplan.pull(after bigint, max_rows integer)
RETURNS TABLE (server_seq bigint, payload json, author name)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = careplan, pg_temp AS $$
    SELECT e.server_seq, e.payload, e.author FROM careplan.events e
    WHERE e.server_seq > after ORDER BY e.server_seq LIMIT max_rows
$$;
CREATE TABLE IF NOT EXISTS careplan.server_info (
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
REVOKE ALL ON FUNCTION careplan.pull(bigint, integer) FROM PUBLIC;
GRANT USAGE ON SCHEMA careplan TO {CLIENT_ROLE};
GRANT EXECUTE ON FUNCTION careplan.push(json) TO {CLIENT_ROLE};
GRANT EXECUTE ON FUNCTION careplan.pull(bigint, integer) TO {CLIENT_ROLE};
"""


class ServerError(StoreError):
    """The team server could not be reached, or refused; the sentence says which."""


@dataclass(frozen=True, slots=True)
class Pulled:
    """An event as the server keeps it: its place in the server's order, the event as
    pushed, and the database role that pushed it."""

    server_seq: int
    event: dict[str, Any]
    author: str


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
    try:
        row = conn.execute("SELECT careplan.server_id()").fetchone()
        conn.commit()
    except psycopg.errors.UndefinedFunction:
        _rollback(conn)
        raise ServerError("The team server's schema is older than this CarePlan; its owner "
                          "brings it up to date with careplan server init.") from None
    except psycopg.Error as exc:
        _rollback(conn)
        raise ServerError(f"The team server did not answer ({_first_line(exc)}).") from exc
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


def pull(conn: psycopg.Connection[Any], after: int, limit: int = PULL_BATCH) -> list[Pulled]:
    """Events the server holds after ``after`` (a server sequence), at most ``limit``.

    Raises:
        ServerError: the connection dropped.
    """
    try:
        rows = conn.execute("SELECT * FROM careplan.pull(%s, %s)", (after, limit)).fetchall()
        conn.commit()
    except psycopg.Error as exc:
        _rollback(conn)
        raise ServerError(f"The team server did not answer ({_first_line(exc)}).") from exc
    return [Pulled(int(seq), dict(payload), str(author)) for seq, payload, author in rows]


def pull_all(conn: psycopg.Connection[Any], after: int) -> Iterable[Pulled]:
    """Every event after ``after``, batch by batch."""
    while batch := pull(conn, after):
        yield from batch
        after = batch[-1].server_seq


def _rollback(conn: psycopg.Connection[Any]) -> None:
    with contextlib.suppress(psycopg.Error):  # the connection is gone: nothing to undo
        conn.rollback()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["CLIENT_ROLE", "Pulled", "ServerError", "connect", "init_server", "pull",
           "pull_all", "push", "server_id"]
