"""Inline editors: a drop-down for choice columns, a line edit for text and dates."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from careplan.ui.tablemodel import CHOICES_ROLE, EDIT_VALUE_ROLE

Index = QModelIndex | QPersistentModelIndex
_H = Qt.Orientation.Horizontal


class RecordDelegate(QStyledItemDelegate):
    """Chooses the editor from what the model offers for the cell."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        choices = index.data(CHOICES_ROLE)
        if choices is not None:
            combo = QComboBox(parent)
            combo.setAccessibleName(str(index.model().headerData(index.column(), _H)))
            for label, value in choices:
                combo.addItem(label, value)
            return combo
        edit = QLineEdit(parent)
        edit.setAccessibleName(str(index.model().headerData(index.column(), _H)))
        return edit

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(EDIT_VALUE_ROLE)
        if isinstance(editor, QComboBox):
            pos = editor.findData(value)
            editor.setCurrentIndex(max(0, pos))
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        value: Any
        if isinstance(editor, QComboBox):
            value = editor.currentData()
        elif isinstance(editor, QLineEdit):
            value = editor.text()
        else:
            return
        model.setData(index, value)
