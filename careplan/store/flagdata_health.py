"""What the health-side rules read, for many persons at once (``store.flagdata`` runs
these queries with its own, one query per table whatever the caseload's size).

- stays already discharged (the rules of ``store.flagdata`` read only stays under way):
  an emergency readmission is counted from the last discharge, and section 117
  aftercare is owed after one; they join ``PersonFacts.stays``;
- the active mental health and substance use conditions of persons in a mental health
  team's care (those of persons with a referral are read already), which join
  ``PersonFacts.conditions``, and the value set each of the person's conditions falls in
  (``HealthFacts.condition_sets``);
- positive continuing healthcare checklists not decided by today, and aftercare plans.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from careplan import resources
from careplan.models.base import Entity, field_specs
from careplan.models.condition_codes import ConditionCodes
from careplan.models.enums import AgencyKind, NeedDomain
from careplan.models.episodes import HospitalStay
from careplan.models.facts import PersonFacts
from careplan.models.health import (
    AftercarePlan,
    ChcAssessment,
    ChecklistOutcome,
    condition_sets,
)
from careplan.models.people import Condition
from careplan.models.rules.common import ACTIVE_MEMBER_SQL
from careplan.store.fastload import builder, columns_sql

#: One read: its name, the class its rows build (its columns first), SQL and parameters.
HealthQuery = tuple[str, type[Entity], str, tuple[Any, ...]]

#: The condition ``c``'s person has an active member of a mental health team in their
#: care team (SQL; binds today twice). Asked per condition through the care team's index
#: on person: a list of everyone in mental health care would read the whole care team
#: table (about 0.09 s at 50,000 persons).
_IN_MH_CARE = (
    "EXISTS (SELECT 1 FROM care_team_members m JOIN professionals p "
    "ON p.id = m.professional_id JOIN agencies a ON a.id = p.agency_id "
    f"WHERE m.person_id = c.person_id AND a.kind = '{AgencyKind.MENTAL_HEALTH.value}' AND "
    + ACTIVE_MEMBER_SQL.replace(":today", "?") + ")"
)


@functools.cache
def condition_codes() -> ConditionCodes:
    """The shipped condition value sets (``resources/condition_codes.toml``), read once.

    Raises:
        careplan.resources.ResourceError: the file is missing or damaged (a broken
            installation, not the user's mistake).
    """
    try:
        return ConditionCodes.from_data(resources.condition_value_sets())
    except ValueError as exc:
        raise resources.ResourceError(
            f"CarePlan's data file condition_codes.toml is damaged: {exc}") from exc


def queries(sel: str, sp: tuple[Any, ...], today: str) -> list[HealthQuery]:
    """The reads for the persons ``sel`` selects (SQL binding ``sp``) on ``today``."""
    return [
        ("past_stays", HospitalStay,
         f"SELECT {columns_sql(HospitalStay, 's')} FROM hospital_stays s "
         f"WHERE s.person_id IN ({sel}) AND s.discharged_on <= ?", (*sp, today)),
        ("mh_conditions", Condition,
         f"SELECT {columns_sql(Condition, 'c')} FROM conditions c "
         f"WHERE c.person_id IN ({sel}) AND c.clinical_status = 'active' "
         f"AND c.domain IN ('{NeedDomain.MENTAL_HEALTH.value}', "
         f"'{NeedDomain.SUBSTANCE_USE.value}') "
         "AND c.person_id NOT IN (SELECT person_id FROM referrals) "
         f"AND {_IN_MH_CARE}", (*sp, today, today)),
        ("chc", ChcAssessment,
         f"SELECT {columns_sql(ChcAssessment, 'h')} FROM chc_assessments h "
         f"WHERE h.person_id IN ({sel}) AND h.outcome = '{ChecklistOutcome.POSITIVE.value}' "
         "AND h.checklist_on <= ? AND (h.decided_on IS NULL OR h.decided_on > ?)",
         (*sp, today, today)),
        ("aftercare", AftercarePlan,
         f"SELECT {columns_sql(AftercarePlan, 'p')} FROM aftercare_plans p "
         f"WHERE p.person_id IN ({sel}) AND p.agreed_on <= ?", (*sp, today)),
    ]


def group(people: dict[str, PersonFacts], rows: dict[str, list[Any]]) -> None:
    """Put each row read by :func:`queries` with its person; then tell which of every
    person's conditions are in a value set."""
    _each(people, rows["past_stays"], HospitalStay, lambda f: f.stays)
    _each(people, rows["mh_conditions"], Condition, lambda f: f.conditions)
    _each(people, rows["chc"], ChcAssessment, lambda f: f.health.chc)
    _each(people, rows["aftercare"], AftercarePlan, lambda f: f.health.aftercare)
    codes = condition_codes()
    for facts in people.values():
        if facts.conditions:
            facts.health.condition_sets = condition_sets(facts.conditions, codes)


def _each(people: dict[str, PersonFacts], rows: Sequence[Sequence[Any]], cls: type[Entity],
          into: Callable[[PersonFacts], list[Any]]) -> None:
    build = builder(cls)
    owner = [s.name for s in field_specs(cls)].index("person_id")
    get = people.get
    for row in rows:
        facts = get(row[owner])
        if facts is not None:
            into(facts).append(build(row))
