"""The joint care plan's cost summary: what the plan's actions cost this financial year,
by agency and by funding stream, with disputes and the personal budget."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from careplan.export import pdf_common as pc
from careplan.models.budgets import payer_of, personal_budget_position, totals
from careplan.models.costing import financial_year, pounds
from careplan.models.funding import FundingStatus
from careplan.store import Store
from careplan.store.funding import load_book


def cost_summary(store: Store, person_id: str, plan_id: str, today: date,
                 skip: Collection[str] = ()) -> list[Flowable]:
    """The section for one plan (nothing printed when no action has a cost); the costs
    of the actions in ``skip`` (withheld from the print) left out."""
    book = load_book(store, person_ids=[person_id])
    lines = [ln for ln in book.lines if book.actions[ln.cost.action_id].plan_id == plan_id
             and ln.cost.action_id not in skip]
    if not lines:
        return pc.section("Costs", pc.p("No action in this plan has a cost recorded.", "small"))
    first, last = financial_year(today)
    year = totals(lines, book.streams, first, last)
    so_far = totals(lines, book.streams, first, today)
    rows = sorted(
        [book.payer_name(payer_of(s)), s.name, s.principle.value, pounds(amount),
         pounds(so_far.by_stream.get(sid, 0))]
        for sid, amount in year.by_stream.items() if (s := book.streams[sid]))
    rows.append(["Total", "", "", pounds(year.total), pounds(so_far.total)])
    out: list[Flowable] = [
        pc.p(f"What this plan's actions cost in the financial year {first:%d %b %Y} to "
             f"{last:%d %b %Y}, by the agency paying and the funding stream.", "small"),
        pc.spacer(1.5),
        pc.table(["Agency paying", "Stream", "Principle", "This year", "To date"], rows,
                 [50 * mm, 50 * mm, 30 * mm, 24 * mm, 24 * mm], highlight=[len(rows) - 1]),
    ]
    disputed = [ln for ln in lines if ln.cost.funding_status is FundingStatus.DISPUTED]
    for ln in disputed:
        who = " and ".join(book.agency_names.get(a, "?") for a in ln.cost.disputed_by)
        since = ln.cost.disputed_since
        out.append(pc.p(f"Funding disputed since {since:%d %b %Y} between {who}: "
                        f"{book.actions[ln.cost.action_id].description}.", "warn"))
    for budget in book.personal_budgets:
        if not budget.active_on(today):
            continue
        pos = personal_budget_position(budget, book.lines)
        out.append(pc.p(
            f"Personal budget ({budget.taken_as.value}): allocation {pounds(pos.allocation)}, "
            f"committed {pounds(pos.committed)}, remaining {pounds(pos.remaining)}"
            + (" (committed beyond its allocation)." if pos.overcommitted else "."),
            "warn" if pos.overcommitted else "body"))
    return pc.section("Cost summary by agency and stream", *out)
