"""The migration of the health-side flags: how a hospital stay began (admission method,
Mental Health Act section), NHS Continuing Healthcare checklists and decisions, and
section 117 aftercare plans (careplan.models.health).

Written out in full, like migration 1, so later changes to the domain classes never
alter what an existing store was upgraded with.
"""

SQL = """
ALTER TABLE hospital_stays ADD COLUMN admission_method TEXT;
ALTER TABLE hospital_stays ADD COLUMN mha_section TEXT;
CREATE TABLE chc_assessments (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    checklist_on TEXT NOT NULL,
    outcome TEXT NOT NULL,
    agency_id TEXT REFERENCES agencies(id),
    received_on TEXT,
    decision TEXT,
    decided_on TEXT,
    stay_id TEXT REFERENCES hospital_stays(id),
    note TEXT NOT NULL
);
CREATE INDEX idx_chc_assessments_person_id ON chc_assessments(person_id);
CREATE INDEX idx_chc_assessments_agency_id ON chc_assessments(agency_id);
CREATE INDEX idx_chc_assessments_stay_id ON chc_assessments(stay_id);
CREATE TABLE aftercare_plans (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    stay_id TEXT NOT NULL REFERENCES hospital_stays(id),
    agreed_on TEXT NOT NULL,
    nhs_agency_id TEXT REFERENCES agencies(id),
    council_agency_id TEXT REFERENCES agencies(id),
    summary TEXT NOT NULL,
    ended_on TEXT
);
CREATE INDEX idx_aftercare_plans_person_id ON aftercare_plans(person_id);
CREATE INDEX idx_aftercare_plans_stay_id ON aftercare_plans(stay_id);
CREATE INDEX idx_aftercare_plans_nhs_agency_id ON aftercare_plans(nhs_agency_id);
CREATE INDEX idx_aftercare_plans_council_agency_id ON aftercare_plans(council_agency_id);
"""
