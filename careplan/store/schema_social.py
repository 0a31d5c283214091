"""Migration 11: carers (and the carer's assessment each was offered), EHC plans and care
leaver status, safeguarding concerns (careplan.models.social).

Written out in full, like migrations 1 and 3, so later changes to the domain classes
never alter what an existing store was upgraded with.
"""

SQL = """
CREATE TABLE carers (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    end_date TEXT,
    assessment_id TEXT REFERENCES assessments(id)
);
CREATE INDEX idx_carers_person_id ON carers(person_id);
CREATE INDEX idx_carers_assessment_id ON carers(assessment_id);
CREATE TABLE young_person_statuses (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    agency_id TEXT REFERENCES agencies(id)
);
CREATE INDEX idx_young_person_statuses_person_id ON young_person_statuses(person_id);
CREATE INDEX idx_young_person_statuses_agency_id ON young_person_statuses(agency_id);
CREATE TABLE safeguarding_concerns (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    received_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    agency_id TEXT REFERENCES agencies(id),
    decision TEXT,
    decided_on TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX idx_safeguarding_concerns_person_id ON safeguarding_concerns(person_id);
CREATE INDEX idx_safeguarding_concerns_agency_id ON safeguarding_concerns(agency_id);
CREATE INDEX idx_safeguarding_concerns_open ON safeguarding_concerns(decided_on, received_on);
"""
