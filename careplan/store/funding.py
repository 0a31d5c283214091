"""Saving an action's cost with its funders, and reading the money of a neighbourhood.

An action's cost and its funders are written together in one transaction: shares that
do not add up to 100% are refused before anything is written. Reads take a fixed number
of queries whatever the caseload's size.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from careplan.models import Action, Person
from careplan.models import permissions as rules
from careplan.models.budgets import FundedCost
from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    BudgetContribution,
    FundingStream,
    JointBudget,
    PersonalBudget,
    check_shares,
)
from careplan.store import audit
from careplan.store.db import Store
from careplan.store.errors import InputError
from careplan.store.fastload import build_rows, columns_sql
from careplan.store.permissions import names, person_of_plan, require, team_of, today, who
from careplan.store.repo import add, find, update
from careplan.store.rows import to_row


def save_funding(store: Store, cost: ActionCost, funders: Sequence[ActionFunder],
                 actor: str) -> tuple[ActionCost, list[ActionFunder]]:
    """Add or update an action's cost and set its funders, all or nothing.

    Funders no longer listed are removed (each removal is an audit event); listed ones
    are matched to stored ones by id. Returns the cost and funders as stored.

    Raises:
        NotAllowedError: the actor may not change the action (its owner, its agency or
            the lead professional may): careplan.models.permissions.change_funding.
        InputError: the shares do not add up to 100%, a funder is for another cost,
            a stream or personal budget does not exist, or a personal budget belongs
            to someone else or does not combine the funder's stream.
    """
    try:
        check_shares(f.share_bp for f in funders)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    for f in funders:
        if f.cost_id != cost.id:
            raise InputError("funders: each funder must be for this action's cost")
    with store.atomic():
        _check_actions(store, cost, actor)
        saved = add(store, cost, actor) if cost.version == 0 else update(store, cost, actor)
        _check_personal_budgets(store, saved, funders)
        stored = {f.id: f for f in find(store, ActionFunder, cost_id=cost.id)}
        keep = {f.id for f in funders}
        for old in stored.values():
            if old.id not in keep:
                _delete(store, old, actor)
        out = [update(store, f, actor) if f.id in stored else add(store, f, actor)
               for f in funders]
    return saved, out


def save_personal_budget(store: Store, budget: PersonalBudget,
                         actor: str) -> PersonalBudget:
    """Add (version 0) or change a person's personal budget.

    Raises:
        NotAllowedError: the actor is not a member of an agency on the person's care team
            (careplan.models.permissions.change_personal_budget).
        InputError: the person or a stream does not exist, a stream is named twice, or
            a budget would move to another person; StaleWriteError: changed since read.
    """
    if len(set(budget.stream_ids)) != len(budget.stream_ids):
        raise InputError("streams: each funding stream is combined once")
    with store.atomic():
        if not find(store, Person, id=budget.person_id):
            raise InputError(f"person: there is no person with id {budget.person_id} "
                             "in this store")
        if budget.version:
            for current in find(store, PersonalBudget, id=budget.id):
                if current.person_id != budget.person_id:
                    raise InputError("person: a personal budget cannot move to another "
                                     "person")
        known = {str(r[0]) for r in store.conn.execute(
            "SELECT id FROM funding_streams WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(budget.stream_ids)),))}
        for stream_id in budget.stream_ids:
            if stream_id not in known:
                raise InputError(f"streams: there is no funding stream with id {stream_id} "
                                 "in this store")
        require(rules.change_personal_budget(
            who(store, actor), team_of(store, budget.person_id, today(store)), names(store)))
        return add(store, budget, actor) if budget.version == 0 else update(store, budget,
                                                                            actor)


def _check_actions(store: Store, cost: ActionCost, actor: str) -> None:
    """The action the cost is for (and, for a stored cost moved to another action, the
    one it was for) is one the actor may change."""
    ids = {cost.action_id}
    row = store.conn.execute("SELECT action_id FROM action_costs WHERE id = ?",
                             (cost.id,)).fetchone()
    if row is not None:
        ids.add(str(row[0]))
    w, n = who(store, actor), names(store)
    for action in (a for action_id in sorted(ids) for a in find(store, Action, id=action_id)):
        person = person_of_plan(store, action.plan_id)
        if person is not None:
            require(rules.change_funding(w, action, team_of(store, person, today(store)), n))


def _check_personal_budgets(store: Store, cost: ActionCost,
                            funders: Sequence[ActionFunder]) -> None:
    owner = store.conn.execute(
        "SELECT c.person_id FROM actions a JOIN care_plans c ON c.id = a.plan_id "
        "WHERE a.id = ?", (cost.action_id,)).fetchone()
    for f in funders:
        if f.personal_budget_id is None:
            continue
        row = store.conn.execute("SELECT person_id, stream_ids FROM personal_budgets "
                                 "WHERE id = ?", (f.personal_budget_id,)).fetchone()
        if row is None:
            raise InputError(f"personal budget: there is no personal budget with id "
                             f"{f.personal_budget_id} in this store")
        if owner is None or row[0] != owner[0]:
            raise InputError("personal budget: it belongs to another person")
        if f.stream_id not in json.loads(row[1]):
            raise InputError("personal budget: it does not combine the funder's stream")


def _delete(store: Store, entity: ActionFunder, actor: str) -> None:
    """Remove a funder; the audit event keeps what it was (``after`` says deleted)."""
    before = to_row(entity)
    after = {"id": entity.id, "version": entity.version + 1, "deleted": True}
    store.conn.execute(f"DELETE FROM {entity.TABLE} WHERE id = ?", (entity.id,))
    audit.record(store, entity.TABLE, entity.id, before, after, actor, store.clock())


@dataclass(slots=True)
class FundingBook:
    """The money of a set of persons: every stream and joint budget of the store, the
    persons' costed actions with their funders, and their personal budgets."""

    streams: dict[str, FundingStream] = field(default_factory=dict)
    budgets: dict[str, JointBudget] = field(default_factory=dict)
    contributions: list[BudgetContribution] = field(default_factory=list)
    lines: list[FundedCost] = field(default_factory=list)
    actions: dict[str, Action] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    personal_budgets: list[PersonalBudget] = field(default_factory=list)
    agency_names: dict[str, str] = field(default_factory=dict)

    def payer_name(self, payer: str) -> str:
        """An agency's name, the pooled budget's name, or "the person (self-funded)"."""
        if payer.startswith("pool:"):
            budget = self.budgets.get(payer.removeprefix("pool:"))
            return f"{budget.name} (pooled)" if budget else "a pooled fund"
        if payer == "self":
            return "the person (self-funded)"
        return self.agency_names.get(payer, "an unknown agency")

    def lines_of(self, person_id: str) -> list[FundedCost]:
        return [line for line in self.lines if line.person_id == person_id]


def load_book(store: Store, *, neighbourhood: str | None = None,
              person_ids: Sequence[str] | None = None,
              include_cancelled: bool = False) -> FundingBook:
    """The money of the persons of ``neighbourhood`` (or of ``person_ids``, or of
    everyone). Cancelled actions cost nothing and are left out unless asked for.
    Joint budgets are those of the neighbourhood (all when none is given)."""
    conn = store.conn
    where, params = "1 = 1", []
    if person_ids is not None:
        where, params = "p.id IN (SELECT value FROM json_each(?))", [json.dumps(list(person_ids))]
    elif neighbourhood is not None:
        where, params = "p.neighbourhood = ?", [neighbourhood]
    status = "" if include_cancelled else "AND a.status != 'cancelled'"
    book = FundingBook()
    book.agency_names = {str(i): str(n) for i, n in conn.execute(
        "SELECT id, name FROM agencies")}
    book.streams = {s.id: s for s in build_rows(FundingStream, conn.execute(
        f"SELECT {columns_sql(FundingStream, 's')} FROM funding_streams s ORDER BY s.name"))}
    bsql = f"SELECT {columns_sql(JointBudget, 'b')} FROM joint_budgets b"
    bparams: list[Any] = []
    if neighbourhood is not None and person_ids is None:
        bsql, bparams = bsql + " WHERE b.neighbourhood = ?", [neighbourhood]
    book.budgets = {b.id: b for b in build_rows(JointBudget, conn.execute(
        bsql + " ORDER BY b.name", bparams))}
    book.contributions = [c for c in build_rows(BudgetContribution, conn.execute(
        f"SELECT {columns_sql(BudgetContribution, 'c')} FROM budget_contributions c"))
        if c.budget_id in book.budgets]
    joined = ("FROM action_costs k JOIN actions a ON a.id = k.action_id "
              "JOIN care_plans c ON c.id = a.plan_id JOIN persons p ON p.id = c.person_id "
              f"WHERE {where} {status}")
    costs = list(conn.execute(f"SELECT {columns_sql(ActionCost, 'k')}, p.id {joined}", params))
    cost_objs = build_rows(ActionCost, [r[:-1] for r in costs])
    funders: dict[str, list[ActionFunder]] = defaultdict(list)
    for f in build_rows(ActionFunder, conn.execute(
            f"SELECT {columns_sql(ActionFunder, 'f')} FROM action_funders f WHERE f.cost_id IN "
            f"(SELECT k.id {joined}) ORDER BY f.rowid", params)):
        funders[f.cost_id].append(f)
    book.lines = [FundedCost(cost, tuple(funders.get(cost.id, ())), str(row[-1]))
                  for cost, row in zip(cost_objs, costs, strict=True)]
    book.actions = {a.id: a for a in build_rows(Action, conn.execute(
        f"SELECT {columns_sql(Action, 'a')} {joined}", params))}
    book.personal_budgets = build_rows(PersonalBudget, conn.execute(
        f"SELECT {columns_sql(PersonalBudget, 'b')} FROM personal_budgets b "
        f"JOIN persons p ON p.id = b.person_id WHERE {where} ORDER BY b.start_date",
        params))
    wanted = {line.person_id for line in book.lines} | {
        b.person_id for b in book.personal_budgets}
    book.persons = {p.id: p for p in build_rows(Person, conn.execute(
        f"SELECT {columns_sql(Person, 'p')} FROM persons p WHERE p.id IN "
        "(SELECT value FROM json_each(?))", [json.dumps(sorted(wanted))]))}
    return book
