"""Numbered schema migrations. Opening an older store upgrades it in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from careplan.models.sync import hlc_text, wall
from careplan.store import (
    chain,
    schema_action_needs,
    schema_funding,
    schema_health,
    schema_social,
    schema_v1,
    sqlite,
)
from careplan.store.errors import StoreError

Migration = Callable[[sqlite.Connection], None]


def _script(sql: str) -> Migration:
    def run(conn: sqlite.Connection) -> None:
        # executescript would COMMIT the open transaction; run statements one by one.
        for statement in _split(sql):
            conn.execute(statement)

    return run


def _split(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


#: Migration 2: a store's own values for the rules' thresholds (defaults live in
#: careplan/resources/rules.toml). Changes are audited like any other row.
_RULE_OVERRIDES = """
CREATE TABLE rule_overrides (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
"""

#: Migration 4: the day the plan's current version began, so an agency's 14 days to sign
#: run from the new version, not from the plan's first activation.
_VERSION_SINCE = """
ALTER TABLE care_plans ADD COLUMN version_since TEXT;
"""

#: Migration 5: covering indexes for the flags' candidate query, which checks every
#: active care team member for an agency's consent and its sign-off of the plan in force;
#: with these it reads the indexes alone, never the rows.
_FLAG_INDEXES = """
CREATE INDEX idx_care_team_members_person_cover
    ON care_team_members(person_id, professional_id, start_date, end_date, is_lead);
CREATE INDEX idx_consents_person_cover ON consents(person_id, agency_id, status, recorded_on);
CREATE INDEX idx_plan_signoffs_plan_cover
    ON plan_signoffs(plan_id, plan_version, agency_id, signed_at);
"""

#: Migration 6: a person's History tab asks for the audit events of the rows in their file
#: (``person_history``: ``entity_id IN (...) ORDER BY seq DESC``). The index of schema 1
#: leads with ``entity``, which that query does not name, so it read the whole audit log
#: (160 ms a person at 50,000 persons and a million events; 0.04 ms with this index).
_AUDIT_BY_ROW = """
CREATE INDEX idx_audit_entity_id ON audit_events(entity_id, seq);
"""

#: Migration 7: sign-in. ``accounts`` is audited like every record; the password hash
#: lives apart in ``account_secrets``, written without audit events so that no event ever
#: carries it (a change of password is audited on the account as ``password_changed_at``),
#: with the count of consecutive failed sign-ins behind the lockout. ``sign_ins`` keeps
#: every attempt, with its audit event, whatever its outcome.
_ACCOUNTS = """
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    professional_id TEXT UNIQUE REFERENCES professionals(id),
    role TEXT NOT NULL,
    active INTEGER NOT NULL,
    must_change_password INTEGER NOT NULL,
    password_changed_at TEXT
);
CREATE TABLE account_secrets (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
    password_hash TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    failed_count INTEGER NOT NULL DEFAULT 0,
    last_failed_at TEXT
);
CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    username TEXT NOT NULL,
    account_id TEXT REFERENCES accounts(id),
    at TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX idx_sign_ins_username ON sign_ins(username, at);
CREATE INDEX idx_sign_ins_account_id ON sign_ins(account_id, at);
"""

#: Migration 8: each issued version of a plan, with a snapshot of what the agencies sign
#: (careplan.models.plan_versions).
#: Nothing is derived here: a plan's ``plan_version`` stays the version in force, with
#: its signatures; its snapshot is recorded, through an audited operation, just before
#: the plan's signed content first changes (careplan.store.plan_versions). Undoing an
#: edit may remove a version row the edit recorded, but never one a later version or
#: (once explicitly issued) a signature depends on: the trigger refuses, and the undo
#: with it.
_PLAN_VERSIONS = """
CREATE TABLE plan_versions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    number INTEGER NOT NULL,
    issued_at TEXT,
    issued_by TEXT,
    snapshot TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_plan_versions_plan_number ON plan_versions(plan_id, number);
CREATE TRIGGER plan_versions_kept BEFORE DELETE ON plan_versions
WHEN EXISTS (SELECT 1 FROM plan_versions v WHERE v.plan_id = OLD.plan_id
             AND v.number > OLD.number)
  OR (OLD.issued_by IS NOT NULL AND EXISTS (SELECT 1 FROM plan_signoffs s
      WHERE s.plan_id = OLD.plan_id AND s.plan_version = OLD.number))
BEGIN
    SELECT RAISE(ABORT, 'plan version: a later version or a signature depends on it');
END;
"""
_plan_versions = _script(_PLAN_VERSIONS)

#: Migration 10: the day a plan's last review was completed, so that the next review is
#: due within 12 months of it (Care Act statutory guidance), whatever date it records.
_REVIEWED_ON = """
ALTER TABLE care_plans ADD COLUMN reviewed_on TEXT;
"""

#: Migration 11: who may do what (careplan.models.permissions). A handoff keeps the
#: proposer's note (``reason``) apart from who answered it (``answered_by``) and why
#: (``answer_reason``); until now the answer wrote its reason over the note. A care team
#: membership keeps why a manager made it the lead professional (``lead_reason``).
#:
#: Handoffs answered before this migration are split the same way on every copy of a
#: store, from what the store already holds: where the audit trail has the answering
#: event (status from proposed to accepted or declined), the answer's reason is the
#: reason it left, the note is the reason it overwrote, and the answerer is its actor
#: when that is a professional; otherwise (handoffs written answered, by the demo or an
#: import) the reason was the answer's.
_HANDOFF_ANSWERS = """
ALTER TABLE handoffs ADD COLUMN answered_by TEXT REFERENCES professionals(id);
ALTER TABLE handoffs ADD COLUMN answer_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE care_team_members ADD COLUMN lead_reason TEXT NOT NULL DEFAULT '';
CREATE TEMP TABLE handoff_answers AS
SELECT h.id AS id, e.actor AS actor, json_extract(e.before, '$.reason') AS note
FROM handoffs h JOIN audit_events e ON e.seq = (
    SELECT max(x.seq) FROM audit_events x
    WHERE x.entity = 'handoffs' AND x.entity_id = h.id
      AND json_extract(x.before, '$.status') = 'proposed'
      AND json_extract(x.after, '$.status') IN ('accepted', 'declined'))
WHERE h.status IN ('accepted', 'declined');
UPDATE handoffs SET answer_reason = reason,
    reason = coalesce((SELECT a.note FROM handoff_answers a WHERE a.id = handoffs.id), ''),
    answered_by = (SELECT p.id FROM handoff_answers a JOIN professionals p ON p.id = a.actor
                   WHERE a.id = handoffs.id)
WHERE status IN ('accepted', 'declined');
DROP TABLE handoff_answers;
CREATE INDEX idx_handoffs_answered_by ON handoffs(answered_by);
"""

#: The other stores of the team this store exchanges change packs with: their names and
#: public keys (careplan.store.packs). Trusting a store is audited like any change.
_TRUSTED_STORES = """
CREATE TABLE trusted_stores (
    store_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sign_public TEXT NOT NULL,
    box_public TEXT NOT NULL,
    version INTEGER NOT NULL,
    trusted_at TEXT NOT NULL,
    trusted_by TEXT NOT NULL
);
"""

#: Migration (after plan versions; renumber freely, nothing refers to its number): what
#: sharing changes with other stores needs (careplan.store.replication).
#: Each audit event gets a hybrid logical clock reading (``hlc``: display order; NULL
#: for events written before this migration, read as their wall time), what its store
#: had seen of other stores (``vector``: JSON origin -> sequence; NULL when it had seen
#: none, the common case) and the conflicts it decides (``resolves``: JSON conflict id
#: -> field). ``sync_vector`` is what this store has seen of other stores (its own
#: events are counted by the log's own index); ``sync_pending`` holds events that
#: arrived before those they depend on, or that were refused; ``sync_conflicts`` the
#: conflicts found among concurrent events.
_SYNC_COLUMNS = ("hlc", "vector", "resolves")
_SYNC = """
CREATE TABLE IF NOT EXISTS sync_vector (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hlc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_pending (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    store_seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    refused TEXT
);
CREATE TABLE IF NOT EXISTS sync_conflicts (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    kind TEXT NOT NULL,
    person_id TEXT,
    event_a TEXT NOT NULL,
    event_b TEXT NOT NULL,
    value_a TEXT,
    value_b TEXT,
    status TEXT NOT NULL,
    closed_by TEXT
);
CREATE INDEX IF NOT EXISTS idx_sync_conflicts_row ON sync_conflicts(entity_id, entity);
CREATE INDEX IF NOT EXISTS idx_sync_conflicts_open ON sync_conflicts(person_id)
    WHERE status = 'open';
"""


def _sync(conn: sqlite.Connection) -> None:
    # Written to run again over its own work (a store whose schema number was put back
    # by hand, or a migration renumbered when branches meet): nothing is added twice.
    have = {str(r[1]) for r in conn.execute("PRAGMA table_info(audit_events)")}
    for column in _SYNC_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE audit_events ADD COLUMN {column} TEXT")
    _script(_SYNC)(conn)
    own = conn.execute("SELECT value FROM store_meta WHERE key = 'store_id'").fetchone()
    # Events of an earlier identity of this store are what it has seen of another.
    for (origin,) in conn.execute("SELECT DISTINCT store_id FROM audit_events").fetchall():
        if own is not None and origin == own[0]:
            continue
        seq, at = conn.execute("SELECT max(store_seq), max(at) FROM audit_events "
                               "WHERE store_id = ?", (origin,)).fetchone()
        conn.execute("INSERT OR IGNORE INTO sync_vector (origin, seq, hlc) VALUES (?, ?, ?)",
                     (origin, seq, hlc_text(wall(at))))

_handoff_answers = _script(_HANDOFF_ANSWERS)

#: Migration (renumber freely, nothing refers to its number): a tamper-evident audit log
#: and reading audited too. Each event gets its ``hash`` (careplan.store.chain: a chain
#: per origin store, computed here over every event the store holds, on every copy
#: alike); ``audit_heads`` keeps the last link of each chain. ``reads`` records who
#: opened, printed or exported whose record (careplan.models.reads), audited like every
#: record; no foreign key, so a read never holds back the removal of what was read.
_CHAIN = """
CREATE TABLE IF NOT EXISTS audit_heads (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS reads (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    reader_id TEXT NOT NULL,
    person_id TEXT,
    persons INTEGER,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_reads_person ON reads(person_id, at);
CREATE INDEX IF NOT EXISTS idx_reads_at ON reads(at);
"""


def _chain(conn: sqlite.Connection) -> None:
    # Written to run again over its own work, like _sync.
    have = {str(r[1]) for r in conn.execute("PRAGMA table_info(audit_events)")}
    if "hash" not in have:
        conn.execute("ALTER TABLE audit_events ADD COLUMN hash BLOB")
    _script(_CHAIN)(conn)
    chain.fill(conn)


#: Migration (after sharing; renumber freely, nothing refers to its number): what
#: exchanging changes with other stores keeps track of (careplan.store.exchange and
#: careplan.store.serversync). ``share_peers``: per store this one trusts, what that store
#: had seen when it made the newest pack received from it (JSON origin -> sequence, merged
#: with earlier ones: packs may arrive out of order), so the next pack for it carries only
#: what it lacks; and the agency its packs are made for (what it may see: the consent
#: hook), if recorded. ``share_servers``: per team server (by the server's own id), the
#: last server sequence applied here (the pull cursor, moved in the transaction that
#: applied the events), what the server is known to hold (JSON origin -> sequence: pulled
#: from it, or pushed and acknowledged), and when the last sync ended and how. Neither
#: table holds records: nothing in them travels to other stores.
_SHARE = """
CREATE TABLE share_peers (
    store_id TEXT PRIMARY KEY,
    agency_id TEXT,
    vector TEXT NOT NULL DEFAULT '{}',
    pack_made_at TEXT,
    received_at TEXT
);
CREATE TABLE share_servers (
    server_id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    cursor INTEGER NOT NULL DEFAULT 0,
    vector TEXT NOT NULL DEFAULT '{}',
    last_synced TEXT,
    last_error TEXT,
    last_error_at TEXT
);
"""

_share = _script(_SHARE)


#: Migration 18: sharing follows consent. A legal basis names its kind
#: (careplan.models.enums.LegalBasis); an emergency opening of a record one's agency may
#: not see ("break glass") is a record of its own, audited, for the lead professional to
#: review. An index of consents led by the agency lets a caseload read, in one pass, whom
#: the reader's agency may see. Runs again over its own work (a migration renumbered when
#: branches meet).
_SHARING_BASIS = """
CREATE TABLE IF NOT EXISTS emergency_accesses (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    professional_id TEXT NOT NULL REFERENCES professionals(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    reason TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    reviewed_by TEXT REFERENCES professionals(id),
    reviewed_at TEXT,
    review_note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_emergency_accesses_person_id
    ON emergency_accesses(person_id);
CREATE INDEX IF NOT EXISTS idx_emergency_accesses_professional_id
    ON emergency_accesses(professional_id, opened_at);
CREATE INDEX IF NOT EXISTS idx_emergency_accesses_agency_id ON emergency_accesses(agency_id);
CREATE INDEX IF NOT EXISTS idx_emergency_accesses_open
    ON emergency_accesses(person_id) WHERE reviewed_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_consents_sharing
    ON consents(agency_id, person_id, recorded_on, status, basis);
"""


def _sharing_basis(conn: sqlite.Connection) -> None:
    have = {str(r[1]) for r in conn.execute("PRAGMA table_info(consents)")}
    if "basis" not in have:
        conn.execute("ALTER TABLE consents ADD COLUMN basis TEXT")
    _script(_SHARING_BASIS)(conn)


#: Migration 19: an event withheld from this store (a stub, careplan.store.exchange.stub)
#: may be filled in with the event it stands for once its store's agency may see it: the
#: same id, place, arrival and link in its origin's chain, its content at last. Every
#: other update of the log is still refused. ``share_withheld``: the events this store
#: sent a trusted store as stubs, to send whole once that store's agency may see them.
_FILL_WITHHELD = """
DROP TRIGGER IF EXISTS audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (OLD.entity = 'withheld' AND NEW.entity <> 'withheld' AND NEW.id = OLD.id
          AND NEW.store_id = OLD.store_id AND NEW.store_seq = OLD.store_seq
          AND NEW.seq = OLD.seq AND NEW.hash IS OLD.hash AND OLD.hash IS NOT NULL)
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TABLE share_withheld (
    store_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (store_id, event_id)
) WITHOUT ROWID;
"""


#: Migration 20: partial covering indexes for the flags' mental health coordinator
#: candidates, which read every active substance use condition, then each such person's
#: care coordinators and leads. Without them the query read the whole conditions table
#: and, for the care team members' roles, their rows (at 50,000 persons about 9,000 of
#: the 27,000 pages read on the flags' second connection). SQLite keeps a partial index
#: on every insert, update and delete like any other, whoever writes.
_FLAG_PARTIAL_INDEXES = """
CREATE INDEX IF NOT EXISTS idx_conditions_active_domain
    ON conditions(domain, person_id) WHERE clinical_status = 'active';
CREATE INDEX IF NOT EXISTS idx_care_team_members_coordinators
    ON care_team_members(person_id, professional_id, start_date, end_date, is_lead, role)
    WHERE is_lead = 1 OR role = 'care coordinator';
"""


#: Migration n (1-based) upgrades a store from schema version n-1 to n. Append only.

MIGRATIONS: list[Migration] = [
    _script(schema_v1.SQL),
    _script(_RULE_OVERRIDES),
    _script(schema_funding.SQL),  # 3: funding streams, costs, personal and joint budgets
    _script(_VERSION_SINCE),  # 4: when the plan's current version began
    _script(_FLAG_INDEXES),  # 5: covering indexes for the flags' candidates
    _script(_AUDIT_BY_ROW),  # 6: a row's audit events by its id, for the History tab
    _script(_ACCOUNTS),  # 7: accounts, their password hashes, sign-in attempts
    _plan_versions,  # 8: plan versions and their snapshots
    _script(_TRUSTED_STORES),  # 9: the stores change packs are exchanged with
    _script(_REVIEWED_ON),  # 10: when a plan's last review was completed
    _handoff_answers,  # 11: who answered a handoff and why; why a lead was made
    _sync,  # 12: sharing: clock, vector and decisions on events; what other stores sent
    _script(schema_social.SQL),  # 13: carers, EHC plans and care leavers, safeguarding
    _script(schema_health.SQL),  # 14: admission method, MHA section, CHC, s.117 aftercare
    _chain,  # 15: the audit log's hash chains and their heads; reads audited
    _script(schema_action_needs.SQL),  # 16: the further needs an action meets
    _share,  # 17: packs and team servers: what each peer and server has seen
    _sharing_basis,  # 18: kinds of legal basis; emergency access ("break glass")
    _script(_FILL_WITHHELD),  # 19: a withheld event filled in once it may be seen
    _script(_FLAG_PARTIAL_INDEXES),  # 20: partial indexes for the flags' candidates
]

#: The schema version that added plan versions (found, not written: it follows the list).
PLAN_VERSIONS_SCHEMA = MIGRATIONS.index(_plan_versions) + 1
HANDOFF_ANSWERS_SCHEMA = MIGRATIONS.index(_handoff_answers) + 1
#: The schema version that added sharing (found, not written: it follows the list).
SYNC_SCHEMA = MIGRATIONS.index(_sync) + 1
#: The schema version that added the audit log's hash chains.
CHAIN_SCHEMA = MIGRATIONS.index(_chain) + 1
#: The schema version that added the bookkeeping of packs and team servers.
SHARE_SCHEMA = MIGRATIONS.index(_share) + 1


def latest_version() -> int:
    return len(MIGRATIONS)


def current_version(conn: sqlite.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def upgrade(conn: sqlite.Connection) -> list[int]:
    """Apply every pending migration atomically; return the versions applied."""
    start = current_version(conn)
    if start > latest_version():
        raise StoreError(
            f"This store was written by a newer CarePlan (schema {start}); "
            f"this version understands up to schema {latest_version()}."
        )
    applied: list[int] = []
    if start == latest_version():
        return applied
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process (a second window opening the
        # same store) may have applied the migrations while this one waited for it.
        start = current_version(conn)
        for number in range(start + 1, latest_version() + 1):
            MIGRATIONS[number - 1](conn)
            applied.append(number)
        conn.execute(f"PRAGMA user_version = {latest_version()}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
