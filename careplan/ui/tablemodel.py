"""A small table model over a list of domain records, with optional inline editing.

Edits never change a record in place: ``setData`` builds the changed record (domain
validation runs in its constructor) and hands old and new to ``on_edit``, which submits
the write; the row shows the new record until the stored one arrives with the edit's
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
RECORD_ROLE = Qt.ItemDataRole.UserRole + 10
#: For editable choice columns: list of (label, value) the editor offers.
CHOICES_ROLE = Qt.ItemDataRole.UserRole + 11
#: The raw value an editor starts from.
EDIT_VALUE_ROLE = Qt.ItemDataRole.UserRole + 12

ALERT = QColor("#b3261e")
_ROLES = frozenset({
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.EditRole,
    Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole,
    RECORD_ROLE, CHOICES_ROLE, EDIT_VALUE_ROLE,
})


@dataclass(frozen=True)
class Column(Generic[T]):
    """How one column shows (and, with ``edit``, changes) a record."""

    header: str
    text: Callable[[T], str]
    edit: Callable[[T, Any], T] | None = None
    raw: Callable[[T], Any] | None = None
    choices: Callable[[T], Sequence[tuple[str, Any]]] | None = None
    tooltip: Callable[[T], str] | None = None
    alert: Callable[[T], bool] | None = None
    #: Why this record's cell may not be changed by whoever is acting ("" when it may):
    #: the cell is then not editable and its tooltip says why.
    locked: Callable[[T], str] | None = None


class RecordTableModel(QAbstractTableModel, Generic[T]):
    """Rows are records; columns are :class:`Column` specs."""

    def __init__(self, columns: Sequence[Column[T]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.records: list[T] = []
        #: Takes an edit (old, new, column header); False if it was refused at once.
        self.on_edit: Callable[[T, T, str], bool] | None = None
        self.on_error: Callable[[str], None] | None = None

    def set_records(self, records: Sequence[T]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def record(self, row: int) -> T:
        return self.records[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.columns)):
            return self.columns[section].header
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and self.columns[index.column()].edit is not None \
                and not self._locked(index):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def _locked(self, index: Index) -> str:
        """Why the cell may not be changed, or ""."""
        col = self.columns[index.column()]
        if col.locked is None or not 0 <= index.row() < len(self.records):
            return ""
        return col.locked(self.records[index.row()])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Views ask for many roles per cell; answer the ones never served at once.
        if role not in _ROLES or not index.isValid() \
                or not 0 <= index.row() < len(self.records):
            return None
        record = self.records[index.row()]
        col = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return col.text(record)
        if role == Qt.ItemDataRole.EditRole:
            return col.raw(record) if col.raw else col.text(record)
        if role == EDIT_VALUE_ROLE:
            return col.raw(record) if col.raw else col.text(record)
        if role == Qt.ItemDataRole.ToolTipRole:
            why = col.locked(record) if col.locked and col.edit else ""
            return why or (col.tooltip(record) if col.tooltip else None)
        if role == RECORD_ROLE:
            return record
        if role == CHOICES_ROLE:
            return list(col.choices(record)) if col.choices else None
        alert = col.alert(record) if col.alert else False
        if role == Qt.ItemDataRole.ForegroundRole and alert:
            return QBrush(ALERT)
        if role == Qt.ItemDataRole.FontRole and alert:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def setData(self, index: Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        col = self.columns[index.column()]
        if col.edit is None:
            return False
        why = self._locked(index)
        if why:
            if self.on_error:
                self.on_error(why)
            return False
        old = self.records[index.row()]
        try:
            new = col.edit(old, value)
        except ValueError as exc:
            if self.on_error:
                self.on_error(str(exc))
            return False
        if new == old:
            return False
        if self.on_edit is not None and not self.on_edit(old, new, col.header):
            return False
        # Shown at once; the stored record replaces it when the edit's changes arrive
        # (or the old one, if the store refuses it).
        self.records[index.row()] = new
        self.dataChanged.emit(self.index(index.row(), 0),
                              self.index(index.row(), len(self.columns) - 1))
        return True
