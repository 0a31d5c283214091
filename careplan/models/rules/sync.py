"""``sync-conflict``: two stores changed the same record at once, and nobody has decided.

Changes made on different computers that had not seen each other are applied together
when the stores share them (careplan.store.replication); where they disagree (the same
field given different values, a status field such as a handoff's answer touched by
both, or a record removed on one and changed on the other) neither is applied: the
record keeps what it had before either, and the conflict waits for a person. One flag
per record and field (per record for a removal), naming every value with who wrote it
and when, so it can be decided at the next case conference. A disagreement over a
status field, or over a removal, is critical; over any other field, a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from careplan.models.facts import Directory, PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import Candidates, Context, current_plan, day, flag
from careplan.models.sync import DELETED, SyncConflict

#: Candidates for ``sync_conflict``: every person with an open conflict (no threshold:
#: a conflict is flagged the day it is found).
SYNC_CONFLICT_SQL = ("SELECT person_id FROM sync_conflicts WHERE status = 'open' "
                     "AND person_id IS NOT NULL")
SYNC_CONFLICT = Candidates(FlagCode.SYNC_CONFLICT, SYNC_CONFLICT_SQL)

_NOUNS = {"persons": "person's record", "care_team_members": "care team membership",
          "care_plans": "care plan", "plan_signoffs": "sign-off",
          "plan_versions": "plan version", "referral_events": "referral step",
          "hospital_stays": "hospital stay", "delay_reasons": "delay reason",
          "case_conferences": "case conference", "action_costs": "action's cost",
          "action_funders": "action's funder", "personal_budgets": "personal budget"}
_LONGEST = 60


def noun(entity: str) -> str:
    """A kind of record as people say it: ``handoffs`` -> ``handoff``."""
    return _NOUNS.get(entity, entity.removesuffix("s").replace("_", " "))


def who(actor: str, directory: Directory) -> str:
    pro = directory.professionals.get(actor)
    return pro.name if pro is not None else actor


def when(at: datetime) -> str:
    return f"{day(at.date())} {at:%H:%M}"


def shown(field: str, value: Any, directory: Directory) -> str:
    """One side's value as people read it: names for ids, yes/no for flags, quoted text."""
    if value is None or value == "":
        return "blank"
    if isinstance(value, int) and field.startswith(("is_", "as_")):
        return "yes" if value else "no"
    if isinstance(value, str) and (field.endswith(("_id", "_by"))):
        if value in directory.professionals:
            return directory.professionals[value].name
        if value in directory.agencies:
            return directory.agencies[value].name
    text = " ".join(str(value).split()).replace(". ", ", ")
    if len(text) > _LONGEST:
        text = text[:_LONGEST - 1].rstrip() + "…"
    return f"“{text}”"


def describe(group: Sequence[SyncConflict], directory: Directory) -> str:
    """One sentence about the conflicts of one record and field (see the module)."""
    first = group[0]
    thing = noun(first.entity)
    if first.field == DELETED:
        sides = _sides(group)
        removed = [(a, t) for v, a, t in sides if isinstance(v, dict) and v.get(DELETED)]
        kept = [(a, t) for v, a, t in sides if not (isinstance(v, dict) and v.get(DELETED))]
        removal = ", ".join(f"by {who(a, directory)} on {when(t)}" for a, t in removed)
        other = ", ".join(f"{who(a, directory)} on {when(t)}" for a, t in kept)
        if first.kind == "referenced":
            return (f"Removed on one computer while another added records that refer to it: "
                    f"the {thing} was removed {removal}, and {other} added a record that "
                    "refers to it; it is kept until the team decides.")
        return (f"Removed on one computer and changed on another: the {thing} was removed "
                f"{removal} and changed by {other}; it is kept as it was until the team "
                "decides.")
    values = []
    for value, actor, at in _sides(group):
        values.append(f"{shown(first.field, value, directory)} ({who(actor, directory)}, "
                      f"{when(at)})")
    listed = ", ".join(values[:-1]) + " and " + values[-1] if len(values) > 1 else values[0]
    return (f"Changed on two computers at once: the {thing}'s {first.field.replace('_', ' ')} "
            f"was set to {listed}; neither is applied until the team decides which to keep.")


def _sides(group: Sequence[SyncConflict]) -> list[tuple[Any, str, datetime]]:
    """Each distinct change in the group: its value, author and time, oldest first."""
    seen: dict[str, tuple[Any, str, datetime]] = {}
    for c in group:
        for event, value, actor, at in ((c.event_a, c.value_a, c.actor_a, c.at_a),
                                        (c.event_b, c.value_b, c.actor_b, c.at_b)):
            seen.setdefault(event, (value, actor, at))
    return sorted(seen.values(), key=lambda s: (s[2], s[1], repr(s[0])))


def groups(conflicts: Sequence[SyncConflict]) -> list[list[SyncConflict]]:
    """Open conflicts by record and field (by record for a removal), in a fixed order."""
    out: dict[tuple[str, str, str], list[SyncConflict]] = {}
    for c in sorted(conflicts, key=lambda c: c.id):
        out.setdefault((c.entity, c.entity_id, c.field), []).append(c)
    return [out[k] for k in sorted(out)]


def sync_conflict(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each record and field of the person in conflict between two stores."""
    if not facts.sync_conflicts or current_plan(facts) is None:
        return []
    out = []
    for group in groups(facts.sync_conflicts):
        first = group[0]
        severity = Severity.CRITICAL if first.is_status else Severity.WARNING
        since = max(max(c.at_a, c.at_b) for c in group).date()
        evidence = {
            "record": first.entity, "record_id": first.entity_id, "field": first.field,
            "conflicts": [c.id for c in group],
            "changes": [{"value": v, "by": a, "at": t.isoformat()} for v, a, t in
                        _sides(group)],
        }
        out.append(flag(facts, FlagCode.SYNC_CONFLICT, severity,
                        (SubjectType.SYNC_CONFLICT, first.id), since, None,
                        describe(group, facts.directory), evidence))
    return out
