"""Words and layout: no clipped text at 1,024 × 768 nor at 1,920 × 1,080 on the main screens.

Each screen (My work, the caseload, a person's workspace on each of its tabs, the dashboard)
is shown at both sizes and at two font sizes, over a small demo: every visible button, check
box and radio button must be as wide as its text needs; no tab's title may be elided, nor a
tab bar need more than its width (its tabs scrolled out of sight); every visible column
heading must be whole (title, margins and sort arrow); a table's wide (Stretch) column must
keep 20 characters; a label that does not wrap must be as wide as its text; and the window
must take the size asked (no widget forcing it wider). One assertion lists every clip found:
screen, size, font size, kind of widget and its text.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTabBar,
    QToolButton,
    QWidget,
)
from ui_helpers import file_settings, settle, sign_in

from careplan.demo.build import build_demo
from careplan.models import CareTeamMember, Person
from careplan.store import Store, find
from careplan.ui.mainwindow import MainWindow

TODAY = date(2026, 11, 22)
SIZES = ((1024, 768), (1920, 1080))
#: The offscreen platform's own font (9 pt) and the 11 pt of the common Linux desktops:
#: what fits at one may clip at the other.
POINT_SIZES = (9, 11)
#: Where a tab bar may scroll (arrows, every title whole) rather than show all its tabs:
#: the person's ten tabs need about 1,190 px at 11 pt.
TABS_MAY_SCROLL = frozenset({(1024, 11)})
#: The width, in average characters, below which a table's wide (Stretch) column has
#: shrunk too far to be of use.
USEFUL_CHARS = 20
#: Columns the user may widen that are allowed to start narrower than their title.
NARROW_ALLOWED: frozenset[str] = frozenset()


#: How many of each kind were checked, so that a pass is never a pass over nothing.
SEEN: Counter[str] = Counter()


def _plain(text: str) -> str:
    """The words shown: a mnemonic's & removed, && kept as one &."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0


def _buttons(root: QWidget) -> list[str]:
    found = []
    for kind in (QPushButton, QToolButton, QCheckBox, QRadioButton):
        for button in root.findChildren(kind):
            assert isinstance(button, QAbstractButton)
            text = _plain(button.text())
            if not text or not _shown(button) or isinstance(button.parent(), QTabBar):
                continue
            SEEN["buttons"] += 1
            need = button.minimumSizeHint().width() if isinstance(button, QToolButton) \
                else button.sizeHint().width()
            if need > button.width():
                found.append(f"{kind.__name__} {text!r} needs {need} px, has {button.width()}")
    return found


def _tabs(root: QWidget, may_scroll: bool) -> list[str]:
    """A tab narrower than its size hint has its title elided; a bar whose tabs need more
    than its width hides some behind scroll arrows (their titles out of sight)."""
    found = []
    for bar in root.findChildren(QTabBar):
        if not _shown(bar):
            continue
        total = 0
        for i in range(bar.count()):
            text = _plain(bar.tabText(i))
            SEEN["tabs"] += 1
            need = bar.tabSizeHint(i).width()
            total += need
            have = bar.tabRect(i).width()
            if need > have:
                found.append(f"tab {text!r} needs {need} px, has {have}")
        if total > bar.width() and not may_scroll:
            titles = ", ".join(repr(_plain(bar.tabText(i))) for i in range(bar.count()))
            found.append(f"tab bar ({titles}) needs {total} px, has {bar.width()}")
    return found


def _headers(root: QWidget) -> list[str]:
    found = []
    for view in root.findChildren(QAbstractItemView):
        if not _shown(view) or view.model() is None:
            continue
        header = getattr(view, "horizontalHeader", lambda: None)()
        if not isinstance(header, QHeaderView) or not header.isVisible():
            continue
        model = view.model()
        useful = USEFUL_CHARS * view.fontMetrics().averageCharWidth()
        for column in range(header.count()):
            if header.sectionResizeMode(column) is QHeaderView.ResizeMode.Stretch \
                    and not header.isSectionHidden(column) \
                    and header.sectionSize(column) < useful:
                name = view.accessibleName() or type(view).__name__
                found.append(f"table {name!r}: its wide column "
                             f"{model.headerData(column, header.orientation())!r} "
                             f"has {header.sectionSize(column)} px, less than {useful}")
        for column in range(header.count()):
            if header.isSectionHidden(column):
                continue
            title = model.headerData(column, header.orientation())
            text = str(title) if title else ""
            if not text or text in NARROW_ALLOWED:
                continue
            SEEN["headings"] += 1
            # Its title, the style's margins and (sorting is a click away) the sort arrow.
            need = header.sectionSizeFromContents(column).width()
            have = header.sectionSize(column)
            if need > have:
                found.append(f"column {text!r} needs {need} px, has {have}")
    return found


def _labels(root: QWidget) -> list[str]:
    found = []
    for label in root.findChildren(QLabel):
        if not _shown(label) or label.wordWrap() or not label.text():
            continue
        if label.textFormat() != label.textFormat().PlainText and "<" in label.text():
            continue  # rich text lays itself out; its plain width says nothing
        SEEN["labels"] += 1
        metrics = label.fontMetrics()
        need = max(metrics.horizontalAdvance(line) for line in _plain(label.text()).split("\n"))
        have = label.contentsRect().width() - 2 * label.margin()
        if need > have:
            found.append(f"label {label.text()!r} needs {need} px, has {have}")
    return found


def clipped(root: QWidget, tabs_may_scroll: bool = False) -> list[str]:
    return _buttons(root) + _tabs(root, tabs_may_scroll) + _headers(root) + _labels(root)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo: its persons have every kind of record, with the demo's long names."""
    path = tmp_path_factory.mktemp("layout") / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=150, seed=4, today=TODAY)
    return path


@pytest.fixture(params=POINT_SIZES, ids=lambda p: f"{p}pt")
def window(qtbot, tmp_path: Path, demo_path: Path, request):  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.font()
    font = app.font()
    font.setPointSize(request.param)
    app.setFont(font)
    request.addfinalizer(lambda: app.setFont(before))
    with Store.open(demo_path, create=False) as store:
        person = find(store, Person, given_name="Margaret", family_name="Okafor")[0].id
        lead = find(store, CareTeamMember, person_id=person, is_lead=True)[0].professional_id
    win = MainWindow(file_settings(tmp_path), today=lambda: TODAY)
    qtbot.addWidget(win)
    win.show()
    sign_in(qtbot, win, demo_path, lead)  # her lead professional: My work has rows
    settle(win)
    return win, person


def _at(qtbot, win: MainWindow, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    win.resize(*size)
    win.show()
    settle(win)
    QApplication.processEvents()
    qtbot.wait(20)
    QApplication.processEvents()


def test_main_screens_show_their_words_whole(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    from careplan.ui.dashboard import Dashboard

    win, person = window
    SEEN.clear()
    problems: list[str] = []
    checked: list[str] = []

    def look(screen: str, size: tuple[int, int]) -> None:
        _at(qtbot, win, size)
        checked.append(screen)
        where = f"{screen} at {size[0]}×{size[1]}, {QApplication.font().pointSize()} pt"
        if win.width() > size[0]:
            problems.append(f"{where}: window needs {win.width()} px wide, has {size[0]}")
        scroll = (size[0], QApplication.font().pointSize()) in TABS_MAY_SCROLL
        problems.extend(f"{where}: {p}" for p in clipped(win, scroll))

    for size in SIZES:
        win.tabs.setCurrentWidget(win.my_work)
        look("My work", size)
        win.show_caseload()
        look("Caseload", size)
        ws = win.open_person(person)
        for i in range(ws.tabs.count()):
            ws.tabs.setCurrentIndex(i)
            look(f"Person: {_plain(ws.tabs.tabText(i))}", size)
        win.show_dashboard()
        board = win.tabs.currentWidget()
        assert isinstance(board, Dashboard)
        qtbot.waitUntil(lambda b=board: b.data is not None, timeout=30000)
        look("Dashboard", size)
    assert len(checked) == 2 * 13
    assert min(SEEN[k] for k in ("buttons", "tabs", "headings", "labels")) > 20, SEEN
    assert not problems, f"{len(problems)} clipped:\n" + "\n".join(problems)
