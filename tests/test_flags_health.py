"""The health side's flags (issue 15, section 4) at every edge of their thresholds.

Each code is judged the day before, of and after each threshold, with ``today`` injected,
by the rule alone and through the store (candidate query and loader), which must agree:

- ``chc-decision-overdue``: National Framework for NHS Continuing Healthcare (2022), an
  eligibility decision within 28 days of the board receiving a positive checklist;
- ``s117-aftercare-unassigned``: Mental Health Act 1983 s.117, aftercare after detention
  under section 3 (37, 45A, 47, 48) owed jointly by the NHS body and the local authority;
- ``readmitted-30-days``: NHS England's emergency readmissions within 30 days (0-29 days)
  of the last discharge;
- ``mh-coordinator-missing``: NICE QS188 statement 3, a care coordinator working in
  mental health services for people aged 14 and over with coexisting severe mental
  illness and substance misuse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from export_sample import reader_of_everyone

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.models import (
    AftercarePlan,
    Agency,
    ChcAssessment,
    Condition,
    HospitalStay,
    Professional,
)
from careplan.models.facts import Directory, PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.health import condition_sets
from careplan.store import Store, add_many
from careplan.store.flagdata import caseload_flags
from careplan.store.flagdata_health import condition_codes
from tests.flag_world import (
    AGENCIES,
    ASC,
    CMHT,
    CPN,
    DAS,
    DIRECTORY,
    HOSP,
    PROS,
    TODAY,
    flags_of,
    member,
    world,
)

D = date
ONE = timedelta(days=1)
ICB = Agency(name="Integrated Care Board", sector="health", kind="other")
WARD = Agency(name="Willow Ward", sector="health", kind="mental health",
              domain="mental health")
MORE = (ICB, WARD)
KEY_WORKER = Professional(name="Dee Dawson", role="substance use worker", agency_id=DAS.id)
HEALTH_DIRECTORY = Directory(agencies={**DIRECTORY.agencies, **{a.id: a for a in MORE}},
                             professionals={**DIRECTORY.professionals,
                                            KEY_WORKER.id: KEY_WORKER})


def _world(**kw: object) -> PersonFacts:
    facts = world(**kw)  # type: ignore[arg-type]
    facts.directory = HEALTH_DIRECTORY
    return facts


def _codes(facts: PersonFacts, today: date, code: FlagCode, **limits: int) -> list[Flag]:
    """The rule's flags of ``code``, checked against the store's (candidates, loader)."""
    facts.health.condition_sets = condition_sets(facts.conditions, condition_codes())
    found = flags_of(facts, today, code, **limits)
    if not limits:
        store = _saved(facts)
        stored = [f for f in caseload_flags(store, today) if f.code is code]
        assert [f.to_json() for f in stored] == [f.to_json() for f in found], today
        store.close()
    return found


def _saved(facts: PersonFacts, path: Path | str = ":memory:") -> Store:
    store = Store.open(path)
    add_many(store, [*AGENCIES, *MORE, *PROS, KEY_WORKER], "test")
    add_many(store, [facts.person, *facts.plans, *facts.team, *facts.consents,
                     *facts.signoffs, *facts.conditions, *facts.stays, *facts.health.chc,
                     *facts.health.aftercare], "test")
    return store


def _severity(facts: PersonFacts, today: date, code: FlagCode) -> Severity | None:
    found = _codes(facts, today, code)
    assert len(found) <= 1
    return found[0].severity if found else None


# -- chc-decision-overdue ------------------------------------------------------------------

RECEIVED = D(2025, 2, 1)  # 28 days on is 1 March


def _chc(facts: PersonFacts, **kw: object) -> ChcAssessment:
    fields: dict[str, object] = {"person_id": facts.person.id, "checklist_on": D(2025, 1, 30),
                                 "outcome": "positive", "agency_id": ICB.id,
                                 "received_on": RECEIVED}
    fields.update(kw)
    chc = ChcAssessment(**fields)  # type: ignore[arg-type]
    facts.health.chc.append(chc)
    return chc


def test_chc_decision_is_overdue_from_the_29th_day_and_critical_after_42() -> None:
    facts = _world()
    _chc(facts)
    code = FlagCode.CHC_DECISION_OVERDUE
    assert _severity(facts, RECEIVED + timedelta(days=28), code) is None  # 1 March: on time
    found = _codes(facts, RECEIVED + timedelta(days=29), code)
    assert [(f.severity, f.since, f.due) for f in found] == [
        (Severity.WARNING, D(2025, 3, 2), D(2025, 3, 16))]
    assert found[0].subject_type is SubjectType.CHC_ASSESSMENT
    assert "within 28 days, by 1 March 2025" in found[0].message
    assert "Integrated Care Board" in found[0].message
    assert _severity(facts, RECEIVED + timedelta(days=42), code) is Severity.WARNING
    assert _severity(facts, RECEIVED + timedelta(days=43), code) is Severity.CRITICAL


def test_a_decision_ends_the_flag_from_its_day_and_not_before() -> None:
    facts = _world()
    _chc(facts, decision="not eligible", decided_on=D(2025, 3, 5))
    code = FlagCode.CHC_DECISION_OVERDUE
    assert _severity(facts, D(2025, 3, 4), code) is Severity.WARNING  # judged before it
    assert _severity(facts, D(2025, 3, 5), code) is None
    closed = _world()
    _chc(closed, decision="closed without a decision", decided_on=D(2025, 2, 20))
    assert _severity(closed, D(2025, 4, 1), code) is None


def test_without_a_receipt_date_the_28_days_run_from_the_checklist() -> None:
    facts = _world()
    _chc(facts, received_on=None, checklist_on=D(2025, 1, 30))
    code = FlagCode.CHC_DECISION_OVERDUE
    assert _severity(facts, D(2025, 2, 27), code) is None
    assert _severity(facts, D(2025, 2, 28), code) is Severity.WARNING


def test_a_negative_or_future_checklist_is_never_overdue_and_a_closed_plan_hides_nothing(
) -> None:
    facts = _world()
    _chc(facts, outcome="negative")
    _chc(facts, checklist_on=D(2025, 6, 1), received_on=None)
    assert _severity(facts, D(2025, 5, 1), FlagCode.CHC_DECISION_OVERDUE) is None
    closed = _world()
    closed.plans = [closed.plans[0].evolve(status="closed", closed_on=D(2025, 2, 1))]
    _chc(closed)
    assert _severity(closed, D(2025, 3, 2), FlagCode.CHC_DECISION_OVERDUE) is Severity.WARNING


def test_a_negative_checklist_takes_no_decision() -> None:
    with pytest.raises(ValueError, match="decision: a negative checklist"):
        ChcAssessment(person_id="p", checklist_on=D(2025, 1, 1), outcome="negative",
                      decision="eligible", decided_on=D(2025, 1, 2))
    with pytest.raises(ValueError, match="decided on: a decision and its date go together"):
        ChcAssessment(person_id="p", checklist_on=D(2025, 1, 1), outcome="positive",
                      decision="eligible")


# -- s117-aftercare-unassigned ------------------------------------------------------------

LEFT = D(2025, 3, 1)


def _detained(facts: PersonFacts, section: str | None = "section 3",
              left: date | None = LEFT) -> HospitalStay:
    stay = HospitalStay(person_id=facts.person.id, hospital_id=WARD.id,
                        admitted_on=D(2025, 1, 10), discharged_on=left,
                        admission_method="emergency", mha_section=section)
    facts.stays.append(stay)
    return stay


def _aftercare(facts: PersonFacts, stay: HospitalStay, **kw: object) -> AftercarePlan:
    fields: dict[str, object] = {"person_id": facts.person.id, "stay_id": stay.id,
                                 "agreed_on": D(2025, 2, 25), "nhs_agency_id": ICB.id,
                                 "council_agency_id": ASC.id}
    fields.update(kw)
    plan = AftercarePlan(**fields)  # type: ignore[arg-type]
    facts.health.aftercare.append(plan)
    return plan


def test_aftercare_is_owed_from_the_day_of_discharge_and_critical_after_three_days() -> None:
    facts = _world()
    _detained(facts)
    code = FlagCode.S117_AFTERCARE_UNASSIGNED
    assert _severity(facts, LEFT - ONE, code) is None  # still detained
    found = _codes(facts, LEFT, code)
    assert [(f.severity, f.since, f.due) for f in found] == [
        (Severity.WARNING, LEFT, D(2025, 3, 5))]
    assert "no section 117 aftercare plan is recorded" in found[0].message
    assert "section 3 of the Mental Health Act" in found[0].message
    assert found[0].subject_type is SubjectType.HOSPITAL_STAY
    assert _severity(facts, LEFT + 3 * ONE, code) is Severity.WARNING  # 72 hours
    assert _severity(facts, LEFT + 4 * ONE, code) is Severity.CRITICAL


@pytest.mark.parametrize("section", ["section 3", "section 37", "section 45A", "section 47",
                                     "section 48"])
def test_every_section_that_brings_aftercare_is_flagged(section: str) -> None:
    facts = _world()
    _detained(facts, section)
    assert _severity(facts, LEFT, FlagCode.S117_AFTERCARE_UNASSIGNED) is Severity.WARNING


@pytest.mark.parametrize("section", ["section 2", "other section", None])
def test_other_stays_bring_no_aftercare_duty(section: str | None) -> None:
    facts = _world()
    _detained(facts, section)
    assert _severity(facts, LEFT + 10 * ONE, FlagCode.S117_AFTERCARE_UNASSIGNED) is None


def test_a_plan_naming_both_bodies_clears_it_from_the_day_it_was_agreed() -> None:
    facts = _world()
    stay = _detained(facts)
    _aftercare(facts, stay, agreed_on=LEFT + 2 * ONE)
    code = FlagCode.S117_AFTERCARE_UNASSIGNED
    assert _severity(facts, LEFT + ONE, code) is Severity.WARNING
    assert _severity(facts, LEFT + 2 * ONE, code) is None
    ended = _world()
    _aftercare(ended, _detained(ended), ended_on=LEFT + ONE)  # both decided it can end
    assert _severity(ended, LEFT + 30 * ONE, code) is None


@pytest.mark.parametrize(("nhs", "council", "missing"), [
    (ICB, None, "does not name the local authority"),
    (None, ASC, "does not name the NHS body (integrated care board)"),
    (ASC, ASC, "does not name the NHS body (integrated care board)"),
    (ICB, HOSP, "does not name the local authority"),
    (None, None, "does not name the NHS body (integrated care board) and the local "
                 "authority"),
])
def test_a_plan_must_name_both_bodies_of_the_joint_duty(
        nhs: Agency | None, council: Agency | None, missing: str) -> None:
    facts = _world()
    _aftercare(facts, _detained(facts), nhs_agency_id=nhs and nhs.id,
               council_agency_id=council and council.id)
    found = _codes(facts, LEFT, FlagCode.S117_AFTERCARE_UNASSIGNED)
    assert len(found) == 1 and missing in found[0].message


def test_two_plans_each_naming_one_body_do_not_make_a_joint_plan() -> None:
    facts = _world()
    stay = _detained(facts)
    _aftercare(facts, stay, council_agency_id=None)
    _aftercare(facts, stay, nhs_agency_id=None)
    found = _codes(facts, LEFT, FlagCode.S117_AFTERCARE_UNASSIGNED)
    assert len(found) == 1 and "both bodies together" in found[0].message


# -- readmitted-30-days --------------------------------------------------------------------

DISCHARGED = D(2025, 2, 10)


def _stays(facts: PersonFacts, gap: int, method: str = "emergency",
           left: date | None = None) -> HospitalStay:
    """A stay discharged on DISCHARGED and another admitted ``gap`` days later."""
    facts.stays.append(HospitalStay(person_id=facts.person.id, hospital_id=HOSP.id,
                                    admitted_on=D(2025, 2, 1), discharged_on=DISCHARGED,
                                    admission_method="elective"))
    again = HospitalStay(person_id=facts.person.id, hospital_id=HOSP.id,
                         admitted_on=DISCHARGED + timedelta(days=gap), discharged_on=left,
                         admission_method=method)
    facts.stays.append(again)
    return again


@pytest.mark.parametrize(("gap", "expected"), [
    (0, Severity.CRITICAL), (6, Severity.CRITICAL), (7, Severity.WARNING),
    (29, Severity.WARNING), (30, None), (31, None)])
def test_an_emergency_admission_0_to_29_days_after_discharge_is_a_readmission(
        gap: int, expected: Severity | None) -> None:
    facts = _world()
    again = _stays(facts, gap)
    found = _codes(facts, again.admitted_on, FlagCode.READMITTED_30_DAYS)
    assert [f.severity for f in found] == ([expected] if expected else [])
    if found:
        assert found[0].since == again.admitted_on and found[0].due is None
        assert found[0].evidence["days_after_discharge"] == gap
        assert found[0].subject_id == again.id


@pytest.mark.parametrize("method", ["elective", "other", None])
def test_only_an_emergency_admission_counts(method: str | None) -> None:
    facts = _world()
    again = _stays(facts, 5, method)  # type: ignore[arg-type]
    assert _severity(facts, again.admitted_on, FlagCode.READMITTED_30_DAYS) is None


def test_a_readmission_is_flagged_30_days_or_while_it_lasts() -> None:
    facts = _world()
    again = _stays(facts, 10, left=DISCHARGED + timedelta(days=15))  # 20 Feb to 25 Feb
    code = FlagCode.READMITTED_30_DAYS
    assert _severity(facts, again.admitted_on - ONE, code) is None  # not yet readmitted
    assert _severity(facts, again.admitted_on + 29 * ONE, code) is Severity.WARNING
    assert _severity(facts, again.admitted_on + 30 * ONE, code) is None
    long_stay = _world()
    again = _stays(long_stay, 10, left=DISCHARGED + timedelta(days=50))
    assert _severity(long_stay, again.admitted_on + 30 * ONE, code) is Severity.WARNING
    assert _severity(long_stay, again.admitted_on + 40 * ONE, code) is None  # home that day


def test_the_last_previous_discharge_is_the_one_counted() -> None:
    """A stay discharged 40 days before, then one 5 days before: 5 days."""
    facts = _world()
    facts.stays.append(HospitalStay(person_id=facts.person.id, hospital_id=HOSP.id,
                                    admitted_on=D(2024, 12, 20), discharged_on=D(2025, 1, 1)))
    again = _stays(facts, 5)
    found = _codes(facts, again.admitted_on, FlagCode.READMITTED_30_DAYS)
    assert [f.evidence["days_after_discharge"] for f in found] == [5]


# -- mh-coordinator-missing ----------------------------------------------------------------

FOURTEEN = D(2011, 3, 12)  # turns 14 on TODAY, 12 March 2025


def _coexisting(facts: PersonFacts,
                smi: tuple[str, ...] = ("Schizophrenia", "58214004", "mental health"),
                misuse: tuple[str, ...] = ("Alcohol dependence", "F10.2", "substance use"),
                status: str = "active") -> None:
    for name, code, domain in (smi, misuse):
        facts.conditions.append(Condition(person_id=facts.person.id, name=name, code=code,
                                          domain=domain, clinical_status=status))


def _in_mh_care(born: date = FOURTEEN, **cpn: object) -> PersonFacts:
    facts = _world(born=born)
    facts.team.append(member(CPN, facts.person, **cpn))  # CMHT, from 1 January 2025
    _coexisting(facts)
    return facts


def test_from_the_14th_birthday_no_mental_health_coordinator_is_flagged() -> None:
    facts = _in_mh_care()
    code = FlagCode.MH_COORDINATOR_MISSING
    assert _severity(facts, TODAY - ONE, code) is None  # 13
    found = _codes(facts, TODAY, code)
    assert [(f.severity, f.since, f.due) for f in found] == [
        (Severity.WARNING, TODAY, TODAY + 8 * ONE)]
    assert found[0].subject_type is SubjectType.PERSON
    assert "Schizophrenia with Alcohol dependence" in found[0].message
    assert CMHT.name in found[0].message and "NICE QS188" in found[0].message
    assert _severity(facts, TODAY + 7 * ONE, code) is Severity.WARNING
    assert _severity(facts, TODAY + 8 * ONE, code) is Severity.CRITICAL


def test_the_flag_counts_from_joining_the_mental_health_team() -> None:
    facts = _in_mh_care(born=D(1990, 1, 1), start_date=D(2025, 3, 1))
    code = FlagCode.MH_COORDINATOR_MISSING
    assert _severity(facts, D(2025, 2, 28), code) is None  # not yet in its care
    assert [f.since for f in _codes(facts, D(2025, 3, 1), code)] == [D(2025, 3, 1)]
    assert _severity(facts, D(2025, 3, 9), code) is Severity.CRITICAL


@pytest.mark.parametrize("cpn", [{"role": "care coordinator"}, {"is_lead": True}])
def test_a_care_coordinator_from_the_mental_health_team_clears_it(cpn: dict[str, object]
                                                                   ) -> None:
    facts = _in_mh_care(**cpn)
    assert _severity(facts, TODAY, FlagCode.MH_COORDINATOR_MISSING) is None


def test_a_coordinator_outside_mental_health_services_does_not() -> None:
    """The drug service's key worker leads and coordinates: not "working in mental
    health services"."""
    facts = _in_mh_care(born=D(1990, 1, 1))
    facts.team = [m.evolve(is_lead=False) for m in facts.team]
    facts.team.append(member(KEY_WORKER, facts.person, role="care coordinator", is_lead=True))
    assert _severity(facts, TODAY, FlagCode.MH_COORDINATOR_MISSING) is Severity.CRITICAL


def test_the_last_coordinator_leaving_starts_the_count_again() -> None:
    facts = _in_mh_care(born=D(1990, 1, 1))
    left = member(CPN, facts.person, role="care coordinator", end_date=D(2025, 3, 5))
    facts.team.append(left)
    found = _codes(facts, TODAY, FlagCode.MH_COORDINATOR_MISSING)
    assert [(f.since, f.severity) for f in found] == [(D(2025, 3, 6), Severity.WARNING)]
    assert "left on 5 March 2025" in found[0].message


MH, SU = "mental health", "substance use"


@pytest.mark.parametrize(("smi", "misuse"), [
    (("Recurrent depressive disorder", "191616006", MH), ("Alcohol dependence", "66590003", SU)),
    (("Depressive episode", "F32.1", MH), ("Opioid dependence", "F11.2", SU)),
    (("Schizophrenia", "F20.0", MH), ("COPD", "13645005", "physical health")),
    (("Type 2 diabetes", "44054006", "physical health"), ("Alcohol dependence", "F10.2", SU)),
    (("Schizophrenia", "58214004", "other"), ("Alcohol dependence", "F10.2", SU)),
])
def test_both_sides_must_be_recorded_so(smi: tuple[str, ...], misuse: tuple[str, ...]) -> None:
    """Severe mental illness is a mental health condition coded in its value set (not
    depression); substance misuse is the substance use domain."""
    facts = _world(born=D(1990, 1, 1))
    facts.team.append(member(CPN, facts.person))
    _coexisting(facts, smi, misuse)
    assert _severity(facts, TODAY, FlagCode.MH_COORDINATOR_MISSING) is None


@pytest.mark.parametrize(("smi", "misuse"), [
    (("Bipolar affective disorder", "F31.1", MH), ("Opioid dependence", "75544000", SU)),
    (("Schizophrenia", "", MH), ("Cannabis use", "F12", SU)),  # named as a value set term
    (("First episode psychosis", "1127191000000108", MH), ("Drinking", "", SU)),
])
def test_snomed_icd10_and_named_conditions_count(smi: tuple[str, ...],
                                                 misuse: tuple[str, ...]) -> None:
    facts = _world(born=D(1990, 1, 1))
    facts.team.append(member(CPN, facts.person))
    _coexisting(facts, smi, misuse)
    assert _severity(facts, TODAY, FlagCode.MH_COORDINATOR_MISSING) is Severity.CRITICAL


def test_resolved_conditions_or_no_mental_health_team_are_not_flagged() -> None:
    resolved = _world(born=D(1990, 1, 1))
    resolved.team.append(member(CPN, resolved.person))
    _coexisting(resolved, status="resolved")
    assert _severity(resolved, TODAY, FlagCode.MH_COORDINATOR_MISSING) is None
    no_team = _world(born=D(1990, 1, 1))
    _coexisting(no_team)
    assert _severity(no_team, TODAY, FlagCode.MH_COORDINATOR_MISSING) is None


# -- thresholds and the demo -------------------------------------------------------------


def test_overridden_thresholds_move_the_edges() -> None:
    facts = _world()
    _chc(facts)
    assert flags_of(facts, D(2025, 3, 1), FlagCode.CHC_DECISION_OVERDUE,
                    chc_decision_days=27)
    again = _world()
    _stays(again, 29)
    assert not flags_of(again, D(2025, 3, 11), FlagCode.READMITTED_30_DAYS,
                        readmission_within_days=29)


def test_chc_critical_days_may_not_be_below_the_decision_days() -> None:
    from careplan.store.overrides import default_thresholds

    with pytest.raises(ValueError, match="chc.critical_days: must not be below"):
        default_thresholds().with_overrides({"chc.critical_days": "20"})


DEMO_TODAY = D(2025, 3, 12)


def test_careplan_flags_today_raises_each_code_for_its_demo_person(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "demo.db"
    with Store.open(db) as store:
        build_demo(store, persons=40, seed=4, today=DEMO_TODAY, parallel=False)
    user = reader_of_everyone(db, signed_in)
    assert main(["flags", "--db", str(db), "--today", DEMO_TODAY.isoformat(), "--json",
                 *user]) == 0
    flags = json.loads(capsys.readouterr().out)
    found = {(f["person_name"], f["code"], f["severity"]) for f in flags}
    assert {("Harold Jenkins", "chc-decision-overdue", "warning"),
            ("Marcus Reid", "s117-aftercare-unassigned", "critical"),
            ("Irene Cooper", "readmitted-30-days", "warning"),
            ("Liam Doyle", "mh-coordinator-missing", "warning")} <= found
    # Each story raises its own flag and no other of these four.
    ours = {"chc-decision-overdue", "s117-aftercare-unassigned", "readmitted-30-days",
            "mh-coordinator-missing"}
    named = {"Harold Jenkins", "Marcus Reid", "Irene Cooper", "Liam Doyle"}
    assert len({(n, c) for n, c, _ in found if n in named and c in ours}) == 4
    # Judged a month later, Harold's wait is critical.
    assert main(["flags", "--db", str(db), "--today", "2025-04-12", "--json",
                 "--code", "chc-decision-overdue", *user]) == 0
    later = json.loads(capsys.readouterr().out)
    assert [(f["person_name"], f["severity"]) for f in later] == [
        ("Harold Jenkins", "critical")]
