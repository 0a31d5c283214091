"""Lists on screen as a model and a view: a line of text per row, each standing for a
value (a person's id, an emergency access's, a funding stream's), and in a checklist a
tick box on each line.

House style: every list is a model (a QAbstractListModel or QAbstractTableModel) shown in
a view, and every model passes pytest-qt's ``qtmodeltester``; never Qt's convenience
item-widget lists, tables or trees, which keep their own copy of the rows in items
(tests/test_architecture.py refuses them in careplan/ui).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import QListView, QWidget

from careplan.ui.tablemodel import Index

#: The role that answers the row's value.
VALUE_ROLE = Qt.ItemDataRole.UserRole


class ChoiceListModel(QAbstractListModel):
    """Rows of (text, value); with ``checkable`` each row has a tick box (Space or a
    click ticks it), ticked at first when its value is in ``checked``."""

    def __init__(self, rows: Sequence[tuple[str, Any]] = (), checked: Iterable[Any] = (),
                 *, checkable: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.checkable = checkable
        self._rows: list[tuple[str, Any]] = []
        self._ticked: list[bool] = []
        self.set_rows(rows, checked)

    def set_rows(self, rows: Sequence[tuple[str, Any]], checked: Iterable[Any] = ()) -> None:
        """Show ``rows`` instead (a model reset: the view's current row is cleared)."""
        chosen = list(checked)
        self.beginResetModel()
        self._rows = list(rows)
        self._ticked = [value in chosen for _, value in self._rows]
        self.endResetModel()

    def text(self, row: int) -> str:
        return self._rows[row][0]

    def value(self, row: int) -> Any:
        return self._rows[row][1]

    def is_checked(self, row: int) -> bool:
        return self._ticked[row]

    def set_checked(self, row: int, checked: bool) -> bool:
        """Tick or untick a row, as a click on its box does."""
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        return self.setData(self.index(row), state, Qt.ItemDataRole.CheckStateRole)

    def checked_values(self) -> list[Any]:
        """The values ticked, in the rows' order."""
        return [value for (_, value), on in zip(self._rows, self._ticked, strict=True) if on]

    # -- QAbstractListModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        text, value = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return text
        if role == VALUE_ROLE:
            return value
        if role == Qt.ItemDataRole.CheckStateRole and self.checkable:
            return Qt.CheckState.Checked if self._ticked[index.row()] \
                else Qt.CheckState.Unchecked
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        found = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return found | Qt.ItemFlag.ItemIsUserCheckable if self.checkable else found

    def setData(self, index: Index, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not self.checkable \
                or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return False
        self._ticked[index.row()] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


class ChoiceList(QListView):
    """A list view over its own :class:`ChoiceListModel` (``choices``): one row current
    and selected at a time, as in every list of the app."""

    #: The current row changed (-1: none).
    current_row_changed = Signal(int)

    def __init__(self, *, checkable: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = ChoiceListModel(checkable=checkable, parent=self)
        self.setModel(self.choices)
        self.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.current_row_changed.emit(
                current.row() if current.isValid() else -1))
        # New rows leave no row current: said as -1, as the item-widget list's clear()
        # said it (the selection model's reset is silent).
        self._had_current = False
        self.choices.modelAboutToBeReset.connect(self._before_reset)
        self.choices.modelReset.connect(self._after_reset)

    def _before_reset(self) -> None:
        self._had_current = self.current_row() >= 0

    def _after_reset(self) -> None:
        if self._had_current:
            self._had_current = False
            self.current_row_changed.emit(-1)

    def set_rows(self, rows: Sequence[tuple[str, Any]], checked: Iterable[Any] = ()) -> None:
        self.choices.set_rows(rows, checked)

    def current_row(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def set_current_row(self, row: int) -> None:
        self.setCurrentIndex(self.choices.index(row))

    def current_value(self) -> Any:
        """The current row's value; None when no row is current."""
        row = self.current_row()
        return None if row < 0 else self.choices.value(row)


__all__ = ["VALUE_ROLE", "ChoiceList", "ChoiceListModel"]
