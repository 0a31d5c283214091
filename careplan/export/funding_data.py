"""The neighbourhood funding report's numbers: all the money going to the people of a
neighbourhood this financial year, by agency and by stream (the "Total Place" count),
free against means-tested, the prevention share, disputes, and the budgets.

Every table is a view of the same ``Totals``, so they all add up to the same sum, which
is the sum of the actions' own costs.

It is made for an audience (careplan.export.audience): the sums count all the money,
but persons are named (disputes, personal budgets, costed actions) only when their
records may be shared with the audience and the reader, and an action only when its
agency's records may pass to the audience; the report says how many were not named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from careplan.models import Action, Consent, HospitalStay, nhs
from careplan.models.budgets import (
    FundedCost,
    JointBudgetPosition,
    PersonalBudgetPosition,
    Totals,
    joint_budget_position,
    payer_of,
    personal_budget_position,
    totals,
)
from careplan.models.costing import cost_between, financial_year
from careplan.models.funding import CareType, FundingPrinciple, FundingStatus, percent
from careplan.models.sharing_basis import SharingBasis, sharing_bases
from careplan.store import Store, find
from careplan.store.funding import FundingBook, load_book
from careplan.store.rows import from_row
from careplan.store.visibility import shareable_persons


@dataclass(frozen=True, slots=True)
class Dispute:
    person: str
    nhs_number: str
    action: str
    agencies: str
    since: date
    days: int
    this_year: int
    discharge_delayed: bool
    note: str


@dataclass(frozen=True, slots=True)
class Line:
    """One costed action, for the detail sheet."""

    person: str
    nhs_number: str
    action: str
    care_type: str
    frequency: str
    unit_pence: int
    funding_status: str
    funders: str
    this_year: int
    to_date: int


@dataclass
class FundingReport:
    neighbourhood: str | None
    today: date
    first: date
    last: date
    book: FundingBook
    year: Totals
    to_date: Totals
    disputes: list[Dispute]
    joint: list[JointBudgetPosition]
    personal: list[tuple[str, PersonalBudgetPosition]]
    lines: list[Line]
    #: Whom the report is for (an agency's name); empty when made for no one named.
    audience: str = ""
    #: Costed actions counted in the sums but not listed, and of how many persons.
    unnamed_actions: int = 0
    unnamed_persons: int = 0
    #: Personal budgets counted but not listed (their persons are not shared).
    unnamed_budgets: int = 0

    @property
    def withheld_note(self) -> str:
        """What the report counts without naming, and why; empty when nothing."""
        if not (self.unnamed_actions or self.unnamed_budgets):
            return ""
        parts = []
        if self.unnamed_actions:
            parts.append(f"{self.unnamed_actions} costed action"
                         f"{'s' if self.unnamed_actions != 1 else ''} of "
                         f"{self.unnamed_persons} person"
                         f"{'s' if self.unnamed_persons != 1 else ''}")
        if self.unnamed_budgets:
            parts.append(f"{self.unnamed_budgets} personal budget"
                         f"{'s' if self.unnamed_budgets != 1 else ''}")
        return (f"{' and '.join(parts)} are counted in the sums but not listed: their "
                f"records may not be shared with {self.audience or 'this audience'}.")

    @property
    def scope(self) -> str:
        return self.neighbourhood or "all neighbourhoods"

    @property
    def period(self) -> str:
        return f"financial year {self.first.year}-{str(self.last.year)[2:]}"

    def payer_rows(self) -> list[tuple[str, int, int]]:
        """(payer, this year, to date), largest first."""
        return sorted(((self.book.payer_name(k), v, self.to_date.by_payer.get(k, 0))
                       for k, v in self.year.by_payer.items()), key=lambda r: (-r[1], r[0]))

    def stream_rows(self) -> list[tuple[str, str, str, str, int, int]]:
        """(stream, kind, principle, payer, this year, to date), largest first."""
        out = []
        for sid, v in self.year.by_stream.items():
            s = self.book.streams[sid]
            out.append((s.name, s.kind.value, s.principle.value,
                        self.book.payer_name(payer_of(s)), v, self.to_date.by_stream.get(sid, 0)))
        return sorted(out, key=lambda r: (-r[4], r[0]))

    def principle_rows(self) -> list[tuple[str, int, str]]:
        public = self.year.public
        return [(p.value, self.year.by_principle.get(p, 0),
                 share(self.year.by_principle.get(p, 0), public)) for p in FundingPrinciple]

    def care_rows(self) -> list[tuple[str, int, str]]:
        public = self.year.public
        return [(c.value, self.year.by_care_type.get(c, 0),
                 share(self.year.by_care_type.get(c, 0), public)) for c in CareType]


def share(part: int, whole: int) -> str:
    """A share as a percentage to two places, from whole pence (no floats)."""
    return "–" if whole == 0 else percent(part * 10_000 // whole)


def funding_report(store: Store, today: date, neighbourhood: str | None = None, *,
                   audience_id: str, audience: str,
                   reader_agency_id: str | None) -> FundingReport:
    """Everything the report prints, for ``neighbourhood`` (or every one), made for the
    agency ``audience_id`` (called ``audience``) by a reader of ``reader_agency_id``."""
    book = load_book(store, neighbourhood=neighbourhood)
    first, last = financial_year(today)
    year = totals(book.lines, book.streams, first, last)
    so_far = totals(book.lines, book.streams, first, today)
    persons = book.persons
    people = shareable_persons(store, audience_id, today)
    if reader_agency_id is not None and reader_agency_id != audience_id:
        people &= shareable_persons(store, reader_agency_id, today)
    named = _nameable(store, book, today, audience_id, people)
    shown_lines = [ln for ln in book.lines if named(ln)]
    hidden = [ln for ln in book.lines if not named(ln)]
    shown_persons = {ln.person_id for ln in shown_lines}

    def nhs_text(pid: str) -> str:
        number = persons[pid].nhs_number
        return nhs.format_334(number) if number else ""

    disputed = [ln for ln in shown_lines if ln.cost.funding_status is FundingStatus.DISPUTED]
    delayed = _delayed(store, {ln.person_id for ln in disputed}, today)
    disputes = [
        Dispute(persons[ln.person_id].name, nhs_text(ln.person_id),
                book.actions[ln.cost.action_id].description,
                ", ".join(book.agency_names.get(a, "?") for a in ln.cost.disputed_by),
                ln.cost.disputed_since or today, (today - (ln.cost.disputed_since or today)).days,
                cost_between(ln.cost, first, last), ln.person_id in delayed, ln.cost.note)
        for ln in disputed
    ]
    disputes.sort(key=lambda d: (not d.discharge_delayed, d.since, d.person))
    joint = [joint_budget_position(b, book.contributions, book.streams, book.lines, today)
             for b in book.budgets.values()]
    by_person: dict[str, list[int]] = {}
    for i, ln in enumerate(book.lines):
        by_person.setdefault(ln.person_id, []).append(i)
    budgets = [b for b in book.personal_budgets if b.active_on(today)]
    personal = [
        (persons[b.person_id].name,
         personal_budget_position(b, [book.lines[i] for i in by_person.get(b.person_id, [])]))
        for b in budgets if b.person_id in people
    ]
    lines = []
    for ln in shown_lines:
        funders = "; ".join(f"{book.streams[f.stream_id].name} {percent(f.share_bp)}"
                            for f in ln.funders)
        lines.append(Line(persons[ln.person_id].name, nhs_text(ln.person_id),
                          book.actions[ln.cost.action_id].description, ln.cost.care_type.value,
                          ln.cost.frequency.value, ln.cost.unit_cost_pence,
                          ln.cost.funding_status.value, funders,
                          cost_between(ln.cost, first, last), cost_between(ln.cost, first, today)))
    lines.sort(key=lambda x: (x.person, x.action))
    return FundingReport(neighbourhood, today, first, last, book, year, so_far, disputes, joint,
                         personal, lines, audience, len(hidden),
                         len({ln.person_id for ln in hidden} - shown_persons),
                         len(budgets) - len(personal))


def _nameable(store: Store, book: FundingBook, today: date, audience_id: str,
              people: set[str]) -> Callable[[FundedCost], bool]:
    """Whether a costed action may be listed for the audience: its person is among
    ``people`` (shared with the audience and the reader), and its agency's records may
    pass to the audience."""
    wanted = sorted({ln.person_id for ln in book.lines} & people)
    consents: dict[str, list[Consent]] = {}
    for start in range(0, len(wanted), 500):
        for c in find_consents(store, wanted[start:start + 500]):
            consents.setdefault(c.person_id, []).append(c)
    bases: dict[str, dict[str, SharingBasis]] = {
        pid: sharing_bases(consents.get(pid, []), today) for pid in wanted}

    def agency_of(action: Action) -> str | None:
        return action.owner_agency_id

    def nameable(ln: FundedCost) -> bool:
        if ln.person_id not in people:
            return False
        agency = agency_of(book.actions[ln.cost.action_id])
        if agency is None or agency == audience_id:
            return True
        basis = bases.get(ln.person_id, {}).get(agency)
        return basis is not None and basis.allowed

    return nameable


def find_consents(store: Store, person_ids: list[str]) -> list[Consent]:
    marks = ", ".join("?" for _ in person_ids)
    return [from_row(Consent, r) for r in store.query(
        f"SELECT * FROM consents WHERE person_id IN ({marks})", tuple(person_ids))]


def _delayed(store: Store, person_ids: set[str], today: date) -> set[str]:
    """Persons still in hospital past their discharge ready date."""
    out = set()
    for pid in person_ids:
        for stay in find(store, HospitalStay, person_id=pid):
            ready = stay.discharge_ready_on
            if stay.discharged_on is None and ready is not None and ready < today:
                out.add(pid)
    return out


def neighbourhoods(store: Store) -> list[str]:
    """The neighbourhoods persons live in, by name."""
    return [str(r["neighbourhood"]) for r in store.query(
        "SELECT DISTINCT neighbourhood FROM persons WHERE neighbourhood != '' ORDER BY 1")]
