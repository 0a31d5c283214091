"""Flags as the client shows them: badges by severity, each with its "why".

The flags engine (careplan.models.flags) finds the flags; this module only groups a
person's flags for display and paints the badges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from careplan.models.flags import flag_label
from careplan.ui import plurals

#: Severities from most to least urgent, with badge colours (readable with white text).
SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#b3261e",
    "warning": "#a15c00",
    "info": "#3f5f8a",
}
_WEIGHTS = {name: 1000 ** (len(SEVERITY_COLOURS) - i)
            for i, name in enumerate(SEVERITY_COLOURS)}


@dataclass(frozen=True, slots=True)
class FlagSummary:
    """One person's flags: how many of each severity, and each one's why."""

    counts: tuple[tuple[str, int], ...]
    lines: tuple[tuple[str, str, str], ...]  # (severity, code, why)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def weight(self) -> int:
        """Sort weight: one critical outranks many warnings, and so on."""
        return sum(_WEIGHTS.get(sev, 1) * n for sev, n in self.counts)

    def codes(self) -> set[str]:
        return {code for _, code, _ in self.lines}

    def text(self) -> str:
        return ", ".join(badge_text(sev, n) for sev, n in self.counts)

    def tooltip(self) -> str:
        return "\n".join(f"{label(code)} ({sev}): {why}" for sev, code, why in self.lines)


#: How many flags of a severity, as a badge says it (plural forms through Qt's tr).
_BADGES = {"critical": "%n critical", "warning": "%n warning(s)", "info": "%n info"}


def badge_text(severity: str, n: int) -> str:
    """"1 warning", "2 warnings", "3 critical"."""
    source = _BADGES.get(severity)
    if source is None:
        return f"{n} {severity}"
    return plurals.count("FlagSummary", source, n)


def label(code: str) -> str:
    """A flag code in words ("Turning 18" for ``transition-18``)."""
    if code == NOT_CHECKED:
        return "Flags not checked"
    return flag_label(code)


def severity_of(flag: Any) -> str:
    sev = getattr(flag, "severity", "info")
    return str(getattr(sev, "value", sev)).lower()


def why_of(flag: Any) -> str:
    """The flag's human sentence naming its rule and threshold."""
    return str(getattr(flag, "message", None) or getattr(flag, "why", ""))


def summarise(flags: Iterable[Any]) -> FlagSummary:
    """Group one person's flags by severity, most urgent first."""
    items = sorted(
        ((severity_of(f), str(getattr(f.code, "value", f.code)), why_of(f)) for f in flags),
        key=lambda t: (list(SEVERITY_COLOURS).index(t[0])
                       if t[0] in SEVERITY_COLOURS else 99, t[1]),
    )
    counts: dict[str, int] = {}
    for sev, _, _ in items:
        counts[sev] = counts.get(sev, 0) + 1
    return FlagSummary(tuple(counts.items()), tuple(items))


#: The code shown in place of a person's flags when the check failed.
NOT_CHECKED = "flags not checked"


def not_checked(reason: str) -> FlagSummary:
    """A person's flags when the check failed: a badge saying so, never "No flags"."""
    why = (f"The flags could not be checked ({reason}). This is an error in CarePlan, "
           "logged for support; until it is fixed, no flag is shown for anyone.")
    return FlagSummary((), (("warning", NOT_CHECKED, why),))


def summarise_by_person(flags: Iterable[Any]) -> dict[str, FlagSummary]:
    by_person: dict[str, list[Any]] = {}
    for flag in flags:
        by_person.setdefault(str(flag.person_id), []).append(flag)
    return {pid: summarise(fs) for pid, fs in by_person.items()}


def colour(severity: str) -> QColor:
    return QColor(SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["info"]))


class FlagBadgeDelegate(QStyledItemDelegate):
    """Paints a FlagSummary as rounded badges ("2 critical", "1 warning")."""

    def __init__(self, role: int, parent: Any = None) -> None:
        super().__init__(parent)
        self._role = role

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        summary = index.data(self._role)
        if not isinstance(summary, FlagSummary) or not summary.total:
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget else None
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(option.font)
        rect: QRect = option.rect
        x = rect.x() + 4
        h = min(rect.height() - 6, metrics.height() + 4)
        y = rect.y() + (rect.height() - h) // 2
        for sev, n in summary.counts:
            words = badge_text(sev, n)
            w = metrics.horizontalAdvance(words) + 12
            if x + w > rect.right():
                break
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour(sev))
            painter.drawRoundedRect(QRect(x, y, w, h), h / 2, h / 2)
            painter.setPen(QColor("white"))
            painter.drawText(QRect(x, y, w, h), Qt.AlignmentFlag.AlignCenter, words)
            x += w + 4
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        summary = index.data(self._role)
        if isinstance(summary, FlagSummary):
            metrics = QFontMetrics(option.font)
            width = sum(metrics.horizontalAdvance(badge_text(s, n)) + 16
                        for s, n in summary.counts)
            base.setWidth(max(base.width(), width + 8))
        return base
