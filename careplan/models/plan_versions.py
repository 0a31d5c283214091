"""Plan versions: what the agencies sign, what changed, and which version is in force.

The rules:

- What the agencies sign is the plan's *signed content*: what matters to the person,
  each need (what, domain), each outcome (the person's words, its need, target date)
  and each action (what, the needs it meets, who: professional and agency, when). An
  action's needs are signed as one value, the ids of every need it meets
  (:func:`careplan.models.plan.needs_met`) in text order, space-separated: an action
  that meets one need signs exactly what it signed before actions could meet several,
  so a snapshot recorded then still reads as the same terms. Progress is
  not part of it: an action's status and an outcome's achievement change as work is
  done, never make a new version and never touch a signature.
- The version in force is the last one issued (``CarePlan.plan_version``); its signed
  content is kept as a snapshot (:class:`~careplan.models.plan.PlanVersion`). An edit
  of signed content changes the plan's records at once; how they differ from the
  snapshot in force is the *draft* of the next version. The version in force, and
  every signature on it, stays as it was until the draft is issued.
- Issuing the draft is an explicit act, shown with its changes: its snapshot becomes
  version N+1, in force from that day, and each agency then has its days to sign it.
  Signatures belong to a version number and are never removed by an edit.
- What changed between two versions is the comparison of their snapshots (or, for the
  draft, of the plan now with the snapshot in force).
- A version in force with no snapshot (a store from before versions were kept, a plan
  imported or written in bulk) is the plan as it is now: the store records that
  snapshot just before the plan's signed content first changes.
- A plan still being written (status draft, its version signed by no agency) has
  nothing in force to keep: changes are part of its version until an agency signs it
  (or it is issued).

Pure functions: the store records and reads snapshots (careplan.store.plan_versions),
the Plan tab and the joint plan PDF show what these functions find.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from careplan.models.enums import NeedDomain, PlanStatus
from careplan.models.plan import (
    Action,
    ActionNeed,
    CarePlan,
    Need,
    Outcome,
    PlanSignOff,
    PlanVersion,
    needs_by_action,
    needs_met,
)

WHAT_MATTERS = "what matters"
NEED = "need"
OUTCOME = "outcome"
ACTION = "action"
#: The kinds of signed item, in the order they are listed.
KINDS = (WHAT_MATTERS, NEED, OUTCOME, ACTION)

#: The fields the agencies sign, of each kind of item (as named in the store).
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    WHAT_MATTERS: ("what_matters",),
    NEED: ("description", "domain"),
    OUTCOME: ("description", "need_id", "target_date"),
    ACTION: ("description", "need_id", "owner_professional_id", "owner_agency_id",
             "due_date"),
}
#: The fields that record progress, never signed (listed so that a new field must be
#: placed on one side or the other: tests check every field of these records is).
PROGRESS_FIELDS: dict[str, tuple[str, ...]] = {
    NEED: (),
    OUTCOME: ("achievement",),
    ACTION: ("status", "conference_id"),
}
#: How each field is named in a list of changes.
FIELD_WORDS = {
    "what_matters": "what matters",
    "description": "what",
    "domain": "domain",
    "need_id": "need",
    "target_date": "target date",
    "owner_professional_id": "who",
    "owner_agency_id": "agency",
    "due_date": "when",
}
_KIND_WORDS = {WHAT_MATTERS: "what matters to the person", NEED: "need",
               OUTCOME: "outcome", ACTION: "action"}
_DATES = frozenset({"target_date", "due_date"})

Item = Need | Outcome | Action
ItemT = TypeVar("ItemT", Need, Outcome, Action)


def _text(value: Any) -> str | None:
    """A field's value as the store keeps it: text, ISO date, enum value, or None."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class SignedItem:
    """One signed item: its kind, its record's id and its signed fields' values."""

    kind: str
    id: str
    values: tuple[str | None, ...]

    def value(self, name: str) -> str | None:
        return self.values[SIGNED_FIELDS[self.kind].index(name)]

    @property
    def label(self) -> str:
        return (self.values[0] or "").strip()


#: The signed content of a plan: its items, what matters first, then needs, outcomes
#: and actions, each in the order the plan lists them.
Content = tuple[SignedItem, ...]


def _kind(entity: Item) -> str:
    if isinstance(entity, Need):
        return NEED
    if isinstance(entity, Outcome):
        return OUTCOME
    return ACTION


def needs_text(need_ids: Iterable[str]) -> str | None:
    """An action's needs as signed: their ids in text order, space-separated."""
    return " ".join(sorted(set(need_ids))) or None


def need_ids_of(value: str | None) -> tuple[str, ...]:
    """The need ids of an action's signed ``need_id`` value (see :func:`needs_text`)."""
    return tuple(value.split()) if value else ()


def item_of(entity: Item, links: Iterable[ActionNeed] = ()) -> SignedItem:
    """The signed part of a need, outcome or action (an action's ``links``: the further
    needs it meets)."""
    kind = _kind(entity)
    values = []
    for f in SIGNED_FIELDS[kind]:
        if kind == ACTION and f == "need_id":
            assert isinstance(entity, Action)
            values.append(needs_text(needs_met(entity, links)))
        else:
            values.append(_text(getattr(entity, f)))
    return SignedItem(kind, entity.id, tuple(values))


def same_terms(old: Item, new: Item) -> bool:
    """Whether ``new`` differs from ``old`` in progress only (or not at all)."""
    return item_of(old) == item_of(new)


def signed_content(what_matters: str, needs: Iterable[Need], outcomes: Iterable[Outcome],
                   actions: Iterable[Action], links: Iterable[ActionNeed] = ()) -> Content:
    """The plan's signed content as its records hold it now (``links``: the further
    needs its actions meet)."""
    by_action = needs_by_action(links)
    return (SignedItem(WHAT_MATTERS, "", (what_matters or "",)),
            *(item_of(n) for n in needs), *(item_of(o) for o in outcomes),
            *(item_of(a, by_action.get(a.id, ())) for a in actions))


def signed_needs(content: Content) -> dict[str, tuple[str, ...]]:
    """The needs each action of ``content`` meets, as signed: action id -> need ids."""
    return {i.id: need_ids_of(i.value("need_id")) for i in content if i.kind == ACTION}


def to_snapshot(content: Content) -> tuple[str, ...]:
    """The content as stored: one JSON object per item (ASCII, breaks escaped)."""
    return tuple(
        json.dumps({"kind": item.kind, "id": item.id,
                    **dict(zip(SIGNED_FIELDS[item.kind], item.values, strict=True))},
                   ensure_ascii=True, separators=(",", ":"))
        for item in content)


def from_snapshot(snapshot: Sequence[str]) -> Content:
    """Content from its stored form.

    Raises:
        ValueError: an item is not what :func:`to_snapshot` writes.
    """
    out: list[SignedItem] = []
    for n, text in enumerate(snapshot, 1):
        try:
            raw = json.loads(text)
            kind = raw["kind"]
            values = tuple(raw.get(f) for f in SIGNED_FIELDS[kind])
            item = SignedItem(kind, str(raw["id"]), values)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"snapshot, item {n}: not a signed plan item") from exc
        if not all(v is None or isinstance(v, str) for v in values):
            raise ValueError(f"snapshot, item {n}: not a signed plan item")
        out.append(item)
    return tuple(out)


# -- changes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanChange:
    """One difference between two versions' signed content."""

    kind: str
    id: str
    #: "added", "removed" or "changed"
    change: str
    #: The item as the earlier version names it (the later one for an addition).
    label: str
    #: The signed fields that differ: (field, before, after); every field of an addition
    #: (before None) or a removal (after None).
    fields: tuple[tuple[str, str | None, str | None], ...]


def compare(old: Content, new: Content) -> tuple[PlanChange, ...]:
    """What changed from ``old`` to ``new``: additions and changes in ``new``'s order,
    then removals, kind by kind."""
    before = {(i.kind, i.id): i for i in old}
    after = {(i.kind, i.id): i for i in new}
    out: list[PlanChange] = []
    for kind in KINDS:
        names = SIGNED_FIELDS[kind]
        for item in (i for i in new if i.kind == kind):
            was = before.get((kind, item.id))
            if was is None:
                if kind == WHAT_MATTERS and not item.label:
                    continue
                out.append(PlanChange(kind, item.id, "added", item.label, tuple(
                    (f, None, v) for f, v in zip(names, item.values, strict=True))))
            elif was.values != item.values:
                out.append(PlanChange(kind, item.id, "changed", was.label, tuple(
                    (f, a, b) for f, a, b in zip(names, was.values, item.values, strict=True)
                    if a != b)))
        for item in (i for i in old if i.kind == kind):
            if (kind, item.id) not in after:
                out.append(PlanChange(kind, item.id, "removed", item.label, tuple(
                    (f, v, None) for f, v in zip(names, item.values, strict=True))))
    return tuple(out)


#: How a value is shown: (field, stored value) -> words. Ids become names, dates dates.
Namer = Callable[[str, str | None], str]


def plain_namer(field: str, value: str | None) -> str:
    return value if value else "none"


def make_namer(professional: Callable[[str], str], agency: Callable[[str], str],
               need: Callable[[str], str], day: Callable[[date], str]) -> Namer:
    """A :data:`Namer` from lookups of names (each may return "" for an unknown id)."""

    def name(field: str, value: str | None) -> str:
        if not value:
            return "none"
        try:
            if field == "owner_professional_id":
                return professional(value) or "unknown professional"
            if field == "owner_agency_id":
                return agency(value) or "unknown agency"
            if field == "need_id":
                return ", ".join(quote(need(i) or "a need no longer in the plan", 40)
                                 for i in need_ids_of(value))
            if field in _DATES:
                return day(date.fromisoformat(value))
        except ValueError:
            return value
        return value

    return name


def quote(text: str, width: int = 80) -> str:
    """``text`` in quotation marks, cut at ``width`` characters."""
    one_line = " ".join(text.split())
    if len(one_line) > width:
        one_line = one_line[:width - 1].rstrip() + "…"
    return f"“{one_line}”"


def _word(field: str, *values: str | None) -> str:
    """How a field is named in a change: "needs" when an action meets more than one."""
    if field == "need_id" and any(len(need_ids_of(v)) > 1 for v in values):
        return "needs"
    return FIELD_WORDS[field]


def describe(change: PlanChange, name: Namer = plain_namer, width: int = 80) -> str:
    """One change as a sentence: 'Action “Weekly visits”: when 10 Mar 2025 → 17 Mar 2025'."""
    kind = _KIND_WORDS[change.kind]
    if change.kind == WHAT_MATTERS:
        old = next((b for f, b, _ in change.fields if f == "what_matters"), None)
        new = next((a for f, _, a in change.fields if f == "what_matters"), None)
        if not new:
            return "What matters to the person: removed"
        return ("What matters to the person now reads " + quote(new, width)
                + (f" (was {quote(old, width)})" if old else ""))
    if change.change == "removed":
        return f"Removed {kind} {quote(change.label, width)}"
    rest = [(f, b, a) for f, b, a in change.fields if f != "description"]
    if change.change == "added":
        terms = [f"{_word(f, a)}: {name(f, a)}" for f, _, a in rest if a]
        return (f"Added {kind} {quote(change.label, width)}"
                + (f" ({'; '.join(terms)})" if terms else ""))
    parts = [f"{_word(f, b, a)} {name(f, b)} → {name(f, a)}" for f, b, a in rest]
    head = f"{kind.capitalize()} {quote(change.label, width)}"
    renamed = next((a for f, _, a in change.fields if f == "description"), None)
    if renamed is not None:
        head += f" now reads {quote(renamed, width)}"
    return head + (f": {'; '.join(parts)}" if parts else "")


# -- the version in force and its draft ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionState:
    """A plan's version in force, how the plan now differs from it, and what it changed."""

    #: The version in force (the last issued).
    number: int
    #: Its signed content.
    in_force: Content
    #: Whether that content is recorded (else it is taken to be the plan as it is now).
    recorded: bool
    issued_at: datetime | None
    issued_by: str | None
    #: The draft of version ``number + 1``: the changes not yet issued.
    draft: tuple[PlanChange, ...]
    #: What version ``number`` changed from the one before; None when not known.
    since_previous: tuple[PlanChange, ...] | None

    @property
    def draft_number(self) -> int:
        return self.number + 1


def being_written(plan: CarePlan, signoffs: Iterable[PlanSignOff]) -> bool:
    """Whether ``plan`` is still being written: a draft plan whose version no agency
    has signed (``signoffs``: the plan's, of any version)."""
    return plan.status is PlanStatus.DRAFT and not any(
        s.plan_id == plan.id and s.plan_version == plan.plan_version for s in signoffs)


def _content(row: PlanVersion | None) -> Content | None:
    if row is None:
        return None
    try:
        return from_snapshot(row.snapshot)
    except ValueError:
        return None


def version_state(plan: CarePlan, versions: Iterable[PlanVersion],
                  current: Content) -> VersionState:
    """The state of ``plan``'s versions, given its recorded versions and its content now."""
    rows = {v.number: v for v in versions if v.plan_id == plan.id}
    row = rows.get(plan.plan_version)
    in_force = _content(row)
    previous = _content(rows.get(plan.plan_version - 1))
    recorded = in_force is not None
    signed = in_force if in_force is not None else current
    return VersionState(
        number=plan.plan_version, in_force=signed, recorded=recorded,
        issued_at=row.issued_at if row else None, issued_by=row.issued_by if row else None,
        draft=compare(signed, current),
        since_previous=compare(previous, signed) if previous is not None and recorded
        else None)


def _set(entity: ItemT, item: SignedItem) -> ItemT:
    """``entity`` with ``item``'s signed values (which the store wrote: not re-checked,
    so a record saved under older text limits still prints)."""
    out = copy.copy(entity)
    for name, value in zip(SIGNED_FIELDS[item.kind], item.values, strict=True):
        typed: Any = value
        if value is not None and name == "need_id" and item.kind == ACTION:
            ids = need_ids_of(value)  # its own need, if still one of them (signed_needs)
            own = getattr(entity, "need_id", None)
            typed = own if own in ids else ids[0]
        elif value is not None and name in _DATES:
            typed = date.fromisoformat(value)
        elif value is not None and name == "domain":
            typed = NeedDomain(value)
        object.__setattr__(out, name, typed)
    return out


def as_signed(state: VersionState, plan_id: str, needs: Sequence[Need],
              outcomes: Sequence[Outcome], actions: Sequence[Action]
              ) -> tuple[str, list[Need], list[Outcome], list[Action]]:
    """The version in force as the agencies signed it, with today's progress: what
    matters, needs, outcomes and actions. An item removed in the draft keeps its last
    progress; one added in the draft is not part of it."""
    live: dict[str, Item] = {}
    for group in (needs, outcomes, actions):
        live.update((e.id, e) for e in group)
    what_matters = ""
    out_needs: list[Need] = []
    out_outcomes: list[Outcome] = []
    out_actions: list[Action] = []
    for item in state.in_force:
        if item.kind == WHAT_MATTERS:
            what_matters = item.values[0] or ""
            continue
        base = live.get(item.id)
        try:
            if item.kind == NEED:
                need = base if isinstance(base, Need) else Need(
                    id=item.id, plan_id=plan_id, description="-", domain=NeedDomain.OTHER)
                out_needs.append(_set(need, item))
            elif item.kind == OUTCOME:
                outcome = base if isinstance(base, Outcome) else Outcome(
                    id=item.id, plan_id=plan_id, description="-")
                out_outcomes.append(_set(outcome, item))
            else:
                action = base if isinstance(base, Action) else Action(
                    id=item.id, plan_id=plan_id, description="-")
                out_actions.append(_set(action, item))
        except ValueError:
            continue  # a value this version of CarePlan cannot read: left out
    out_actions.sort(key=lambda a: (a.due_date is not None, a.due_date or date.min))
    return what_matters, out_needs, out_outcomes, out_actions


__all__ = [
    "ACTION", "KINDS", "NEED", "OUTCOME", "PROGRESS_FIELDS", "SIGNED_FIELDS", "WHAT_MATTERS",
    "Content", "Namer", "PlanChange", "SignedItem", "VersionState", "as_signed",
    "being_written", "compare", "describe", "from_snapshot", "item_of", "make_namer",
    "need_ids_of", "needs_text", "plain_namer", "quote", "same_terms", "signed_content",
    "signed_needs", "to_snapshot", "version_state",
]
