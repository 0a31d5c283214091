"""The neighbourhood funding report as a PDF for managers and commissioners."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from careplan import clock
from careplan.export import pdf_common as pc
from careplan.export.funding_data import FundingReport, share
from careplan.models.costing import pounds, whole_pounds
from careplan.models.funding import Arrangement, CareType

#: Personal budgets listed one by one in the PDF (the spreadsheet lists them all).
PDF_BUDGET_ROWS = 40


def _summary(r: FundingReport) -> list[Flowable]:
    y = r.year
    prevention = share(y.by_care_type.get(CareType.PREVENTIVE, 0), y.public)
    over = sum(1 for _, p in r.personal if p.overcommitted)
    return [pc.facts([
        ("Public money", f"{pounds(y.public)} planned this {r.period} "
                         f"({pounds(r.to_date.public)} spent to {r.today:%d %b %Y}), "
                         f"on {len({ln.person_id for ln in r.book.lines})} people"),
        ("Self-funded", f"{pounds(y.total - y.public)} paid by people themselves"),
        ("Prevention share", f"{prevention} of public money is preventive "
                             "(the rest reactive or institutional care)"),
        ("Disputed", f"{pounds(y.disputed)} this year on {len(r.disputes)} actions whose "
                     "funding is disputed"),
        ("Personal budgets", f"{len(r.personal)} in force, {over} committed beyond their "
                             "allocation"),
    ])]


def _by_payer(r: FundingReport) -> list[Flowable]:
    rows = [[name, pounds(year), pounds(so_far), share(year, r.year.total)]
            for name, year, so_far in r.payer_rows()]
    rows.append(["Total", pounds(r.year.total), pounds(r.to_date.total), "100%"])
    return pc.section("By agency (the Total Place count)", pc.table(
        ["Agency paying", "This year", "To date", "Share"], rows,
        [88 * mm, 32 * mm, 32 * mm, 26 * mm], highlight=[len(rows) - 1]))


def _by_stream(r: FundingReport) -> list[Flowable]:
    rows = [[name, kind, principle, payer, pounds(year), pounds(so_far)]
            for name, kind, principle, payer, year, so_far in r.stream_rows()]
    return pc.section("By funding stream", pc.table(
        ["Stream", "Kind", "Principle", "Paid by", "This year", "To date"], rows,
        [44 * mm, 30 * mm, 26 * mm, 38 * mm, 21 * mm, 19 * mm]))


def _shares(r: FundingReport) -> list[Flowable]:
    rows = [[p, pounds(v), s] for p, v, s in r.principle_rows()]
    rows += [[c, pounds(v), s] for c, v, s in r.care_rows()]
    return pc.section("Free, means-tested and grant; prevention, reaction and institutions",
                      pc.p("Shares of public money this year. Preventive care keeps people "
                           "well at home; reactive care answers a crisis; institutional care "
                           "is hospital and residential care.", "small"),
                      pc.spacer(1.5),
                      pc.table(["", "This year", "Share"], rows, [88 * mm, 45 * mm, 45 * mm]))


def _disputes(r: FundingReport) -> list[Flowable]:
    if not r.disputes:
        return pc.section("Funding disputes", pc.p("No action's funding is disputed.", "body"))
    rows = [[f"{d.person} ({d.nhs_number})", d.action, d.agencies,
             f"{d.since:%d %b %Y} ({d.days} days)", pounds(d.this_year),
             "may be holding up a hospital discharge" if d.discharge_delayed else d.note]
            for d in r.disputes]
    return pc.section(f"Funding disputes ({len(rows)})", pc.table(
        ["Person", "Action", "Agencies in dispute", "Since", "This year", "Note"], rows,
        [30 * mm, 34 * mm, 36 * mm, 24 * mm, 20 * mm, 34 * mm],
        highlight=[i for i, d in enumerate(r.disputes) if d.discharge_delayed]))


def _joint(r: FundingReport) -> list[Flowable]:
    if not r.joint:
        return pc.section("Pooled and aligned budgets", pc.p("None in this neighbourhood.",
                                                             "body"))
    out: list[Flowable] = []
    for j in r.joint:
        b = j.budget
        rows = [[r.book.agency_names.get(p.agency_id, "?"), pounds(p.contributed),
                 "–" if p.spent_to_date is None else pounds(p.spent_to_date),
                 "–" if p.forecast is None else pounds(p.forecast),
                 "–" if p.variance is None else pounds(p.variance)] for p in j.partners]
        rows.append(["Whole budget", pounds(j.contributed), pounds(j.spent_to_date),
                     pounds(j.forecast), pounds(j.variance)])
        how = ("pooled: one pot, spend is not split between partners"
               if b.arrangement is Arrangement.POOLED
               else "aligned: each partner's spend is accounted separately")
        out += [pc.p(f"{b.name} ({how})", "h3"),
                pc.p(f"{b.legal_basis}; {b.period_start:%d %b %Y} to {b.period_end:%d %b %Y}. "
                     "Variance is contribution less forecast spend for the period "
                     "(negative: overspend).", "small"),
                pc.table(["Partner", "Contribution", "Spent to date", "Forecast", "Variance"],
                         rows, [62 * mm, 29 * mm, 29 * mm, 29 * mm, 29 * mm],
                         highlight=[len(rows) - 1] if j.variance < 0 else [])]
    return pc.section("Pooled and aligned budgets", *out)


def _personal(r: FundingReport) -> list[Flowable]:
    if not r.personal:
        return []
    ranked = sorted(r.personal, key=lambda np: (np[1].remaining, np[0]))
    shown = ranked[:PDF_BUDGET_ROWS]
    rows = [[name, p.budget.taken_as.value, pounds(p.allocation), pounds(p.committed),
             pounds(p.remaining)] for name, p in shown]
    total_alloc = sum(p.allocation for _, p in r.personal)
    total_committed = sum(p.committed for _, p in r.personal)
    note = pc.p(f"{len(r.personal)} personal budgets: {whole_pounds(total_alloc)} allocated, "
                f"{whole_pounds(total_committed)} committed. Listed: the "
                f"{len(shown)} with least remaining (the spreadsheet lists all).", "small")
    return pc.section("Personal budgets", note, pc.spacer(1.5), pc.table(
        ["Person", "Taken as", "Allocation", "Committed", "Remaining"], rows,
        [58 * mm, 32 * mm, 30 * mm, 30 * mm, 28 * mm],
        highlight=[i for i, (_, p) in enumerate(shown) if p.overcommitted]))


def funding_pdf(r: FundingReport, out: str | Path, *, printed_by: str,
                printed_at: datetime | None = None) -> Path:
    """Write the report ``r`` to ``out`` as a PDF."""
    story: list[Flowable] = [
        pc.p("Neighbourhood funding report", "title"),
        pc.p(f"{r.scope} · {r.period} · as of {r.today:%d %b %Y}", "subtitle"),
        *_summary(r), *_by_payer(r), *_by_stream(r), *_shares(r), *_disputes(r), *_joint(r),
        *_personal(r),
    ]
    if r.withheld_note:
        story[2:2] = pc.section("Not listed in this copy", pc.p(r.withheld_note, "warn"))
    running = pc.Running("Neighbourhood funding report", f"{r.scope} · {r.period}", printed_by,
                         printed_at or clock.now(), r.audience)
    return pc.build(out, story, running)
