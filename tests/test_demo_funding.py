"""The demo's money: a pooled fund, an aligned budget, personal budgets (one
overcommitted), a funding dispute behind Margaret Okafor's delayed discharge, and the
joint care plan's cost summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from export_sample import lead_prints
from pypdf import PdfReader

from careplan.demo.build import build_demo
from careplan.export.plan_pdf import plan_pdf
from careplan.models import Person
from careplan.models.budgets import personal_budget_position
from careplan.models.flags import FlagCode, Severity
from careplan.models.funding import Arrangement, FundingStatus
from careplan.store import Store, find
from careplan.store.flagdata import caseload_flags
from careplan.store.funding import load_book

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo() -> Store:
    s = Store.open(":memory:")
    build_demo(s, persons=400, seed=11, today=TODAY)
    return s


def _person(store: Store, given: str, family: str) -> Person:
    (p,) = find(store, Person, given_name=given, family_name=family)
    return p


def test_pooled_and_aligned_budgets_with_partners(demo: Store) -> None:
    book = load_book(demo, neighbourhood="Riverside")
    kinds = {b.arrangement for b in book.budgets.values()}
    assert kinds == {Arrangement.POOLED, Arrangement.ALIGNED}
    partners = {b.name: {c.agency_id for c in book.contributions if c.budget_id == b.id}
                for b in book.budgets.values()}
    assert all(len(p) >= 2 for p in partners.values())
    charged = {s.budget_id for s in book.streams.values() for line in book.lines
               for f in line.funders if f.stream_id == s.id and s.budget_id}
    assert charged == set(book.budgets)  # both budgets have spend charged to them


def test_costs_are_a_fraction_of_actions_with_realistic_money(demo: Store) -> None:
    actions = demo.conn.execute("SELECT count(*) FROM actions").fetchone()[0]
    costs = demo.conn.execute("SELECT count(*) FROM action_costs").fetchone()[0]
    assert 0.05 * actions < costs < 0.3 * actions
    bad = demo.conn.execute("SELECT count(*) FROM action_costs k WHERE (SELECT sum(share_bp) "
                            "FROM action_funders f WHERE f.cost_id = k.id) != 10000"
                            ).fetchone()[0]
    assert bad == 0


def test_one_personal_budget_is_overcommitted(demo: Store) -> None:
    book = load_book(demo)
    over = []
    for b in book.personal_budgets:
        pos = personal_budget_position(b, book.lines_of(b.person_id))
        if pos.overcommitted:
            over.append(book.persons[b.person_id].name)
    assert len(book.personal_budgets) > 5
    assert over == ["Helen Marsh"]
    flags = [f for f in caseload_flags(demo, TODAY) if f.code is FlagCode.BUDGET_OVERCOMMITTED]
    assert [f.person_name for f in flags] == ["Helen Marsh"]
    assert flags[0].severity is Severity.WARNING


def test_a_funding_dispute_behind_the_delayed_discharge(demo: Store) -> None:
    margaret = _person(demo, "Margaret", "Okafor")
    book = load_book(demo, person_ids=[margaret.id])
    disputed = [ln for ln in book.lines if ln.cost.funding_status is FundingStatus.DISPUTED]
    assert len(disputed) == 1
    flags = caseload_flags(demo, TODAY, person_ids=[margaret.id])
    codes = {f.code for f in flags}
    assert {FlagCode.DISCHARGE_DELAYED, FlagCode.FUNDING_DISPUTED} <= codes
    (f,) = [f for f in flags if f.code is FlagCode.FUNDING_DISPUTED]
    assert f.severity is Severity.CRITICAL
    assert "the dispute may be holding up the discharge" in f.message
    everyone = [f for f in caseload_flags(demo, TODAY) if f.code is FlagCode.FUNDING_DISPUTED]
    assert [f.person_name for f in everyone] == ["Margaret Okafor"]


def test_plan_pdf_has_the_cost_summary(demo: Store, tmp_path: Path) -> None:
    margaret = _person(demo, "Margaret", "Okafor")
    out = plan_pdf(demo, margaret.id, tmp_path / "plan.pdf", printed_by="Tester", today=TODAY,
                   **lead_prints(demo, margaret.id))
    flat = " ".join("".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "Cost summary by agency and stream" in flat
    assert "NHS continuing healthcare" in flat
    assert "Riverside Better Care Fund" in flat
    assert "Funding disputed since" in flat
    helen = _person(demo, "Helen", "Marsh")
    out = plan_pdf(demo, helen.id, tmp_path / "helen.pdf", printed_by="Tester", today=TODAY,
                   **lead_prints(demo, helen.id))
    flat = " ".join("".join(p.extract_text() for p in PdfReader(out).pages).split())
    assert "Personal budget (direct payment): allocation £20,000.00" in flat
    assert "(committed beyond its allocation)" in flat
