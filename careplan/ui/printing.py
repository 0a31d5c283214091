"""File ▸ Print (Ctrl+P): the joint plan, the handoff audit, case conference minutes and
the funding report, through a print preview and the platform's print dialog.

What is printed is the very PDF File ▸ Export writes (careplan.export, reportlab), made
in a worker as exports are, into a private temporary folder. Qt's PDF module (QtPdf,
from PySide6-Addons) renders its pages into the printer: the preview shows them, and its
Print button opens the platform's print dialog. The temporary PDF is deleted when the
preview closes.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRect, QSize, QSizeF, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from careplan.models.reads import ReadKind
from careplan.store import Store
from careplan.store import reads as looked
from careplan.ui import reads, workers

if TYPE_CHECKING:
    from careplan.ui.mainwindow import MainWindow

log = logging.getLogger(__name__)

#: Dots per inch of the page images: a printer gets up to PRINT_DPI, the preview
#: PREVIEW_DPI (it keeps every page in memory; a 30-page audit stays near 100 MB).
PRINT_DPI = 300
PREVIEW_DPI = 110

PLAN, MINUTES, AUDIT, FUNDING = "plan", "minutes", "audit", "funding"


class PdfPages:
    """A PDF file's pages, rendered for a printer (or a print preview)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.document = QPdfDocument()
        error = self.document.load(str(self.path))
        if error != QPdfDocument.Error.None_:
            raise OSError(f"{self.path.name} could not be read as a PDF ({error.name})")

    @property
    def count(self) -> int:
        return int(self.document.pageCount())

    def page_size(self, page: int = 0) -> QSizeF:
        """The page's size in points."""
        return self.document.pagePointSize(page)

    def set_up(self, printer: QPrinter) -> None:
        """The printer's paper: the PDF's own page size and orientation, printed to the
        edges of the paper (the PDF has its own margins)."""
        size = self.page_size(0)
        landscape = size.width() > size.height()
        portrait = QSizeF(min(size.width(), size.height()), max(size.width(), size.height()))
        page = QPageSize(portrait, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
        printer.setPageSize(page)
        printer.setPageOrientation(QPageLayout.Orientation.Landscape if landscape
                                   else QPageLayout.Orientation.Portrait)
        printer.setFullPage(True)
        printer.setDocName(self.path.stem)

    def image(self, page: int, dpi: int, *, opaque: bool = False) -> QImage:
        """The page at ``dpi``; ``opaque``: on white paper, 3 bytes a pixel (QtPdf renders
        onto a transparent background, which would turn black without an alpha channel)."""
        size = self.page_size(page)
        image = self.document.render(page, QSize(max(1, round(size.width() / 72 * dpi)),
                                                 max(1, round(size.height() / 72 * dpi))))
        if not opaque:
            return image
        paper = QImage(image.size(), QImage.Format.Format_RGB888)
        paper.fill(Qt.GlobalColor.white)
        painter = QPainter(paper)
        painter.drawImage(0, 0, image)
        painter.end()
        return paper

    def paint(self, printer: QPrinter) -> int:
        """Paint every page into ``printer`` (a page each); return the pages painted."""
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError("the printer could not be started")
        try:
            preview = painter.paintEngine().type() == painter.paintEngine().Type.Picture
            dpi = PREVIEW_DPI if preview else min(PRINT_DPI, max(72, printer.resolution()))
            for page in range(self.count):
                if page:
                    printer.newPage()
                # Opaque in the preview: 3 bytes a pixel, not 4 (it keeps every page).
                image = self.image(page, dpi, opaque=preview)
                painter.drawImage(_fit(image.size(), painter.viewport()), image)
        finally:
            painter.end()
        return self.count


def _fit(size: QSize, area: QRect) -> QRect:
    """``size`` scaled to fit ``area`` (keeping its shape), centred in it."""
    scaled = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(area.x() + (area.width() - scaled.width()) // 2,
                 area.y() + (area.height() - scaled.height()) // 2,
                 scaled.width(), scaled.height())


class PrintPreview(QPrintPreviewDialog):
    """The print preview of one PDF; its Print button opens the platform's print dialog.
    The PDF (a temporary file) is deleted when the preview closes."""

    def __init__(self, pages: PdfPages, title: str, parent: QWidget | None = None,
                 printer: QPrinter | None = None,
                 cleanup: Callable[[], None] | None = None) -> None:
        #: The printer this preview prints to (kept alive as long as the preview).
        self.target = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
        pages.set_up(self.target)
        super().__init__(self.target, parent)
        self.pages = pages
        self.printed = 0
        self._cleanup = cleanup
        self.setWindowTitle(self.tr("Print preview — %s") % title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.paintRequested.connect(self._paint)
        self.finished.connect(self._closed)
        self.resize(900, 980)

    def widget(self) -> QPrintPreviewWidget:
        found = self.findChild(QPrintPreviewWidget)
        assert found is not None
        return found

    def _paint(self, printer: QPrinter) -> None:
        try:
            self.printed = self.pages.paint(printer)
        except OSError as exc:
            QMessageBox.warning(self, self.windowTitle(), self.tr(
                "Nothing was printed: %s.") % exc)

    def _closed(self, _result: int) -> None:
        cleanup, self._cleanup = self._cleanup, None
        self.pages.document.close()
        if cleanup is not None:
            cleanup()


@dataclass(frozen=True)
class Choice:
    """One document the print chooser offers."""

    key: str
    words: str
    enabled: bool
    why_not: str = ""


class PrintChooser(QDialog):
    """What to print: one of the documents, those that need a person only with one."""

    def __init__(self, choices: list[Choice], chosen: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Print"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("What to print (a preview comes first):")))
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for n, choice in enumerate(choices):
            button = QRadioButton(choice.words)
            button.setEnabled(choice.enabled)
            if choice.why_not:
                button.setToolTip(choice.why_not)
            self.group.addButton(button, n)
            self.buttons[choice.key] = button
            layout.addWidget(button)
        usable = [c.key for c in choices if c.enabled]
        start = chosen if chosen in usable else (usable[0] if usable else "")
        if start:
            self.buttons[start].setChecked(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
        box.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Preview…"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        layout.addWidget(box)

    def chosen(self) -> str:
        for key, button in self.buttons.items():
            if button.isChecked():
                return key
        return ""


class PrintActions(QObject):
    """File ▸ Print for one main window: the chooser, the PDF made in a worker, the
    preview. ``printer_for`` makes the printer (tests give one that writes a file);
    ``choose`` stands in for the chooser dialog in tests."""

    def __init__(self, window: MainWindow, action: QAction | None = None) -> None:
        """``action``: the window's File ▸ Print action (it calls :meth:`print_document`),
        else one of this object's own."""
        super().__init__(window)
        self.window = window
        if action is None:
            action = QAction(self.tr("&Print…"), window)
            action.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
            action.triggered.connect(lambda _=False: self.print_document())
        self.action = action
        self.printer_for: Callable[[], QPrinter | None] = lambda: None
        self.choose: Callable[[list[Choice], str], str] = self._ask
        #: The preview on screen (at most one at a time).
        self.preview: PrintPreview | None = None
        self._folders: list[Path] = []
        self.update_enabled()

    def update_enabled(self) -> None:
        self.action.setEnabled(self.window.store is not None
                               and self.window.account is not None)

    # -- choosing ---------------------------------------------------------------------------

    def choices(self) -> tuple[list[Choice], str]:
        """The documents on offer, and the one to start with: the minutes when the open
        person's Case conferences tab is in front, else their plan, else the audit."""
        tr = self.tr
        ws = self.window.current_workspace()
        person = ws.pf.person.name if ws is not None else ""
        no_person = tr("Open a person first")
        has_conference = ws is not None and bool(ws.pf.conferences)
        out = [
            Choice(PLAN, tr("%s's joint care plan") % person if ws else
                   tr("A person's joint care plan"), ws is not None, "" if ws else no_person),
            Choice(MINUTES, tr("Minutes of %s's case conference") % person if ws else
                   tr("Case conference minutes"), has_conference,
                   "" if has_conference else (no_person if ws is None else
                                              tr("%s has no case conference recorded yet")
                                              % person)),
            Choice(AUDIT, tr("Handoff audit (a period and agency next)"), True),
            Choice(FUNDING, tr("Funding report"), True),
        ]
        start = AUDIT
        if ws is not None:
            start = MINUTES if (has_conference
                                and ws.tabs.currentWidget() is ws.conferences_tab) else PLAN
        return out, start

    def _ask(self, choices: list[Choice], start: str) -> str:
        dialog = PrintChooser(choices, start, self.window)
        return dialog.chosen() if dialog.exec() else ""

    def print_document(self, which: str | None = None) -> None:
        """Ctrl+P: choose a document (unless ``which`` names one), make its PDF in a
        worker, then show the preview."""
        if self.window.store is None or self.window.account is None:
            return
        if which is None:
            choices, start = self.choices()
            which = self.choose(choices, start)
        if which == PLAN:
            self.print_plan()
        elif which == MINUTES:
            self.print_minutes()
        elif which == AUDIT:
            self.print_audit()
        elif which == FUNDING:
            self.print_funding()

    # -- the documents ------------------------------------------------------------------------

    def _folder(self) -> Path:
        folder = Path(tempfile.mkdtemp(prefix="careplan-print-"))  # private (0700)
        self._folders.append(folder)
        return folder

    def _make(self, title: str, label: str, name: str,
              write: Callable[[Store, Path], Any],
              what: Callable[[Any], tuple[str, Sequence[str], int | None]]) -> None:
        """Write the PDF in a worker (as File ▸ Export does), record it as printed by
        whoever is signed in (``what(written)``: its description, whose records, how many
        persons; careplan.ui.reads), then preview it."""
        folder = self._folder()
        out = folder / name

        def task(store: Store, job: workers.Job) -> tuple[Path, Any]:
            return out, write(store, out)

        def done(result: Any) -> None:
            path, written = result
            reads.record(self.window, ReadKind.PRINTED, *what(written))
            self.show_preview(path, title)

        job = self.window.exports.run(title, label, task, done=done)
        if job is None:
            self._forget(folder)

    def print_plan(self) -> None:
        ws = self.window.current_workspace()
        if ws is None:
            return
        from careplan.export.plan_pdf import plan_pdf

        exports = self.window.exports
        audience = exports._for_whom(self.tr("Joint care plan"))
        if audience is None:
            return
        reader = self.window.viewer
        who, today, pid, name = exports._printed_by(), exports._today(), ws.person_id, \
            ws.pf.person.name
        self._make(self.tr("Joint care plan"), self.tr("Preparing %s's plan…") % name,
                   "joint care plan.pdf",
                   lambda store, out: plan_pdf(store, pid, out, printed_by=who, today=today,
                                               audience=audience, reader=reader),
                   lambda _: (looked.PLAN_PDF, [pid], 1))

    def print_minutes(self) -> None:
        exports = self.window.exports
        ws = self.window.current_workspace()
        conference_id = exports.minutes_to_print()
        if ws is None or conference_id is None:
            return
        from careplan.export.minutes_pdf import minutes_pdf

        audience = exports._for_whom(self.tr("Case conference minutes"))
        if audience is None:
            return
        who, pid, today, reader = (exports._printed_by(), ws.person_id, exports._today(),
                                   self.window.viewer)
        self._make(self.tr("Case conference minutes"), self.tr("Preparing the minutes…"),
                   "minutes.pdf",
                   lambda store, out: minutes_pdf(store, conference_id, out, printed_by=who,
                                                  today=today, audience=audience,
                                                  reader=reader),
                   lambda _: (looked.MINUTES_PDF, [pid], 1))

    def print_audit(self) -> None:
        from careplan.ui.export_dialogs import AuditDialog

        exports = self.window.exports
        directory = self.window.directory_now()
        agencies = [(a.name, a.id) for a in directory.agencies.values()]
        dialog = AuditDialog(exports._today(), agencies, self.window)
        if not dialog.exec():
            return
        start, end = dialog.period()
        agency = dialog.agency_id()
        scope = directory.agency_name(agency) if agency else self.tr("all agencies")
        described = looked.handoff_audit(start.isoformat(), end.isoformat(), scope)
        from careplan.export.audit_pdf import audit_pdf

        audience = exports._for_whom(self.tr("Handoff audit"))
        if audience is None:
            return
        who, today, reader = exports._printed_by(), exports._today(), self.window.viewer
        self._make(self.tr("Handoff audit"), self.tr("Preparing the handoff audit…"),
                   "handoff audit.pdf",
                   lambda store, out: audit_pdf(store, out, start=start, end=end, today=today,
                                                printed_by=who, audience=audience,
                                                reader=reader, agency_id=agency),
                   lambda _: (described, [], None))

    def print_funding(self) -> None:
        from careplan.export.funding_xlsx import write_funding

        exports = self.window.exports
        audience = exports._for_whom(self.tr("Funding report"))
        if audience is None:
            return
        who, today, reader = exports._printed_by(), exports._today(), self.window.viewer
        self._make(self.tr("Funding report"), self.tr("Adding up the funding…"),
                   "funding report.pdf",
                   lambda store, out: write_funding(store, out, today, printed_by=who,
                                                    audience=audience,
                                                    reader_agency_id=reader.agency_id),
                   lambda report: (looked.funding("funding report.pdf", report.scope,
                                                  len(report.lines)), [], None))

    # -- the preview ----------------------------------------------------------------------------

    def show_preview(self, path: Any, title: str) -> PrintPreview | None:
        """Open the preview of the PDF at ``path`` (not modal: the app stays usable)."""
        pdf = Path(str(getattr(path, "path", path)))
        try:
            pages = PdfPages(pdf)
        except OSError as exc:
            QMessageBox.warning(self.window, title, self.tr("Nothing to print: %s.") % exc)
            self._forget(pdf.parent)
            return None
        if self.preview is not None:
            self.preview.close()
        shown: list[PrintPreview] = []

        def closed() -> None:
            self._forget(pdf.parent)
            if shown and self.preview is shown[0]:
                self.preview = None

        preview = PrintPreview(pages, title, self.window, self.printer_for(), cleanup=closed)
        shown.append(preview)
        self.preview = preview
        preview.open()
        return preview

    def _forget(self, folder: Path) -> None:
        if folder in self._folders:
            self._folders.remove(folder)
        shutil.rmtree(folder, ignore_errors=True)

    def close_all(self) -> None:
        """Close the preview and delete every temporary PDF (the window is closing)."""
        if self.preview is not None:
            self.preview.close()
            self.preview = None
        for folder in list(self._folders):
            self._forget(folder)
