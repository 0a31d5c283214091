"""The store's side of plausible dates (careplan.models.plausibility): every record
added or changed through careplan.store.repo is checked against the date of birth of
the person it is about and against today (the date in England by the store's clock).

A change is checked on the dates it changes only: a record saved before these rules
(an old store, an import) can still have its other fields changed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from careplan.clock import today as day_in_england
from careplan.models.base import Entity
from careplan.models.plausibility import date_problems
from careplan.store.db import Store
from careplan.store.errors import InputError

#: From a reference column to the date of birth of the person the record is about.
_BIRTH_SQL = {
    "person_id": "SELECT birth_date FROM persons WHERE id = ?",
    "plan_id": "SELECT p.birth_date FROM care_plans c JOIN persons p ON p.id = c.person_id "
               "WHERE c.id = ?",
    "stay_id": "SELECT p.birth_date FROM hospital_stays s JOIN persons p "
               "ON p.id = s.person_id WHERE s.id = ?",
    "referral_id": "SELECT p.birth_date FROM referrals r JOIN persons p "
                   "ON p.id = r.person_id WHERE r.id = ?",
    "conference_id": "SELECT p.birth_date FROM case_conferences c JOIN persons p "
                     "ON p.id = c.person_id WHERE c.id = ?",
    "action_id": "SELECT p.birth_date FROM actions a JOIN care_plans c ON c.id = a.plan_id "
                 "JOIN persons p ON p.id = c.person_id WHERE a.id = ?",
    "cost_id": "SELECT p.birth_date FROM action_costs k JOIN actions a ON a.id = k.action_id "
               "JOIN care_plans c ON c.id = a.plan_id JOIN persons p ON p.id = c.person_id "
               "WHERE k.id = ?",
}


def store_today(store: Store) -> date:
    """Today in England by the store's clock (tests set the clock)."""
    moment = store.clock()
    return moment.date() if moment.tzinfo is None else day_in_england(moment)


def birth_of(store: Store, entity: Entity) -> date | None:
    """The date of birth of the person ``entity`` is about, if it is a person's record."""
    for column, sql in _BIRTH_SQL.items():
        value = getattr(entity, column, None)
        if value is None:
            continue
        row = store.conn.execute(sql, (value,)).fetchone()
        if row is not None and row[0]:
            return date.fromisoformat(str(row[0]))
    return None


def check(store: Store, entity: Entity, before: Mapping[str, Any] | None,
          after: Mapping[str, Any]) -> None:
    """Refuse ``entity`` if a date it adds or changes cannot be right.

    ``before`` and ``after`` are the stored row values before and after the write
    (``before`` None: a new record, every date is checked).

    Raises:
        InputError: one sentence naming the field; nothing has been written.
    """
    fields: Collection[str] | None = None
    if before is not None:
        fields = {k for k, v in after.items() if before.get(k) != v}
        if not fields:
            return
    problems = date_problems(entity, birth_of(store, entity), store_today(store), fields)
    if problems:
        raise InputError(problems[0])


__all__ = ["birth_of", "check", "store_today"]
