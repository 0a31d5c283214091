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
        return ", ".join(f"{n} {sev}" for sev, n in self.counts)

    def tooltip(self) -> str:
        return "\n".join(f"{code} ({sev}): {why}" for sev, code, why in self.lines)


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
            label = f"{n} {sev}"
            w = metrics.horizontalAdvance(label) + 12
            if x + w > rect.right():
                break
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour(sev))
            painter.drawRoundedRect(QRect(x, y, w, h), h / 2, h / 2)
            painter.setPen(QColor("white"))
            painter.drawText(QRect(x, y, w, h), Qt.AlignmentFlag.AlignCenter, label)
            x += w + 4
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        summary = index.data(self._role)
        if isinstance(summary, FlagSummary):
            metrics = QFontMetrics(option.font)
            width = sum(metrics.horizontalAdvance(f"{n} {s}") + 16 for s, n in summary.counts)
            base.setWidth(max(base.width(), width + 8))
        return base
