"""The migration that lets an action meet more than one need (careplan.models.plan).

An action keeps its own ``need_id`` (the need it was written for); each further need it
meets is one ``action_needs`` row. Nothing existing is rewritten: an older store's
actions meet the needs they met before. Like every table of records, the links carry a
version and are shared with other stores through their audit events
(careplan.store.replication finds the table by its columns).

Written out in full, like migration 1, so later changes to the domain classes never
alter what an existing store was upgraded with.
"""

SQL = """
CREATE TABLE action_needs (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    action_id TEXT NOT NULL REFERENCES actions(id),
    need_id TEXT NOT NULL REFERENCES needs(id)
);
CREATE INDEX idx_action_needs_action_id ON action_needs(action_id);
CREATE INDEX idx_action_needs_need_id ON action_needs(need_id);
"""
