"""The caseload as a lazy table model: all ids up front, columns a block at a time.

One SQL query returns the ordered ids of the persons shown (cheap even for 50,000);
the columns of a row are read with its block of neighbours only when a view asks for
them, and only a bounded number of blocks is kept. Sorting and searching re-run the
ids query, so order comes from SQL, never from sorting rows in Python.

Some orders cost SQLite a correlated subquery per person (lead professional, review
due: most of a second for 50,000). A sort of a store kept in a file therefore runs in a
pool thread with its own connection; meanwhile the view keeps the old order and the
model reports ``busy``. A newer sort or query makes an older result stale: it is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from careplan.store import Store
from careplan.store import caseload as q
from careplan.ui import text, workers
from careplan.ui.flagview import FlagSummary

Index = QModelIndex | QPersistentModelIndex

PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1
#: The row's FlagSummary, for the badge delegate.
FLAGS_ROLE = Qt.ItemDataRole.UserRole + 2

COLUMNS: tuple[q.SortKey, ...] = tuple(q.SortKey)
_ROLES = frozenset({
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.AccessibleTextRole, FLAGS_ROLE, PERSON_ID_ROLE,
})


class CaseloadModel(QAbstractTableModel):
    """Persons in the store as rows; see the module docstring for how it stays lazy."""

    BLOCK = 128
    MAX_BLOCKS = 64
    #: True while a sort runs in a worker (the rows shown are in the previous order).
    busy_changed = Signal(bool)

    def __init__(self, store: Store, today: date, parent: QObject | None = None,
                 pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._today = today
        #: Sorts run in ``pool`` when the store is a file a worker can open itself.
        self._pool = pool
        self._background = store.path != ":memory:"
        self._generation = 0
        self._job: workers.Job | None = None
        self._query = q.CaseloadQuery()
        #: Row keys of the persons shown, in order (ids are read with the rows).
        self._keys: list[int] = []
        self._blocks: OrderedDict[int, list[q.CaseloadRow]] = OrderedDict()
        self._flags: Mapping[str, FlagSummary] = {}
        self._headers = (
            self.tr("Name"), self.tr("Date of birth"), self.tr("Age"), self.tr("NHS number"),
            self.tr("Lead professional"), self.tr("Agencies involved"), self.tr("Flags"),
            self.tr("Next transition"), self.tr("Review due"),
        )

    # -- what is shown ------------------------------------------------------------

    def set_today(self, today: date) -> None:
        """Judge ages and dates on another day (midnight passed); ``refresh`` shows it."""
        self._today = today

    @property
    def query(self) -> q.CaseloadQuery:
        return self._query

    @property
    def busy(self) -> bool:
        return self._job is not None

    def set_query(self, query: q.CaseloadQuery) -> None:
        """Re-read the ids for ``query`` (filter, search, order) and reset the view."""
        self._drop_pending()
        self.beginResetModel()
        self._query = query
        self._keys = self._ordered_keys(query)
        self._blocks.clear()
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read everything, e.g. after an edit elsewhere."""
        self.set_query(self._query)

    def refresh_persons(self, person_ids: Collection[str]) -> None:
        """Read these persons' rows again (after their records changed); the order and
        who is shown stay until the query runs again."""
        if not person_ids or not self._keys:
            return
        keys = {k for pid in person_ids if (k := q.key_of(self._store, pid)) is not None}
        rows = [i for i, key in enumerate(self._keys) if key in keys]
        for block_no in {row // self.BLOCK for row in rows}:
            self._blocks.pop(block_no, None)
        last = self.columnCount() - 1
        for row in rows:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def set_flags(self, flags: Mapping[str, FlagSummary]) -> None:
        """Flag summaries per person id, computed by a worker."""
        self._flags = flags
        if self._query.sort is q.SortKey.FLAGS or self._query.person_ids is not None:
            self.refresh()
        elif self._keys:
            col = COLUMNS.index(q.SortKey.FLAGS)
            self.dataChanged.emit(self.index(0, col), self.index(len(self._keys) - 1, col))

    def count_matching(self, query: q.CaseloadQuery) -> int:
        """How many persons ``query`` selects (without showing them)."""
        return q.count_matching(self._store, query, self._today)

    def person_id(self, row: int) -> str:
        found = self._row(row)
        return found.id if found else ""

    def row_of(self, person_id: str) -> int:
        key = q.key_of(self._store, person_id)
        try:
            return self._keys.index(key) if key is not None else -1
        except ValueError:
            return -1

    def _ordered_keys(self, query: q.CaseloadQuery) -> list[int]:
        return ordered_keys(self._store, query, self._today, self._flags)

    def _row(self, row: int) -> q.CaseloadRow | None:
        block_no = row // self.BLOCK
        block = self._blocks.get(block_no)
        if block is None:
            start = block_no * self.BLOCK
            keys = self._keys[start:start + self.BLOCK]
            block = q.rows_by_key(self._store, keys, self._today)
            if len(block) != len(keys):  # a person vanished since the keys were read
                block += [_gone(str(k)) for k in keys[len(block):]]
            self._blocks[block_no] = block
            while len(self._blocks) > self.MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block_no)
        offset = row - block_no * self.BLOCK
        return block[offset] if offset < len(block) else None

    # -- QAbstractTableModel --------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation is Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS)
                and role == Qt.ItemDataRole.DisplayRole):
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid() \
                or not 0 <= index.row() < len(self._keys):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        if role == PERSON_ID_ROLE:
            return row.id
        key = COLUMNS[index.column()]
        if role == FLAGS_ROLE:
            return self._flags.get(row.id)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(key, row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(key, row)
        return self._display(key, row)

    def _display(self, key: q.SortKey, row: q.CaseloadRow) -> str:
        if key is q.SortKey.NAME:
            return row.name
        if key is q.SortKey.BIRTH_DATE:
            return text.fmt_date(row.birth_date) if row.birth_date != date.min else ""
        if key is q.SortKey.AGE:
            return text.age_text(row.birth_date, self._today)
        if key is q.SortKey.NHS_NUMBER:
            return text.fmt_nhs(row.nhs_number)
        if key is q.SortKey.LEAD:
            return row.lead_professional or self.tr("none named")
        if key is q.SortKey.AGENCIES:
            return ", ".join(row.agencies)
        if key is q.SortKey.FLAGS:
            summary = self._flags.get(row.id)
            return summary.text() if summary else ""
        if key is q.SortKey.TRANSITION:
            if row.next_transition is None:
                return ""
            kind = self.tr("turns 18") if row.transition_kind == "turns 18" \
                else self.tr("discharge")
            return f"{text.fmt_date(row.next_transition)} ({kind})"
        return text.fmt_date(row.review_due)

    def _tooltip(self, key: q.SortKey, row: q.CaseloadRow) -> str | None:
        if key is q.SortKey.AGENCIES and row.agencies:
            return "\n".join(row.agencies)
        if key is q.SortKey.FLAGS:
            summary = self._flags.get(row.id)
            return summary.tooltip() if summary else None
        if key is q.SortKey.LEAD and row.lead_professional is None:
            return self.tr("No lead professional (care coordinator) is named")
        return None

    def _foreground(self, key: q.SortKey, row: q.CaseloadRow) -> QBrush | None:
        late = QBrush(QColor("#b3261e"))
        if key is q.SortKey.REVIEW and row.review_due and row.review_due < self._today:
            return late
        if key is q.SortKey.TRANSITION and row.next_transition \
                and row.next_transition < self._today:
            return late
        if key is q.SortKey.LEAD and row.lead_professional is None:
            return late
        return None

    def sort(self, column: int,
             order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        descending = order is Qt.SortOrder.DescendingOrder
        if (COLUMNS[column], descending) == (self._query.sort, self._query.descending):
            return  # the view re-asks for the order it has (e.g. when sorting is enabled)
        previous = self._query
        self._query = replace(self._query, sort=COLUMNS[column], descending=descending)
        if not self._background:
            self._reorder(self._ordered_keys(self._query))
            return
        was_busy = self.busy
        self._drop_pending(announce=False)
        generation = self._generation
        path, query, today, flags = self._store.path, self._query, self._today, self._flags
        key = self._store.key

        def task(job: workers.Job) -> list[int]:
            store = Store.open(path, create=False, key=key)  # this thread's own connection
            try:
                return ordered_keys(store, query, today, flags)
            finally:
                store.close()

        def listen(job: workers.Job) -> None:
            job.finished.connect(lambda keys: self._sorted(generation, keys, previous))
            job.failed.connect(lambda _: self._sorted(generation, None, previous))

        self._job = workers.start(task, self, self._pool or sort_pool(), connect=listen)
        if not was_busy:
            self.busy_changed.emit(True)

    def _drop_pending(self, announce: bool = True) -> None:
        """Forget a sort still running (its result would be for an older question)."""
        self._generation += 1
        if self._job is not None:
            self._job.cancel()
            self._job = None
            if announce:
                self.busy_changed.emit(False)

    def _sorted(self, generation: int, keys: list[int] | None,
                previous: q.CaseloadQuery) -> None:
        if generation != self._generation:
            return
        self._job = None
        if keys is None:  # the worker logged why; keep the order that is on screen
            self._query = replace(self._query, sort=previous.sort,
                                  descending=previous.descending)
        else:
            self._reorder(keys)
        self.busy_changed.emit(False)

    def _reorder(self, keys: list[int]) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_keys = [(self._keys[i.row()], i.column()) for i in old]
        self._keys = keys
        self._blocks.clear()
        rows = {key: n for n, key in enumerate(self._keys)} if old_keys else {}
        new = [self.index(rows[key], col) if key in rows else QModelIndex()
               for key, col in old_keys]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()


_SORT_POOL: list[QThreadPool] = []


def sort_pool() -> QThreadPool:
    """Sorts get threads of their own: never queued behind the flags engine or charts."""
    if not _SORT_POOL:
        pool = QThreadPool()
        pool.setMaxThreadCount(2)
        _SORT_POOL.append(pool)
    return _SORT_POOL[0]


def ordered_keys(store: Store, query: q.CaseloadQuery, today: date,
                 flags: Mapping[str, FlagSummary]) -> list[int]:
    """Row keys for ``query`` in its order (any thread, with that thread's store)."""
    if query.sort is not q.SortKey.FLAGS:
        return q.person_keys(store, query, today)
    # Flag order is the flags engine's finding, not a column: order by weight in
    # Python over the SQL order (name), which breaks ties.
    pairs = q.keyed_ids(store, query, today)
    pairs.sort(key=lambda p: flags[p[1]].weight if p[1] in flags else 0,
               reverse=query.descending)
    return [key for key, _ in pairs]


def _gone(person_id: str) -> q.CaseloadRow:
    return q.CaseloadRow(
        id=person_id, given_name="", family_name="(removed)", birth_date=date.min,
        nhs_number=None, lead_professional=None, agencies=(), next_transition=None,
        transition_kind="", review_due=None,
    )
