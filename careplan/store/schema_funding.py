"""Migration 3: funding streams, joint (pooled and aligned) budgets, action costs and
their funders, and personal budgets.

Written out in full, like migration 1, so later changes to the domain classes never
alter what an existing store was upgraded with. Money columns hold integer pence.
"""

SQL = """
CREATE TABLE joint_budgets (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    name TEXT NOT NULL,
    arrangement TEXT NOT NULL,
    neighbourhood TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    host_agency_id TEXT REFERENCES agencies(id)
);
CREATE INDEX idx_joint_budgets_neighbourhood ON joint_budgets(neighbourhood);
CREATE TABLE budget_contributions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    budget_id TEXT NOT NULL REFERENCES joint_budgets(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    amount_pence INTEGER NOT NULL CHECK (amount_pence >= 0)
);
CREATE INDEX idx_budget_contributions_budget_id ON budget_contributions(budget_id);
CREATE INDEX idx_budget_contributions_agency_id ON budget_contributions(agency_id);
CREATE TABLE funding_streams (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    principle TEXT NOT NULL,
    agency_id TEXT REFERENCES agencies(id),
    budget_id TEXT REFERENCES joint_budgets(id)
);
CREATE INDEX idx_funding_streams_agency_id ON funding_streams(agency_id);
CREATE INDEX idx_funding_streams_budget_id ON funding_streams(budget_id);
CREATE TABLE action_costs (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    action_id TEXT NOT NULL UNIQUE REFERENCES actions(id),
    unit_cost_pence INTEGER NOT NULL CHECK (unit_cost_pence >= 0),
    frequency TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    care_type TEXT NOT NULL,
    funding_status TEXT NOT NULL,
    disputed_since TEXT,
    disputed_by TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX idx_action_costs_disputed ON action_costs(funding_status, disputed_since);
CREATE TABLE personal_budgets (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    allocation_pence INTEGER NOT NULL CHECK (allocation_pence >= 0),
    stream_ids TEXT NOT NULL,
    taken_as TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT
);
CREATE INDEX idx_personal_budgets_person_id ON personal_budgets(person_id);
CREATE TABLE action_funders (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    cost_id TEXT NOT NULL REFERENCES action_costs(id),
    stream_id TEXT NOT NULL REFERENCES funding_streams(id),
    share_bp INTEGER NOT NULL CHECK (share_bp > 0 AND share_bp <= 10000),
    personal_budget_id TEXT REFERENCES personal_budgets(id)
);
CREATE INDEX idx_action_funders_cost_id ON action_funders(cost_id);
CREATE INDEX idx_action_funders_stream_id ON action_funders(stream_id);
CREATE INDEX idx_action_funders_personal_budget_id ON action_funders(personal_budget_id);
"""
