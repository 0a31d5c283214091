"""The caseload page: search, filters and the lazy table of persons."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QByteArray, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from careplan.models.search import parse_search
from careplan.store import caseload as q
from careplan.ui import plurals
from careplan.ui import settings as keys
from careplan.ui.caseload_model import COLUMNS, FLAGS_ROLE, PERSON_ID_ROLE, CaseloadModel
from careplan.ui.flagview import SEVERITY_COLOURS, FlagBadgeDelegate, FlagSummary, label
from careplan.ui.settings import Settings

#: Column widths in average characters, so they follow the system font size: the width
#: each column is given when the window has room, and the least it is squeezed to when it
#: has not (never less than its heading needs). The agencies column takes what is left.
_WIDTHS = {
    q.SortKey.NAME: (26, 16), q.SortKey.BIRTH_DATE: (11, 11), q.SortKey.AGE: (5, 4),
    q.SortKey.NHS_NUMBER: (12, 12), q.SortKey.LEAD: (20, 12), q.SortKey.AGENCIES: (40, 22),
    q.SortKey.FLAGS: (24, 14), q.SortKey.TRANSITION: (26, 16), q.SortKey.REVIEW: (11, 11),
}


def fit_widths(prefs: list[int], mins: list[int], available: int, spare: int) -> list[int]:
    """Column widths for ``available`` pixels: the preferred widths, the spare room given
    to column ``spare``; when short of room, every column gives up the same share of what
    it has above its least width; when even the least widths do not fit, those (the
    table scrolls sideways rather than cut anything to nothing)."""
    widths = list(prefs)
    total = sum(prefs)
    if total <= available:
        widths[spare] += available - total
        return widths
    room = sum(p - m for p, m in zip(prefs, mins, strict=True))
    excess = total - available
    if room <= 0 or excess >= room:
        return list(mins)
    widths = [p - (p - m) * excess // room for p, m in zip(prefs, mins, strict=True)]
    widths[spare] += available - sum(widths)  # what rounding left over
    return widths


SCOPE_EVERYONE, SCOPE_MINE, SCOPE_AGENCY = "everyone", "mine", "agency"


class CaseloadPanel(QWidget):
    """Search box, filters and the table; emits ``open_person`` on Enter/double-click."""

    open_person = Signal(str)
    #: "Register a person…" was pressed.
    register_requested = Signal()

    def __init__(self, model: CaseloadModel, settings: Settings | None = None,
                 parent: QWidget | None = None) -> None:
        """``settings``: where the filters are remembered (none kept without)."""
        super().__init__(parent)
        plurals.install()
        self.model = model
        self.settings = settings
        self.actor_id: str | None = None
        self.actor_agency_id: str | None = None
        self._flags: dict[str, FlagSummary] = {}
        #: Whether flag summaries have arrived: until they do, a flag filter waits.
        self._flags_known = False
        #: A remembered flag code, chosen once the flags that offer it have arrived.
        self._pending_flag = ""
        #: Whether the user sized or moved a column: the columns then stop fitting the
        #: window, and their state is remembered.
        self.user_sized = False
        self._fitting = False

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr(
            "Name, date of birth (12/03/1941) or part of an NHS number"))
        self.search.setToolTip(self.tr(
            "Words start a given or family name (\"okafor marg\"); a date is the date of "
            "birth, day first (12/03/1941 or 12 Mar 1941); 3 or more digits are found "
            "anywhere in the NHS number, spaces ignored. They combine."))
        self.search.setAccessibleName(self.tr("Search the caseload"))
        self.search.setClearButtonEnabled(True)
        self.scope = QComboBox()
        self.scope.setAccessibleName(self.tr("Whose persons"))
        self.scope.addItem(self.tr("Everyone"), SCOPE_EVERYONE)
        self.scope.addItem(self.tr("My caseload"), SCOPE_MINE)
        self.scope.addItem(self.tr("My agency"), SCOPE_AGENCY)
        self.flag_code = QComboBox()
        self.flag_code.setAccessibleName(self.tr("Flag"))
        self.flag_code.addItem(self.tr("Any or no flag"), "")
        self.severity = QComboBox()
        self.severity.setAccessibleName(self.tr("Severity"))
        self.severity.addItem(self.tr("Any severity"), "")
        for sev, words in (("critical", self.tr("Critical only")),
                           ("warning", self.tr("Critical or warning")),
                           ("info", self.tr("Any flag"))):
            self.severity.addItem(words, sev)
        self.count = QLabel()
        self.count.setAccessibleName(self.tr("Number of persons shown"))
        #: Shown when the flags check failed: an empty Flags column must not read as
        #: "nobody is flagged".
        self.flags_problem = QLabel()
        self.flags_problem.setAccessibleName(self.tr("Flags could not be checked"))
        self.flags_problem.setWordWrap(True)
        self.flags_problem.setStyleSheet(
            f"QLabel {{ color: white; background: {SEVERITY_COLOURS['critical']};"
            " padding: 4px 8px; font-weight: bold; }")
        self.flags_problem.hide()
        #: What the search cannot search, or how many matches the filters hide (a link
        #: that shows them).
        self.hint = QLabel()
        self.hint.setAccessibleName(self.tr("Search hint"))
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.linkActivated.connect(lambda _link: self.show_hidden())
        self.hint.hide()
        self._hidden = 0
        #: Why the list is empty for a reader whose agency is shown no one.
        self.note = QLabel()
        self.note.setAccessibleName(self.tr("Whose records are shown"))
        self.note.setWordWrap(True)
        self.note.hide()

        bar = QHBoxLayout()
        find_label = QLabel(self.tr("&Find:"))
        find_label.setBuddy(self.search)
        bar.addWidget(find_label)
        bar.addWidget(self.search, 3)
        show_label = QLabel(self.tr("S&how:"))
        show_label.setBuddy(self.scope)
        bar.addWidget(show_label)
        bar.addWidget(self.scope)
        bar.addWidget(self.flag_code)
        bar.addWidget(self.severity)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.register = QPushButton(self.tr("&Register a person…"))
        self.register.setAccessibleName(self.tr("Register a person"))
        self.register.clicked.connect(self.register_requested)
        bar.addWidget(self.register)

        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Caseload"))
        self.table.setModel(model)
        # The indicator first: enabling sorting re-sorts by it, and name ascending is
        # the order the model already has (so no second query).
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(
            self.fontMetrics().height() + 12)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.sectionResized.connect(self._section_resized)
        header.sectionMoved.connect(self._section_resized)
        self.table.viewport().installEventFilter(self)
        self.fit_columns()
        self.table.setItemDelegateForColumn(
            COLUMNS.index(q.SortKey.FLAGS), FlagBadgeDelegate(FLAGS_ROLE, self.table))
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.addWidget(self.flags_problem)
        layout.addWidget(self.note)
        layout.addLayout(bar)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        self._restore_filters()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(180)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._open_first)
        for combo in (self.scope, self.flag_code, self.severity):
            combo.currentIndexChanged.connect(self._filter_chosen)
        self.model.modelReset.connect(self._update_count)
        self.model.busy_changed.connect(self._show_busy)
        self._update_count()

    def set_actor(self, professional_id: str | None, agency_id: str | None) -> None:
        self.actor_id, self.actor_agency_id = professional_id, agency_id
        if self.scope.currentData() != SCOPE_EVERYONE:
            self.apply_filters()

    def show_note(self, text: str) -> None:
        """Say above the list why it shows whom it shows (e.g. no one, to an account of
        no agency)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    # -- remembered filters ------------------------------------------------------------

    def _restore_filters(self) -> None:
        if self.settings is None:
            return
        for combo, key in ((self.scope, keys.CASELOAD_SCOPE),
                           (self.severity, keys.CASELOAD_SEVERITY)):
            found = combo.findData(self.settings.get(key))
            if found >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(found)
                combo.blockSignals(False)
        self._pending_flag = self.settings.get(keys.CASELOAD_FLAG)

    def _filter_chosen(self) -> None:
        if self.settings is not None:
            self.settings.set(keys.CASELOAD_SCOPE, str(self.scope.currentData()))
            self.settings.set(keys.CASELOAD_SEVERITY, str(self.severity.currentData() or ""))
            if self._flags_known:  # before the flags arrive, the list offers no codes yet
                self.settings.set(keys.CASELOAD_FLAG, str(self.flag_code.currentData() or ""))
                self._pending_flag = ""
        self.apply_filters()

    # -- columns --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def _section_resized(self, *_: object) -> None:
        if not self._fitting:
            self.user_sized = True

    def column_widths(self, available: int) -> list[int]:
        """The widths :meth:`fit_columns` gives the columns for ``available`` pixels."""
        header = self.table.horizontalHeader()
        em = self.fontMetrics().averageCharWidth()
        prefs, mins = [], []
        for col, key in enumerate(COLUMNS):
            pref, least = _WIDTHS[key]
            needed = header.sectionSizeFromContents(col).width()
            mins.append(max(least * em + 16, needed))
            prefs.append(max(pref * em + 16, mins[-1]))
        return fit_widths(prefs, mins, available, COLUMNS.index(q.SortKey.AGENCIES))

    def fit_columns(self) -> None:
        """Give every column its room for the window's width: headings whole, the
        agencies column the most (it is never squeezed to nothing). Once the user has
        sized or moved a column, their widths are kept."""
        if self.user_sized:
            return
        self._fitting = True
        try:
            for col, width in enumerate(self.column_widths(self.table.viewport().width())):
                self.table.setColumnWidth(col, width)
        finally:
            self._fitting = False

    def header_state(self) -> bytes:
        """The columns' state to remember: empty unless the user sized or moved one."""
        if not self.user_sized:
            return b""
        return bytes(self.table.horizontalHeader().saveState().data())

    def restore_header(self, state: bytes) -> None:
        """Put back the columns as the user left them (nothing when ``state`` is empty)."""
        if state and self.table.horizontalHeader().restoreState(QByteArray(state)):
            self.user_sized = True

    # -- flags ------------------------------------------------------------------------------

    def set_flags(self, flags: dict[str, FlagSummary]) -> None:
        """Offer the flag codes found, and hand the summaries to the model."""
        self._flags = flags
        first = not self._flags_known
        self._flags_known = True
        codes = sorted({code for s in flags.values() for code in s.codes()})
        current = self._pending_flag or self.flag_code.currentData()
        self.flag_code.blockSignals(True)
        self.flag_code.clear()
        self.flag_code.addItem(self.tr("Any or no flag"), "")
        for code in sorted(codes, key=label):
            self.flag_code.addItem(label(code), code)
            self.flag_code.setItemData(self.flag_code.count() - 1, code,
                                       Qt.ItemDataRole.ToolTipRole)
        self.flag_code.setCurrentIndex(max(0, self.flag_code.findData(current)))
        self.flag_code.blockSignals(False)
        self.flags_problem.hide()
        self.flag_code.setEnabled(True)
        self.severity.setEnabled(True)
        self._pending_flag = ""
        self.model.set_flags(flags)
        if first or self._filtering_by_flag():
            # The flag filter waited for the flags (or they changed): apply it now.
            self.apply_filters()

    def flags_not_checked(self, reason: str) -> None:
        """The flags check failed: say so above the table, and offer no filter by flag
        (it would show nobody, as if nobody were flagged)."""
        self.flags_problem.setText(self.tr(
            "Flags could not be checked (%s): this is an error in CarePlan, logged for "
            "support. The Flags column is empty because of it, not because nobody is "
            "flagged.") % reason)
        self.flags_problem.show()
        self._flags = {}
        self.model.set_flags({})
        for combo in (self.flag_code, self.severity):  # the remembered choice is kept
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
            combo.setEnabled(False)
        self.apply_filters()

    def apply_filters(self) -> None:
        self._debounce.stop()
        scope = self.scope.currentData()
        query = replace(
            self.model.query,
            search=self.search.text(),
            professional_id=self.actor_id if scope == SCOPE_MINE else None,
            agency_id=self.actor_agency_id if scope == SCOPE_AGENCY else None,
            person_ids=self._flagged_ids(),
        )
        if scope != SCOPE_EVERYONE and not (query.professional_id or query.agency_id):
            query = replace(query, person_ids=frozenset())  # nobody chosen: nobody's caseload
        self.model.set_query(query)
        if self.model.rowCount():
            self.table.selectRow(0)
        self._show_hint()

    def _filtering_by_flag(self) -> bool:
        return bool(self.flag_code.currentData() or self.severity.currentData())

    def _filter_words(self) -> str:
        """What narrows the list besides the search, as the hint says it."""
        scope = self.scope.currentData()
        flagged = self._filtering_by_flag()
        if scope != SCOPE_EVERYONE and flagged:
            return self.tr("hidden by the filters")
        if scope != SCOPE_EVERYONE:
            return self.tr("outside %s") % self.scope.currentText()
        return self.tr("hidden by the flag filter")

    def _show_hint(self) -> None:
        """Say what the search cannot search; else, when the filters hide some of the
        persons the search finds, how many, with a link that shows them."""
        self._hidden = 0
        text = self.search.text()
        terms = parse_search(text)
        if terms.problem is not None:
            self.hint.setText(terms.problem)
            self.hint.show()
            return
        query = self.model.query
        narrowed = self.scope.currentData() != SCOPE_EVERYONE or self._filtering_by_flag()
        if terms.empty or not narrowed:
            self.hint.hide()
            return
        everyone = replace(query, professional_id=None, agency_id=None, person_ids=None)
        self._hidden = max(0, self.model.count_matching(everyone) - self.model.rowCount())
        if not self._hidden:
            self.hint.hide()
            return
        more = self.tr("%Ln more", "", self._hidden)
        self.hint.setText(self.tr("%s %s — <a href=\"show\">show</a>") % (
            more, self._filter_words()))
        self.hint.show()

    def hidden_matches(self) -> int:
        """How many persons the search finds that the filters hide (0 when none)."""
        return self._hidden

    def show_hidden(self) -> None:
        """Show everyone the search finds: whose persons back to Everyone, no flag filter."""
        for combo in (self.scope, self.flag_code, self.severity):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._filter_chosen()

    def _flagged_ids(self) -> frozenset[str] | None:
        code = self.flag_code.currentData()
        severity = self.severity.currentData()
        if not code and not severity:
            return None
        if not self._flags_known:
            return None  # the flags are still being checked: filter once they are
        order = list(SEVERITY_COLOURS)
        worst_allowed = order.index(severity) if severity else len(order)

        def keep(summary: FlagSummary) -> bool:
            return any((not code or c == code) and order.index(sev) <= worst_allowed
                       for sev, c, _ in summary.lines if sev in order)

        return frozenset(pid for pid, s in self._flags.items() if keep(s))

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count.setText(self.tr("%Ln person(s)", "", n))

    def _show_busy(self, busy: bool) -> None:
        """While a sort runs in a worker the rows stay usable in their old order."""
        if busy:
            key = self.model.query.sort
            self.count.setText(self.tr("Sorting by %s…") % self.model.headerData(
                COLUMNS.index(key), Qt.Orientation.Horizontal).lower())
            self.table.viewport().setCursor(Qt.CursorShape.BusyCursor)
            return
        self.table.viewport().unsetCursor()
        query = self.model.query
        order = Qt.SortOrder.DescendingOrder if query.descending \
            else Qt.SortOrder.AscendingOrder
        # A failed sort kept the old order: point the indicator back at it.
        self.table.horizontalHeader().setSortIndicator(COLUMNS.index(query.sort), order)
        self._update_count()

    def _activated(self, index: QModelIndex) -> None:
        person_id = index.data(PERSON_ID_ROLE)
        if person_id:
            self.open_person.emit(str(person_id))

    def _open_first(self) -> None:
        self.apply_filters()
        if self.model.rowCount() == 1:
            self.open_person.emit(self.model.person_id(0))
        elif self.model.rowCount():
            self.table.setFocus()

    def show_only(self, ids: list[str], label: str) -> None:
        """Show just these persons (e.g. behind a dashboard bar) until the filters change."""
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.model.set_query(replace(self.model.query, search="", professional_id=None,
                                     agency_id=None, person_ids=frozenset(ids)))
        self.count.setText(self.tr("%s: %s") % (label, self.tr("%Ln person(s)", "", len(ids))))
        if self.model.rowCount():
            self.table.selectRow(0)

    def current_person_id(self) -> str | None:
        index = self.table.currentIndex()
        return str(index.data(PERSON_ID_ROLE)) if index.isValid() else None

