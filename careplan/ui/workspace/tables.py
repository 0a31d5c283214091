"""A read-mostly table view set up the same way everywhere in the workspace."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from careplan.ui.columns import KeepStretchWide
from careplan.ui.delegates import RecordDelegate
from careplan.ui.tablemodel import RecordTableModel

#: Rows measured to size the columns: enough to see typical text, cheap for 200 rows.
SAMPLE_ROWS = 24
#: No column grows wider than this many average characters (tooltips show the rest).
MAX_CHARS = 72


def record_table(model: RecordTableModel[Any], name: str, parent: QWidget | None = None,
                 stretch: int = 0) -> QTableView:
    """A table over ``model``; column ``stretch`` takes the spare width.

    Columns are sized once per reset from the header and the first rows, measured with
    the view's font metrics, and only ever widened (a user's narrower choice is kept
    until longer text arrives). Qt's ResizeToContents mode re-measures cells on every
    layout pass; with fourteen tables and a 200-action plan that alone cost more than
    the whole open is allowed to take.
    """
    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setItemDelegate(RecordDelegate(view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                         | QAbstractItemView.EditTrigger.EditKeyPressed
                         | QAbstractItemView.EditTrigger.AnyKeyPressed)
    # Rows keep one line (full text in tooltips and editors).
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    KeepStretchWide(view, stretch)  # stretches, but never below a useful width
    fit_columns(view, model)
    model.modelReset.connect(lambda: fit_columns(view, model))
    return view


def fit_columns(view: QTableView, model: RecordTableModel[Any]) -> None:
    """Widen each column to its header and the text of the first rows."""
    metrics = view.fontMetrics()
    header = view.horizontalHeader()
    bold = header.font()
    bold.setBold(True)  # some styles draw the sort column's title bold
    header_metrics = type(metrics)(bold)
    pad = 2 * view.style().pixelMetric(view.style().PixelMetric.PM_FocusFrameHMargin) + 18
    cap = MAX_CHARS * metrics.averageCharWidth()
    sample = model.records[:SAMPLE_ROWS]
    for col, spec in enumerate(model.columns):
        width = header_metrics.horizontalAdvance(spec.header) + pad
        for record in sample:
            width = max(width, min(cap, metrics.horizontalAdvance(spec.text(record)) + pad))
        if width > header.sectionSize(col):
            header.resizeSection(col, width)
