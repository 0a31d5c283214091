"""Append-only audit events: who changed what, when, from what to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One change to one row.

    ``store_id`` and ``store_seq`` say where the event was first written and in
    which order; ``parent_id`` links to the previous event on the same row, so copies
    of a store can later exchange and order their changes.
    """

    id: str
    store_id: str
    store_seq: int
    parent_id: str | None
    entity: str
    entity_id: str
    version_before: int | None
    version_after: int
    before: dict[str, Any] | None
    after: dict[str, Any]
    actor: str
    at: datetime

    @property
    def changed_fields(self) -> list[str]:
        """Fields whose value differs between before and after."""
        if self.before is None:
            return sorted(self.after)
        keys = set(self.before) | set(self.after)
        return sorted(k for k in keys if self.before.get(k) != self.after.get(k))
