"""Carers and their carer's assessments, EHC plans and care leaver status, safeguarding
concerns: reading one person's, and each change as one transaction with its audit events.

Refusals raise :class:`InputError` (or the model's ValueError) naming the field, and
write nothing; an edit of a record someone changed meanwhile raises StaleWriteError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from careplan.models import Assessment, Carer, SafeguardingConcern, YoungPersonStatus
from careplan.models.enums import AssessmentKind, AssessmentStatus
from careplan.models.social import SafeguardingDecision
from careplan.store.db import Store
from careplan.store.errors import InputError
from careplan.store.repo import add, find, get, update

#: What a carer's assessment may become once offered (its status, as the screen names it).
OUTCOMES = (AssessmentStatus.IN_PROGRESS, AssessmentStatus.COMPLETED,
            AssessmentStatus.DECLINED)


@dataclass(slots=True)
class SocialFile:
    """One person's carers (with the carer's assessments they were offered, by id), EHC
    plans and care leaver status, and safeguarding concerns (newest first)."""

    carers: list[Carer] = field(default_factory=list)
    carer_assessments: dict[str, Assessment] = field(default_factory=dict)
    statuses: list[YoungPersonStatus] = field(default_factory=list)
    concerns: list[SafeguardingConcern] = field(default_factory=list)

    def row_ids(self) -> list[str]:
        """Ids of every row shown, for the person's audit trail."""
        return [*(c.id for c in self.carers), *self.carer_assessments,
                *(s.id for s in self.statuses), *(g.id for g in self.concerns)]

    def assessment_of(self, carer: Carer) -> Assessment | None:
        return self.carer_assessments.get(carer.assessment_id or "")


def load_social(store: Store, person_id: str) -> SocialFile:
    """The person's records of these kinds (a handful of small indexed reads)."""
    out = SocialFile(
        carers=find(store, Carer, order_by="recorded_on", person_id=person_id),
        statuses=find(store, YoungPersonStatus, order_by="start_date", person_id=person_id),
        concerns=find(store, SafeguardingConcern, order_by="-received_on",
                      person_id=person_id),
    )
    out.carer_assessments = {
        a.id: a for a in find(store, Assessment, person_id=person_id,
                              kind=AssessmentKind.CARER)}
    return out


# -- carers ------------------------------------------------------------------------------


def add_carer(store: Store, carer: Carer, actor: str) -> Carer:
    """Record an unpaid carer of the person (no assessment offered yet: see
    :func:`offer_carer_assessment`).

    Raises:
        InputError: the record names an assessment (offer one once the carer is recorded).
    """
    if carer.assessment_id is not None:
        raise InputError("assessment: record the carer first, then offer the carer's "
                         "assessment")
    return add(store, carer, actor)


def offer_carer_assessment(store: Store, carer: Carer, offered_on: date, actor: str,
                           agency_id: str | None = None) -> Assessment:
    """Record that the carer was offered a carer's assessment on ``offered_on`` (Care Act
    2014 s.10): a carer's assessment requested that day, named on the carer's record, in
    one transaction.

    Raises:
        InputError: the carer stopped caring before that day, or an assessment offered
            earlier is still under way (record what became of it first).
        StaleWriteError: the carer's record changed since ``carer`` was read.
    """
    if carer.end_date is not None and offered_on > carer.end_date:
        raise InputError(f"offered on: {carer.name} stopped caring on "
                         f"{carer.end_date:%d %b %Y}")
    with store.atomic():
        if carer.assessment_id is not None:
            earlier = get(store, Assessment, carer.assessment_id)
            if earlier.status not in (AssessmentStatus.COMPLETED, AssessmentStatus.DECLINED):
                raise InputError(
                    f"carer's assessment: one offered to {carer.name} on "
                    f"{earlier.requested_on:%d %b %Y} is still {earlier.status.value}; "
                    "record what became of it first")
        assessment = add(store, Assessment(
            person_id=carer.person_id, kind=AssessmentKind.CARER,
            status=AssessmentStatus.REQUESTED, requested_on=offered_on,
            agency_id=agency_id), actor)
        update(store, carer.evolve(assessment_id=assessment.id), actor)
    return assessment


def record_carer_assessment(store: Store, carer: Carer, status: AssessmentStatus,
                            on: date, actor: str) -> Assessment:
    """Record what became of the carer's assessment offered to ``carer``: under way,
    completed on ``on``, or declined by the carer (Care Act 2014 s.11(5): then it is not
    carried out; the offer stands as made).

    Raises:
        InputError: no assessment was offered to this carer, ``status`` is not one of
            :data:`OUTCOMES`, or the day is before the offer.
        StaleWriteError: the assessment changed since it was read.
    """
    if status not in OUTCOMES:
        raise InputError("status: choose in progress, completed or declined")
    if carer.assessment_id is None:
        raise InputError(f"carer's assessment: none has been offered to {carer.name} yet")
    with store.atomic():
        assessment = get(store, Assessment, carer.assessment_id)
        if on < assessment.requested_on:
            raise InputError(f"on: {on:%d %b %Y} is before the assessment was offered, "
                             f"{assessment.requested_on:%d %b %Y}")
        done = on if status is AssessmentStatus.COMPLETED else None
        return update(store, assessment.evolve(status=status, completed_on=done), actor)


def end_carer(store: Store, carer: Carer, end: date, actor: str) -> Carer:
    """Record the last day the carer cares for the person (the model checks the date)."""
    return update(store, carer.evolve(end_date=end), actor)


# -- EHC plans and care leaver status ----------------------------------------------------


def add_status(store: Store, status: YoungPersonStatus, actor: str) -> YoungPersonStatus:
    """Record an EHC plan or care leaver status.

    Raises:
        InputError: one of the same kind is already in force on its start date.
    """
    with store.atomic():
        same = [s for s in find(store, YoungPersonStatus, person_id=status.person_id,
                                kind=status.kind) if s.active_on(status.start_date)]
        if same:
            raise InputError(f"kind: {status.kind.value} is already recorded from "
                             f"{same[0].start_date:%d %b %Y}; end it first")
        return add(store, status, actor)


def end_status(store: Store, status: YoungPersonStatus, end: date,
               actor: str) -> YoungPersonStatus:
    """Record the day the EHC plan ceased, or the care leaver support ended."""
    return update(store, status.evolve(end_date=end), actor)


# -- safeguarding concerns -----------------------------------------------------------------


def record_concern(store: Store, concern: SafeguardingConcern,
                   actor: str) -> SafeguardingConcern:
    """Record a safeguarding concern as received (a decision, if any, is recorded with
    :func:`decide_concern`).

    Raises:
        InputError: the record already carries a decision.
    """
    if concern.decision is not None:
        raise InputError("decision: record the concern first, then the decision on it")
    return add(store, concern, actor)


def decide_concern(store: Store, concern: SafeguardingConcern,
                   decision: SafeguardingDecision, on: date, reason: str,
                   actor: str) -> SafeguardingConcern:
    """Record the decision whether the concern needs a Care Act s.42 enquiry.

    Raises:
        InputError: a decision is already recorded; or (from the model) the day is
            before the concern was received, or "no safeguarding enquiry" gives no reason.
        StaleWriteError: the concern changed since ``concern`` was read.
    """
    if concern.decision is not None and concern.decided_on is not None:
        raise InputError(f"decision: {concern.decision.value} was already decided on "
                         f"{concern.decided_on:%d %b %Y}")
    try:
        decided = concern.evolve(decision=decision, decided_on=on, reason=reason.strip())
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return update(store, decided, actor)
