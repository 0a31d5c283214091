"""File ▸ Export and Import FHIR driven through the real window: each export runs in a
worker, the file is read back, the result is opened (through a stand-in for the
desktop), mistakes come back as one sentence and bugs are logged with a traceback."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import ui_world
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader
from PySide6.QtCore import QDate, QUrl
from PySide6.QtWidgets import QMessageBox, QPushButton
from ui_helpers import file_settings, sign_in, when_modal

from careplan.export.fhir_export import export_fhir
from careplan.models import CaseConference, Person
from careplan.store import Store, find
from careplan.store import casework as cw
from careplan.ui.export_dialogs import AuditDialog
from careplan.ui.mainwindow import MainWindow


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture
def setup(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "store.db"
    store = Store.open(path)
    world = ui_world.build(store, extra_persons=300)
    cw.save_conference(store, CaseConference(
        person_id=world.teen, held_at=datetime(2025, 3, 3, 10), chair_id=world.sam_social,
        attendee_ids=(world.sam_social, world.dr_shah), decisions=("Ask adult services "
                                                                   "to join the team",)),
        None, [], world.sam_social)
    store.close()
    win = MainWindow(file_settings(tmp_path), today=lambda: ui_world.TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, path, world.sam_social)
    opened: list[QUrl] = []
    win.exports.open_url = opened.append
    out = tmp_path / "out"
    out.mkdir()
    yield win, world, out, opened
    win.close()


def _save_as(win: MainWindow, path: Path) -> None:
    win.exports.ask_save = lambda title, name, filters: str(path)


def _finish(qtbot, win: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not win.exports.jobs, timeout=60000)


def test_joint_plan_pdf_is_written_in_a_worker_and_opened(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    assert not win.exports.plan_pdf.isEnabled()  # no person open yet
    win.open_person(world.teen)
    assert win.exports.plan_pdf.isEnabled()
    target = out / "plan.pdf"
    _save_as(win, target)
    win.exports.plan_pdf.trigger()
    _finish(qtbot, win)
    assert opened == [QUrl.fromLocalFile(str(target))]
    text = _pdf_text(target)
    assert "Jordan Baker" in text and "943 476 5919" in text
    assert "Sam Okafor" in text  # printed by the professional using the window


def test_handoff_audit_asks_the_period_naming_the_field(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    errors: list[str] = []

    def fill(dialog: AuditDialog) -> None:
        dialog.start.setDate(QDate(2025, 3, 20))  # after "to": refused, dialog stays
        dialog.check()
        errors.append(dialog.error.text())
        dialog.start.setDate(QDate(2025, 1, 1))
        dialog.agency.setCurrentIndex(dialog.agency.findText("Adult Social Care"))
        dialog.check()

    when_modal(fill)  # type: ignore[arg-type]
    target = out / "audit.pdf"
    _save_as(win, target)
    win.exports.audit_pdf.trigger()
    _finish(qtbot, win)
    assert errors == ["From: 20 Mar 2025 is after To (10 Mar 2025)."]
    text = _pdf_text(target)
    assert "Handoff audit" in text and "Adult Social Care" in text
    assert opened == [QUrl.fromLocalFile(str(target))]


def test_minutes_from_the_case_conferences_tab(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    ws = win.open_person(world.teen)
    ws.tabs.setCurrentWidget(ws.conferences_tab)
    target = out / "minutes.pdf"
    _save_as(win, target)
    ws.conferences_tab.print_minutes.click()
    _finish(qtbot, win)
    text = _pdf_text(target)
    assert "Case conference minutes" in text and "Ask adult services" in text
    assert "Dr Asha Shah" in text


@pytest.mark.parametrize(("index", "name", "suffix"), [(0, "caseload", ".csv"),
                                                      (4, "actions", ".xlsx")])
def test_tables_as_csv_and_xlsx(qtbot, setup, index: int, name: str, suffix: str) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    target = out / f"{name}{suffix}"
    _save_as(win, target)
    win.exports.tables[index].trigger()
    _finish(qtbot, win)
    frame = pd.read_csv(target, comment="#") if suffix == ".csv" else pd.read_excel(target)
    if name == "caseload":
        assert len(frame) == 303 and "Jordan Baker" in set(frame["Person"])
    else:
        assert "Care Act assessment before 18th birthday" in set(frame["Action"])
    assert opened == [QUrl.fromLocalFile(str(target))]


def test_table_export_can_be_cancelled(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, _, out, opened = setup
    target = out / "caseload.xlsx"
    _save_as(win, target)
    win.exports.tables[0].trigger()
    job = win.exports.jobs[0]
    job.dialog.findChild(QPushButton).click()  # Cancel: the next progress report stops it
    _finish(qtbot, win)
    assert job.outcome == "cancelled"
    assert not target.exists() and list(out.iterdir()) == []
    assert opened == []


def test_fhir_bundle_of_the_person_validates(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    win.open_person(world.teen)
    target = out / "teen.json"
    _save_as(win, target)
    win.exports.fhir_person.trigger()
    _finish(qtbot, win)
    data = json.loads(target.read_text(encoding="utf-8"))
    Bundle.model_validate(data)
    patients = [e["resource"] for e in data["entry"]
                if e["resource"]["resourceType"] == "Patient"]
    assert [p["identifier"][0]["value"] for p in patients] == ["9434765919"]


def test_fhir_export_of_the_store_can_be_cancelled(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, _, out, opened = setup
    target = out / "store.json"
    _save_as(win, target)
    win.exports.fhir_store.trigger()
    job = win.exports.jobs[0]
    job.dialog.findChild(QPushButton).click()  # Cancel: the next progress report stops it
    _finish(qtbot, win)
    assert job.outcome == "cancelled"
    assert not target.exists() and list(out.iterdir()) == []
    assert opened == []
    assert "cancelled; nothing was written" in win.statusBar().currentMessage()


def test_fhir_export_of_the_store_validates_in_workers_with_progress(  # type: ignore[no-untyped-def]
        qtbot, setup, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    from careplan.export import fhir_pool

    win, _, out, opened = setup
    monkeypatch.setattr(fhir_pool, "WORKERS_FROM_PERSONS", 300)
    assert fhir_pool.workers_for(303) > 0  # the window's 303 persons: validated in workers
    target = out / "store.json"
    _save_as(win, target)
    win.exports.fhir_store.trigger()
    job = win.exports.jobs[0]
    seen: list[tuple[int, int]] = []
    job.job.progress.connect(lambda done, total, what: seen.append((done, total)))
    _finish(qtbot, win)
    assert job.outcome == "finished"
    assert seen and seen[-1][0] == seen[-1][1] > 0
    data = json.loads(target.read_text(encoding="utf-8"))
    Bundle.model_validate(data)
    assert opened == [QUrl.fromLocalFile(str(target))]
    assert not multiprocessing.active_children()


def test_fhir_import_fills_a_new_store(qtbot, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, _, out, _ = setup
    source = tmp_path / "store.db"
    bundle = out / "bundle.json"
    with Store.open(source, create=False) as store:
        export_fhir(store, bundle, **ui_world.prints(store), today=ui_world.TODAY)
        persons = len(find(store, Person))
    assert win.open_store(tmp_path / "empty.db", create=True)
    sign_in(qtbot, win)  # its administrator, made on the sign-in screen
    assert win.model is not None and win.model.rowCount() == 0
    win.exports.ask_open = lambda title, filters: str(bundle)
    win.exports.fhir_import.trigger()
    _finish(qtbot, win)
    assert len(find(win.store, Person)) == persons
    assert win.model.rowCount() == 0  # an administrator sees no one's record
    boxes = [b for b in win.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "Imported:" in boxes[0].detailedText()
    boxes[0].accept()


def test_fhir_import_can_be_cancelled(qtbot, setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win, _, out, _ = setup
    bundle = out / "bundle.json"
    with Store.open(tmp_path / "store.db", create=False) as store:
        export_fhir(store, bundle, **ui_world.prints(store), today=ui_world.TODAY)
    assert win.open_store(tmp_path / "empty.db", create=True)
    sign_in(qtbot, win)
    win.exports.ask_open = lambda title, filters: str(bundle)
    win.exports.fhir_import.trigger()
    job = win.exports.jobs[0]
    job.dialog.findChild(QPushButton).click()  # Cancel: stops it before its commit
    _finish(qtbot, win)
    assert job.outcome == "cancelled"
    assert find(win.store, Person) == []
    assert "cancelled; nothing was written" in win.statusBar().currentMessage()
    assert not [b for b in win.findChildren(QMessageBox) if b.isVisible()]


def test_malformed_json_is_refused_in_one_sentence(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, _, out, _ = setup
    bad = out / "broken.json"
    bad.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    before = win.model.rowCount()
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    win.exports.ask_open = lambda title, filters: str(bad)
    win.exports.fhir_import.trigger()
    _finish(qtbot, win)
    qtbot.waitUntil(lambda: bool(seen))
    assert seen[0].endswith(".") and "\n" not in seen[0] and "Traceback" not in seen[0]
    assert "JSON" in seen[0] or "json" in seen[0]
    win.refresh()
    assert win.model.rowCount() == before


def test_a_bug_is_logged_with_its_traceback(qtbot, setup, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    win, world, out, opened = setup
    import careplan.export.plan_pdf as plan_pdf

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(plan_pdf, "plan_pdf", broken)
    win.open_person(world.teen)
    _save_as(win, out / "plan.pdf")
    seen: list[str] = []
    when_modal(lambda box: (seen.append(box.text()), box.accept()))
    with caplog.at_level(logging.ERROR):
        win.exports.plan_pdf.trigger()
        _finish(qtbot, win)
        qtbot.waitUntil(lambda: bool(seen))
    assert "error in CarePlan, not anything you did" in seen[0]
    failures = [r for r in caplog.records if r.exc_info]
    assert failures and "layout exploded" in str(failures[0].exc_info[1])
    assert opened == [] and not (out / "plan.pdf").exists()


def test_funding_report_as_pdf(qtbot, setup) -> None:  # type: ignore[no-untyped-def]
    win, _, out, opened = setup
    target = out / "funding.pdf"
    _save_as(win, target)
    win.exports.funding.trigger()
    _finish(qtbot, win)
    assert "Neighbourhood funding report" in _pdf_text(target)
    assert opened == [QUrl.fromLocalFile(str(target))]
