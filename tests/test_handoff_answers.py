"""A handoff keeps both sides: who proposed it with their note, never overwritten, and
who answered it with their reason. The handoff audit PDF prints both; FHIR carries
both; a store from before they were kept apart is split from its audit trail."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import ui_world
from pypdf import PdfReader

from careplan.export.audit_pdf import audit_pdf
from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.models import Handoff, new_id
from careplan.models.enums import HandoffStatus, HandoffSubject
from careplan.store import Store, add, get, migrations, update
from careplan.store import casework as cw
from tests.older_schema import take_back

AT = datetime(2025, 3, 3, 10, 30)
NOTE = "The transfer needs an adult-services worker"


def _handoff(w: ui_world.World, to: str, to_agency: str, note: str = NOTE) -> Handoff:
    return Handoff(person_id=w.teen, subject=HandoffSubject.COORDINATION,
                   from_professional_id=w.sam_social, from_agency_id=w.children,
                   to_professional_id=to, to_agency_id=to_agency, proposed_at=AT,
                   answer_by=date(2025, 3, 6), reason=note)


def _text(path: Path) -> str:
    return " ".join(" ".join((page.extract_text() or "").split())
                    for page in PdfReader(str(path)).pages)


def test_the_answer_is_kept_beside_the_proposers_note(store: Store) -> None:
    w = ui_world.build(store)
    proposed = cw.propose_handoff(store, _handoff(w, w.dr_shah, w.gp), w.sam_social)
    declined = cw.answer_handoff(store, proposed, False, AT + timedelta(hours=3), w.dr_shah,
                                 reason="  The GP practice cannot coordinate  ")
    assert (declined.reason, declined.answered_by, declined.answer_reason) == (
        NOTE, w.dr_shah, "The GP practice cannot coordinate")
    accepted = cw.answer_handoff(store, get(store, Handoff, w.handoff), True, AT,
                                 w.nina_nurse)
    assert (accepted.reason, accepted.answered_by, accepted.answer_reason) == (
        "", w.nina_nurse, "")


def test_the_handoff_audit_pdf_names_proposer_and_answerer(store_path: Path,
                                                           tmp_path: Path) -> None:
    """The reported defect: the audit showed an answered handoff simply as accepted."""
    with Store.open(store_path) as store:
        w = ui_world.build(store)
        waiting = get(store, Handoff, w.handoff)
        update(store, waiting.evolve(reason="Adult social care leads the Care Act "
                                            "assessment"), "setup")
        cw.answer_handoff(store, get(store, Handoff, w.handoff), True,
                          datetime(2025, 3, 4, 15, 45), w.nina_nurse,
                          reason="Booked for next week")
        out = audit_pdf(store, tmp_path / "audit.pdf", start=date(2025, 1, 1),
                        end=date(2025, 3, 31), today=ui_world.TODAY, printed_by="Rosa Martin",
                        **ui_world.prints(store))
    text = _text(out)
    assert "Proposed by, and their note" in text
    assert "Sam Okafor, Children's Social Care Adult social care leads the Care Act " \
           "assessment" in text
    assert "accepted by Nina Clarke, Adult Social Care, 04 Mar 2025 15:45 Booked for next " \
           "week" in text


def test_fhir_carries_the_note_the_answerer_and_the_reason(store: Store,
                                                           tmp_path: Path) -> None:
    w = ui_world.build(store)
    proposed = cw.propose_handoff(store, _handoff(w, w.dr_shah, w.gp), w.sam_social)
    cw.answer_handoff(store, proposed, False, AT, w.dr_shah, reason="Not a GP task")
    bundle = tmp_path / "bundle.json"
    export_fhir(store, bundle, **ui_world.prints(store), today=ui_world.TODAY)
    tasks = [e["resource"] for e in json.loads(bundle.read_text())["entry"]
             if e["resource"]["resourceType"] == "Task"
             and e["resource"]["id"] == proposed.id]
    (task,) = tasks
    assert task["note"][0]["text"] == NOTE
    assert task["statusReason"]["text"] == "Not a GP task"
    with Store.open(":memory:") as other:
        report = import_fhir(other, bundle)
        assert not report.warnings and not report.unresolved
        back = get(other, Handoff, proposed.id)
    assert (back.reason, back.answered_by, back.answer_reason, back.status) == (
        NOTE, w.dr_shah, "Not a GP task", HandoffStatus.DECLINED)
    # A Task written before the note and the answer were kept apart: statusReason alone.
    old = {**task, "id": new_id()}
    del old["note"]
    for status, note, answer in (("rejected", "", "Not a GP task"),
                                 ("requested", "Not a GP task", "")):
        old["status"] = status
        if status == "requested":
            old.pop("lastModified", None)
            old["extension"] = [x for x in old["extension"] if "answered-by" not in x["url"]]
        single = tmp_path / f"{status}.json"
        single.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                      "entry": [{"resource": old}]}))
        with Store.open(":memory:") as other:
            import_fhir(other, bundle)  # the people and records the Task refers to
            import_fhir(other, single)
            read = get(other, Handoff, old["id"])
        assert (read.reason, read.answer_reason) == (note, answer), status


def test_an_older_stores_answers_are_split_from_its_audit_trail(store_path: Path) -> None:
    """Before migration 9 an answer wrote its reason over the proposer's note. The
    upgrade puts the note back from the answering event, the reason beside it, and the
    answerer (a professional) from the event's actor."""
    with Store.open(store_path) as store:
        w = ui_world.build(store)
        ids = {}
        for key, note, status, answer, actor in (
                ("declined", NOTE, HandoffStatus.DECLINED, "Not ours", w.nina_nurse),
                ("accepted", "Please take the lead", HandoffStatus.ACCEPTED, "", w.dr_shah),
                ("by a script", "Moved by the import", HandoffStatus.ACCEPTED, "", "script")):
            h = add(store, _handoff(w, w.nina_nurse, w.adult_care, note).evolve(
                person_id=w.older), "setup")
            # As CarePlan answered before migration 9: the answer's reason over the note.
            update(store, h.evolve(status=status, answered_at=AT, reason=answer,
                                   answer_reason=answer or "x"), actor)
            ids[key] = h.id
        ids["written answered"] = add(store, _handoff(w, w.nina_nurse, w.adult_care, "").evolve(
            person_id=w.older, status=HandoffStatus.DECLINED, answered_at=AT,
            reason="Declined by phone", answer_reason="Declined by phone"), "demo").id
        ids["waiting"] = w.handoff
    conn = sqlite3.connect(store_path)
    take_back(conn, migrations.HANDOFF_ANSWERS_SCHEMA - 1)
    assert "answered_by" not in {r[1] for r in conn.execute("PRAGMA table_info(handoffs)")}
    conn.close()
    with Store.open(store_path) as store:
        found = {k: get(store, Handoff, v) for k, v in ids.items()}
        assert {k: (h.reason, h.answered_by, h.answer_reason) for k, h in found.items()} == {
            "declined": (NOTE, w.nina_nurse, "Not ours"),
            "accepted": ("Please take the lead", w.dr_shah, ""),
            "by a script": ("Moved by the import", None, ""),
            "written answered": ("", None, "Declined by phone"),
            "waiting": ("", None, ""),
        }
