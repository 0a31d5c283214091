"""A helper that builds one person's records for the demo: team, consent, plan, and more."""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

from careplan.demo.world import Ids
from careplan.models.base import Entity
from careplan.models.condition_codes import ConditionCodes
from careplan.models.enums import (
    ActionStatus,
    AssessmentKind,
    AssessmentStatus,
    ClinicalStatus,
    ConsentStatus,
    LegalBasis,
    NeedDomain,
    OutcomeStatus,
    PlanStatus,
    Role,
)
from careplan.models.people import (
    Assessment,
    CareTeamMember,
    Condition,
    Consent,
    Person,
    Professional,
)
from careplan.models.plan import Action, CarePlan, Need, Outcome, PlanSignOff
from careplan.models.workdays import ENGLAND_AND_WALES
from careplan.resources import condition_value_sets

#: The demo's diagnoses as a record carries them: the SNOMED CT concept of each. Its care
#: domain comes from the value sets (resources/condition_codes.toml), as an imported
#: record's does, so the demo's dual diagnoses are the ones real codes make.
CONDITION_CODES: dict[str, str] = {
    "Alcohol dependence": "66590003",
    "Bipolar affective disorder": "13746004",
    "Cerebral palsy": "128188000",
    "COPD": "13645005",
    "First episode psychosis": "1127191000000108",
    "Fractured neck of femur": "5913000",
    "Generalised anxiety disorder": "21897009",
    "Heart failure": "84114007",
    "Mild learning disability": "984661000000105",
    "Moderate learning disability": "984671000000103",
    "Multiple sclerosis (relapsing-remitting)": "426373005",
    "Opioid dependence": "75544000",
    "Osteoarthritis": "396275006",
    "Post-traumatic stress disorder": "47505003",
    "Recurrent depressive disorder": "191616006",
    "Schizophrenia": "58214004",
    "Stroke": "230690007",
    "Type 2 diabetes": "44054006",
    "Vascular dementia (early)": "429998004",
}


@functools.lru_cache(maxsize=1)
def condition_codes() -> ConditionCodes:
    """The condition value sets, read once."""
    return ConditionCodes.from_data(condition_value_sets())


def condition_domain(name: str) -> NeedDomain:
    """The care domain of a demo diagnosis: the value set its SNOMED CT code is in."""
    return condition_codes().snomed_domain(CONDITION_CODES[name])


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def add_working_days(day: date, n: int) -> date:
    """``n`` working days after ``day`` (before it when ``n`` is negative), skipping
    weekends and England and Wales bank holidays as the rules do (``WorkingDays``), so a
    demo answer-by date is the one the rules would set."""
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        day += timedelta(days=step)
        if ENGLAND_AND_WALES.is_working_day(day):
            left -= 1
    return day


class Case:
    """Collects the records of one person in the order they must be written."""

    def __init__(self, ids: Ids, person: Person) -> None:
        self.ids = ids
        self.person = person
        self.items: list[Entity] = [person]
        self.members: list[CareTeamMember] = []
        self.pros: list[Professional] = []
        self.plan: CarePlan | None = None

    def add(self, entity: Entity) -> Entity:
        self.items.append(entity)
        return entity

    def born(self, day: date) -> date:
        """``day``, or the day of birth if it is earlier: nothing about a young child is
        dated before they were born (careplan.models.plausibility)."""
        return max(day, self.person.birth_date)

    def member(self, pro: Professional, start: date, *, role: Role | None = None,
               lead: bool = False, end: date | None = None) -> CareTeamMember:
        start = self.born(start)
        end = None if end is None else max(end, start)
        m = CareTeamMember(id=self.ids(), person_id=self.person.id, professional_id=pro.id,
                           role=role or pro.role, start_date=start, end_date=end, is_lead=lead)
        self.members.append(m)
        self.pros.append(pro)
        self.items.append(m)
        return m

    def team_agencies(self) -> list[str]:
        seen: list[str] = []
        for m, p in zip(self.members, self.pros, strict=True):
            if m.end_date is None and p.agency_id not in seen:
                seen.append(p.agency_id)
        return seen

    def consents(self, recorded_on: date, by: Professional, *, skip: tuple[str, ...] = (),
                 legal_basis: tuple[str, ...] = ()) -> None:
        recorded_on = self.born(recorded_on)
        for agency_id in self.team_agencies():
            if agency_id in skip:
                continue
            if agency_id in legal_basis:
                self.add(Consent(id=self.ids(), person_id=self.person.id, agency_id=agency_id,
                                 status=ConsentStatus.LEGAL_BASIS, recorded_on=recorded_on,
                                 recorded_by=by.id, basis=LegalBasis.SAFEGUARDING,
                                 legal_basis="Care Act 2014 s.42 enquiry"))
            else:
                self.add(Consent(id=self.ids(), person_id=self.person.id, agency_id=agency_id,
                                 status=ConsentStatus.GIVEN, recorded_on=recorded_on,
                                 recorded_by=by.id))

    def condition(self, name: str, onset: date | None = None,
                  status: ClinicalStatus = ClinicalStatus.ACTIVE) -> None:
        """A diagnosis coded in SNOMED CT (``CONDITION_CODES``), its domain from the code."""
        self.add(Condition(id=self.ids(), person_id=self.person.id, name=name,
                           domain=condition_domain(name), clinical_status=status,
                           onset_date=None if onset is None else self.born(onset),
                           code=CONDITION_CODES[name]))

    def assessment(self, kind: AssessmentKind, requested: date,
                   completed: date | None = None) -> None:
        status = AssessmentStatus.COMPLETED if completed else AssessmentStatus.IN_PROGRESS
        self.add(Assessment(id=self.ids(), person_id=self.person.id, kind=kind, status=status,
                            requested_on=requested, completed_on=completed))

    def care_plan(self, created: date, *, status: PlanStatus = PlanStatus.ACTIVE,
                  version: int = 1, activated: date | None = None,
                  review: date | None = None, closed: date | None = None,
                  reviewed: date | None = None) -> CarePlan:
        created = self.born(created)
        if activated is not None:
            activated = max(activated, created)
        if status is not PlanStatus.DRAFT and activated is None:
            activated = created + timedelta(days=7)
        if review is None and activated is not None:
            review = activated + timedelta(weeks=8)  # Care Act guidance: first review 6-8 weeks
        self.plan = CarePlan(id=self.ids(), person_id=self.person.id, status=status,
                             plan_version=version, created_on=created,
                             activated_on=None if status is PlanStatus.DRAFT else activated,
                             review_date=review, closed_on=closed,
                             version_since=activated if version > 1 else None,
                             reviewed_on=reviewed)
        self.items.append(self.plan)
        return self.plan

    def need(self, domain: NeedDomain, text: str) -> Need:
        assert self.plan is not None
        need = Need(id=self.ids(), plan_id=self.plan.id, description=text, domain=domain)
        self.items.append(need)
        return need

    def outcome(self, need: Need, words: str, target: date | None,
                achievement: OutcomeStatus = OutcomeStatus.IN_PROGRESS) -> None:
        assert self.plan is not None
        self.add(Outcome(id=self.ids(), plan_id=self.plan.id, need_id=need.id,
                         description=words, target_date=target, achievement=achievement))

    def action(self, need: Need | None, text: str, owner: Professional | None, due: date | None,
               status: ActionStatus = ActionStatus.IN_PROGRESS) -> Action:
        assert self.plan is not None
        act = Action(id=self.ids(), plan_id=self.plan.id, need_id=need.id if need else None,
                     description=text, owner_professional_id=owner.id if owner else None,
                     owner_agency_id=owner.agency_id if owner else None, due_date=due,
                     status=status)
        self.items.append(act)
        return act

    def sign(self, on: date, *, skip: tuple[str, ...] = (), version: int | None = None) -> None:
        """Each team agency signs the plan (the first team member of that agency signs)."""
        assert self.plan is not None
        on = self.born(on)
        signers: dict[str, Professional] = {}
        for m, p in zip(self.members, self.pros, strict=True):
            if m.end_date is None:
                signers.setdefault(p.agency_id, p)
        for agency_id, pro in signers.items():
            if agency_id in skip:
                continue
            self.add(PlanSignOff(id=self.ids(), plan_id=self.plan.id, agency_id=agency_id,
                                 plan_version=version or self.plan.plan_version,
                                 signed_by=pro.id, signed_at=at(on, 14, 30)))
