"""PDFs read back with pypdf: the joint plan, the handoff audit and the minutes."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from export_sample import NHS, TODAY, build, prints
from pypdf import PdfReader

from careplan.export.audit_data import audit, nearest_rank
from careplan.export.audit_pdf import audit_pdf
from careplan.export.minutes_pdf import minutes_pdf
from careplan.export.plan_pdf import plan_pdf
from careplan.export.records import load
from careplan.models import nhs
from careplan.store import Store

PRINTED = datetime(2025, 3, 3, 9, 30)


def pages(path: Path) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(path).pages]


def test_plan_pdf_every_page_names_person_nhs_number_and_version(store: Store,
                                                                 tmp_path: Path) -> None:
    sample = build(store, actions=300)
    out = plan_pdf(store, sample.person.id, tmp_path / "plan.pdf", printed_by="Sue Marsh",
                   today=TODAY, printed_at=PRINTED, **prints(store))
    text = pages(out)
    assert len(text) > 5
    for n, page in enumerate(text, 1):
        assert "Aisha Khan" in page
        assert nhs.format_334(NHS) in page
        assert "plan version 3" in page
        assert "Printed by Sue Marsh for Northfield Adult Social Care on 03 Mar 2025 09:30" in page
        assert f"Page {n} of {len(text)}" in page
        assert "OFFICIAL-SENSITIVE" in page
    # The actions table split across pages and its header came with it.
    assert sum("Action Owner Agency Due Status" in page for page in text) > 3
    whole = " ".join(text)
    assert "Step 300:" in whole
    assert "NO OWNER" in whole
    assert "14 Jul 1988 (age 36)" in whole
    flags = whole[whole.index("Open flags"):whole.index("Needs, outcomes and actions")]
    assert "Action with no owner" in flags  # the flags engine's finding, with its reason


def test_sign_off_table_lists_every_agency_in_the_team(store: Store, tmp_path: Path) -> None:
    sample = build(store)
    out = plan_pdf(store, sample.person.id, tmp_path / "plan.pdf", printed_by="Sue Marsh",
                   today=TODAY, printed_at=PRINTED, **prints(store))
    whole = " ".join(pages(out))
    signoff = whole[whole.index("Sign-off by each agency"):]
    # Members still in the team on TODAY (the housing officer left on 31 Jan).
    current = {sample.profs[k].agency_id for k in ("sw", "gp", "cpn")}
    for agency_id in current:
        assert sample.agencies_by_id()[agency_id].name in signoff
    assert "Riverside Medical Practice not signed" in signoff
    assert "Northfield Adult Social Care Hannah Price 14 Jan 2025 11:05 version 3" in signoff
    assert "version 2 (earlier version)" in signoff


def test_handoff_audit_figures(store: Store, tmp_path: Path) -> None:
    sample = build(store)
    rec = load(store)
    a = audit(rec, date(2025, 1, 1), date(2025, 3, 3), TODAY)
    assert len(a.handoffs) == 3
    housing = next(s for s in a.by_agency if s.agency_id == sample.agencies["housing"].id)
    assert housing.hours == [pytest.approx(28.75)]
    gp = next(s for s in a.by_agency if s.agency_id == sample.agencies["gp"].id)
    assert gp.unanswered == 1 and gp.overdue == 1
    (dispute,) = a.disputes
    assert dispute.days == (TODAY - date(2025, 1, 9)).days and dispute.open
    assert dispute.teams == 2
    assert a.qs188.to_mental_health == 1 and a.qs188.refused_substance_use == 0
    assert a.qs188.declined_any == 1 and a.qs188.declined_substance_use == 1
    assert a.gaps == []
    out = audit_pdf(store, tmp_path / "audit.pdf", start=date(2025, 1, 1),
                    end=date(2025, 3, 3), today=TODAY, printed_by="Sue Marsh",
                    printed_at=PRINTED, **prints(store))
    whole = " ".join(pages(out))
    assert "declined by Northfield Learning Disability Team: Alcohol use must be addressed " \
           "first [substance use]" in whole
    assert "Every handoff (3)" in whole


def test_ownership_gap_is_found(store: Store) -> None:
    build(store)
    rec = load(store)
    lead = next(m for ms in rec.team.values() for m in ms if m.is_lead)
    rec.team[lead.person_id] = [lead.evolve(start_date=date(2025, 2, 1)),
                                *[m for m in rec.team[lead.person_id] if not m.is_lead]]
    a = audit(rec, date(2025, 1, 1), date(2025, 3, 3), TODAY)
    (gap,) = a.gaps
    assert (gap.start, gap.end, gap.days) == (date(2025, 1, 1), date(2025, 1, 31), 31)


def test_nearest_rank_percentile() -> None:
    assert nearest_rank([], 90) is None
    assert nearest_rank([float(x) for x in range(1, 11)], 90) == 9.0
    assert nearest_rank([5.0], 90) == 5.0


def test_minutes(store: Store, tmp_path: Path) -> None:
    sample = build(store)
    assert sample.conference is not None
    out = minutes_pdf(store, sample.conference.id, tmp_path / "minutes.pdf",
                      printed_by="Sue Marsh", printed_at=PRINTED,
                      today=TODAY, **prints(store))
    whole = " ".join(pages(out))
    for text in ("Case conference minutes", "Sue Marsh", "Mrs R. Khan (sister)",
                 "Who leads the dual diagnosis referral",
                 "Social care keeps care coordination until discharge",
                 "Joint MH/LD assessment Tom Reilly", nhs.format_334(NHS)):
        assert text in whole, text

