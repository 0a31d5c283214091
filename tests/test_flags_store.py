"""Flags read from a real store: bulk loading, purity, clearing, overrides, the demo."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan.demo.build import build_demo
from careplan.models import (
    Assessment,
    CarePlan,
    Carer,
    CareTeamMember,
    Condition,
    Consent,
    DelayReason,
    Handoff,
    HospitalStay,
    Person,
    PlanSignOff,
    Referral,
    ReferralEvent,
    SafeguardingConcern,
    YoungPersonStatus,
)
from careplan.models.flags import SHARING_CODES, FlagCode, Severity
from careplan.models.health import AftercarePlan, ChcAssessment
from careplan.models.rules import CANDIDATES, evaluate_all
from careplan.store import InputError, Store, add, add_many, audit, find, update
from careplan.store.flagcandidates import candidates_sql
from careplan.store.flagdata import candidates_by_code, caseload_flags, load_facts
from careplan.store.overrides import (
    clear_override,
    default_thresholds,
    read_overrides,
    set_override,
    thresholds_in_force,
)
from tests.flag_world import AGENCIES, ASC, CMHT, CPN, DAS, DR, GP, HOSP, LDT, PROS, SW
from tests.signin import ensure_account

TODAY = date(2025, 3, 12)
D = date


def _json(flags):  # type: ignore[no-untyped-def]
    return [f.to_json() for f in flags]


def full_load_flags(store: Store, today: date) -> list[dict]:  # type: ignore[type-arg]
    """Flags from loading every person with an open plan, no pre-selection."""
    return _json(evaluate_all(load_facts(store, today), today, thresholds_in_force(store)))


# -- a small random world ------------------------------------------------------------

day = st.integers(min_value=-40, max_value=10).map(lambda n: TODAY + timedelta(days=n))
#: About a year before the days above: plans agreed or reviewed then are due for review
#: (12 months at most, Care Act statutory guidance) within them.
year_ago = st.integers(min_value=-420, max_value=-330).map(lambda n: TODAY + timedelta(days=n))


@st.composite
def worlds(draw):  # type: ignore[no-untyped-def]
    """Records for one person with a plan, a team and some of everything the rules read."""
    # Young people from Year 9 to 20; birthdays (18th, 25th) on the days drawn, 29
    # February among them; an older adult.
    person = Person(given_name="Ada", family_name="Lovelace",
                    birth_date=draw(st.dates(D(2005, 1, 1), D(2012, 12, 31))
                                    | st.sampled_from([D(2000, 2, 29), D(2000, 3, 2),
                                                       D(2007, 2, 28), D(2007, 3, 1)])
                                    | st.just(D(1950, 5, 1))))
    created = draw(st.sampled_from([D(2024, 12, 1), D(2023, 12, 20)]))
    version = draw(st.integers(1, 2))
    status = draw(st.sampled_from(["draft", "active", "under review", "closed"]))
    # Review dates as set (soon, or years away), and reviews done lately or a year ago.
    def since_created(when: date | None) -> date | None:
        return None if when is None else max(when, created)

    plan = CarePlan(person_id=person.id, status=status, created_on=created,
        activated_on=created + timedelta(days=draw(st.integers(0, 90))),
        review_date=draw(st.none() | day | st.just(TODAY + timedelta(days=5 * 365))),
        plan_version=version,
        version_since=since_created(draw(st.none() | day | year_ago)) if version > 1
        else None,
        reviewed_on=since_created(draw(st.none() | day | year_ago)),
        closed_on=created if status == "closed" else None)
    records: list = [person, plan]  # type: ignore[type-arg]
    for pro in (DR, SW, CPN):
        if draw(st.booleans()):
            # Members who were there from the start, or joined lately (plan-unsigned
            # counts an agency's days from its joining when that is later).
            start = draw(st.just(D(2024, 12, 1)) | day)
            end = draw(st.none() | day)
            records.append(CareTeamMember(
                person_id=person.id, professional_id=pro.id,
                role=draw(st.sampled_from([pro.role, pro.role, "care coordinator"])),
                start_date=start, is_lead=draw(st.booleans()),
                end_date=end if end is None or end >= start else None))
            if draw(st.booleans()):
                records.append(PlanSignOff(
                    plan_id=plan.id, agency_id=pro.agency_id,
                    plan_version=draw(st.integers(1, version)), signed_by=pro.id,
                    signed_at=datetime.combine(draw(day), datetime.min.time())))
            if draw(st.booleans()):
                records.append(Consent(person_id=person.id, agency_id=pro.agency_id,
                                       status=draw(st.sampled_from(
                                           ["given", "refused", "withdrawn"])),
                                       recorded_on=D(2024, 12, 2), recorded_by=DR.id))
    if draw(st.booleans()):
        done = draw(st.none() | day)
        records.append(Assessment(person_id=person.id, kind="Care Act adult assessment",
                                  status="completed" if done else "requested",
                                  requested_on=D(2024, 11, 1), completed_on=done))
    for _ in range(draw(st.integers(0, 2))):
        proposed = draw(day)
        records.append(Handoff(person_id=person.id, subject="coordination",
                               from_professional_id=DR.id, from_agency_id=GP.id,
                               to_professional_id=SW.id, to_agency_id=SW.agency_id,
                               proposed_at=datetime.combine(proposed, datetime.min.time()),
                               answer_by=proposed + timedelta(days=draw(st.integers(0, 4)))))
    if draw(st.booleans()):
        # In hospital with or without a discharge ready date, maybe discharged since.
        admitted = draw(day) - timedelta(days=draw(st.integers(0, 30)))
        after = st.integers(0, 25).map(lambda n: admitted + timedelta(days=n))
        stay = HospitalStay(person_id=person.id, hospital_id=GP.id, admitted_on=admitted,
                            discharge_ready_on=draw(st.none() | after),
                            discharged_on=draw(st.none() | after))
        records.append(stay)
        if draw(st.booleans()):
            records.append(DelayReason(stay_id=stay.id, reason="Awaiting home care",
                                       owner_agency_id=SW.agency_id, recorded_on=draw(day)))
    if draw(st.booleans()):
        records += [Condition(person_id=person.id, name="Schizophrenia",
                              domain="mental health"),
                    Condition(person_id=person.id, name="Learning disability",
                              domain="learning disability")]
    records += draw(health(person))
    if draw(st.booleans()):
        sent = draw(day)
        ref = Referral(person_id=person.id, domain="mental health", summary="Low mood",
                       from_agency_id=GP.id, sent_on=sent)
        records.append(ref)
        on = sent
        # Bounces, refusals QS188 rules out, acceptances as lead or for assessment, panel
        # decisions, and refusals after them.
        for _ in range(draw(st.integers(0, 4))):
            team, other = draw(st.permutations([CMHT, LDT, DAS]))[:2]
            on += timedelta(days=draw(st.integers(0, 3)))
            kind = draw(st.sampled_from(["declined", "declined", "redirected", "accepted",
                                         "panel decision", "sent"]))
            code = draw(st.sampled_from([None, "other", "substance use",
                                         "severe mental illness"]))
            extra: dict = {}  # type: ignore[type-arg]
            if kind == "declined":
                records.append(ReferralEvent(referral_id=ref.id, kind="sent",
                                             occurred_on=on, team_id=team.id))
                extra = {"reason": "Not ours", "reason_code": code}
            elif kind == "redirected":
                extra = {"to_team_id": other.id, "reason_code": code}
            elif kind == "accepted":
                extra = {"as_lead": draw(st.booleans())}
            records.append(ReferralEvent(
                referral_id=ref.id, kind=kind, occurred_on=on,
                team_id=None if kind == "panel decision" and draw(st.booleans())
                else team.id, **extra))
    # Carers offered a carer's assessment or not, EHC plans and care leaver status,
    # safeguarding concerns decided in time, late or not at all (issue 15).
    for _ in range(draw(st.integers(0, 2))):
        offer = None
        if draw(st.booleans()):
            offer = Assessment(person_id=person.id, kind="carer's assessment",
                               status=draw(st.sampled_from(["requested", "declined"])),
                               requested_on=draw(day))
            records.append(offer)
        recorded = draw(day | year_ago)
        end = draw(st.none() | day)
        records.append(Carer(person_id=person.id, name="Byron Lovelace", relationship="parent",
                             recorded_on=recorded,
                             end_date=end if end is None or end >= recorded else None,
                             assessment_id=None if offer is None else offer.id))
    if draw(st.booleans()):
        start = draw(day | st.just(D(2020, 1, 1)))
        end = draw(st.none() | day)
        records.append(YoungPersonStatus(
            person_id=person.id, start_date=start,
            kind=draw(st.sampled_from(["education, health and care plan", "care leaver"])),
            end_date=end if end is None or end >= start else None))
    for _ in range(draw(st.integers(0, 2))):
        received = draw(day)
        late = draw(st.none() | st.integers(0, 9))
        decided = None if late is None else received + timedelta(days=late)
        records.append(SafeguardingConcern(
            person_id=person.id, received_on=received, summary="Bruising",
            decision=None if decided is None else "section 42 enquiry", decided_on=decided))
    return records


#: Coded conditions of both sides of NICE QS188, and others (SNOMED CT, ICD-10, none).
_CONDITIONS = [("Schizophrenia", "58214004", "mental health"),
               ("Bipolar affective disorder", "F31.1", "mental health"),
               ("Recurrent depressive disorder", "191616006", "mental health"),
               ("Alcohol dependence", "66590003", "substance use"),
               ("Opioid dependence", "F11.2", "other"),
               ("Drinking too much", "", "substance use"),
               ("COPD", "13645005", "physical health")]


@st.composite
def health(draw, person):  # type: ignore[no-untyped-def]
    """Earlier stays (emergency or not, after a detention or not) and their aftercare
    plans, continuing healthcare checklists, and coded conditions (issue 15)."""
    records: list = []  # type: ignore[type-arg]
    for _ in range(draw(st.integers(0, 3))):
        admitted = draw(day) - timedelta(days=draw(st.integers(0, 50)))
        stay = HospitalStay(
            person_id=person.id, hospital_id=HOSP.id, admitted_on=admitted,
            discharged_on=draw(st.none() | st.integers(0, 20).map(
                lambda n, a=admitted: a + timedelta(days=n))),
            admission_method=draw(st.none() | st.sampled_from(
                ["emergency", "emergency", "elective", "other"])),
            mha_section=draw(st.none() | st.sampled_from(
                ["section 3", "section 37", "section 2", "other section"])))
        records.append(stay)
        for _ in range(draw(st.integers(0, 2))):
            nhs = draw(st.none() | st.sampled_from([GP.id, HOSP.id, ASC.id]))
            council = draw(st.none() | st.sampled_from([ASC.id, ASC.id, GP.id]))
            agreed = draw(day)
            records.append(AftercarePlan(
                person_id=person.id, stay_id=stay.id, agreed_on=agreed, nhs_agency_id=nhs,
                council_agency_id=council,
                ended_on=draw(st.none() | st.just(agreed)) if nhs and council else None))
    for _ in range(draw(st.integers(0, 2))):
        checklist = draw(day) - timedelta(days=draw(st.integers(0, 50)))
        positive = draw(st.booleans())
        decided = draw(st.none() | st.integers(0, 60).map(
            lambda n, c=checklist: c + timedelta(days=n))) if positive else None
        records.append(ChcAssessment(
            person_id=person.id, checklist_on=checklist,
            outcome="positive" if positive else "negative", agency_id=GP.id,
            received_on=draw(st.none() | st.integers(0, 5).map(
                lambda n, c=checklist: c + timedelta(days=n))),
            decision=draw(st.sampled_from(["eligible", "not eligible"])) if decided else None,
            decided_on=decided))
    for name, code, domain in draw(st.lists(st.sampled_from(_CONDITIONS), max_size=3,
                                            unique=True)):
        records.append(Condition(person_id=person.id, name=name, code=code, domain=domain,
                                 clinical_status=draw(st.sampled_from(
                                     ["active", "active", "resolved"])),
                                 onset_date=draw(st.none() | day)))
    return records


def _store(records) -> Store:  # type: ignore[no-untyped-def]
    store = Store.open(":memory:")
    add_many(store, [*AGENCIES, *PROS], "test")
    add_many(store, records, "test")
    return store


SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(worlds(), day)
def test_flags_are_a_function_of_store_content_today_and_thresholds(records, today) -> None:  # type: ignore[no-untyped-def]
    first = _store(records)
    second = Store.open(":memory:")
    first.conn.backup(second.conn)  # the same content, another store
    found = _json(caseload_flags(first, today))
    assert found == _json(caseload_flags(first, today))
    assert found == _json(caseload_flags(second, today))
    # Reading only likely persons finds exactly what reading everyone finds.
    assert found == full_load_flags(first, today)
    person = records[0]
    assert found == _json(caseload_flags(first, today, person_ids=[person.id]))


@SETTINGS
@given(worlds(), day)
def test_each_rules_own_candidates_hold_every_person_it_flags(records, today) -> None:  # type: ignore[no-untyped-def]
    """Rule by rule: in the union above, another rule's candidates may hide one rule's
    missing person (here, a late joiner without consent is a candidate anyway)."""
    store = _store(records)
    thresholds = thresholds_in_force(store)
    flagged = Counter(f["code"] for f in full_load_flags(store, today))
    for code in CANDIDATES:
        sql, params = candidates_sql(today, thresholds, [code])
        found = [r[0] for r in store.conn.execute(sql, params)]
        assert bool(found) >= bool(flagged[code.value]), code


@SETTINGS
@given(worlds(), day)
def test_each_person_a_rule_flags_is_among_that_rules_candidates(records, today) -> None:  # type: ignore[no-untyped-def]
    """Person by person and rule by rule: the caseload puts each candidate only through
    the rules whose queries chose them, so none may miss a person its rule flags."""
    store = _store(records)
    chosen = candidates_by_code(store, today, thresholds_in_force(store))
    for found in full_load_flags(store, today):
        assert FlagCode(found["code"]) in chosen.get(found["person_id"], set()), found
    # The same persons as the query of every rule at once, each with its rules.
    sql, params = candidates_sql(today, thresholds_in_force(store))
    assert sorted(chosen) == sorted(r[0] for r in store.conn.execute(sql, params))
    for code in CANDIDATES:
        sql, params = candidates_sql(today, thresholds_in_force(store), [code])
        assert {r[0] for r in store.conn.execute(sql, params)} == {
            p for p, codes in chosen.items() if code in codes}, code


@SETTINGS
@given(worlds(), day)
def test_closing_a_plan_clears_all_its_flags(records, today) -> None:  # type: ignore[no-untyped-def]
    """All but those of a situation open in itself, which closing the plan leaves as they
    were (issue 15): a referral, a hospital stay, a safeguarding concern, a continuing
    healthcare decision awaited, aftercare owed, a readmission, mental health care with
    no coordinator; and a young adult's EHC plan or care leaver status, whose missing
    adult-services plan is only the more serious with no plan open at all
    (transition-25, critical)."""
    store = _store(records)
    open_in_itself = (FlagCode.REFERRAL_DISPUTE, FlagCode.DISCHARGE_DELAYED,
                      FlagCode.SAFEGUARDING_DECISION_OVERDUE,
                      FlagCode.CHC_DECISION_OVERDUE, FlagCode.S117_AFTERCARE_UNASSIGNED,
                      FlagCode.READMITTED_30_DAYS, FlagCode.MH_COORDINATOR_MISSING)
    t25 = FlagCode.TRANSITION_25.value
    found = _json(caseload_flags(store, today))
    before = [f for f in found if f["code"] in open_in_itself]
    young_before = {f["person_id"] for f in found if f["code"] == t25}
    plan = find(store, CarePlan)[0]
    update(store, plan.evolve(status="closed", closed_on=max(plan.created_on, today)), "test")
    after_all = _json(caseload_flags(store, today))
    after = [f for f in after_all if f["code"] != t25]
    young_after = [f for f in after_all if f["code"] == t25]
    assert after == before and after_all == full_load_flags(store, today)
    assert young_before <= {f["person_id"] for f in young_after}
    assert all(f["severity"] == "critical" for f in young_after)


@SETTINGS
@given(worlds(), day)
def test_accepting_a_handoff_clears_its_flag(records, today) -> None:  # type: ignore[no-untyped-def]
    store = _store(records)
    for h in find(store, Handoff):
        update(store, h.evolve(status="accepted", answered_at=h.proposed_at), "test")
    assert not [f for f in caseload_flags(store, today)
                if f.code is FlagCode.HANDOFF_UNACKNOWLEDGED]


@SETTINGS
@given(worlds(), day, st.integers(-5, 5))
def test_a_referral_accepted_as_lead_is_never_disputed(records, today, shift) -> None:  # type: ignore[no-untyped-def]
    """Accepted as lead by today, after every refusal so far (a refusal after it would
    open the referral again, issue 15): never disputed, unless a refusal NICE QS188 rules
    out still stands (another team's acceptance does not undo that exclusion)."""
    store = _store(records)
    for ref in find(store, Referral):
        refused = [e.occurred_on for e in find(store, ReferralEvent, referral_id=ref.id)
                   if e.kind.value in ("declined", "redirected") and e.occurred_on <= today]
        on = max([ref.sent_on, today - timedelta(days=abs(shift)), *refused])
        add(store, ReferralEvent(referral_id=ref.id, kind="accepted", occurred_on=on,
                                 team_id=CMHT.id, as_lead=True), "test")
    disputes = [f for f in caseload_flags(store, today) if f.code is FlagCode.REFERRAL_DISPUTE]
    assert all(f.evidence["excluded_by"] and f.evidence["escalation_due"] is None
               for f in disputes)
    assert all(e["team_id"] != CMHT.id for f in disputes for e in f.evidence["excluded_by"])


# -- overrides ------------------------------------------------------------------------


@pytest.fixture
def admin(store: Store) -> str:
    """The actor of the store's administrator: only administrators change thresholds."""
    return ensure_account(store).actor


def test_overrides_are_stored_audited_and_used(store: Store, admin: str) -> None:
    assert read_overrides(store) == {}
    set_override(store, "discharge.critical_days", "3", admin)
    set_override(store, " discharge.critical_days ", 4, admin)
    assert read_overrides(store) == {"discharge.critical_days": "4"}
    assert thresholds_in_force(store).discharge_critical_days == 4
    events = audit.events_for(store, "rule_overrides", "discharge.critical_days")
    assert [(e.version_before, e.version_after) for e in events] == [(None, 1), (1, 2)]
    assert events[-1].before == {"key": "discharge.critical_days", "value": "3", "version": 1}
    clear_override(store, "discharge.critical_days", admin)
    assert read_overrides(store) == {}
    assert thresholds_in_force(store) == default_thresholds()
    assert len(audit.events_for(store, "rule_overrides", "discharge.critical_days")) == 3


@pytest.mark.parametrize(("key", "value", "words"), [
    ("discharge.nonsense", "3", "not one of"),
    ("discharge.critical_days", "soon", "not a whole number"),
    ("discharge.critical_days", "-1", "not a whole number"),
    ("discharge.critical_days", "0", "must not be below"),
    ("transition.critical_age", "30", "ages must rise"),
    ("discharge.no_ready_date_days", "0", "must be 1 or more"),
    ("discharge.no_ready_date_critical_days", "6", "must not be below"),
    ("review.interval_months", "0", "must be 1 or more"),
])
def test_bad_overrides_are_refused_and_nothing_written(store: Store, admin: str, key: str,
                                                       value: str, words: str) -> None:
    before = audit.count(store)
    with pytest.raises(InputError, match=words):
        set_override(store, key, value, admin)
    assert read_overrides(store) == {} and audit.count(store) == before


@pytest.mark.parametrize(("key", "value", "words"), [
    ("discharge.critical_days", "99999999999999999999999", "must be at most 3650"),
    ("transition.stop_age", "121", "must be at most 120"),
    ("handoff.critical_multiple", "11", "must be at most 10"),
    ("review.interval_months", "²", "not a whole number"),
])
def test_thresholds_beyond_any_use_are_refused(store: Store, admin: str, key: str,
                                               value: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        set_override(store, key, value, admin)
    assert read_overrides(store) == {}


@pytest.mark.parametrize("today", [date(1900, 1, 1), date(2199, 12, 31)])
def test_the_largest_thresholds_flag_without_error_on_the_furthest_days(
        store: Store, today: date) -> None:
    from careplan.models.thresholds import MAX_AGE, MAX_MULTIPLE, MAX_VALUE

    build_demo(store, persons=30, seed=3, today=TODAY)
    admin = ensure_account(store).actor  # the demo's administrator
    for key in reversed(default_thresholds().as_dict()):  # critical before warning
        if key.endswith("_age"):
            continue
        most = MAX_MULTIPLE if key.endswith("_multiple") else MAX_VALUE
        set_override(store, key, most, admin)
    for key, age in zip(("stop_age", "critical_age", "warning_age", "planning_age"),
                        range(MAX_AGE, MAX_AGE - 4, -1), strict=True):
        set_override(store, f"transition.{key}", age, admin)
    set_override(store, "referral.substance_use_min_age", MAX_AGE, admin)
    flags = caseload_flags(store, today)
    assert all(f.since <= today for f in flags)
    assert flags == caseload_flags(store, today)  # and the same again from warm caches


def test_override_changes_the_flags(store: Store, admin: str) -> None:
    person = Person(given_name="Ada", family_name="Lovelace", birth_date=D(1950, 5, 1))
    plan = CarePlan(person_id=person.id, status="active", created_on=D(2025, 1, 1),
                    activated_on=D(2025, 1, 1), review_date=D(2025, 9, 1))
    stay = HospitalStay(person_id=person.id, hospital_id=GP.id, admitted_on=D(2025, 3, 1),
                        discharge_ready_on=D(2025, 3, 8))
    add_many(store, [*AGENCIES, *PROS, person, plan, stay,
                     CareTeamMember(person_id=person.id, professional_id=DR.id, role="GP",
                                    start_date=D(2025, 1, 1), is_lead=True),
                     Consent(person_id=person.id, agency_id=GP.id, status="given",
                             recorded_on=D(2025, 1, 1), recorded_by=DR.id)], "test")
    severities = [f.severity for f in caseload_flags(store, TODAY)
                  if f.code is FlagCode.DISCHARGE_DELAYED]
    assert severities == [Severity.WARNING]
    set_override(store, "discharge.critical_days", 4, admin)
    severities = [f.severity for f in caseload_flags(store, TODAY)
                  if f.code is FlagCode.DISCHARGE_DELAYED]
    assert severities == [Severity.CRITICAL]


# -- the demo ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_store() -> Store:
    store = Store.open(":memory:")
    build_demo(store, persons=200, seed=1, today=TODAY, parallel=False)
    return store


def _named(store: Store, name: str) -> str:
    given, family = name.split()
    rows = store.query("SELECT id FROM persons WHERE given_name = ? AND family_name = ?",
                       (given, family))
    assert len(rows) == 1, name
    return str(rows[0]["id"])


def test_a_fresh_demo_raises_every_code(demo_store: Store) -> None:
    flags = caseload_flags(demo_store, TODAY)
    codes = Counter(f.code for f in flags)
    # A fresh demo is one computer's store that never shared: no sync conflict.
    missing = [c.value for c in FlagCode if c not in codes and c not in SHARING_CODES]
    assert missing == [], f"the demo raises no {', '.join(missing)}"
    assert not [c for c in codes if c in SHARING_CODES]
    assert all(f.message.endswith(".") and f.message.count(". ") == 0 for f in flags)


def test_the_demo_stories_raise_the_flags_expected(demo_store: Store) -> None:
    flags = caseload_flags(demo_store, TODAY)
    by_person: dict[str, list] = {}  # type: ignore[type-arg]
    for f in flags:
        by_person.setdefault(f.person_id, []).append(f)
    jordan = [f for f in by_person[_named(demo_store, "Jordan Ellis")]
              if f.code is FlagCode.TRANSITION_18]
    assert [f.severity for f in jordan] == [Severity.WARNING]
    assert "adult-services professional" in jordan[0].message
    margaret = [f for f in by_person[_named(demo_store, "Margaret Okafor")]
                if f.code is FlagCode.DISCHARGE_DELAYED]
    assert [f.severity for f in margaret] == [Severity.CRITICAL]
    assert margaret[0].evidence["days_delayed"] >= 7 and margaret[0].evidence["delay_reasons"]
    daniel = [f for f in by_person[_named(demo_store, "Daniel Price")]
              if f.code is FlagCode.REFERRAL_DISPUTE]
    assert [f.severity for f in daniel] == [Severity.CRITICAL]
    assert daniel[0].evidence["dual_diagnosis"] is True
    assert {"learning disability", "mental health"} <= set(daniel[0].evidence["shared_domains"])
    assert daniel[0].message.startswith("Dual-diagnosis referral dispute")


def test_selected_persons_get_the_same_flags_as_the_whole_caseload(demo_store: Store) -> None:
    everyone = _json(caseload_flags(demo_store, TODAY))
    assert everyone == full_load_flags(demo_store, TODAY)
    daniel = _named(demo_store, "Daniel Price")
    assert _json(caseload_flags(demo_store, TODAY, person_ids=[daniel])) == [
        f for f in everyone if f["person_id"] == daniel]


def test_the_whole_caseloads_flags_within_some_persons_are_theirs(demo_store: Store) -> None:
    """``within`` (a table made for an audience): the whole caseload's flags of those
    persons, in the same order, and only theirs."""
    everyone = _json(caseload_flags(demo_store, TODAY))
    flagged = sorted({f["person_id"] for f in everyone})
    some = set(flagged[::2])
    assert some and len(some) < len(flagged)
    assert _json(caseload_flags(demo_store, TODAY, within=some)) == [
        f for f in everyone if f["person_id"] in some]


def test_no_query_per_person() -> None:
    counts = []
    for persons in (60, 240):
        store = Store.open(":memory:")
        build_demo(store, persons=persons, seed=2, today=TODAY, parallel=False)
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        caseload_flags(store, TODAY)
        store.conn.set_trace_callback(None)
        counts.append(len(statements))
        store.close()
    # One statement per kind of fact (30 with the health and social flags), never per person.
    assert counts[0] == counts[1] and counts[0] <= 32


def test_flags_do_not_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=60, seed=3, today=TODAY, parallel=False)
        before = store.table_counts()
    with Store.open(path) as store:
        caseload_flags(store, TODAY)
        assert store.table_counts() == before


def test_a_store_file_gives_the_same_flags_as_its_copy_in_memory(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A file store picks candidates on two connections at once; memory on one.
    path = tmp_path / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=80, seed=5, today=TODAY, parallel=False)
        on_file = _json(caseload_flags(store, TODAY))
        copy = Store.open(":memory:")
        store.conn.backup(copy.conn)
    assert on_file and on_file == _json(caseload_flags(copy, TODAY))
    assert on_file == full_load_flags(copy, TODAY)
