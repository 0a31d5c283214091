"""File ▸ Print (Ctrl+P): the joint plan, the handoff audit, case conference minutes and
the funding report, made as PDFs in a worker, shown in a print preview rendered by QtPdf,
and printed — here to a PDF file (headless), read back page by page (issue 16)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import ui_world
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtPrintSupport import QPrinter
from ui_helpers import file_settings, settle, sign_in, when_modal

from careplan.export.audit_pdf import audit_pdf
from careplan.export.funding_xlsx import write_funding
from careplan.export.minutes_pdf import minutes_pdf
from careplan.export.plan_pdf import plan_pdf
from careplan.models import Action, CaseConference
from careplan.models.reads import ReadKind
from careplan.store import Store, add_many, find
from careplan.store import casework as cw
from careplan.store import reads as looked
from careplan.ui.export_dialogs import AuditDialog
from careplan.ui.mainwindow import MainWindow
from careplan.ui.printing import AUDIT, FUNDING, MINUTES, PLAN, Choice, PdfPages, PrintPreview


def _by(store: Store, professional_id: str) -> dict[str, Any]:
    """``audience=`` and ``reader=`` of a print made by the professional for their own
    agency, as File ▸ Print makes it."""
    from careplan.export.audience import audience_of
    from careplan.store.visibility import viewer_for

    reader = viewer_for(store, professional_id)
    assert reader.agency_id is not None
    return {"audience": audience_of(store, reader.agency_id), "reader": reader}

def _to_file(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def _pages(path: Path) -> int:
    return len(PdfReader(path).pages)


def _long_plan(store: Store, world: ui_world.World) -> None:
    """Enough actions for the teen's plan to run to several pages."""
    add_many(store, [Action(plan_id=world.teen_plan, description=f"Step {n}: visit, agree and "
                            "record what the family asked for at the review",
                            owner_professional_id=world.sam_social,
                            due_date=date(2025, 4, 1)) for n in range(90)], "test")


@pytest.fixture
def world_file(tmp_path: Path) -> tuple[Path, ui_world.World]:
    path = tmp_path / "store.db"
    with Store.open(path) as store:
        world = ui_world.build(store, extra_persons=40)
        _long_plan(store, world)
        cw.save_conference(store, CaseConference(
            person_id=world.teen, held_at=datetime(2025, 3, 3, 10), chair_id=world.sam_social,
            attendee_ids=(world.sam_social, world.dr_shah),
            decisions=("Ask adult services to join the team",)), None, [], world.sam_social)
    return path, world


def test_the_preview_renders_every_page_and_prints_them(qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        world_file) -> None:
    path, world = world_file
    source = tmp_path / "plan.pdf"
    with Store.open(path, create=False) as store:
        plan_pdf(store, world.teen, source, printed_by="Tester", today=ui_world.TODAY,
                 **_by(store, world.sam_social))
    expected = _pages(source)
    assert expected >= 3
    pages = PdfPages(source)
    assert pages.count == expected
    printed = tmp_path / "printed.pdf"
    preview = PrintPreview(pages, "Joint care plan", printer=_to_file(printed))
    qtbot.addWidget(preview)
    preview.open()
    widget = preview.widget()
    qtbot.waitUntil(lambda: widget.pageCount() == expected)
    widget.print()
    assert preview.printed == expected
    back = PdfReader(printed)
    assert len(back.pages) == expected
    width, height = float(back.pages[0].mediabox.width), float(back.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4, as the PDF itself


def test_a_file_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a PDF", encoding="utf-8")
    with pytest.raises(OSError, match="could not be read as a PDF"):
        PdfPages(bad)


@pytest.fixture
def window(qtbot, tmp_path: Path, world_file):  # type: ignore[no-untyped-def]
    path, world = world_file
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    printed = tmp_path / "printed.pdf"
    win.printing.printer_for = lambda: _to_file(printed)
    offered: list[tuple[list[Choice], str]] = []
    answer: list[str] = []

    def choose(choices: list[Choice], start: str) -> str:
        offered.append((choices, start))
        return answer[0] if answer else start

    win.printing.choose = choose
    yield win, world, path, printed, offered, answer
    win.close()


def _preview(qtbot, win: MainWindow) -> PrintPreview:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: win.printing.preview is not None, timeout=60_000)
    preview = win.printing.preview
    assert preview is not None
    return preview


def test_ctrl_p_previews_the_open_persons_plan(qtbot, window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, world, path, printed, offered, _ = window
    assert win.printing.action.shortcut() == QKeySequence(QKeySequence.StandardKey.Print)
    assert win.printing.action.shortcut().toString() == "Ctrl+P"
    win.open_person(world.teen)
    qtbot.keyClick(win, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    preview = _preview(qtbot, win)
    choices, start = offered[0]
    assert start == PLAN and [c.key for c in choices] == [PLAN, MINUTES, AUDIT, FUNDING]
    assert choices[0].words == "Jordan Baker's joint care plan" and all(c.enabled for c in choices)
    reference = tmp_path / "reference.pdf"
    with Store.open(path, create=False) as store:
        plan_pdf(store, world.teen, reference, printed_by="Sam Okafor", today=ui_world.TODAY,
                 **_by(store, world.sam_social))
    widget = preview.widget()
    qtbot.waitUntil(lambda: widget.pageCount() == _pages(reference))
    temporary = preview.pages.path
    assert temporary.exists() and temporary.parent.name.startswith("careplan-print-")
    widget.print()
    assert _pages(printed) == _pages(reference)
    preview.close()
    settle(win)
    with Store.open(path, create=False) as store:
        reads = [(r.reader_id, r.kind, r.description) for r in looked.of_person(store, world.teen)]
    assert (world.sam_social, ReadKind.PRINTED, looked.PLAN_PDF) in reads
    qtbot.waitUntil(lambda: not temporary.parent.exists())  # the PDF is not left behind
    assert win.printing.preview is None


@pytest.mark.parametrize("which", [MINUTES, AUDIT, FUNDING])
def test_every_document_prints(qtbot, window, tmp_path: Path, which: str) -> None:  # type: ignore[no-untyped-def]
    win, world, path, printed, offered, answer = window
    ws = win.open_person(world.teen)
    ws.tabs.setCurrentWidget(ws.conferences_tab)
    answer.append(which)
    if which == AUDIT:
        when_modal(lambda dialog: dialog.accept() if isinstance(dialog, AuditDialog)
                   else dialog.reject())
    win.printing.action.trigger()
    preview = _preview(qtbot, win)
    assert offered[0][1] == MINUTES  # the conferences tab was in front
    reference = tmp_path / "reference.pdf"
    with Store.open(path, create=False) as store:
        if which == MINUTES:
            conference = find(store, CaseConference)[0]
            minutes_pdf(store, conference.id, reference, printed_by="Sam Okafor",
                        today=ui_world.TODAY, **_by(store, world.sam_social))
        elif which == AUDIT:
            audit_pdf(store, reference, start=date(2024, 12, 10), end=ui_world.TODAY,
                      today=ui_world.TODAY, printed_by="Sam Okafor",
                      **_by(store, world.sam_social))
        else:
            by = _by(store, world.sam_social)
            write_funding(store, reference, ui_world.TODAY, printed_by="Sam Okafor",
                          audience=by["audience"], reader_agency_id=by["reader"].agency_id)
    widget = preview.widget()
    qtbot.waitUntil(lambda: widget.pageCount() == _pages(reference))
    widget.print()
    assert _pages(printed) == _pages(reference) == preview.printed
    preview.close()
    settle(win)
    with Store.open(path, create=False) as store:  # recorded as printed, as an export is
        printed_reads = [r for r in looked.between(store, datetime(2000, 1, 1),
                                                   datetime(2100, 1, 1))
                         if r.kind is ReadKind.PRINTED]
    [read] = printed_reads
    assert read.reader_id == world.sam_social
    if which == MINUTES:
        assert (read.person_id, read.description) == (world.teen, looked.MINUTES_PDF)
    elif which == AUDIT:
        assert read.person_id is None and read.description.startswith("handoff audit (PDF)")
    else:
        assert read.person_id is None and read.description.startswith("funding report (PDF)")


def test_without_a_person_only_the_store_wide_documents(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, path, printed, offered, answer = window
    answer.append("")  # the chooser cancelled: nothing happens
    win.printing.action.trigger()
    choices, start = offered[0]
    enabled = {c.key: c.enabled for c in choices}
    assert enabled == {PLAN: False, MINUTES: False, AUDIT: True, FUNDING: True}
    assert start == AUDIT and choices[0].why_not == "Open a person first"
    assert win.printing.preview is None and not win.exports.jobs


def test_minutes_of_a_person_with_no_conference_are_not_offered(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, path, printed, offered, answer = window
    win.open_person(world.older)
    answer.append("")
    win.printing.action.trigger()
    minutes = next(c for c in offered[0][0] if c.key == MINUTES)
    assert not minutes.enabled
    assert minutes.why_not == "Margaret Wood has no case conference recorded yet"


def test_signing_out_closes_the_preview_and_deletes_its_pdf(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    win, world, path, printed, offered, answer = window
    win.open_person(world.teen)
    win.printing.action.trigger()
    preview = _preview(qtbot, win)
    folder = preview.pages.path.parent
    assert win.sign_out(confirm=False)
    assert win.printing.preview is None and not folder.exists()
    assert not win.printing.action.isEnabled()  # nobody signed in: nothing to print


def test_preview_pages_are_white_paper_not_black(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 world_file) -> None:
    path, world = world_file
    source = tmp_path / "plan.pdf"
    with Store.open(path, create=False) as store:
        plan_pdf(store, world.teen, source, printed_by="Tester", today=ui_world.TODAY,
                 **_by(store, world.sam_social))
    pages = PdfPages(source)
    image = pages.image(0, 40, opaque=True)
    assert not image.hasAlphaChannel()
    corner = image.pixelColor(2, 2)
    assert (corner.red(), corner.green(), corner.blue()) == (255, 255, 255)
