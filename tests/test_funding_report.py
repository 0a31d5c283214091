"""The neighbourhood funding report: totals reconcile with the actions' own costs
(property tests), the PDF and the workbook read back, the command refuses bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from export_sample import share_with_reader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.export.funding_data import funding_report
from careplan.export.funding_xlsx import write_funding
from careplan.models import Action, Agency, CarePlan, Person, Professional
from careplan.models.budgets import FundedCost, totals
from careplan.models.costing import cost_between, financial_year
from careplan.models.funding import (
    USUAL_PRINCIPLE,
    ActionCost,
    ActionFunder,
    CareType,
    FundingKind,
    FundingStream,
    JointBudget,
)
from careplan.store import Store, add
from careplan.store.funding import save_funding

TODAY = date(2026, 11, 22)
FIRST, LAST = financial_year(TODAY)


def _shares(n: int, cuts: list[int]) -> list[int]:
    """``n`` positive shares adding up to 10,000 from sorted cut points."""
    points = sorted({c for c in cuts if 0 < c < 10_000})[: n - 1]
    edges = [0, *points, 10_000]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


line_st = st.tuples(
    st.sampled_from(["one-off", "weekly", "monthly"]),
    st.integers(0, 2_000_000),  # unit pence
    st.dates(date(2025, 1, 1), date(2027, 12, 31)),  # start
    st.none() | st.integers(0, 800),  # days to the end
    st.sampled_from(list(CareType)),
    st.lists(st.integers(0, 4), min_size=1, max_size=4),  # streams used
    st.lists(st.integers(1, 9_999), min_size=3, max_size=3),
)


def _streams() -> list[FundingStream]:
    pool = JointBudget(name="Pool", arrangement="pooled", neighbourhood="R",
                       period_start=FIRST, period_end=LAST)
    return [
        FundingStream(name="NHS", kind="NHS", principle="free at the point of use",
                      agency_id="nhs"),
        FundingStream(name="ASC", kind="council adult social care", principle="means-tested",
                      agency_id="asc"),
        FundingStream(name="Pool", kind="pooled fund (Section 75)", principle="grant",
                      budget_id=pool.id),
        FundingStream(name="Self", kind="self-funded", principle="means-tested"),
        FundingStream(name="DFG", kind="Disabled Facilities Grant", principle="grant",
                      agency_id="housing"),
    ]


@given(st.lists(line_st, max_size=25))
def test_totals_reconcile_with_the_sum_of_actions(raw: list[tuple]) -> None:  # type: ignore[type-arg]
    streams = _streams()
    by_id = {s.id: s for s in streams}
    lines = []
    for i, (freq, unit, start, days, care, used, cuts) in enumerate(raw):
        picked = list(dict.fromkeys(used))
        cost = ActionCost(action_id=f"a{i}", unit_cost_pence=unit, frequency=freq,
                          start_date=start, care_type=care,
                          end_date=None if days is None else start + timedelta(days=days))
        shares = _shares(len(picked), cuts)
        funders = tuple(ActionFunder(cost_id=cost.id, stream_id=streams[k].id, share_bp=s)
                        for k, s in zip(picked, shares, strict=False))
        lines.append(FundedCost(cost, funders, f"p{i % 3}"))
    t = totals(lines, by_id, FIRST, LAST)
    expected = sum(cost_between(line.cost, FIRST, LAST) for line in lines)
    assert t.total == expected
    assert sum(t.by_payer.values()) == sum(t.by_stream.values()) == expected
    assert sum(t.by_person.values()) == expected
    assert sum(t.by_care_type.values()) == sum(t.by_principle.values()) == t.public
    assert t.public + t.by_payer.get("self", 0) == expected


def _store_world(store: Store) -> tuple[list[Action], list[FundingStream]]:
    asc = add(store, Agency(name="ASC", sector="social care"), "t")
    nhs = add(store, Agency(name="NHS Trust", sector="health"), "t")
    sw = add(store, Professional(name="Sam", role="social worker", agency_id=asc.id), "t")
    actions = []
    for k, place in enumerate(["Riverside", "Riverside", "Hillside"]):
        person = add(store, Person(given_name=f"P{k}", family_name="Q", neighbourhood=place,
                                   birth_date=date(1950, 1, 1)), "t")
        plan = add(store, CarePlan(person_id=person.id, created_on=date(2025, 1, 1)), "t")
        for j in range(3):
            actions.append(add(store, Action(plan_id=plan.id, description=f"Service {j}",
                                             owner_professional_id=sw.id), "t"))
    streams = [add(store, FundingStream(name=k.value, kind=k, principle=USUAL_PRINCIPLE[k],
                                        agency_id=None if k is FundingKind.SELF_FUNDED
                                        else (nhs.id if k is FundingKind.NHS else asc.id)), "t")
               for k in (FundingKind.NHS, FundingKind.COUNCIL_ADULT_SOCIAL_CARE,
                         FundingKind.SELF_FUNDED)]
    return actions, streams


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line_st, min_size=1, max_size=9), st.booleans())
def test_report_from_the_store_reconciles(raw: list[tuple], one_place: bool) -> None:  # type: ignore[type-arg]
    with Store.open(":memory:") as store:
        actions, streams = _store_world(store)
        audience = share_with_reader(store)["audience"]  # may see every person
        for action, (freq, unit, start, days, care, used, cuts) in zip(actions, raw,
                                                                          strict=False):
            picked = list(dict.fromkeys(u % 3 for u in used))
            cost = ActionCost(action_id=action.id, unit_cost_pence=unit, frequency=freq,
                              start_date=start, care_type=care,
                              end_date=None if days is None else start + timedelta(days=days))
            save_funding(store, cost, [
                ActionFunder(cost_id=cost.id, stream_id=streams[k].id, share_bp=s)
                for k, s in zip(picked, _shares(len(picked), cuts), strict=False)],
                str(action.owner_professional_id))
        place = "Riverside" if one_place else None
        r = funding_report(store, TODAY, place, audience_id=audience.agency_id,
                           audience=audience.name, reader_agency_id=audience.agency_id)
        assert r.year.total == sum(line.this_year for line in r.lines)
        assert r.to_date.total == sum(line.to_date for line in r.lines)
        assert sum(v for _, v, _ in r.payer_rows()) == r.year.total
        assert sum(row[4] for row in r.stream_rows()) == r.year.total
        assert sum(v for _, v, _ in r.care_rows()) == r.year.public
        assert len(r.lines) == sum(1 for a in actions[: len(raw)]
                                   if not one_place or a in actions[:6])


@pytest.fixture(scope="module")
def demo_store() -> Store:
    s = Store.open(":memory:")
    build_demo(s, persons=300, seed=5, today=TODAY)
    audience = share_with_reader(s)["audience"]  # a reader who may see every person
    READER.update(audience=audience, reader_agency_id=audience.agency_id)
    return s


#: ``audience=`` and ``reader_agency_id=`` of the demo store's reports.
READER: dict[str, Any] = {}


def test_pdf_reads_back(demo_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "funding.pdf"
    r = write_funding(demo_store, out, TODAY, printed_by="Tester", neighbourhood="Riverside",
                      **READER)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    flat = " ".join(text.split())
    assert "Neighbourhood funding report" in flat
    assert "Riverside · financial year 2026-27" in flat
    assert "By agency (the Total Place count)" in flat
    assert "Riverside Better Care Fund (pooled: one pot" in flat
    assert "Riverside mental health and housing (aligned" in flat
    assert "may be holding up a hospital discharge" in flat
    assert "Margaret Okafor" in flat and "Helen Marsh" in flat
    from careplan.models.costing import pounds

    assert f"Total {pounds(r.year.total)} {pounds(r.to_date.total)} 100%" in flat


def test_xlsx_reads_back_and_reconciles(demo_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "funding.xlsx"
    r = write_funding(demo_store, out, TODAY, printed_by="Tester", **READER)
    book = pd.read_excel(out, sheet_name=None)
    assert set(book) >= {"Summary", "By agency", "By stream", "Shares", "Disputes",
                         "Joint budgets", "Personal budgets", "Actions"}

    def pence(series: pd.Series) -> int:  # type: ignore[type-arg]
        return sum(int((Decimal(str(v)) * 100).to_integral_value()) for v in series)

    total = r.year.total  # all the money, the actions withheld from the audience included
    listed = pence(book["Actions"]["This year"])
    assert listed == sum(line.this_year for line in r.lines)
    assert (listed == total) is (r.unnamed_actions == 0)
    assert pence(book["By agency"]["This year"]) == total
    assert pence(book["By stream"]["This year"]) == total
    summary = dict(zip(book["Summary"]["Measure"], book["Summary"]["Value"], strict=True))
    assert pence(pd.Series([summary["all money this year"]])) == total
    disputes = book["Disputes"]
    margaret = disputes[disputes["Person"] == "Margaret Okafor"]
    assert list(margaret["Discharge delayed"]) == ["Yes"]
    personal = book["Personal budgets"]
    over = personal[personal["Overcommitted"] == "Yes"]
    assert list(over["Person"]) == ["Helen Marsh"]
    joint = book["Joint budgets"]
    assert {"pooled", "aligned"} == set(joint["Arrangement"])


def test_command_writes_and_refuses(demo_store: Store, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    demo_signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "s.db"
    with Store.open(db) as s:
        build_demo(s, persons=30, seed=2, today=TODAY)
    out = tmp_path / "r.xlsx"
    args = ["export", "funding", "--db", str(db), "--today", TODAY.isoformat(),
            *demo_signed_in(db, "reader")]
    assert main([*args, "--out", str(out), "--neighbourhood", "riverside"]) == 0
    assert out.exists()
    assert main([*args, "--out", str(tmp_path / "r.txt")]) == 2
    assert "--out: r.txt must end in .pdf or .xlsx." in capsys.readouterr().err
    assert main([*args, "--out", str(tmp_path / "x.pdf"), "--neighbourhood", "Atlantis"]) == 2
    err = capsys.readouterr().err
    assert "--neighbourhood: no person lives in 'Atlantis' (neighbourhoods: Riverside)" in err
    assert not (tmp_path / "x.pdf").exists()
