"""The handoff audit for a date range (optionally one agency), as a PDF for managers.

Made for an audience (careplan.export.audience): persons whose records are not shared
with it are left out, and so is what agencies without a sharing basis recorded; the
report says how much and why. It lists every emergency access ("break glass") in the
period to a record it covers, or made by the audience's own staff: who, whose, why, when
and whether the lead professional has reviewed it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from careplan import clock
from careplan.export import outfile
from careplan.export import pdf_common as pc
from careplan.export.audience import Audience, NothingShared, Shared, for_audience
from careplan.export.audit_data import Audit, HandoffLine, audit
from careplan.export.looked import who_looked
from careplan.export.plan_pdf import withheld_section
from careplan.export.records import Records, load
from careplan.models import EmergencyAccess, Person, nhs
from careplan.models.enums import HandoffStatus
from careplan.store import Store, find
from careplan.store.visibility import Viewer


def hours_text(hours: float | None) -> str:
    """``1 d 4 h`` / ``3.5 h``; a dash when there is nothing to show."""
    if hours is None:
        return "–"
    if hours < 24:
        return f"{hours:.1f} h"
    days, rest = divmod(hours, 24)
    return f"{int(days)} d {rest:.0f} h"


def _summary(rec: Records, a: Audit) -> list[Flowable]:
    rows = []
    warn = []
    for i, s in enumerate(a.by_agency):
        if s.overdue:
            warn.append(i)
        rows.append([rec.agency_name(s.agency_id), s.received, len(s.hours),
                     hours_text(s.median), hours_text(s.p90), s.unanswered, s.overdue])
    if not rows:
        return pc.section("Time to answer, by receiving agency",
                          pc.p("No handoffs were proposed in this period.", "body"))
    return pc.section("Time to answer, by receiving agency", pc.table(
        ["Agency (receiving)", "Handoffs", "Answered", "Median", "90th percentile",
         "Unanswered", "Past answer-by"], rows,
        [58 * mm, 18 * mm, 18 * mm, 20 * mm, 24 * mm, 20 * mm, 20 * mm], highlight=warn))


def _answer(rec: Records, line: HandoffLine) -> str:
    """Who answered, when and why (markup): "declined by Nina Clarke, Adult Social Care,
    03 Mar 2025 10:00" and the reason; an unanswered one says so."""
    h = line.handoff
    if h.status is HandoffStatus.PROPOSED:
        return "not answered" + (" (past answer-by)" if line.overdue else "")
    if h.status is HandoffStatus.WITHDRAWN:
        return "withdrawn by the proposer"
    if h.answered_by:
        pro = rec.professionals.get(h.answered_by)
        by = f" by {pc.e(rec.professional_name(h.answered_by))}" + (
            f", {pc.e(rec.agency_name(pro.agency_id))}" if pro is not None else "")
    else:
        by = " (who answered was not recorded)"
    when = f", {h.answered_at:%d %b %Y %H:%M}" if h.answered_at else ""
    why = f"<br/><i>{pc.e(h.answer_reason)}</i>" if h.answer_reason else ""
    return f"{pc.e(h.status.value)}{by}{when}{why}"


def _handoff_table(rec: Records, a: Audit) -> list[Flowable]:
    """Every handoff with both sides: who proposed it, with their note, and who answered
    it, when and why."""
    rows = []
    warn = []
    for i, line in enumerate(a.handoffs):
        h = line.handoff
        style = "cell"
        if line.overdue:
            warn.append(i)
            style = "cellwarn"
        note = f"<br/><i>{pc.e(h.reason)}</i>" if h.reason else ""
        rows.append([
            f"{h.proposed_at:%d %b %Y %H:%M}",
            pc.rich(f"{pc.e(rec.professional_name(h.from_professional_id))}, "
                    f"{pc.e(rec.agency_name(h.from_agency_id))}{note}", style),
            f"{rec.professional_name(h.to_professional_id)}, {rec.agency_name(h.to_agency_id)}",
            pc.rich(_answer(rec, line), style),
            hours_text(line.hours),
            f"{line.person.name} ({h.subject.value})",
        ])
    if not rows:
        return []
    intro = pc.p("Each handoff with both sides: who proposed it and their note, and who "
                 "accepted or declined it, when, and why.", "small")
    return pc.section(f"Every handoff ({len(rows)})", intro, pc.spacer(1.5), pc.table(
        ["Proposed", "Proposed by, and their note", "To", "Answer: by whom, when, why",
         "Time", "Person (subject)"], rows,
        [21 * mm, 40 * mm, 30 * mm, 47 * mm, 14 * mm, 26 * mm], highlight=warn))


def _gaps(a: Audit) -> list[Flowable]:
    if not a.gaps:
        return pc.section("Ownership gaps", pc.p(
            "Every person with a plan had an accepted lead professional throughout.", "body"))
    rows = [[g.person.name,
             nhs.format_334(g.person.nhs_number) if g.person.nhs_number else "",
             f"{g.start:%d %b %Y}", f"{g.end:%d %b %Y}", g.days] for g in a.gaps]
    note = pc.p("Date ranges in which a person with a care plan had no accepted lead "
                "professional (care coordinator).", "small")
    return pc.section(f"Ownership gaps ({len(rows)})", note, pc.spacer(1.5), pc.table(
        ["Person", "NHS number", "From", "To", "Days"], rows,
        [60 * mm, 32 * mm, 30 * mm, 30 * mm, 26 * mm]))


def _disputes(a: Audit) -> list[Flowable]:
    if not a.disputes:
        return pc.section("Referral disputes", pc.p("No referral was declined, redirected or "
                                                    "escalated in this period.", "body"))
    rows = []
    for d in a.disputes:
        chain = "<br/>".join(f"{i}. {pc.e(step)}" for i, step in enumerate(d.chain, 1))
        rows.append([pc.rich(f"{pc.e(d.person.name)}<br/>{pc.e(d.referral.domain.value)}", "cell"),
                     pc.rich(chain, "cell"),
                     d.teams, f"{d.days}" + (" (open)" if d.open else "")])
    return pc.section(f"Referral disputes ({len(rows)})", pc.table(
        ["Person, need", "Bounce chain", "Teams", "Days in dispute"], rows,
        [36 * mm, 110 * mm, 12 * mm, 20 * mm],
        highlight=[i for i, d in enumerate(a.disputes) if d.open]))


def _qs188(a: Audit) -> list[Flowable]:
    q = a.qs188
    share = "no referrals to mental health services" if q.share is None else (
        f"{q.share:.0%} ({q.refused_substance_use} of {q.to_mental_health})")
    other = (f"{q.declined_substance_use} of {q.declined_any} declined referrals"
             if q.declined_any else "no referrals were declined")
    return pc.section("NICE QS188: referrals refused because of substance use", pc.facts([
        ("Audit measure", "Share of referrals to mental health services refused because of "
                          "the person's substance use (NICE QS188, statement 1)."),
        ("This period", share),
        ("All teams", f"{other} gave substance use as the reason."),
    ], (38 * mm, 140 * mm)))


def emergency_accesses(store: Store, full: Records, shared: Shared, start: date,
                       end: date) -> list[tuple[EmergencyAccess, Person]]:
    """Emergency accesses made in ``start``..``end`` to a record the audience receives, or
    by the audience's own staff, oldest first, with the person each opened."""
    persons = {p.id: p for p in full.persons}
    shown = {p.id for p in shared.records.persons}
    out = []
    for access in find(store, EmergencyAccess, order_by="opened_at"):
        if not start <= access.opened_at.date() <= end:
            continue
        if access.person_id in shown or access.agency_id == shared.audience.agency_id:
            person = persons.get(access.person_id)
            if person is not None:
                out.append((access, person))
    return out


def _emergency(rec: Records, rows: list[tuple[EmergencyAccess, Person]]) -> list[Flowable]:
    title = "Emergency access to records (break glass)"
    if not rows:
        return pc.section(title, pc.p("No record was opened in an emergency in this period.",
                                      "body"))
    table_rows: list[list[str]] = []
    warn: list[int] = []
    for access, person in rows:
        number = nhs.format_334(person.nhs_number) if person.nhs_number else "no NHS number"
        who = (f"{rec.professional_name(access.professional_id)}, "
               f"{rec.agency_name(access.agency_id)}")
        if access.reviewed_at is not None:
            review = (f"reviewed by {rec.professional_name(access.reviewed_by)} on "
                      f"{access.reviewed_at:%d %b %Y}"
                      + (f": {access.review_note}" if access.review_note else ""))
        else:
            warn.append(len(table_rows))
            review = "not yet reviewed by the lead professional"
        table_rows.append([f"{access.opened_at:%d %b %Y %H:%M}", who,
                           f"{person.name} ({number})", access.reason, review])
    return pc.section(title, pc.p(
        "Records opened by a professional whose agency had no sharing basis for the "
        "person, with the reason they gave; each is reported to the person's lead "
        "professional until reviewed.", "small"), pc.spacer(1.5), pc.table(
        ["When", "Who", "Whose record", "Why", "Review"], table_rows,
        [24 * mm, 36 * mm, 36 * mm, 46 * mm, 36 * mm], highlight=warn))


def audit_pdf(store: Store, out: str | Path, *, start: date, end: date, today: date,
              printed_by: str, audience: Audience, reader: Viewer,
              agency_id: str | None = None, printed_at: datetime | None = None) -> Path:
    """Write the handoff audit for ``start``..``end`` (optionally one agency) to ``out``,
    for ``audience``, printed by ``reader``.

    Raises:
        NothingShared: no person's record is shared with both the audience and the
            reader, and no emergency access by the audience's staff is in the period
            (no file is written).
    """
    outfile.check(out, store.path)
    full = load(store)
    shared = for_audience(full, audience, today, reader.agency_id)
    rec = shared.records
    accesses = emergency_accesses(store, full, shared, start, end)
    if not rec.persons and not accesses:
        raise NothingShared(f"Nothing of the handoff audit may be shared with "
                            f"{audience.name}: no person's record is shared with it, so no "
                            "document was made.")
    a = audit(rec, start, end, today, agency_id)
    scope = rec.agency_name(agency_id) if agency_id else "all agencies"
    period = f"{start:%d %b %Y} to {end:%d %b %Y}"
    answered = sum(1 for line in a.handoffs if line.hours is not None)
    story: list[Flowable] = [
        pc.p("Handoff audit", "title"), pc.p(f"{scope} · {period}", "subtitle"),
        pc.facts([
            ("For", audience.name),
            ("Handoffs", f"{len(a.handoffs)} proposed, {answered} answered, "
                         f"{sum(s.unanswered for s in a.by_agency)} waiting for an answer"),
            ("Ownership gaps", f"{len(a.gaps)} ({sum(g.days for g in a.gaps)} person-days)"),
            ("Referral disputes", f"{len(a.disputes)} "
                                  f"({sum(d.open for d in a.disputes)} still open)"),
            ("Emergency access", f"{len(accesses)} "
                                 f"({sum(1 for x, _ in accesses if not x.reviewed)} not yet "
                                 "reviewed)"),
        ]),
        *withheld_section(shared, title="Withheld from this report"),
        *_summary(rec, a), *_qs188(a), *_gaps(a), *_disputes(a), *_handoff_table(rec, a),
        *who_looked(store, rec, start, end, agency_id),
        *_emergency(full, accesses),
    ]
    running = pc.Running("Handoff audit", f"{scope} · {period}", printed_by,
                         printed_at or clock.now(), audience.name)
    return pc.build(out, story, running)
