"""sharing-basis-missing: an action handed to an agency the person's records may not be
shared with; and break-glass: a record opened in an emergency, reported to the lead
professional until reviewed. Boundaries the day before, of and after, ``today`` injected.

The sharing basis (careplan.models.sharing_basis): consent given or a recorded legal basis,
the latest record for the agency deciding; nothing recorded is a warning, a refusal or
withdrawal critical. No grace period (as for consent-missing)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from careplan.models import Action, Consent, EmergencyAccess, Handoff, Need
from careplan.models.enums import (
    ActionStatus,
    ConsentStatus,
    HandoffStatus,
    HandoffSubject,
    LegalBasis,
    NeedDomain,
)
from careplan.models.flags import FlagCode, Severity, SubjectType
from careplan.models.rules.sharing_basis import SHARING_BASIS_MISSING_SQL
from tests.flag_world import ASC, CMHT, CPN, DR, SW, flags_of, plan_of, world

D = date
ONE = timedelta(days=1)
CODE = FlagCode.SHARING_BASIS_MISSING
PROPOSED = datetime(2025, 3, 10, 9, 30)


def handed(status: HandoffStatus = HandoffStatus.PROPOSED, *consents: Consent,
           action_status: ActionStatus = ActionStatus.NOT_STARTED, owner: str = ASC.id):  # type: ignore[no-untyped-def]
    """Sam Green (adult social care) proposes to hand an action to Nia Evans of the
    Community Mental Health Team, which has no consent recorded (unless ``consents``)."""
    facts = world()
    plan = plan_of(facts)
    need = Need(plan_id=plan.id, description="Staying well at home",
                domain=NeedDomain.MENTAL_HEALTH)
    action = Action(plan_id=plan.id, need_id=need.id, description="Weekly check-in visit",
                    owner_professional_id=CPN.id if owner == CMHT.id else SW.id,
                    owner_agency_id=owner, due_date=D(2025, 4, 1), status=action_status)
    answered = PROPOSED + timedelta(days=1) if status is not HandoffStatus.PROPOSED else None
    facts.actions = [action]
    facts.handoffs = [Handoff(person_id=facts.person.id, subject=HandoffSubject.ACTION,
                              action_id=action.id, from_professional_id=SW.id,
                              from_agency_id=ASC.id, to_professional_id=CPN.id,
                              to_agency_id=CMHT.id, proposed_at=PROPOSED,
                              answer_by=D(2025, 3, 20), status=status, answered_at=answered,
                              answered_by=CPN.id if answered else None,
                              answer_reason="Not ours" if status is HandoffStatus.DECLINED
                              else "")]
    facts.consents = [*facts.consents, *consents]
    return facts


def mh(status: ConsentStatus, on: date, basis: LegalBasis | None = None) -> Consent:
    return Consent(person_id="x", agency_id=CMHT.id, status=status, recorded_on=on,
                   recorded_by=DR.id, basis=basis,
                   legal_basis="" if basis or status is not ConsentStatus.LEGAL_BASIS
                   else "recorded")


def sev(facts, day: date) -> list[Severity]:  # type: ignore[no-untyped-def]
    return [f.severity for f in flags_of(facts, day, CODE)]


def _own(facts, *consents: Consent):  # type: ignore[no-untyped-def]
    facts.consents = [*facts.consents[:2],
                      *(c.evolve(person_id=facts.person.id) for c in consents)]
    return facts


def test_a_proposal_to_an_agency_with_nothing_recorded_is_a_warning_from_its_day() -> None:
    facts = handed()
    assert sev(facts, PROPOSED.date() - ONE) == []
    assert sev(facts, PROPOSED.date()) == [Severity.WARNING]
    found, = flags_of(facts, PROPOSED.date() + ONE, CODE)
    assert found.since == PROPOSED.date()
    assert (found.subject_type, found.subject_id) == (SubjectType.HANDOFF,
                                                      facts.handoffs[0].id)
    assert "no consent or legal basis recorded" in found.message
    assert "Community Mental Health Team" in found.message
    assert found.evidence["handoff_status"] == "proposed"


def test_a_refusal_is_critical_from_the_later_of_the_two_days() -> None:
    facts = _own(handed(), mh(ConsentStatus.REFUSED, D(2025, 3, 11)))
    assert sev(facts, D(2025, 3, 10)) == [Severity.WARNING]  # nothing recorded yet
    assert sev(facts, D(2025, 3, 11)) == [Severity.CRITICAL]
    found, = flags_of(facts, D(2025, 3, 12), CODE)
    assert found.since == D(2025, 3, 11)
    assert "consent refused on" in found.message


def test_consent_given_clears_it_on_its_day() -> None:
    facts = _own(handed(), mh(ConsentStatus.GIVEN, D(2025, 3, 12)))
    assert sev(facts, D(2025, 3, 11)) == [Severity.WARNING]
    assert sev(facts, D(2025, 3, 12)) == []


def test_a_direct_care_basis_does_not_stand_against_a_refusal_safeguarding_does() -> None:
    refused = mh(ConsentStatus.REFUSED, D(2025, 3, 1))
    direct = _own(handed(), refused,
                  mh(ConsentStatus.LEGAL_BASIS, D(2025, 3, 5), LegalBasis.DIRECT_CARE))
    assert sev(direct, D(2025, 3, 12)) == [Severity.CRITICAL]
    safe = _own(handed(), refused,
                mh(ConsentStatus.LEGAL_BASIS, D(2025, 3, 5), LegalBasis.SAFEGUARDING))
    assert sev(safe, D(2025, 3, 12)) == []


def test_declined_or_withdrawn_handoffs_raise_nothing() -> None:
    assert sev(handed(HandoffStatus.DECLINED), D(2025, 3, 12)) == []
    assert sev(handed(HandoffStatus.WITHDRAWN), D(2025, 3, 12)) == []


def test_an_accepted_handoff_counts_while_the_agency_holds_the_open_action() -> None:
    held = handed(HandoffStatus.ACCEPTED, owner=CMHT.id)
    assert sev(held, D(2025, 3, 11)) == [Severity.WARNING]
    assert flags_of(held, D(2025, 3, 11), CODE)[0].since == D(2025, 3, 11)  # accepted
    done = handed(HandoffStatus.ACCEPTED, owner=CMHT.id, action_status=ActionStatus.COMPLETED)
    assert sev(done, D(2025, 3, 12)) == []
    elsewhere = handed(HandoffStatus.ACCEPTED, owner=ASC.id)  # handed back since
    assert sev(elsewhere, D(2025, 3, 12)) == []


def test_no_plan_no_flag() -> None:
    facts = handed()
    facts.plans = []
    assert sev(facts, D(2025, 3, 12)) == []


def test_the_candidates_sql_reads_the_same_rule() -> None:
    assert "h.to_agency_id" in SHARING_BASIS_MISSING_SQL
    assert "'proposed', 'accepted'" in SHARING_BASIS_MISSING_SQL


# -- break-glass -----------------------------------------------------------------------

OPENED = datetime(2025, 3, 10, 2, 15)


def opened(reviewed_at: datetime | None = None):  # type: ignore[no-untyped-def]
    facts = world()
    facts.emergency_accesses = [EmergencyAccess(
        person_id=facts.person.id, professional_id=CPN.id, agency_id=CMHT.id,
        reason="Found confused at night; needed her medicines.", opened_at=OPENED,
        reviewed_by=DR.id if reviewed_at else None, reviewed_at=reviewed_at)]
    return facts


def test_break_glass_from_the_day_of_access_until_reviewed() -> None:
    facts = opened(reviewed_at=datetime(2025, 3, 12, 9, 0))
    glass = FlagCode.BREAK_GLASS
    assert flags_of(facts, D(2025, 3, 9), glass) == []
    found, = flags_of(facts, D(2025, 3, 10), glass)
    assert found.severity is Severity.WARNING and found.since == D(2025, 3, 10)
    assert "Nia Evans of Community Mental Health Team" in found.message
    assert "Dr Asha Patel (the lead professional) reviews it" in found.message
    assert "02:15" in found.message
    assert len(flags_of(facts, D(2025, 3, 11), glass)) == 1
    assert flags_of(facts, D(2025, 3, 12), glass) == []


def test_break_glass_without_a_plan_still_counts() -> None:
    facts = opened()
    facts.plans = []
    assert len(flags_of(facts, D(2025, 3, 20), FlagCode.BREAK_GLASS)) == 1
