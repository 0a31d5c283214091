"""Lists as a model and a view (careplan/ui/listmodels.py): the model passes qtmodeltester
plain and checkable, a row is current and selected one at a time, and a form's checklist
is ticked with a click or Space and gives back the values ticked in the list's order."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem

from careplan.ui.listmodels import VALUE_ROLE, ChoiceList, ChoiceListModel
from careplan.ui.workspace.forms import RecordForm

STREAMS = [("Continuing healthcare", "chc"), ("Better Care Fund", "bcf"),
           ("Council adult social care", "asc")]


def test_the_model_passes_qtmodeltester_plain_checkable_and_empty(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    plain = ChoiceListModel(STREAMS)
    qtmodeltester.check(plain)
    assert plain.data(plain.index(1), Qt.ItemDataRole.CheckStateRole) is None  # no box
    assert not plain.flags(plain.index(1)) & Qt.ItemFlag.ItemIsUserCheckable
    assert not plain.set_checked(1, True) and plain.checked_values() == []

    ticks = ChoiceListModel(STREAMS, ["asc", "chc"], checkable=True)
    qtmodeltester.check(ticks)
    assert ticks.checked_values() == ["chc", "asc"]  # the rows' order, not the given one
    assert ticks.set_checked(1, True) and ticks.is_checked(1)
    ticks.set_checked(0, False)
    qtmodeltester.check(ticks)
    assert ticks.checked_values() == ["bcf", "asc"]
    assert ticks.data(ticks.index(1), VALUE_ROLE) == "bcf"
    assert ticks.data(ticks.index(1)) == "Better Care Fund"

    ticks.set_rows([])
    qtmodeltester.check(ticks)
    assert ticks.rowCount() == 0 and ticks.checked_values() == []


def test_one_row_is_current_and_selected_and_a_new_list_clears_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ChoiceList()
    qtbot.addWidget(view)
    rows: list[int] = []
    view.current_row_changed.connect(rows.append)
    assert view.current_value() is None and view.current_row() == -1
    view.set_rows(STREAMS)
    view.set_current_row(0)
    view.show()
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert (view.current_row(), view.current_value()) == (1, "bcf")
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]
    assert view.selectionMode() is QAbstractItemView.SelectionMode.SingleSelection
    view.set_rows(STREAMS[:1])  # read again: nothing is current until a row is chosen
    assert view.current_row() == -1 and view.current_value() is None
    view.set_current_row(0)
    assert rows == [0, 1, -1, 0]  # as a QListWidget's currentRowChanged says it


def _box_centre(view: ChoiceList, row: int) -> QPoint:
    """Where a click ticks the row: the middle of its check box as the style draws it."""
    index = view.choices.index(row)
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    view.itemDelegateForIndex(index).initStyleOption(option, index)  # type: ignore[attr-defined]
    return view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator,
                                       option, view).center()


def test_a_forms_checklist_ticks_with_a_click_or_space(qtbot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    form = RecordForm("Personal budget", "The streams it combines.",
                      lambda f: f.checked("streams"))
    qtbot.addWidget(form)
    listed = form.add_checklist("streams", "&Streams it combines:", STREAMS, ["asc"])
    form.finish()
    form.show()
    qtbot.waitExposed(form)
    assert isinstance(listed, ChoiceList) and form.fields["streams"] is listed
    assert listed.accessibleName() == "Streams it combines"
    assert form.checked("streams") == ["asc"]
    qtmodeltester.check(listed.choices)

    qtbot.mouseClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=_box_centre(listed, 1))
    assert form.checked("streams") == ["bcf", "asc"]
    listed.setFocus()
    listed.set_current_row(2)
    qtbot.keyClick(listed, Qt.Key.Key_Space)  # unticks the current row
    assert form.checked("streams") == ["bcf"]
    qtbot.keyClick(listed, Qt.Key.Key_Up)
    qtbot.keyClick(listed, Qt.Key.Key_Space)
    assert form.checked("streams") == []
    # A double-click on a line's words neither ticks it nor opens an editor.
    words = listed.visualRect(listed.choices.index(0)).center()
    qtbot.mouseDClick(listed.viewport(), Qt.MouseButton.LeftButton, pos=words)
    assert form.checked("streams") == [] and listed.state() is not \
        QAbstractItemView.State.EditingState
    qtmodeltester.check(listed.choices)
    form.check()
    assert form.built == []
