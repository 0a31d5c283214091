"""The History tab: this person's audit trail — who changed what, when — and who looked:
who opened, printed or exported their record (careplan.store.reads), from any store.

The audit log and the record of reads keep ids and UTC instants; this tab says them as a
person would: names of professionals, agencies and persons, the account's user name for an
administrator who is no professional, times in England's local time, dates the British way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout

from careplan import clock
from careplan.models import BY_TABLE, AuditEvent
from careplan.models.accounts import ACCOUNT_ACTOR, Account
from careplan.models.base import label
from careplan.models.reads import Read
from careplan.store import NotFoundError, get, reads
from careplan.store.repo import actor_name
from careplan.ui import text
from careplan.ui.tablemodel import Column, RecordTableModel
from careplan.ui.workspace.tab_base import WorkspaceTab
from careplan.ui.workspace.tables import record_table

#: Bookkeeping every row carries: not a change anyone made on purpose.
_HIDDEN = {"version", "id", "created_at", "updated_at", "updated_by", "hlc"}
#: Fields whose words are not their name with "_id" dropped.
_FIELD_WORDS = {
    "owner_professional_id": "owner", "owner_agency_id": "owner's agency",
    "from_professional_id": "from", "from_agency_id": "from agency",
    "to_professional_id": "to", "to_agency_id": "to agency", "chair_id": "chair",
    "answered_by": "answered by", "interim_owner_id": "interim owner",
    "gp_practice_id": "GP practice", "nhs_number": "NHS number",
    "birth_date": "date of birth", "attendee_ids": "attendees",
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def local_time(moment: datetime) -> datetime:
    """An audit instant (UTC) as the time on a clock in England."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return clock.now(moment)


def field_words(name: str) -> str:
    """``owner_professional_id`` -> "owner"; ``due_date`` -> "due date"."""
    if name in _FIELD_WORDS:
        return _FIELD_WORDS[name]
    base = name[:-3] if name.endswith("_id") else name
    return label(base)


class Names:
    """Ids as names, for one person's file (the directory, the person, accounts)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._accounts: dict[str, str] = {}

    def professional(self, pid: str) -> str:
        pro = self.ws.pf.directory.professionals.get(pid)
        return pro.name if pro is not None else ""

    def agency(self, aid: str) -> str:
        agency = self.ws.pf.directory.agencies.get(aid)
        return agency.name if agency is not None else ""

    def who(self, actor: str) -> str:
        """The professional's name, else the account's user name, else the actor as the
        log holds it (an import, a test)."""
        if actor.startswith(ACCOUNT_ACTOR):
            account_id = actor[len(ACCOUNT_ACTOR):]
            if account_id not in self._accounts:
                try:
                    username = get(self.ws.store, Account, account_id).username
                except NotFoundError:
                    username = ""
                self._accounts[account_id] = username
            name = self._accounts[account_id]
            return f"{name} (administrator)" if name else actor
        # A professional of another store (a shared record) is named by this store's copy.
        return self.professional(actor) or actor_name(self.ws.store, actor)

    def value(self, name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, bool) or (name.startswith(("is_", "has_")) and value in (0, 1)):
            return "yes" if value else "no"
        if isinstance(value, list | tuple):
            return ", ".join(self.value(name, v) for v in value) or "—"
        if not isinstance(value, str):
            return str(value)
        if name.endswith("agency_id") or name == "gp_practice_id":
            return self.agency(value) or "another agency"
        if name.endswith(("professional_id", "chair_id", "owner_id", "_by")) \
                or name in ("attendee_ids", "professional_id"):
            return self.professional(value) or "someone not in this store's directory"
        if name == "person_id":
            return self.ws.pf.person.name if value == self.ws.person_id else "another person"
        if name == "nhs_number":
            return text.fmt_nhs(value)
        return moment_text(value)


def moment_text(value: str) -> str:
    """ISO dates and times as they read in England; any other text as it is."""
    if _ISO_DATE.match(value):
        try:
            return text.fmt_date(date.fromisoformat(value))
        except ValueError:
            return value
    if _ISO_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            moment = clock.now(moment)
        return text.fmt_datetime(moment)
    return value


def _noun(event: AuditEvent) -> str:
    cls = BY_TABLE.get(event.entity)
    return cls.NOUN if cls else event.entity.replace("_", " ")


def what_text(event: AuditEvent) -> str:
    """"Action: Find an adult-services worker", or the kind of record alone."""
    noun = _noun(event)
    words = (event.after or {}).get("description") or (event.after or {}).get("summary")
    noun = noun[:1].upper() + noun[1:]
    if isinstance(words, str) and words.strip():
        short = words.strip() if len(words) <= 60 else words.strip()[:59] + "…"
        return f"{noun}: {short}"
    return noun


def change_text(event: AuditEvent, names: Names | None = None,
                show: Callable[[str, Any], str] | None = None) -> str:
    """"Status: proposed → accepted; Owner: Sam Okafor → Nina Patel", or "Added"."""
    if event.before is None:
        return "Added"
    if show is None:
        show = names.value if names is not None else _plain
    parts = []
    for name in event.changed_fields:
        if name in _HIDDEN or name.endswith("_hlc"):
            continue
        before, after = event.before.get(name), event.after.get(name)
        words = field_words(name)
        parts.append(f"{words[:1].upper() + words[1:]}: {show(name, before)} → "
                     f"{show(name, after)}")
    return "; ".join(parts) or "No visible change"


def _plain(name: str, value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def read_text(read: Read) -> str:
    """"Printed: joint care plan (PDF)"."""
    return f"{read.kind.value.capitalize()}: {read.description}"


class HistoryTab(WorkspaceTab):
    def build(self) -> None:
        tr = self.tr
        self.names = Names(self.ws)
        names = self.names
        self.model = RecordTableModel[AuditEvent]([
            Column(tr("When"), lambda e: text.fmt_datetime(local_time(e.at)),
                   tooltip=lambda e: tr("%s in England (%s UTC)") % (
                       text.fmt_datetime(local_time(e.at)),
                       e.at.astimezone(UTC).strftime("%H:%M") if e.at.tzinfo else
                       e.at.strftime("%H:%M"))),
            Column(tr("Who"), lambda e: names.who(e.actor)),
            Column(tr("What"), what_text, tooltip=what_text),
            Column(tr("Change"), lambda e: change_text(e, names),
                   tooltip=lambda e: change_text(e, names)),
        ], self)
        self.looked = RecordTableModel[Read]([
            Column(tr("When"), lambda r: text.fmt_datetime(local_time(r.at))),
            Column(tr("Who"), self._reader),
            Column(tr("What"), read_text, tooltip=read_text),
        ], self)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Every change to this person's records, newest first "
                                   "(times in England).")))
        layout.addWidget(record_table(self.model, tr("Audit trail"), stretch=3), 3)
        looked = QLabel(tr("Who looked: who opened, printed or exported this "
                           "person's record, newest first (exports of the whole "
                           "caseload are on the handoff audit)."))
        looked.setWordWrap(True)  # a narrow window wraps it rather than growing
        layout.addWidget(looked)
        layout.addWidget(record_table(self.looked, tr("Who looked"), stretch=2), 1)

    def _reader(self, read: Read) -> str:
        """The professional's name; an account's user name; else the actor as recorded."""
        return self.names.who(read.reader_id)

    def fill(self) -> None:
        self.model.set_records(self.ws.history())
        self.looked.set_records(reads.of_person(self.ws.store, self.ws.person_id))
