"""Column widths that follow a table's width: headings never clipped, the wide column kept.

A table with one Stretch column (the longest text) and columns of preferred widths: when the
table is wide enough every column has its preferred width and the stretch column the rest;
when it is not, the other columns give up width, each down to what its heading needs (its
title, the style's margins and the sort arrow), so that the stretch column keeps at least
its preferred share and never shrinks to nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHeaderView, QTableView


def heading_width(header: QHeaderView, column: int) -> int:
    """The width ``column``'s heading needs: title, margins and sort arrow."""
    return header.sectionSizeFromContents(column).width()


def shared_widths(room: int, preferred: list[int], floors: list[int], stretch: int,
                  stretch_share: float) -> list[int]:
    """The widths of the columns other than ``stretch`` (its own left to Qt's Stretch): the
    preferred ones when they leave the stretch column its preferred width, else shrunk in
    proportion toward their floors so that it keeps ``stretch_share`` of ``room`` (and at
    least its floor)."""
    keep = max(floors[stretch], min(preferred[stretch], int(room * stretch_share)))
    others = [c for c in range(len(preferred)) if c != stretch]
    widths = [max(preferred[c], floors[c]) for c in range(len(preferred))]
    budget = room - keep
    wanted = sum(widths[c] for c in others)
    if wanted <= budget:
        return widths
    floor_sum = sum(floors[c] for c in others)
    give = sum(widths[c] - floors[c] for c in others)
    scale = max(0.0, (budget - floor_sum) / give) if give else 0.0
    for c in others:
        widths[c] = floors[c] + int((widths[c] - floors[c]) * min(1.0, scale))
    return widths


class ColumnFitter(QObject):
    """Refits ``table``'s columns whenever its viewport changes width (see the module)."""

    def __init__(self, table: QTableView, preferred: list[int], stretch: int,
                 stretch_share: float = 0.22) -> None:
        super().__init__(table)
        self.table = table
        self.preferred = preferred
        self.stretch = stretch
        self.stretch_share = stretch_share
        self._width = -1
        table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.viewport().installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize and self.table.viewport().width() != self._width:
            self.fit()
        return False

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        self._width = room = self.table.viewport().width()
        floors = [heading_width(header, c) for c in range(len(self.preferred))]
        widths = shared_widths(room, self.preferred, floors, self.stretch, self.stretch_share)
        for column, width in enumerate(widths):
            if column != self.stretch:
                self.table.setColumnWidth(column, width)


#: The width, in average characters, a table's wide (Stretch) column keeps at the least.
USEFUL_CHARS = 20


class KeepStretchWide(QObject):
    """Keeps ``table``'s Stretch ``column`` at least :data:`USEFUL_CHARS` characters (and its
    heading) wide: when the other columns leave it less, it stops stretching and keeps
    that width, the table scrolling sideways; once there is room again, it stretches."""

    def __init__(self, table: QTableView, column: int) -> None:
        super().__init__(table)
        self.table = table
        self.column = column
        header = table.horizontalHeader()
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        table.viewport().installEventFilter(self)
        header.sectionResized.connect(self._resized)

    def floor(self) -> int:
        header = self.table.horizontalHeader()
        return max(heading_width(header, self.column),
                   USEFUL_CHARS * self.table.fontMetrics().averageCharWidth())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Resize:
            self.check()
        return False

    def _resized(self, column: int, _old: int, _new: int) -> None:
        if column != self.column:
            self.check()

    def check(self) -> None:
        header = self.table.horizontalHeader()
        if self.column >= header.count():
            return
        others = header.length() - header.sectionSize(self.column)
        room = self.table.viewport().width() - others
        floor = self.floor()
        stretching = header.sectionResizeMode(self.column) is QHeaderView.ResizeMode.Stretch
        if stretching and room < floor:
            header.setSectionResizeMode(self.column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(self.column, floor)
        elif not stretching and room >= floor:
            header.setSectionResizeMode(self.column, QHeaderView.ResizeMode.Stretch)
