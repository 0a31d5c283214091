"""What an operation changed: the rows it wrote, read back from its audit events.

Every write appends one audit event per row in the same transaction, with the row's
values before and after. So an operation's :class:`Changes` is exactly the events it
wrote: which records, whose (the persons they belong to), and everything undoing it
needs. Changes arriving from another store (a change pack, the team server) have the
same shape, so every view refreshes the same way whatever made the change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: Tables whose rows belong to no one person: a change there may show in anyone's
#: caseload row, header or flags (a professional's name, an agency, a threshold).
SHARED_TABLES = frozenset({"agencies", "professionals", "joint_budgets",
                           "budget_contributions", "funding_streams", "rule_overrides"})


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row written by an operation, as its audit event recorded it."""

    entity: str
    entity_id: str
    version_before: int | None
    version_after: int
    before: dict[str, Any] | None
    after: dict[str, Any]

    @property
    def created(self) -> bool:
        return self.before is None or bool(self.before.get("deleted"))

    @property
    def deleted(self) -> bool:
        return bool(self.after.get("deleted"))


@dataclass(frozen=True, slots=True)
class Changes:
    """The rows an operation changed and the persons they belong to.

    ``everyone`` is set when a shared row changed (see ``SHARED_TABLES``): views then
    refresh all they show, not only ``person_ids``.
    """

    rows: tuple[RowChange, ...] = ()
    person_ids: frozenset[str] = field(default_factory=frozenset)
    everyone: bool = False

    @property
    def entities(self) -> frozenset[str]:
        return frozenset(r.entity for r in self.rows)

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def flags_may_change(self) -> bool:
        """Whether any flag may differ now (every table the rules read counts)."""
        return not self.empty or self.everyone

    @staticmethod
    def of_everything() -> Changes:
        """Changes too many to list (an import): every view shows everything again."""
        return Changes(everyone=True)

    def touches(self, person_id: str) -> bool:
        return self.everyone or person_id in self.person_ids

    def ids(self, entity: str) -> frozenset[str]:
        return frozenset(r.entity_id for r in self.rows if r.entity == entity)

    @staticmethod
    def merged(all_changes: Iterable[Changes]) -> Changes:
        items = list(all_changes)
        return Changes(tuple(r for c in items for r in c.rows),
                       frozenset().union(*(c.person_ids for c in items)),
                       any(c.everyone for c in items))


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """An operation's result: what the store function returned, and what it changed."""

    value: T
    changes: Changes


__all__ = ["SHARED_TABLES", "Changes", "Done", "RowChange"]
