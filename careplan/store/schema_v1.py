"""Migration 1: the initial schema (one table per entity, the audit log, store metadata).

Written out in full so that later changes to the domain classes never alter what an
existing store was created with; new columns and tables come in later migrations.
"""

SQL = """
CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    name TEXT NOT NULL,
    sector TEXT NOT NULL,
    kind TEXT NOT NULL,
    client_group TEXT NOT NULL,
    domain TEXT,
    neighbourhood TEXT NOT NULL,
    ods_code TEXT NOT NULL
);
CREATE TABLE professionals (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    email TEXT NOT NULL,
    phone TEXT NOT NULL
);
CREATE INDEX idx_professionals_agency_id ON professionals(agency_id);
CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    nhs_number TEXT,
    local_authority_id TEXT NOT NULL,
    gp_practice_id TEXT REFERENCES agencies(id),
    address TEXT NOT NULL,
    neighbourhood TEXT NOT NULL,
    what_matters TEXT NOT NULL
);
CREATE INDEX idx_persons_gp_practice_id ON persons(gp_practice_id);
CREATE TABLE care_team_members (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    professional_id TEXT NOT NULL REFERENCES professionals(id),
    role TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    is_lead INTEGER NOT NULL
);
CREATE INDEX idx_care_team_members_person_id ON care_team_members(person_id);
CREATE INDEX idx_care_team_members_professional_id ON care_team_members(professional_id);
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    status TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES professionals(id),
    legal_basis TEXT NOT NULL
);
CREATE INDEX idx_consents_person_id ON consents(person_id);
CREATE INDEX idx_consents_agency_id ON consents(agency_id);
CREATE INDEX idx_consents_recorded_by ON consents(recorded_by);
CREATE TABLE conditions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    clinical_status TEXT NOT NULL,
    verification TEXT NOT NULL,
    onset_date TEXT,
    code TEXT NOT NULL
);
CREATE INDEX idx_conditions_person_id ON conditions(person_id);
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    completed_on TEXT,
    agency_id TEXT REFERENCES agencies(id)
);
CREATE INDEX idx_assessments_person_id ON assessments(person_id);
CREATE INDEX idx_assessments_agency_id ON assessments(agency_id);
CREATE TABLE care_plans (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    status TEXT NOT NULL,
    plan_version INTEGER NOT NULL,
    created_on TEXT NOT NULL,
    activated_on TEXT,
    review_date TEXT,
    closed_on TEXT
);
CREATE INDEX idx_care_plans_person_id ON care_plans(person_id);
CREATE TABLE needs (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    description TEXT NOT NULL,
    domain TEXT NOT NULL
);
CREATE INDEX idx_needs_plan_id ON needs(plan_id);
CREATE TABLE outcomes (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    need_id TEXT REFERENCES needs(id),
    description TEXT NOT NULL,
    target_date TEXT,
    achievement TEXT NOT NULL
);
CREATE INDEX idx_outcomes_plan_id ON outcomes(plan_id);
CREATE INDEX idx_outcomes_need_id ON outcomes(need_id);
CREATE TABLE case_conferences (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    held_at TEXT NOT NULL,
    chair_id TEXT REFERENCES professionals(id),
    attendee_ids TEXT NOT NULL,
    other_attendees TEXT NOT NULL,
    agenda TEXT NOT NULL,
    decisions TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX idx_case_conferences_person_id ON case_conferences(person_id);
CREATE INDEX idx_case_conferences_chair_id ON case_conferences(chair_id);
CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    need_id TEXT REFERENCES needs(id),
    description TEXT NOT NULL,
    owner_professional_id TEXT REFERENCES professionals(id),
    owner_agency_id TEXT REFERENCES agencies(id),
    due_date TEXT,
    status TEXT NOT NULL,
    conference_id TEXT REFERENCES case_conferences(id)
);
CREATE INDEX idx_actions_plan_id ON actions(plan_id);
CREATE INDEX idx_actions_need_id ON actions(need_id);
CREATE INDEX idx_actions_owner_professional_id ON actions(owner_professional_id);
CREATE INDEX idx_actions_owner_agency_id ON actions(owner_agency_id);
CREATE INDEX idx_actions_conference_id ON actions(conference_id);
CREATE TABLE plan_signoffs (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    plan_id TEXT NOT NULL REFERENCES care_plans(id),
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    plan_version INTEGER NOT NULL,
    signed_by TEXT NOT NULL REFERENCES professionals(id),
    signed_at TEXT NOT NULL
);
CREATE INDEX idx_plan_signoffs_plan_id ON plan_signoffs(plan_id);
CREATE INDEX idx_plan_signoffs_agency_id ON plan_signoffs(agency_id);
CREATE INDEX idx_plan_signoffs_signed_by ON plan_signoffs(signed_by);
CREATE TABLE handoffs (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    subject TEXT NOT NULL,
    action_id TEXT REFERENCES actions(id),
    from_professional_id TEXT NOT NULL REFERENCES professionals(id),
    from_agency_id TEXT NOT NULL REFERENCES agencies(id),
    to_professional_id TEXT NOT NULL REFERENCES professionals(id),
    to_agency_id TEXT NOT NULL REFERENCES agencies(id),
    proposed_at TEXT NOT NULL,
    answer_by TEXT NOT NULL,
    status TEXT NOT NULL,
    answered_at TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX idx_handoffs_person_id ON handoffs(person_id);
CREATE INDEX idx_handoffs_action_id ON handoffs(action_id);
CREATE INDEX idx_handoffs_from_professional_id ON handoffs(from_professional_id);
CREATE INDEX idx_handoffs_from_agency_id ON handoffs(from_agency_id);
CREATE INDEX idx_handoffs_to_professional_id ON handoffs(to_professional_id);
CREATE INDEX idx_handoffs_to_agency_id ON handoffs(to_agency_id);
CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    need_id TEXT REFERENCES needs(id),
    domain TEXT NOT NULL,
    summary TEXT NOT NULL,
    from_agency_id TEXT NOT NULL REFERENCES agencies(id),
    sent_on TEXT NOT NULL,
    status TEXT NOT NULL,
    interim_owner_id TEXT REFERENCES professionals(id)
);
CREATE INDEX idx_referrals_person_id ON referrals(person_id);
CREATE INDEX idx_referrals_need_id ON referrals(need_id);
CREATE INDEX idx_referrals_from_agency_id ON referrals(from_agency_id);
CREATE INDEX idx_referrals_interim_owner_id ON referrals(interim_owner_id);
CREATE TABLE referral_events (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals(id),
    kind TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    team_id TEXT REFERENCES agencies(id),
    to_team_id TEXT REFERENCES agencies(id),
    by_professional_id TEXT REFERENCES professionals(id),
    reason TEXT NOT NULL,
    reason_code TEXT,
    as_lead INTEGER NOT NULL
);
CREATE INDEX idx_referral_events_referral_id ON referral_events(referral_id);
CREATE INDEX idx_referral_events_team_id ON referral_events(team_id);
CREATE INDEX idx_referral_events_to_team_id ON referral_events(to_team_id);
CREATE INDEX idx_referral_events_by_professional_id ON referral_events(by_professional_id);
CREATE TABLE hospital_stays (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES persons(id),
    hospital_id TEXT NOT NULL REFERENCES agencies(id),
    admitted_on TEXT NOT NULL,
    discharge_ready_on TEXT,
    discharged_on TEXT,
    pathway INTEGER
);
CREATE INDEX idx_hospital_stays_person_id ON hospital_stays(person_id);
CREATE INDEX idx_hospital_stays_hospital_id ON hospital_stays(hospital_id);
CREATE TABLE delay_reasons (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    stay_id TEXT NOT NULL REFERENCES hospital_stays(id),
    reason TEXT NOT NULL,
    owner_agency_id TEXT NOT NULL REFERENCES agencies(id),
    recorded_on TEXT NOT NULL
);
CREATE INDEX idx_delay_reasons_stay_id ON delay_reasons(stay_id);
CREATE INDEX idx_delay_reasons_owner_agency_id ON delay_reasons(owner_agency_id);
CREATE UNIQUE INDEX idx_persons_nhs_number ON persons(nhs_number)
    WHERE nhs_number IS NOT NULL;
CREATE INDEX idx_persons_name ON persons(family_name, given_name);
CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    store_id TEXT NOT NULL,
    store_seq INTEGER NOT NULL,
    parent_id TEXT REFERENCES audit_events(id),
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version_before INTEGER,
    version_after INTEGER NOT NULL,
    before TEXT,
    after TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (store_id, store_seq)
);
CREATE INDEX idx_audit_entity ON audit_events(entity, entity_id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""
