"""Case conference minutes: who came, what was discussed and decided, who does what.

Made for an audience (careplan.export.audience): actions agreed for an agency without a
sharing basis stay out, and the minutes say so.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from careplan import clock
from careplan.export import outfile
from careplan.export import pdf_common as pc
from careplan.export.audience import Audience, for_audience, require_person
from careplan.export.plan_pdf import current_plan, subject_line, withheld_section
from careplan.export.records import load
from careplan.models import CaseConference, nhs
from careplan.models.dates import age_on
from careplan.store import Store, get
from careplan.store.visibility import Viewer


def minutes_pdf(store: Store, conference_id: str, out: str | Path, *, printed_by: str,
                today: date, audience: Audience, reader: Viewer,
                printed_at: datetime | None = None) -> Path:
    """Write the minutes of one case conference to ``out``, for ``audience``.

    Raises:
        NotSharedError: the reader's agency may not see the person's record.
        NothingShared: the audience may receive nothing of it (no file is written).
    """
    outfile.check(out, store.path)
    conf = get(store, CaseConference, conference_id)
    full = load(store, [conf.person_id])
    shared = for_audience(full, audience, today, reader.agency_id)
    require_person(full, shared, conf.person_id, today, reader)
    rec = shared.records
    person = rec.persons[0]
    day: date = conf.held_at.date()
    ended = f" to {conf.ended_at:%H:%M}" if conf.ended_at else ""
    chair = rec.professionals.get(conf.chair_id or "")
    number = nhs.format_334(person.nhs_number) if person.nhs_number else "not recorded"
    story: list[Flowable] = [
        pc.p("Case conference minutes", "title"),
        pc.p(f"{person.name} · {conf.held_at:%A %d %B %Y, %H:%M}{ended}", "subtitle"),
        pc.facts([
            ("Person", f"{person.name}, born {person.birth_date:%d %b %Y} "
                       f"(age {age_on(person.birth_date, day)})"),
            ("NHS number", number),
            ("Chair", f"{chair.name}, {rec.agency_name(chair.agency_id)}" if chair
             else "not recorded"),
        ]),
    ]
    story += withheld_section(shared, person.id)
    rows = []
    for pid in conf.attendee_ids:
        prof = rec.professionals.get(pid)
        if prof:
            rows.append([prof.name, prof.role.value, rec.agency_name(prof.agency_id)])
    rows += [[name, "", "(not a professional in the team)"] for name in conf.other_attendees]
    story += pc.section("Present", pc.table(["Name", "Role", "Agency"], rows,
                                            [55 * mm, 45 * mm, 78 * mm]))
    if conf.agenda:
        story += pc.section("Agenda", *[pc.p(f"{i}. {item}", "body")
                                        for i, item in enumerate(conf.agenda, 1)])
    if conf.decisions:
        story += pc.section("Decisions", *[pc.p(f"{i}. {item}", "body")
                                           for i, item in enumerate(conf.decisions, 1)])
    agreed = [a for plan in rec.plans.get(person.id, []) for a in rec.actions.get(plan.id, [])
              if a.conference_id == conf.id]
    if agreed:
        arow = [[a.description, rec.professional_name(a.owner_professional_id) or "NO OWNER",
                 rec.agency_name(a.owner_agency_id), f"{a.due_date:%d %b %Y}"
                 if a.due_date else "", a.status.value] for a in agreed]
        story += pc.section("Actions agreed", pc.table(
            ["Action", "Owner", "Agency", "Due", "Status"], arow,
            [66 * mm, 32 * mm, 42 * mm, 20 * mm, 18 * mm],
            highlight=[i for i, a in enumerate(agreed) if not a.owner_professional_id]))
    else:
        story += pc.section("Actions agreed", pc.p("No actions were recorded against this "
                                                   "case conference.", "body"))
    plan = current_plan(rec, person)
    running = pc.Running("Case conference minutes", subject_line(person, plan), printed_by,
                         printed_at or clock.now(), audience.name)
    return pc.build(out, story, running)
