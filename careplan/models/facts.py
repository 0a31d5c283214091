"""What the rules look at for one person, bundled so that rules stay pure functions.

A loader (``careplan.store.flagdata``) may leave out rows that no rule can flag (closed
plans, completed actions, the delay reasons of discharged stays, settled referrals,
decided continuing healthcare checklists); the rules still check every condition
themselves, so a bundle holding everything gives the same flags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from careplan.models.emergency import EmergencyAccess
from careplan.models.episodes import DelayReason, HospitalStay
from careplan.models.funding import ActionCost, ActionFunder, PersonalBudget
from careplan.models.handoffs import Handoff, Referral, ReferralEvent
from careplan.models.health import HealthFacts
from careplan.models.people import (
    Agency,
    Assessment,
    CareTeamMember,
    Condition,
    Consent,
    Person,
    Professional,
)
from careplan.models.plan import Action, CarePlan, PlanSignOff
from careplan.models.social import Carer, SafeguardingConcern, YoungPersonStatus
from careplan.models.sync import SyncConflict


@dataclass(frozen=True, slots=True)
class Directory:
    """The agencies and professionals of the store, shared by every person's facts."""

    agencies: Mapping[str, Agency]
    professionals: Mapping[str, Professional]
    #: What a missing id reads as: flag messages name it; screens leave a blank.
    unknown_agency: str = "an unknown agency"
    unknown_professional: str = "an unknown professional"

    def agency_name(self, agency_id: str | None) -> str:
        agency = self.agencies.get(agency_id or "")
        return agency.name if agency else self.unknown_agency

    def professional_name(self, professional_id: str | None) -> str:
        pro = self.professionals.get(professional_id or "")
        return pro.name if pro else self.unknown_professional

    def agency_of(self, professional_id: str) -> Agency | None:
        pro = self.professionals.get(professional_id)
        return None if pro is None else self.agencies.get(pro.agency_id)


@dataclass(slots=True)
class PersonFacts:
    """One person and the rows about them that the rules read.

    ``referral_events`` and ``delay_reasons`` are keyed by referral and stay id;
    ``action_recorded_on`` holds the date each action was first recorded (the best
    "since" for an action that never had an owner).
    """

    person: Person
    directory: Directory
    plans: list[CarePlan] = field(default_factory=list)
    team: list[CareTeamMember] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    action_recorded_on: dict[str, date] = field(default_factory=dict)
    signoffs: list[PlanSignOff] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    referral_events: dict[str, list[ReferralEvent]] = field(default_factory=dict)
    stays: list[HospitalStay] = field(default_factory=list)
    delay_reasons: dict[str, list[DelayReason]] = field(default_factory=dict)
    #: Costs of the person's actions that are not cancelled, whatever their status (money
    #: committed to a completed action still counts against a personal budget), the
    #: funders of each cost by cost id, and those actions by id.
    action_costs: list[ActionCost] = field(default_factory=list)
    action_funders: dict[str, list[ActionFunder]] = field(default_factory=dict)
    costed_actions: dict[str, Action] = field(default_factory=dict)
    personal_budgets: list[PersonalBudget] = field(default_factory=list)
    #: Open conflicts between changes made on different stores to the person's records.
    sync_conflicts: list[SyncConflict] = field(default_factory=list)
    #: Carers (their carer's assessments are among ``assessments``), EHC plans and care
    #: leaver status, safeguarding concerns.
    carers: list[Carer] = field(default_factory=list)
    young_person_statuses: list[YoungPersonStatus] = field(default_factory=list)
    safeguarding_concerns: list[SafeguardingConcern] = field(default_factory=list)
    #: Continuing healthcare, s.117 aftercare and coded conditions (models.health).
    health: HealthFacts = field(default_factory=HealthFacts)
    #: Emergency openings of the person's record ("break glass") not reviewed by today.
    emergency_accesses: list[EmergencyAccess] = field(default_factory=list)
