"""One person's workspace: header with flags, and the Plan … History tabs.

A thin container: each tab owns its dialogs and writes through the workspace's narrow
interface (:meth:`PersonWorkspace.submit`, :meth:`PersonWorkspace.ask`), which hands
the write to the window's one writer as an undoable operation. Views refresh from the
Changes that come back (:meth:`PersonWorkspace.apply_changes`), whoever made them. A
refused edit says why in one sentence and writes nothing; an edit of a record someone
changed meanwhile says so and reloads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMessageBox, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from careplan.models import AuditEvent, Professional
from careplan.models import permissions as rules
from careplan.models.base import Entity
from careplan.models.facts import Directory
from careplan.models.plausibility import check_dates
from careplan.store import NotFoundError, Store
from careplan.store import permissions as store_permissions
from careplan.store.changes import Changes, Done
from careplan.store.person_file import (
    PersonFile,
    load_directory,
    load_person_file,
    person_history,
)
from careplan.store.visibility import NotSharedError, Viewer, viewer_for
from careplan.ui import conflicts, next_steps, text
from careplan.ui import emergency as emergency_ui
from careplan.ui.datefield import DateField
from careplan.ui.flagview import FlagSummary
from careplan.ui.workspace.conferences_tab import ConferencesTab
from careplan.ui.workspace.forms import RecordForm
from careplan.ui.workspace.funding_tab import FundingTab
from careplan.ui.workspace.handoffs_tab import HandoffsTab
from careplan.ui.workspace.header import PersonHeader
from careplan.ui.workspace.health_tab import HealthTab
from careplan.ui.workspace.history_tab import HistoryTab
from careplan.ui.workspace.plan_tab import PlanTab
from careplan.ui.workspace.referrals_tab import ReferralsTab
from careplan.ui.workspace.social_tab import SocialTab
from careplan.ui.workspace.tab_base import permit
from careplan.ui.workspace.team_tab import TeamTab
from careplan.ui.workspace.transitions_tab import TransitionsTab

log = logging.getLogger(__name__)


class PersonWorkspace(QWidget):
    """Shows one person; its tabs write through :meth:`submit` and :meth:`ask`."""

    #: The user asked for the minutes of this case conference (its id) as a PDF.
    minutes_requested = Signal(str)
    #: The record is no longer shared with the reader's agency (a consent was refused or
    #: withdrawn meanwhile): the sentence saying so; the window closes the workspace.
    no_longer_shared = Signal(str)

    def __init__(self, store: Store, person_id: str, today: date,
                 actor: Professional | None, directory: Directory | None = None,
                 parent: QWidget | None = None, *, edits: Any = None,
                 viewer: Viewer | None = None) -> None:
        """Raises NotSharedError when the reader (``viewer``; by default the actor's
        agency) may not see the person's record (careplan.store.visibility)."""
        super().__init__(parent)
        self.store = store
        self.person_id = person_id
        self.today = today
        self.actor = actor
        #: Who reads: the sharing basis of their agency decides what they may see.
        self.viewer = viewer if viewer is not None else (
            viewer_for(store, actor.id) if actor is not None else Viewer(None))
        #: Who the actor is to the permission rules (None: no one the store knows).
        self.who: rules.Who | None = None
        self.flags: FlagSummary | None = None
        self._directory = directory
        self.pf: PersonFile = self._load()
        self.undo_stack = QUndoStack(self)
        #: The window's edits (its writer); None in a workspace opened only to read.
        self.edits = edits
        self._stale_tabs: set[QWidget] = set()
        self.conference: Any = None

        self.header = PersonHeader()
        conflicts.hook(self.header, self)
        self.header.edit_requested.connect(self.edit_details)
        #: The next steps of the flag last clicked in the header.
        self.next_steps = next_steps.hook(self.header, self)
        emergency_ui.hook(self.header, self)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Person workspace"))
        self.plan_tab = PlanTab(self)
        self.team_tab = TeamTab(self)
        self.handoffs_tab = HandoffsTab(self)
        self.referrals_tab = ReferralsTab(self)
        self.transitions_tab = TransitionsTab(self)
        self.health_tab = HealthTab(self)
        self.conferences_tab = ConferencesTab(self)
        self.history_tab = HistoryTab(self)
        self.funding_tab = FundingTab(self)
        self.social_tab = SocialTab(self)
        # Short titles, so that the ten fit a 1,024 px window; the tooltip has the whole.
        for tab, label, whole in (
                (self.plan_tab, self.tr("&Plan"), ""),
                (self.team_tab, self.tr("Care &team"), ""),
                (self.handoffs_tab, self.tr("Hand&offs"), ""),
                (self.referrals_tab, self.tr("&Referrals"), ""),
                (self.transitions_tab, self.tr("Transitions && hospital &stays"), ""),
                (self.health_tab, self.tr("C&HC && aftercare"),
                 self.tr("NHS continuing healthcare (CHC) and aftercare")),
                (self.conferences_tab, self.tr("Con&ferences"), self.tr("Case conferences")),
                (self.social_tab, self.tr("Carers && safe&guarding"), ""),
                (self.funding_tab, self.tr("F&unding"), ""),
                (self.history_tab, self.tr("Histor&y"), "")):
            index = self.tabs.addTab(tab, label)
            if whole:
                self.tabs.setTabToolTip(index, whole)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.normal = QWidget()
        normal_layout = QVBoxLayout(self.normal)
        normal_layout.setContentsMargins(0, 0, 0, 0)
        normal_layout.addWidget(self.header)
        normal_layout.addWidget(self.tabs, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.normal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._show_file()

    # -- reading -------------------------------------------------------------------------

    def _dir(self) -> Directory:
        if self._directory is None:
            self._directory = load_directory(self.store)
        return self._directory

    def _load(self) -> PersonFile:
        return load_person_file(self.store, self.person_id, self._dir(), viewer=self.viewer,
                                today=self.today)

    def _reread(self) -> bool:
        """Read the file again; False (and the window told) when it is gone or no longer
        shared with the reader."""
        try:
            self.pf = self._load()
        except NotFoundError:
            QMessageBox.warning(self, self.tr("Person not found"),
                                self.tr("This person is no longer in the store."))
            return False
        except NotSharedError as exc:
            self.no_longer_shared.emit(str(exc))
            return False
        return True

    def title(self) -> str:
        return self.pf.person.name

    def reload(self) -> None:
        """Read the person again (after a write, or when told the store changed)."""
        if self._reread():
            self._show_file()

    def _show_file(self, changes: Changes | None = None) -> None:
        # Read on each showing: an administrator may have changed the actor's account.
        self.who = None if self.actor is None else store_permissions.who(self.store,
                                                                         self.actor.id)
        self.header.show_person(self.pf, self.today, self.flags)
        self._retitle()
        permit(self.header.edit, rules.edit_person(self.who, self.care_team(), self.pf.directory)
               if self.actor is not None else rules.ALLOWED, possible=self.edits is not None)
        # Only the visible tab is filled now; the others when first shown (fast open).
        # After an edit, only the tabs that show what it changed.
        for i in range(self.tabs.count()):
            tab = self.tabs.widget(i)
            if tab is not None and (changes is None or tab.shows(changes)):  # type: ignore[attr-defined]
                self._stale_tabs.add(tab)
        self._tab_shown(self.tabs.currentIndex())
        if self.conference is not None:
            self.conference.show_file()

    def _retitle(self) -> None:
        """The window's tabs carry each person's name as it now is."""
        pages = self.parentWidget()
        tabs = pages.parentWidget() if pages is not None else None
        if isinstance(tabs, QTabWidget):
            retitle_people(tabs)

    def _tab_shown(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab in self._stale_tabs:
            self._stale_tabs.discard(tab)
            tab.show_file()  # type: ignore[attr-defined]

    def show_tab(self, tab: QWidget) -> None:
        """Bring one of this workspace's tabs to the front."""
        self.tabs.setCurrentWidget(tab)

    def edit_details(self) -> bool:
        """Correct the person's name, date of birth, NHS number and other details."""
        from careplan.ui.person_form import edit_person

        return edit_person(self)

    def chosen_conference_id(self) -> str | None:
        """The case conference chosen in its tab, or the latest one if it was never shown."""
        tab = self.conferences_tab
        if tab.built:
            return tab.current_id()
        return self.pf.conferences[0].id if self.pf.conferences else None

    def history(self) -> list[AuditEvent]:
        return person_history(self.store, self.pf)

    def set_actor(self, actor: Professional | None) -> None:
        self.actor = actor
        self._show_file()

    def set_flags(self, flags: FlagSummary | None) -> None:
        self.flags = flags
        self.header.show_flags(flags)
        if self.conference is not None:
            self.conference.show_file()

    def care_team(self) -> rules.CareTeam:
        """The person's care team today, as the permission rules see it."""
        d = self.pf.directory
        return rules.care_team(self.pf.team, {
            m.professional_id: d.professionals[m.professional_id].agency_id
            for m in self.pf.team if m.professional_id in d.professionals}, self.today)

    def team_choices(self) -> list[tuple[str, str | None]]:
        d = self.pf.directory
        out: list[tuple[str, str | None]] = [(self.tr("— unowned —"), None)]
        for m in self.pf.team:
            if m.active_on(self.today) and m.professional_id in d.professionals:
                pro = d.professionals[m.professional_id]
                out.append((f"{pro.name} ({d.agency_name(pro.agency_id)})", pro.id))
        return out

    # -- writing -------------------------------------------------------------------------
    # The narrow interface the tabs write through: they own their dialogs; every write
    # goes to the window's writer as an operation, and comes back as Changes.

    def actor_id(self) -> str:
        return self.actor.id if self.actor else "unknown"

    def refused(self, message: str) -> None:
        QMessageBox.warning(self, self.tr("Not saved"), message[:1].upper() + message[1:])

    def require_actor(self) -> bool:
        """Whether someone is chosen to act as; says how to choose when nobody is."""
        if self.actor is None:
            self.refused(self.tr("Choose who you are first (File ▸ Who am I…); every change "
                                 "is recorded under a professional's name."))
            return False
        return True

    def submit(self, label: str, write: Callable[[Store], Any], *,
               done: Callable[[Done[Any]], Any] | None = None,
               failed: Callable[[Exception], Any] | None = None) -> None:
        """Hand ``write`` to the window's writer as an undoable edit called ``label``.

        Views (this one included) refresh from the Changes it makes; ``done`` gets its
        result, ``failed`` a refusal (by default said in a message, then reloaded).
        """
        if self.edits is None or self.edits.runner is None:
            raise RuntimeError("this workspace was opened without a writer")
        self.edits.runner.submit(label, write, stack=self.undo_stack, done=done,
                                 failed=failed or self.edits.show_failure, owner=self)

    def ask(self, form: RecordForm, label: str,
            write_for: Callable[[Any], Callable[[Store], Any]],
            done: Callable[[Done[Any]], Any] | None = None) -> bool:
        """Show ``form``; on OK save what it built as ``label``. The form stays open with
        the user's entries until the store has taken them, and says why if it will not."""

        def save(built: Any, saved: Callable[[], None],
                 refused: Callable[[Exception], None]) -> None:
            def ok(result: Done[Any]) -> None:
                saved()
                if done is not None:
                    done(result)

            self.submit(label, write_for(built), done=ok, failed=refused)

        build = form.build

        def checked(f: RecordForm) -> Any:
            """What the form built; a new record's dates checked against the person's
            date of birth and the workspace's today, as the store checks them
            (careplan.models.plausibility; a change is checked by the store, on the
            dates it changes)."""
            built = build(f)
            for record in built if isinstance(built, tuple | list) else (built,):
                if isinstance(record, Entity) and record.version == 0 \
                        and record.TABLE != "persons":
                    check_dates(record, self.pf.person.birth_date, self.today)
            return built

        form.build = checked
        for field in form.fields.values():
            if isinstance(field, DateField) and field.today is None:
                field.today = self.today
        form.saving(save)
        form.finish()
        return bool(form.exec())

    def apply_changes(self, changes: Changes, directory: Directory | None = None) -> None:
        """Show what ``changes`` (this person's) did: the file is read again; the header
        and the tabs showing those records are refreshed, selections kept."""
        if directory is not None:
            self._directory = directory
        if self._reread():
            self._show_file(changes)

    def now(self) -> datetime:
        """The time of day in England now, on the workspace's "today" (injectable for
        tests): the stamp of an act (a handoff, a signature, a conference). Never the
        machine's time of day, an hour behind in summer on a machine set to UTC."""
        from careplan import clock

        return datetime.combine(self.today, clock.now().time().replace(microsecond=0))

    # -- case conference mode ----------------------------------------------------------------

    def toggle_conference(self) -> None:
        from careplan.ui.conference import ConferenceMode

        if self.conference is None:
            if not self.require_actor():
                return
            allowed = rules.record_conference(self.who, self.care_team(), self.pf.directory)
            if not allowed:
                self.refused(allowed.reason)
                return
            self.conference = ConferenceMode(self)
            self.conference.finished.connect(self._conference_closed)
            self.stack.addWidget(self.conference)
            self.stack.setCurrentWidget(self.conference)
            self.conference.start()
        else:
            self.conference.finish()

    def _conference_closed(self) -> None:
        if self.conference is not None:
            self.stack.removeWidget(self.conference)
            self.conference.deleteLater()
            self.conference = None
        self.stack.setCurrentWidget(self.normal)
        self.tabs.setCurrentWidget(self.conferences_tab)
        self.reload()

    def confirm_close(self) -> bool:
        """Leaving with a conference in progress asks first when something captured is
        not saved (save, discard, or stay): the tab closes only once the record is saved
        or discarded."""
        if self.conference is not None:
            if not self.conference.confirm_leave():
                return False
            if self.edits is not None and self.edits.runner is not None:
                self.edits.runner.flush()
            return self.conference is None
        return True


def retitle_people(tabs: QTabWidget) -> None:
    """Name each person's tab; two open persons of one name are told apart by their date
    of birth, and every tab's tooltip says name, date of birth and NHS number (HAZ-022)."""
    people = [(i, w) for i in range(tabs.count())
              if isinstance(w := tabs.widget(i), PersonWorkspace)]
    names = [w.title() for _, w in people]
    for (index, ws), name in zip(people, names, strict=True):
        person = ws.pf.person
        born = text.fmt_date(person.birth_date)
        tabs.setTabText(index, ws.tr("%s (born %s)") % (name, born)
                        if names.count(name) > 1 else name)
        tabs.setTabToolTip(index, ws.tr("%s, born %s, NHS number %s") % (
            name, born, text.fmt_nhs(person.nhs_number) or ws.tr("not recorded")))
