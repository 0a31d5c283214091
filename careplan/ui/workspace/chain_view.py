"""A referral's bounce chain drawn as lanes: which team held it when, and for how long."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from careplan.models.referral_chain import PANEL, BounceChain
from careplan.ui import text

_LANE_COLOURS = ["#3f5f8a", "#7a4f9a", "#2f7d5b", "#a15c00", "#5f6368"]
_OUTCOME_COLOURS = {"declined": "#b3261e", "redirected": "#a15c00", "escalated": "#7a4f9a",
                    "accepted": "#2f7d5b", "decided": "#2f7d5b"}


class BounceChainView(QWidget):
    """Paints a :class:`BounceChain`; ``team_name`` turns a team id into its name."""

    def __init__(self, team_name: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.team_name = team_name
        self.chain: BounceChain | None = None
        self.today = date.today()
        self.setAccessibleName(self.tr("Referral bounce chain"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(120)

    def set_chain(self, chain: BounceChain | None, today: date) -> None:
        self.chain, self.today = chain, today
        self.setAccessibleDescription(self.describe())
        self.updateGeometry()
        self.update()

    def _lanes(self) -> list[str]:
        if self.chain is None:
            return []
        lanes = list(self.chain.teams)
        if any(h.holder == PANEL for h in self.chain.holdings):
            lanes.append(PANEL)
        return lanes

    def _name(self, holder: str) -> str:
        return self.tr("Panel") if holder == PANEL else self.team_name(holder)

    def describe(self) -> str:
        """The chain in words (for screen readers and the tooltip)."""
        if self.chain is None or not self.chain.holdings:
            return self.tr("No referral chosen.")
        steps = [
            self.tr("%s held it %s from %s%s") % (
                self._name(h.holder), text.days_text(h.days(self.today)), text.fmt_date(h.start),
                f", {h.outcome}" if h.outcome else self.tr(", still holding"))
            for h in self.chain.holdings
        ]
        return "; ".join(steps) + "."

    def sizeHint(self) -> QSize:
        line = QFontMetrics(self.font()).height()
        return QSize(600, 2 * line + 16 + len(self._lanes()) * (2 * line + 10))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        chain = self.chain
        fm = QFontMetrics(self.font())
        line = fm.height()
        if chain is None or not chain.holdings:
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.describe())
            return
        lanes = self._lanes()
        label_w = min(max(fm.horizontalAdvance(self._name(t)) for t in lanes) + 16,
                      self.width() // 3)
        start = chain.holdings[0].start
        end = max(chain.resolved_on or self.today, self.today)
        span = max(1, (end - start).days)
        left, right = label_w, self.width() - 12
        lane_h = 2 * line + 10

        def x_of(day: date) -> float:
            return left + (right - left) * (day - start).days / span

        text_colour = pal.color(QPalette.ColorRole.Text)
        painter.setPen(text_colour)
        painter.drawText(QRectF(8, 4, self.width() - 16, line), Qt.AlignmentFlag.AlignLeft,
                         text.fmt_date(start))
        painter.drawText(QRectF(8, 4, self.width() - 16, line), Qt.AlignmentFlag.AlignRight,
                         text.fmt_date(end))
        top = line + 10
        for i, lane in enumerate(lanes):
            y = top + i * lane_h
            painter.setPen(text_colour)
            painter.drawText(QRectF(8, y, label_w - 12, lane_h),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                             fm.elidedText(self._name(lane), Qt.TextElideMode.ElideRight,
                                           label_w - 12))
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DotLine))
            painter.drawLine(int(left), int(y + lane_h - 2), int(right), int(y + lane_h - 2))
        lane_of = {lane: n for n, lane in enumerate(lanes)}
        for h in chain.holdings:
            n = lane_of[h.holder]
            y = top + n * lane_h + 4
            x0, x1 = x_of(h.start), max(x_of(h.end or self.today), x_of(h.start) + 6)
            bar = QRectF(x0, y, x1 - x0, line + 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(_LANE_COLOURS[n % len(_LANE_COLOURS)]))
            painter.drawRoundedRect(bar, 4, 4)
            days = text.days_text(h.days(self.today))
            label = f"{days}, {h.outcome}" if h.outcome else self.tr("%s, holding") % days
            painter.setPen(QColor("white"))
            if fm.horizontalAdvance(label) + 8 < bar.width():
                painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, label)
            else:
                painter.setPen(QColor(_OUTCOME_COLOURS.get(h.outcome, "#333333")))
                painter.drawText(QRectF(x0, y + line + 4, right - x0, line),
                                 Qt.AlignmentFlag.AlignLeft, label)
            if h.outcome in _OUTCOME_COLOURS and h.end is not None:
                painter.setPen(QPen(QColor(_OUTCOME_COLOURS[h.outcome]), 3))
                painter.drawLine(int(x1), int(y - 2), int(x1), int(y + line + 6))
        painter.end()
