"""A table's wide column kept useful: it stretches while there is room and, when the other
columns leave it less than a useful width, keeps that width and the table scrolls
sideways instead of squeezing it to nothing. (The caseload fits its own columns:
careplan/ui/caseload_view.py.)
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHeaderView, QTableView


def heading_width(header: QHeaderView, column: int) -> int:
    """The width ``column``'s heading needs: title, margins and sort arrow."""
    return header.sectionSizeFromContents(column).width()


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
