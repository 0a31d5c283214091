"""Every print and export is made for an audience: an agency, by default the reader's own.

What goes in (careplan.models.sharing_basis decides each person and agency on the day):

- only persons whose records may be shared with the audience (and with the reader's
  own agency: nobody prints what they may not see);
- of those persons, what each agency recorded goes in only when that agency's sharing
  basis allows it too (or the agency is the audience itself): an action of an agency
  the person refused consent to is left out, and so are handoffs and referrals between
  it and others, hospital stays in it and the reasons for delay it owns. The person's
  shared plan itself (needs, outcomes, what matters to them), the care team, the
  signatures and the consent records stay: the notice below names those agencies anyway;
- the document says what was left out and why, in sentences such as "2 actions of
  Northbridge Homes withheld: consent refused on 3 Mar 2026.", and how many persons
  were left out because their records are not shared with the audience.

An audience that may receive nothing asked for is refused in one sentence
(:class:`NothingShared`): no empty document is written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from careplan.export.records import Records
from careplan.models import Action, Agency, Entity, Referral
from careplan.models.sharing_basis import SharingBasis, sharing_bases, withheld_sentence
from careplan.store import Store
from careplan.store.visibility import NotSharedError, Viewer, not_shared

E = TypeVar("E", bound=Entity)


class NothingShared(NotSharedError):
    """The audience may receive nothing of what was asked for: no document is made."""


#: The protective marking every print and table carries (HAZ-035).
CONFIDENTIAL = (
    "OFFICIAL-SENSITIVE: PERSONAL. Confidential health and care information: share only "
    "within the care team under the information sharing agreement."
)

@dataclass(frozen=True, slots=True)
class Audience:
    """Whom a print or export is for: an agency."""

    agency_id: str
    name: str

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.agency_id, None, self.name)


def audience_of(store: Store, agency_id: str) -> Audience:
    """The agency ``agency_id`` as an audience."""
    found = store.query("SELECT name FROM agencies WHERE id = ?", (agency_id,))
    return Audience(agency_id, str(found[0]["name"]) if found else "an unknown agency")


def audience_for(store: Store, viewer: Viewer, agency_id: str | None = None) -> Audience:
    """The audience of a print by ``viewer``: ``agency_id`` when named, else the
    reader's own agency.

    Raises:
        NotSharedError: the reader belongs to no agency (an administrator's account that
            is no professional's): they may print no one's record for anyone.
    """
    if not viewer.sees_anyone:
        raise NotSharedError(viewer.nobody())
    target = agency_id or viewer.agency_id
    assert target is not None
    return audience_of(store, target)


@dataclass(frozen=True, slots=True)
class Withheld:
    """Records of one kind of one agency left out for one person, and why."""

    person_id: str
    noun: str
    agency_id: str
    count: int
    reason: str
    #: The reason without its dates, to total it over many persons.
    category: str = ""

    def sentence(self, agency_name: str) -> str:
        return withheld_sentence(self.count, self.noun, agency_name, self.reason)


@dataclass(slots=True)
class Shared:
    """What an audience receives of some records, and what was withheld from it."""

    records: Records
    audience: Audience
    withheld: list[Withheld] = field(default_factory=list)
    #: Persons left out because their records may not be shared with the audience (or
    #: the reader): counted, never named.
    persons_left_out: int = 0
    #: Ids of the records left out (flags and costs about them are left out too).
    withheld_ids: set[str] = field(default_factory=set)
    #: Each person's sharing basis by agency, on the day the document is made for.
    bases: dict[str, dict[str, SharingBasis]] = field(default_factory=dict)

    def blocks(self, person_id: str, agency_id: str | None) -> bool:
        """Whether the records of ``agency_id`` about the person stay out of this
        document (its sharing basis does not allow them to pass to the audience)."""
        if agency_id is None or agency_id == self.audience.agency_id:
            return False
        return not _allows(self.bases.get(person_id, {}), agency_id)

    def blocks_action(self, person_id: str, action: Action) -> bool:
        return self.blocks(person_id, _action_agency(self.records, action))

    def withhold(self, person_id: str, noun: str, agency_id: str, item_id: str) -> None:
        """Count one more record left out (met by a print after :func:`for_audience`)."""
        if item_id in self.withheld_ids:
            return
        self.withheld_ids.add(item_id)
        basis = self.bases.get(person_id, {}).get(agency_id) or SharingBasis(agency_id, False)
        for i, w in enumerate(self.withheld):
            if (w.person_id, w.noun, w.agency_id) == (person_id, noun, agency_id):
                self.withheld[i] = Withheld(person_id, noun, agency_id, w.count + 1, w.reason)
                return
        self.withheld.append(Withheld(person_id, noun, agency_id, 1, basis.reason,
                                      category(basis)))

    def sentences(self, person_id: str | None = None) -> list[str]:
        """What was withheld, as sentences: of one person, each kind and agency with its
        reason ("2 actions of Northbridge Homes withheld: consent refused on 3 Mar
        2026."); of everyone (``person_id`` None), totalled by kind and agency, with how
        many persons each reason applies to."""
        names = self.records.agency_name
        if person_id is not None:
            return [w.sentence(names(w.agency_id) or "an unknown agency")
                    for w in sorted((w for w in self.withheld if w.person_id == person_id),
                                    key=lambda w: (names(w.agency_id), w.noun))]
        totals = Totals()
        for w in self.withheld:
            totals.add(w.noun, w.agency_id, w.count, w.category or w.reason, 1)
        return totals.sentences(names)

    def persons_sentence(self) -> str:
        """How many persons were left out, and why; empty when none were."""
        return left_out_sentence(self.persons_left_out, self.audience)

    @property
    def anything_withheld(self) -> bool:
        return bool(self.withheld or self.persons_left_out)


def left_out_sentence(n: int, audience: Audience) -> str:
    """How many persons were left out of a document for ``audience``, and why; empty
    when none were."""
    if not n:
        return ""
    who = "1 person" if n == 1 else f"{n} persons"  # no comma: a CSV notes line
    return f"{who} left out: their records are not shared with {audience.name}."


class Totals:
    """What was withheld from everyone, totalled by kind and agency: how many records,
    and for each reason how many persons it applies to. :meth:`Shared.sentences` totals
    its :class:`Withheld` here; a table counted in SQL (careplan/export/table_sources.py)
    adds its counts here, so both say it in the same sentences."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.why: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)

    def add(self, noun: str, agency_id: str, records: int, reason: str,
            persons: int) -> None:
        self.counts[(noun, agency_id)] += records
        self.why[(noun, agency_id)][reason] += persons

    def sentences(self, names: Callable[[str | None], str]) -> list[str]:
        """One sentence per kind and agency, by agency name (``names``) then kind."""
        out = []
        for (noun, agency), n in sorted(self.counts.items(),
                                        key=lambda kv: (names(kv[0][1]), kv[0][0])):
            reasons = "; ".join(
                f"{reason} ({persons} person{'s' if persons != 1 else ''})"
                for reason, persons in sorted(self.why[(noun, agency)].items()))
            out.append(withheld_sentence(n, noun, names(agency) or "an unknown agency",
                                         reasons))
        return out


def for_audience(rec: Records, audience: Audience, today: date,
                 reader_agency_id: str | None = None) -> Shared:
    """What of ``rec`` the audience may receive on ``today`` (see the module), for a
    document made by a reader of ``reader_agency_id`` (who must be able to see each
    person too)."""
    out = Records(agencies=rec.agencies, professionals=rec.professionals)
    withheld: list[Withheld] = []
    ids: set[str] = set()
    all_bases: dict[str, dict[str, SharingBasis]] = {}
    left_out = 0
    for person in rec.persons:
        consents = rec.consents.get(person.id, [])
        bases = sharing_bases(consents, today)
        if not _allows(bases, audience.agency_id) or (
                reader_agency_id is not None and not _allows(bases, reader_agency_id)):
            left_out += 1
            continue
        keeper = _Keeper(person.id, audience.agency_id, bases, rec, withheld, ids)
        pid = person.id
        all_bases[pid] = bases
        out.persons.append(person)
        for name in ("team", "consents", "conditions", "conferences"):
            items = getattr(rec, name).get(pid)
            if items is not None:
                getattr(out, name)[pid] = list(items)
        plans = rec.plans.get(pid, [])
        if plans:
            out.plans[pid] = list(plans)
        for plan in plans:
            for name in ("needs", "outcomes", "signoffs"):
                items = getattr(rec, name).get(plan.id)
                if items is not None:
                    getattr(out, name)[plan.id] = list(items)
            actions = keeper.keep(rec.actions.get(plan.id, []), "action",
                                  lambda a: [_action_agency(rec, a)])
            if actions or plan.id in rec.actions:
                out.actions[plan.id] = actions
            for a in actions:
                if a.id in rec.action_needs:
                    out.action_needs[a.id] = list(rec.action_needs[a.id])
        handoffs = keeper.keep(rec.handoffs.get(pid, []), "handoff",
                               lambda h: [h.to_agency_id, h.from_agency_id])
        if handoffs or pid in rec.handoffs:
            out.handoffs[pid] = handoffs
        referrals = keeper.keep(rec.referrals.get(pid, []), "referral",
                                lambda r: _referral_agencies(rec, r))
        if referrals or pid in rec.referrals:
            out.referrals[pid] = referrals
        for r in referrals:
            if r.id in rec.referral_events:
                out.referral_events[r.id] = list(rec.referral_events[r.id])
        stays = keeper.keep(rec.stays.get(pid, []), "hospital stay", lambda s: [s.hospital_id])
        if stays or pid in rec.stays:
            out.stays[pid] = stays
        for s in stays:
            reasons = keeper.keep(rec.delays.get(s.id, []), "delay reason",
                                  lambda d: [d.owner_agency_id])
            if reasons or s.id in rec.delays:
                out.delays[s.id] = reasons
        keeper.report()
    return Shared(out, audience, withheld, left_out, ids, all_bases)


def require_person(rec: Records, shared: Shared, person_id: str, today: date,
                   reader: Viewer) -> None:
    """Refuse a document about one person that its audience (or its reader) may not have.

    Raises:
        NotSharedError: the reader's agency may not see the person's record.
        NothingShared: the audience may receive nothing of it: one sentence with why.
    """
    if any(p.id == person_id for p in shared.records.persons):
        return
    person = next(p for p in rec.persons if p.id == person_id)
    bases = sharing_bases(rec.consents.get(person_id, []), today)
    if reader.agency_id is not None and not _allows(bases, reader.agency_id):
        mine = bases.get(reader.agency_id) or SharingBasis(reader.agency_id, False)
        raise NotSharedError(not_shared(reader, mine))
    theirs = bases.get(shared.audience.agency_id) or SharingBasis(shared.audience.agency_id,
                                                                   False)
    raise NothingShared(f"Nothing of {person.name}'s record may be shared with "
                        f"{shared.audience.name} ({theirs.reason}), so no document was made.")


def require_something(shared: Shared, what: str) -> None:
    """Refuse a document with nothing in it for its audience.

    Raises:
        NothingShared: no person in ``shared``: one sentence naming the audience.
    """
    if not shared.records.persons:
        raise nothing_shared(what, shared.audience)


def nothing_shared(what: str, audience: Audience) -> NothingShared:
    """The refusal of a document with nothing in it for ``audience``."""
    return NothingShared(f"Nothing of {what} may be shared with {audience.name}: no record "
                         "of it is shared with that agency, so no document was made.")


def category(basis: SharingBasis) -> str:
    """Why an agency has no sharing basis, without dates (to total over persons)."""
    return category_of(None if basis.record is None else basis.record.status.value,
                       None if basis.objection is None else basis.objection.status.value)


def category_of(status: str | None, objection: str | None) -> str:
    """:func:`category` from the latest record's status (None: no record) and the
    objection's (careplan.models.sharing_basis.sharing_bases_sql gives both)."""
    if objection is not None:
        return f"consent {objection} (a direct-care basis does not stand against it)"
    if status is None:
        return "no consent or legal basis recorded"
    return f"consent {status}"


def _allows(bases: dict[str, SharingBasis], agency_id: str) -> bool:
    basis = bases.get(agency_id)
    return basis is not None and basis.allowed


def _action_agency(rec: Records, action: Action) -> str | None:
    if action.owner_agency_id:
        return action.owner_agency_id
    pro = rec.professionals.get(action.owner_professional_id or "")
    return pro.agency_id if pro is not None else None


def _referral_agencies(rec: Records, r: Referral) -> list[str | None]:
    events = rec.referral_events.get(r.id, [])
    return [r.from_agency_id, *(e.team_id for e in events), *(e.to_team_id for e in events)]


class _Keeper:
    """Keeps the records of one person whose agencies may share, and counts the rest."""

    def __init__(self, person_id: str, audience_id: str, bases: dict[str, SharingBasis],
                 rec: Records, withheld: list[Withheld], ids: set[str]) -> None:
        self.person_id, self.audience_id, self.bases = person_id, audience_id, bases
        self.rec, self.withheld, self.ids = rec, withheld, ids
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def blocking(self, agencies: Iterable[str | None]) -> str | None:
        """The first of ``agencies`` whose records may not pass to the audience."""
        for agency in agencies:
            if agency is None or agency == self.audience_id:
                continue
            if not _allows(self.bases, agency):
                return agency
        return None

    def keep(self, items: Iterable[E], noun: str,
             agencies_of: Callable[[E], Iterable[str | None]]) -> list[E]:
        kept: list[E] = []
        for item in items:
            blocked = self.blocking(agencies_of(item))
            if blocked is None:
                kept.append(item)
            else:
                self.counts[(noun, blocked)] += 1
                self.ids.add(item.id)
        return kept

    def report(self) -> None:
        for (noun, agency), n in self.counts.items():
            basis = self.bases.get(agency)
            if basis is None:
                basis = SharingBasis(agency, False)
            self.withheld.append(Withheld(self.person_id, noun, agency, n, basis.reason,
                                          category(basis)))


def agency_choices(agencies: Iterable[Agency]) -> list[tuple[str, str]]:
    """(name, id) of every agency, by name: the audiences a print may be made for."""
    return sorted(((a.name, a.id) for a in agencies), key=lambda pair: pair[0].lower())


__all__ = [
    "Audience",
    "NothingShared",
    "Shared",
    "Totals",
    "Withheld",
    "agency_choices",
    "audience_for",
    "audience_of",
    "category_of",
    "for_audience",
    "left_out_sentence",
    "nothing_shared",
    "require_person",
    "require_something",
]
