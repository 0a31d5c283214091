"""What every printed page shares: A4 layout, styles, running header and footer,
"page x of y", and tables that split across pages with their header repeated.

Every text printed goes through ``clip``: at most ``MAX_TEXT`` characters of one text
are laid out, with a visible mark for the rest. Laying out a megabyte of text (a name
from an old store, written before careplan.models.limits) took reportlab minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from careplan.export import outfile
from careplan.export.audience import CONFIDENTIAL
from careplan.models import limits

PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
TOP_MARGIN = 17 * mm
BOTTOM_MARGIN = 20 * mm
#: The height a table row can use on a page: the frame less its 6 pt padding each side.
FRAME_H = PAGE_H - TOP_MARGIN - BOTTOM_MARGIN - 12
#: The most characters of one text a page shows: the most any field may hold plus room
#: for what a print adds around it (a number, quotes, a date and a team's name), so every
#: field the domain accepts prints whole. Longer text is cut with a mark: text an older
#: store holds, or a flag's message quoting several long reasons at once.
MAX_TEXT = limits.LONGEST + 2_000
#: The most characters of the subject in the running header (one line on every page).
HEADER_TEXT = 90
INK = colors.HexColor("#1d2733")
NHS_BLUE = colors.HexColor("#005eb8")
MUTED = colors.HexColor("#5c6670")
RULE = colors.HexColor("#c8ced4")
ZEBRA = colors.HexColor("#f2f5f8")
HEAD_BG = colors.HexColor("#e3ecf6")
WARN = colors.HexColor("#b3261e")



def styles() -> StyleSheet1:
    base = getSampleStyleSheet()
    sheet = StyleSheet1()
    body = ParagraphStyle("body", parent=base["Normal"], fontName="Helvetica", fontSize=9,
                          leading=11.5, textColor=INK)
    sheet.add(body)
    sheet.add(ParagraphStyle("small", parent=body, fontSize=8, leading=10))
    sheet.add(ParagraphStyle("cell", parent=body, fontSize=8, leading=9.8, alignment=TA_LEFT))
    sheet.add(ParagraphStyle("cellwarn", parent=body, fontSize=8, leading=9.8,
                             textColor=WARN))
    sheet.add(ParagraphStyle("head", parent=body, fontName="Helvetica-Bold", fontSize=8,
                             leading=9.8))
    sheet.add(ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=17,
                             leading=21, textColor=NHS_BLUE, spaceAfter=2))
    sheet.add(ParagraphStyle("subtitle", parent=body, fontSize=10, leading=13,
                             textColor=MUTED, spaceAfter=8))
    sheet.add(ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=12,
                             leading=15, textColor=NHS_BLUE, spaceBefore=10, spaceAfter=4))
    sheet.add(ParagraphStyle("h3", parent=body, fontName="Helvetica-Bold", fontSize=10,
                             leading=13, spaceBefore=6, spaceAfter=3))
    sheet.add(ParagraphStyle("quote", parent=body, fontName="Helvetica-Oblique", fontSize=9.5,
                             leading=12.5, leftIndent=8, textColor=INK))
    sheet.add(ParagraphStyle("warn", parent=body, textColor=WARN, fontName="Helvetica-Bold"))
    return sheet


S = styles()


def clip(text: str, most: int = MAX_TEXT) -> str:
    """``text``, or its first ``most`` characters and a mark saying how many more."""
    if len(text) <= most:
        return text
    return f"{text[:most]}… [truncated: {len(text) - most:,} more characters]"


def short(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters with an ellipsis (for one-line places)."""
    return text if len(text) <= most else text[:most - 1] + "…"


def p(text: Any, style: str = "cell") -> Paragraph:
    """A paragraph of plain text (escaped, clipped), so cells wrap and text stays
    selectable."""
    return Paragraph(escape(clip(str(text))) if text not in (None, "") else "", S[style])


def rich(markup: str, style: str = "body") -> Paragraph:
    """A paragraph of reportlab mini-markup the caller has already escaped."""
    return Paragraph(markup, S[style])


def e(text: Any) -> str:
    """Text escaped (and clipped) for ``rich`` markup."""
    return escape(clip(str(text)))


class _Table(Table):
    """A table whose rows move whole to the next page, except a row taller than a whole
    page (pages of text in one cell), which is split inside it: reportlab would
    otherwise give up on the whole document (LayoutError)."""

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self.splitInRow = 0  # parts split off a giant row come back here as tables too
        parts: list[Flowable] = super().split(availWidth, availHeight)
        if parts:
            return parts
        heights: list[float] = getattr(self, "_rowHeights", None) or []
        head = sum(heights[:self.repeatRows])
        first = heights[self.repeatRows] if len(heights) > self.repeatRows else 0.0
        if head + first <= FRAME_H:
            return []  # it fits on the next page: move it there, as usual
        self.splitInRow = 1
        return list(super().split(availWidth, availHeight))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
          *, highlight: Sequence[int] = ()) -> Table:
    """A zebra table whose header row repeats on every page it spans.

    Cells that are not flowables become wrapped paragraphs. ``highlight`` lists row
    indexes (0-based, data rows) to print in the warning colour.
    """
    data: list[list[Any]] = [[p(h, "head") for h in header]]
    marked = set(highlight)
    for i, row in enumerate(rows):
        style_name = "cellwarn" if i in marked else "cell"
        data.append([c if isinstance(c, Flowable) else p(c, style_name) for c in row])
    t = _Table(data, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, NHS_BLUE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i in range(1, len(data)):
        if i % 2 == 0:
            style.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
    t.setStyle(TableStyle(style))
    return t


def facts(pairs: Sequence[tuple[str, Any]], widths: tuple[float, float] = (38 * mm, 140 * mm)
          ) -> Table:
    """A two-column label/value block."""
    rows = [[p(k, "head"), v if isinstance(v, Flowable) else p(v, "body")] for k, v in pairs]
    t = _Table(rows, colWidths=list(widths), hAlign="LEFT")
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return t


def section(title: str, *body: Flowable) -> list[Flowable]:
    """A heading kept with the start of what follows it."""
    if not body:
        return [p(title, "h2")]
    return [KeepTogether([p(title, "h2"), body[0]]), *body[1:]]


@dataclass(frozen=True)
class Running:
    """The header and footer printed on every page."""

    title: str
    subject: str  # e.g. "Aisha Khan · NHS 943 476 5919 · plan version 3"
    printed_by: str
    printed_at: datetime
    #: Whom it is for (an agency: careplan.export.audience); empty for no one named.
    audience: str = ""


def _numbered_canvas(running: Running) -> type[Canvas]:
    class NumberedCanvas(Canvas):
        """Holds pages until the end so each can say "page x of y"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._saved.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            r = running
            self.saveState()
            top = PAGE_H - 10 * mm
            self.setFillColor(NHS_BLUE)
            self.setFont("Helvetica-Bold", 8.5)
            self.drawString(MARGIN, top, r.title)
            self.setFillColor(INK)
            self.setFont("Helvetica", 8.5)
            room = PAGE_W - 2 * MARGIN - stringWidth(r.title, "Helvetica-Bold", 8.5) - 6 * mm
            self.drawRightString(PAGE_W - MARGIN, top, fit(r.subject, "Helvetica", 8.5, room))
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, top - 2.5 * mm, PAGE_W - MARGIN, top - 2.5 * mm)
            bottom = 9 * mm
            self.line(MARGIN, bottom + 7 * mm, PAGE_W - MARGIN, bottom + 7 * mm)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(MUTED)
            stamp = r.printed_at.strftime("%d %b %Y %H:%M")
            room = (PAGE_W - 2 * MARGIN) * 0.7
            by = fit(r.printed_by, "Helvetica", 7.5, room / 2)
            line = f"Printed by {by}"
            if r.audience:
                line += f" for {fit(r.audience, 'Helvetica', 7.5, room / 2)}"
            self.drawString(MARGIN, bottom + 3.5 * mm, f"{line} on {stamp}")
            self.drawRightString(PAGE_W - MARGIN, bottom + 3.5 * mm,
                                 f"Page {self.getPageNumber()} of {total}")
            self.setFont("Helvetica-Bold", 6.8)
            self.setFillColor(WARN)
            self.drawCentredString(PAGE_W / 2, bottom, CONFIDENTIAL)
            self.restoreState()

    return NumberedCanvas


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points on one line."""
    text = short(text, HEADER_TEXT)
    while len(text) > 1 and stringWidth(text, font, size) > width:
        text = text[:-2] + "…"
    return text


def build(path: str | Path, story: list[Flowable], running: Running) -> Path:
    """Lay out ``story`` into an A4 PDF at ``path`` (written whole or not at all)."""
    out = Path(path)
    with outfile.replacing(out) as tmp:
        doc = SimpleDocTemplate(
            str(tmp), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
            topMargin=TOP_MARGIN, bottomMargin=BOTTOM_MARGIN,
            title=short(f"{running.title}: {running.subject}", 200),
            author=short(running.printed_by, 200), subject=running.title, creator="CarePlan",
        )
        doc.build(story, canvasmaker=_numbered_canvas(running))
    return out


def spacer(h: float = 4) -> Spacer:
    return Spacer(1, h * mm)


CONTENT_W = PAGE_W - 2 * MARGIN
