"""File ▸ Export and File ▸ Import FHIR: the command line's exports, from the menus.

Each one asks where to write (or what to read), then runs the ``careplan.export``
function in a worker with a progress dialog (FHIR exports report every person and can
be cancelled; nothing is written until the file is complete) and opens the result when
done. Each file written is recorded as a read by whoever is signed in (careplan.ui.reads:
whose record, or for many persons a summary, and what). ``open_url``, ``ask_save`` and
``ask_open`` are attributes so tests can stand in for the desktop and the file dialogs.

Every print and export is made for an audience: File ▸ Export ▸ For whom lists the
agencies, the reader's own chosen at sign-in (careplan.export.audience).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from careplan.export import outfile
from careplan.export.audience import Audience
from careplan.models.reads import ReadKind
from careplan.store import Store
from careplan.store import reads as looked
from careplan.store.changes import Changes
from careplan.ui import reads, workers
from careplan.ui import settings as keys
from careplan.ui.export_run import JobDialog, in_store

if TYPE_CHECKING:
    from careplan.store import caseload as q
    from careplan.ui.mainwindow import MainWindow

PDF = "PDF (*.pdf)"
CSV = "CSV (*.csv)"
XLSX = "Excel workbook (*.xlsx)"
JSON = "FHIR JSON (*.json)"
TABLES = (("caseload", "&Caseload"), ("flags", "&Flags"), ("handoffs", "&Handoffs"),
          ("referrals", "&Referrals"), ("actions", "&Actions"))


@dataclass(frozen=True, slots=True)
class Written:
    """A file an export wrote, and how many rows (tables) or costed actions it holds."""

    path: Path
    count: int
    scope: str = ""
    persons: int | None = None  # how many persons' records, when only some were written


def with_suffix(path: str, chosen_filter: str, filters: str) -> str:
    """The path with the ending of the chosen filter when the user typed none we know."""
    allowed = [f.split("*")[1].rstrip(")") for f in filters.split(";;")]
    if Path(path).suffix.lower() in allowed:
        return path
    pick = chosen_filter if chosen_filter in filters else filters.split(";;")[0]
    return path + pick.split("*")[1].rstrip(")")


class ExportActions(QObject):
    """The actions, the menu and the jobs behind them, for one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self.ask_save: Callable[[str, str, str], str] = self._ask_save
        self.ask_open: Callable[[str, str], str] = self._ask_open
        self.jobs: list[JobDialog] = []
        tr = self.tr
        act = self._action
        self.plan_pdf = act(tr("Joint care &plan (PDF)…"), self.export_plan,
                            tr("Print the current person's joint care plan"))
        self.audit_pdf = act(tr("Handoff &audit (PDF)…"), self.export_audit,
                             tr("Handoffs, answer times, ownership gaps and disputes"))
        # Through a lambda: the action's "checked" (False) is no conference id.
        self.minutes_pdf = act(tr("Case conference &minutes (PDF)…"),
                               lambda _=False: self.export_minutes(),
                               tr("Minutes of the case conference chosen in the Case "
                                  "conferences tab"))
        self.funding = act(tr("F&unding report (PDF or XLSX)…"), self.export_funding,
                           tr("All public money by agency and stream, disputes, budgets"))
        self.tables = [act(label, lambda _=False, n=name: self.export_table(n),
                           tr("The %s table for the persons the caseload shows, as CSV or "
                              "XLSX") % name)
                       for name, label in TABLES]
        self.fhir_person = act(tr("FHIR R4 bundle of this &person…"),
                               lambda: self.export_fhir(whole_store=False),
                               tr("The current person and everyone in their records"))
        self.fhir_store = act(tr("FHIR R4 bundle of the whole &store…"),
                              lambda: self.export_fhir(whole_store=True),
                              tr("Every person in the store"))
        self.fhir_import = act(tr("&Import FHIR R4…"), self.import_fhir,
                               tr("Take a FHIR R4 Bundle or resource into this store"))
        self.menu = QMenu(tr("&Export"), window)
        #: The agency the exports are for; None: the reader's own.
        self.audience_id: str | None = None
        self.audience_menu = QMenu(tr("For &whom"), window)
        self.audience_menu.setToolTip(tr("The agency the prints and exports are for: what "
                                         "may not be shared with it is left out"))
        self.audience_menu.aboutToShow.connect(self._fill_audiences)
        self.audience_group = QActionGroup(self)
        self.menu.addMenu(self.audience_menu)
        self.menu.addSeparator()
        for action in (self.plan_pdf, self.minutes_pdf, self.audit_pdf, self.funding):
            self.menu.addAction(action)
        tables = self.menu.addMenu(tr("&Table (CSV or XLSX)"))
        for action in self.tables:
            tables.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.fhir_person)
        self.menu.addAction(self.fhir_store)
        self.update_enabled()

    def _action(self, text: str, slot: Callable[..., Any], tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    # -- the audience -----------------------------------------------------------------

    def audience(self) -> Audience | None:
        """Whom the exports are for: the agency chosen, else the reader's own; None when
        the reader belongs to no agency (who prints nothing)."""
        viewer = self.window.viewer
        if not viewer.sees_anyone:
            return None
        directory = self.window.directory_now()
        agency_id = self.audience_id if self.audience_id in directory.agencies \
            else viewer.agency_id
        assert agency_id is not None
        return Audience(agency_id, directory.agency_name(agency_id))

    def _fill_audiences(self) -> None:
        self.audience_menu.clear()
        for action in self.audience_group.actions():
            self.audience_group.removeAction(action)
        chosen = self.audience()
        if chosen is None:
            none = self.audience_menu.addAction(self.tr("No one: this account belongs to no "
                                                        "agency"))
            none.setEnabled(False)
            return
        agencies = sorted(self.window.directory_now().agencies.values(),
                          key=lambda a: a.name.lower())
        own = self.window.viewer.agency_id
        for agency in agencies:
            label = agency.name + (self.tr(" (your agency)") if agency.id == own else "")
            action = self.audience_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(agency.id == chosen.agency_id)
            action.triggered.connect(lambda _=False, a=agency.id: self.choose_audience(a))
            self.audience_group.addAction(action)

    def choose_audience(self, agency_id: str | None) -> None:
        """Make the exports for ``agency_id`` (None: the reader's own agency)."""
        self.audience_id = agency_id
        chosen = self.audience()
        if chosen is not None:
            self.window.statusBar().showMessage(
                self.tr("Prints and exports are now for %s.") % chosen.name, 8000)

    def _for_whom(self, title: str) -> Audience | None:
        """The audience, or None (said in a message) when the reader prints for no one."""
        chosen = self.audience()
        if chosen is None:
            QMessageBox.warning(self.window, title, self.window.viewer.nobody())
        return chosen

    def update_enabled(self) -> None:
        # Nothing is exported before someone has signed in to the store.
        store = self.window.store is not None and self.window.account is not None
        person = self.window.current_workspace() is not None
        for action in (self.audit_pdf, self.funding, self.fhir_store, self.fhir_import,
                       *self.tables):
            action.setEnabled(store)
        for action in (self.plan_pdf, self.minutes_pdf, self.fhir_person):
            action.setEnabled(person)
        self.menu.setEnabled(store)

    # -- asking ---------------------------------------------------------------------

    def _folder(self) -> Path:
        saved = self.window.settings.get(keys.EXPORT_FOLDER)
        return Path(saved) if saved and Path(saved).is_dir() else Path.home()

    def _ask_save(self, title: str, name: str, filters: str) -> str:
        path, chosen = QFileDialog.getSaveFileName(
            self.window, title, str(self._folder() / name), filters)
        return with_suffix(path, chosen, filters) if path else ""

    def _ask_open(self, title: str, filters: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, title, str(self._folder()),
                                              filters + ";;" + self.tr("All files (*)"))
        return path

    def _where(self, title: str, name: str, filters: str) -> str:
        """The file to write, or "" when none was chosen or the one chosen must never be
        replaced (the open store, its WAL or a backup, a device...: careplan.export.outfile);
        that is said in a message before any work starts."""
        path = self.ask_save(title, _safe(name), filters)
        if not path:
            return ""
        store = self.window.store
        reason = outfile.refusal(path, store.path if store is not None else None)
        if reason is not None:
            QMessageBox.warning(self.window, title, self.tr("Nothing was written: %s.") % reason)
            return ""
        self.window.settings.set(keys.EXPORT_FOLDER, str(Path(path).parent))
        return path

    # -- running --------------------------------------------------------------------

    def _printed_by(self) -> str:
        actor = self.window.actor
        return actor.name if actor is not None else getpass.getuser()

    def _store_path(self) -> str | None:
        store = self.window.store
        if store is None:
            return None
        if store.path == ":memory:":
            QMessageBox.warning(self.window, self.tr("Export"), self.tr(
                "This store lives in memory only; save it to a file to export from it."))
            return None
        return store.path

    def _store_key(self) -> bytes | None:
        store = self.window.store
        return None if store is None else store.key

    def run(self, title: str, label: str, fn: Callable[[Store, workers.Job], Any],
            done: Callable[[Any], None] | None = None, *,
            cancellable: bool = False) -> JobDialog | None:
        """Run ``fn(store, job)`` in a worker; by default open the file it returns."""
        path = self._store_path()
        if path is None:
            return None
        job = JobDialog(self.window, title, label, in_store(path, fn, self._store_key()),
                        done or self._opened, cancellable=cancellable, ended=self._forget)
        self.jobs.append(job)  # its end is delivered through the event loop, so later
        return job

    def _forget(self, job: JobDialog) -> None:
        if job in self.jobs:
            self.jobs.remove(job)

    def _opened(self, result: Any) -> None:
        path = Path(str(getattr(result, "path", result)))
        self.window.statusBar().showMessage(self.tr("Wrote %s") % path, 10000)
        self.open_url(QUrl.fromLocalFile(str(path)))

    def _read(self, kind: ReadKind,
              what: Callable[[Any], tuple[str, Sequence[str], int | None]]
              ) -> Callable[[Any], None]:
        """Once the file is written: record the read (``what(result)``: its description,
        whose records, how many persons), then open the file."""

        def done(result: Any) -> None:
            description, person_ids, persons = what(result)
            reads.record(self.window, kind, description, person_ids, persons)
            self._opened(result)

        return done

    # -- the exports ----------------------------------------------------------------------

    def _today(self) -> date:
        return self.window.today()

    def export_plan(self) -> None:
        ws = self.window.current_workspace()
        if ws is None:
            return
        person = ws.pf.person
        audience = self._for_whom(self.tr("Joint care plan"))
        if audience is None:
            return
        out = self._where(self.tr("Joint care plan"), f"{person.name} joint care plan.pdf", PDF)
        if not out:
            return
        from careplan.export.plan_pdf import plan_pdf

        who, today, pid, reader = (self._printed_by(), self._today(), person.id,
                                   self.window.viewer)
        self.run(self.tr("Joint care plan"),
                 self.tr("Printing %s's plan for %s…") % (person.name, audience.name),
                 lambda store, job: plan_pdf(store, pid, out, printed_by=who, today=today,
                                             audience=audience, reader=reader),
                 self._read(ReadKind.PRINTED, lambda _: (looked.PLAN_PDF, [pid], 1)))

    def export_audit(self) -> None:
        audience = self._for_whom(self.tr("Handoff audit"))
        if audience is None:
            return
        directory = self.window.directory_now()
        agencies = [(a.name, a.id) for a in directory.agencies.values()]
        from careplan.ui.export_dialogs import AuditDialog  # once asked for, not at start

        dialog = AuditDialog(self._today(), agencies, self.window)
        if not dialog.exec():
            return
        start, end = dialog.period()
        agency = dialog.agency_id()
        scope = directory.agency_name(agency) if agency else self.tr("all agencies")
        out = self._where(self.tr("Handoff audit"),
                          f"Handoff audit {scope} {start.isoformat()} to {end.isoformat()}.pdf",
                          PDF)
        if not out:
            return
        from careplan.export.audit_pdf import audit_pdf

        who, today, reader = self._printed_by(), self._today(), self.window.viewer
        described = looked.handoff_audit(start.isoformat(), end.isoformat(), scope)
        self.run(self.tr("Handoff audit"),
                 self.tr("Printing the handoff audit for %s…") % audience.name,
                 lambda store, job: audit_pdf(store, out, start=start, end=end, today=today,
                                              printed_by=who, audience=audience,
                                              reader=reader, agency_id=agency),
                 self._read(ReadKind.PRINTED, lambda _: (described, [], None)))

    def minutes_to_print(self, conference_id: str | None = None) -> str | None:
        """The case conference whose minutes to print: ``conference_id``, else the one
        chosen in the person's Case conferences tab; None (after saying why in a
        sentence) when there is none."""
        ws = self.window.current_workspace()
        title = self.tr("Case conference minutes")
        if ws is None:
            QMessageBox.information(self.window, title, self.tr(
                "Open a person first: minutes are printed from their Case conferences tab."))
            return None
        if not ws.pf.conferences:
            QMessageBox.information(self.window, title, self.tr(
                "%s has no case conference recorded yet, so there are no minutes to print. "
                "Hold one with View ▸ Case conference mode (F11).") % ws.pf.person.name)
            return None
        if not isinstance(conference_id, str):
            conference_id = ws.chosen_conference_id()
        if conference_id is None:
            QMessageBox.information(self.window, title, self.tr(
                "Choose a case conference in %s's Case conferences tab first.")
                % ws.pf.person.name)
            return None
        return conference_id

    def export_minutes(self, conference_id: str | None = None) -> None:
        ws = self.window.current_workspace()
        conference_id = self.minutes_to_print(conference_id)
        if ws is None or conference_id is None:
            return
        audience = self._for_whom(self.tr("Case conference minutes"))
        if audience is None:
            return
        held = next((c.held_at for c in ws.pf.conferences if c.id == conference_id), None)
        day = held.date().isoformat() if held else ""
        out = self._where(self.tr("Case conference minutes"),
                          f"{ws.pf.person.name} case conference {day}.pdf", PDF)
        if not out:
            return
        from careplan.export.minutes_pdf import minutes_pdf

        who, cid, pid, today, reader = (self._printed_by(), conference_id, ws.person_id,
                                        self._today(), self.window.viewer)
        self.run(self.tr("Case conference minutes"),
                 self.tr("Printing the minutes for %s…") % audience.name,
                 lambda store, job: minutes_pdf(store, cid, out, printed_by=who, today=today,
                                                audience=audience, reader=reader),
                 self._read(ReadKind.PRINTED, lambda _: (looked.MINUTES_PDF, [pid], 1)))

    def on_screen(self) -> tuple[q.CaseloadQuery | None, int]:
        """The caseload's query when its filters or search narrow who is shown (None when
        everyone is), and how many persons it shows."""
        panel = self.window.caseload
        model = self.window.model
        if panel is None or model is None:
            return None, 0
        from careplan.store import caseload as q  # once signed in, not at the start
        query = model.query
        narrowed = bool(query.search.strip() or query.professional_id or query.agency_id
                        or query.person_ids is not None)
        return (replace(query, sort=q.SortKey.NAME, descending=False) if narrowed else None,
                model.rowCount())

    def export_table(self, name: str) -> None:
        """Write the table for the persons the caseload shows (its filters and search
        applied), in a worker with progress and Cancel; nothing is written if cancelled."""
        query, shown = self.on_screen()
        title = self.tr("Export the %s table") % name
        if query is not None:
            title = self.tr("%s for the %s shown") % (title, self.tr("%Ln person(s)", "",
                                                                      shown))
        audience = self._for_whom(title)
        if audience is None:
            return
        out = self._where(title, f"{name}.xlsx", f"{XLSX};;{CSV}")
        if not out:
            return
        from careplan.export.tables import write_table

        today, reader = self._today(), self.window.viewer
        # Persons read, or rows written when the table streams (the caseload, and the
        # whole caseload's flags): careplan.export.tables.write_table.
        step = self.tr("Writing the %s table: %s of %s")

        from careplan.store import caseload as q

        def write(store: Store, job: workers.Job) -> Written:
            ids = None if query is None else q.person_ids(store, query, today)

            def progress(done: int, total: int) -> None:
                job.report(done, total, step % (name, f"{done:,}", f"{total:,}"))
                if done == total:  # every row read or written: the file is whole now
                    job.commit()

            rows = write_table(store, name, out, today, audience=audience,
                               reader_agency_id=reader.agency_id, person_ids=ids,
                               progress=progress)
            return Written(Path(out), rows, persons=None if ids is None else len(ids))

        def what(w: Written) -> tuple[str, Sequence[str], int | None]:
            persons = w.count if name == "caseload" else w.persons
            return looked.table(name, out, w.count), [], persons

        self.run(title, self.tr("Writing the %s table…") % name, write,
                 self._read(ReadKind.EXPORTED, what), cancellable=True)

    def export_funding(self) -> None:
        audience = self._for_whom(self.tr("Funding report"))
        if audience is None:
            return
        out = self._where(self.tr("Funding report"), "Funding report.pdf", f"{PDF};;{XLSX}")
        if not out:
            return
        from careplan.export.funding_xlsx import write_funding

        who, today, reader = self._printed_by(), self._today(), self.window.viewer

        def write(store: Store, job: workers.Job) -> Written:
            report = write_funding(store, out, today, printed_by=who, audience=audience,
                                   reader_agency_id=reader.agency_id)
            return Written(Path(out), len(report.lines), report.scope)

        kind = ReadKind.PRINTED if out.lower().endswith(".pdf") else ReadKind.EXPORTED
        self.run(self.tr("Funding report"), self.tr("Adding up the funding…"), write,
                 self._read(kind, lambda w: (looked.funding(out, w.scope, w.count), [], None)))

    def export_fhir(self, whole_store: bool) -> None:
        ws = self.window.current_workspace()
        if not whole_store and ws is None:
            return
        audience = self._for_whom(self.tr("FHIR R4 export"))
        if audience is None:
            return
        name = "careplan-store.json" if whole_store else f"{ws.pf.person.name}.fhir.json"
        out = self._where(self.tr("FHIR R4 export"), name, JSON)
        if not out:
            return
        from careplan.export.fhir_export import export_fhir

        ids = None if whole_store else [ws.person_id]
        label = self.tr("Exporting the whole store as FHIR R4…") if whole_store \
            else self.tr("Exporting %s as FHIR R4…") % ws.pf.person.name
        persons = self.tr("Validating and writing person %d of %d")
        today, reader = self._today(), self.window.viewer

        def write(store: Store, job: workers.Job) -> Any:
            return export_fhir(store, out, ids, progress=lambda done, total: job.report(
                done, total, persons % (done, total)), audience=audience, reader=reader,
                today=today)

        def what(result: Any) -> tuple[str, Sequence[str], int | None]:
            if ids is None:
                return looked.fhir_store(result.persons), [], result.persons
            return looked.FHIR_PERSON, ids, 1

        self.run(self.tr("FHIR R4 export"), label, write, self._read(ReadKind.EXPORTED, what),
                 cancellable=True)

    def import_fhir(self) -> None:
        source = self.ask_open(self.tr("Import FHIR R4"), JSON)
        if not source:
            return
        from careplan.export.fhir_import import import_fhir

        actor = self.window.actor.id if self.window.actor is not None else "import"
        phases = (self.tr("Reading and checking the resources"),
                  self.tr("Matching them to records"), self.tr("Writing the records"))

        def work(store: Store, job: workers.Job) -> Any:
            def progress(done: int, total: int) -> None:
                job.report(done, total, phases[min(3 * done // total, 2)])

            # Cancel stops it until the commit (job.commit): nothing is written.
            return import_fhir(store, source, actor, progress=progress,
                               committing=job.commit)

        self.run(self.tr("Import FHIR R4"), self.tr("Reading %s…") % Path(source).name,
                 work, self._imported, cancellable=True)

    def _imported(self, report: Any) -> None:
        lines = list(report.lines())
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Import FHIR R4"),
                          self.tr("Imported. Nothing that did not map was changed."),
                          QMessageBox.StandardButton.Ok, self.window)
        box.setInformativeText("\n".join(lines[:2]))
        box.setDetailedText("\n".join(lines))
        box.open()
        runner = self.window.edits.runner
        if runner is not None:  # the import wrote in its own worker: every view follows
            runner.broadcast(Changes.of_everything())


def _safe(name: str) -> str:
    """A file name without characters file systems refuse."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in name).strip()
