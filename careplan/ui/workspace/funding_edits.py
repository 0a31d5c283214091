"""Editing the money of a person: an action's cost with its funders and their shares, and
the person's personal budget. The forms check what the store checks (the shares add up
to 100%, careplan.models.funding.check_shares) before anything is sent, and stay open
with what was typed when the store refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from careplan.models.budgets import FundedCost
from careplan.models.costing import pounds
from careplan.models.funding import (
    ActionCost,
    ActionFunder,
    CareType,
    Frequency,
    FundingStatus,
    PersonalBudget,
    TakenAs,
    check_shares,
    parse_pounds,
    parse_share,
    percent,
)
from careplan.store.funding import FundingBook, save_funding, save_personal_budget
from careplan.ui import text
from careplan.ui.workspace.forms import RecordForm

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace

#: How many funders the cost form offers (an action rarely has more than two).
FUNDER_ROWS = 3


def _money(pence: int) -> str:
    return pounds(pence).replace("£", "").replace(",", "")


def edit_cost(ws: PersonWorkspace, book: FundingBook, line: FundedCost | None = None) -> bool:
    """Cost an action of the plan (``line`` None) or change a cost and its funders."""
    if not ws.require_actor():
        return False
    tr = ws.tr
    cost = line.cost if line else None
    old_funders = list(line.funders) if line else []
    costed = {ln.cost.action_id for ln in book.lines_of(ws.person_id)}
    actions = [a for a in ws.pf.actions
               if (cost is not None and a.id == cost.action_id) or a.id not in costed]
    if not actions:
        ws.refused(tr("action: every action of the plan has a cost already; choose one "
                      "in the table to change it"))
        return False
    budgets = list(book.personal_budgets)

    def build(f: RecordForm) -> tuple[ActionCost, list[ActionFunder]]:
        action_id = f.choice("action")
        if action_id is None:
            raise ValueError(tr("action: choose the action this cost is for"))
        status = f.choice("status")
        disputed = status is FundingStatus.DISPUTED
        values = {
            "action_id": action_id, "unit_cost_pence": parse_pounds(f.text("cost"),
                                                                    "unit cost"),
            "frequency": f.choice("frequency"), "start_date": f.day("start"),
            "end_date": f.day_or_none("end"), "care_type": f.choice("care"),
            "funding_status": status,
            "disputed_since": f.day_or_none("since") if disputed else None,
            "disputed_by": tuple(f.checked("by")) if disputed else (), "note": f.text("note")}
        built = cost.evolve(**values) if cost else ActionCost(**values)
        funders: list[ActionFunder] = []
        for i in range(1, FUNDER_ROWS + 1):
            stream, share_text = f.choice(f"stream{i}"), f.text(f"share{i}")
            if stream is None:
                if share_text:
                    raise ValueError(tr("funder %d: choose the funding stream of the %s "
                                        "share") % (i, share_text))
                continue
            share = parse_share(share_text, f"funder {i} share")
            budget = f.choice(f"budget{i}")
            if budget is not None:
                chosen = next(b for b in budgets if b.id == budget)
                if stream not in chosen.stream_ids:
                    raise ValueError(tr("funder %d personal budget: it does not combine "
                                        "%s") % (i, book.streams[stream].name))
            old = old_funders[len(funders)] if len(funders) < len(old_funders) else None
            fields = {"cost_id": built.id, "stream_id": stream, "share_bp": share,
                      "personal_budget_id": budget}
            funders.append(old.evolve(**fields) if old else ActionFunder(**fields))
        try:
            check_shares(fr.share_bp for fr in funders)
        except ValueError as exc:
            raise ValueError(f"funder 1 share: {str(exc).partition(': ')[2]}") from None
        return built, funders

    title = tr("Cost an action") if cost is None else tr("Change the cost and funders")
    form = RecordForm(title, tr(
        "What the action costs each time (weekly, monthly or once), who pays and in what "
        "shares: the shares must add up to 100%. A share may come out of the person's "
        "personal budget when the budget combines that stream."), build, ws)
    form.add_choice("action", tr("&Action:"),
                    [(tr("— choose —"), None)] + [(a.description, a.id) for a in actions],
                    cost.action_id if cost else None)
    form.add_text("cost", tr("Unit &cost (£):"), _money(cost.unit_cost_pence) if cost else "",
                  hint=tr("e.g. 250 or 1,250.50"), also=("unit cost",))
    form.add_choice("frequency", tr("&How often:"), [(tr(q.value), q) for q in Frequency],
                    cost.frequency if cost else Frequency.WEEKLY, also=("frequency",))
    form.add_date("start", tr("&From:"), cost.start_date if cost else ws.today,
                  also=("start date",))
    form.add_date("end", tr("&To:"), cost.end_date if cost else None, optional=True,
                  also=("end date",))
    form.add_choice("care", tr("&Kind of care:"), [(tr(c.value), c) for c in CareType],
                    cost.care_type if cost else CareType.REACTIVE, also=("care type",))
    form.add_choice("status", tr("&Funding:"), [(tr(s.value), s) for s in FundingStatus],
                    cost.funding_status if cost else FundingStatus.PENDING,
                    also=("funding status",))
    form.add_date("since", tr("Disputed &since:"), cost.disputed_since if cost else None,
                  optional=True, also=("disputed since",))
    form.add_checklist("by", tr("Disputed &between:"),
                       sorted((name, agency_id) for agency_id, name in
                              book.agency_names.items()),
                       cost.disputed_by if cost else (), also=("disputed by",))
    streams = [(tr("— none —"), None)] + [(s.name, s.id) for s in book.streams.values()]
    budget_choices = [(tr("— not from a personal budget —"), None)] + [
        (tr("personal budget from %s") % text.fmt_date(b.start_date), b.id) for b in budgets]
    for i in range(1, FUNDER_ROWS + 1):
        old = old_funders[i - 1] if i <= len(old_funders) else None
        form.add_choice(f"stream{i}", tr("Funder %d &stream:") % i if i == 1
                        else tr("Funder %d stream:") % i, streams,
                        old.stream_id if old else None, also=(f"funder {i}",))
        form.add_text(f"share{i}", tr("Funder %d share (%%):") % i,
                      percent(old.share_bp).rstrip("%") if old else "",
                      hint=tr("e.g. 50 or 33.33"), also=(f"funder {i} share",))
        form.add_choice(f"budget{i}", tr("Funder %d from:") % i, budget_choices,
                        old.personal_budget_id if old else None,
                        also=(f"funder {i} personal budget",))
    form.add_text("note", tr("&Note:"), cost.note if cost else "")
    actor = ws.actor_id()
    return ws.ask(form, title, lambda built: lambda s: save_funding(s, built[0], built[1],
                                                                   actor))


def edit_personal_budget(ws: PersonWorkspace, book: FundingBook,
                         budget: PersonalBudget | None = None) -> bool:
    """Set up the person's personal budget (``budget`` None) or change one."""
    if not ws.require_actor():
        return False
    tr = ws.tr

    def build(f: RecordForm) -> PersonalBudget:
        values = {"allocation_pence": parse_pounds(f.text("allocation"), "allocation"),
                  "stream_ids": tuple(f.checked("streams")),
                  "taken_as": f.choice("taken"), "start_date": f.day("start"),
                  "end_date": f.day_or_none("end")}
        if budget is not None:
            return budget.evolve(**values)
        return PersonalBudget(person_id=ws.person_id, **values)

    title = tr("Set up a personal budget") if budget is None else tr(
        "Change the personal budget")
    form = RecordForm(title, tr(
        "%s's personal budget: the indicative allocation for its period (a year from the "
        "start when no end is given), the funding streams it combines, and how it is "
        "taken.") % ws.pf.person.name, build, ws)
    form.add_text("allocation", tr("&Allocation (£):"),
                  _money(budget.allocation_pence) if budget else "",
                  hint=tr("e.g. 12,000"))
    form.add_checklist("streams", tr("&Streams it combines:"),
                       [(s.name, s.id) for s in book.streams.values()],
                       budget.stream_ids if budget else ())
    form.add_choice("taken", tr("&Taken as:"), [(tr(t.value), t) for t in TakenAs],
                    budget.taken_as if budget else TakenAs.DIRECT_PAYMENT)
    form.add_date("start", tr("&From:"), budget.start_date if budget else ws.today,
                  also=("start date",))
    form.add_date("end", tr("&To:"), budget.end_date if budget else None, optional=True,
                  also=("end date",))
    actor = ws.actor_id()
    return ws.ask(form, title,
                  lambda built: lambda s: save_personal_budget(s, built, actor))
