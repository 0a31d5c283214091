"""Choose who you are: a professional in the open store (remembered per store)."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from careplan.models import Agency, Professional
from careplan.store import Store, find

PROFESSIONAL_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def directory(store: Store) -> list[tuple[Professional, Agency | None]]:
    """Every professional with their agency, by name."""
    agencies = {a.id: a for a in find(store, Agency)}
    return [(p, agencies.get(p.agency_id)) for p in find(store, Professional, order_by="name")]


def describe(pro: Professional, agency: Agency | None) -> str:
    where = agency.name if agency else ""
    return f"{pro.name} — {pro.role.value}, {where}" if where else f"{pro.name} — {pro.role.value}"


class ChooseProfessionalDialog(QDialog):
    """A filterable list of the store's professionals; Enter picks the highlighted one."""

    def __init__(self, store: Store, current_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Who are you?"))
        self.setMinimumSize(520, 420)
        intro = QLabel(self.tr(
            "Choose yourself from the professionals in this store. Everything you change "
            "is recorded in the audit trail under your name."))
        intro.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(self.tr("Type part of your name, role or agency"))
        self.filter.setAccessibleName(self.tr("Filter professionals"))
        self.filter.setClearButtonEnabled(True)
        self.items = QStandardItemModel(self)
        for pro, agency in directory(store):
            item = QStandardItem(describe(pro, agency))
            item.setData(pro.id, PROFESSIONAL_ID_ROLE)
            item.setEditable(False)
            self.items.appendRow(item)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.items)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.list = QListView()
        self.list.setModel(self.proxy)
        self.list.setAccessibleName(self.tr("Professionals"))
        self.list.doubleClicked.connect(self.accept)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("That's me"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.filter.textChanged.connect(self._filter)
        self.filter.returnPressed.connect(self.accept)
        self._select(current_id)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        if self.proxy.rowCount() and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.proxy.index(0, 0))

    def _select(self, professional_id: str | None) -> None:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(PROFESSIONAL_ID_ROLE) == professional_id or row == 0:
                self.list.setCurrentIndex(index)
                if index.data(PROFESSIONAL_ID_ROLE) == professional_id:
                    return

    def chosen_id(self) -> str | None:
        index = self.list.currentIndex()
        value = index.data(PROFESSIONAL_ID_ROLE) if index.isValid() else None
        return str(value) if value else None
