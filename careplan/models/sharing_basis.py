"""Whether a person's records may be shared with an agency: the sharing basis.

For each person and agency the consent records decide (careplan.models.people.Consent):

- the latest record recorded by the day in question decides, as for ``consent-missing``;
  on the same day a refusal or withdrawal counts as later than a consent or a legal
  basis, so doubt falls on the safe side;
- consent given, or a legal basis (safeguarding, a court order, direct care), allows;
- consent refused or withdrawn does not;
- a direct-care basis does not stand against the person's own objection: the duty to
  share for direct care does not apply where the person objects (Health and Social Care
  Act 2012 s.251B(4)(a)), so while the person's latest decision for the agency is a
  refusal or withdrawal, a direct-care basis recorded after it does not allow;
  safeguarding and a court order do;
- no record at all does not allow: an agency with no sharing basis sees nothing of the
  person (DESIGN.md, "sharing basis").

A sharing basis covers what passes both ways between the agency and the rest of the
care team: an agency without one receives nothing of the person's record, and what it
recorded of the person is given to no other agency (careplan.export.audience).

Pure functions, and beside them the same rule as SQL text
(:func:`latest_allows_sql`), which the store's reads bind and run; the two are checked
against each other in tests/test_sharing_consent.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from careplan.models.enums import ConsentStatus, LegalBasis
from careplan.models.people import Consent

if TYPE_CHECKING:  # the facts are read only by the flag rules: not at the app's start
    from careplan.models.facts import PersonFacts

#: Statuses that allow sharing when they are the latest record.
ALLOWS = (ConsentStatus.GIVEN, ConsentStatus.LEGAL_BASIS)
#: The person's objections: consent refused or withdrawn.
OBJECTIONS = (ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN)
#: The person's own decisions (a legal basis is the team's, not the person's).
DECISIONS = (ConsentStatus.GIVEN, *OBJECTIONS)
#: Within one day, objections come last (they win).
SAME_DAY_ORDER = {ConsentStatus.GIVEN: 0, ConsentStatus.LEGAL_BASIS: 0,
                  ConsentStatus.REFUSED: 1, ConsentStatus.WITHDRAWN: 1}


def _key(c: Consent) -> tuple[date, int]:
    return c.recorded_on, SAME_DAY_ORDER[c.status]


def latest_records(consents: Iterable[Consent], today: date,
                   statuses: Iterable[ConsentStatus] | None = None) -> dict[str, Consent]:
    """Each agency's latest record recorded by ``today`` (of ``statuses`` only, when
    given), by agency id."""
    wanted = None if statuses is None else frozenset(statuses)
    latest: dict[str, Consent] = {}
    for c in consents:
        if c.recorded_on > today or (wanted is not None and c.status not in wanted):
            continue
        held = latest.get(c.agency_id)
        if held is None or _key(c) >= _key(held):
            latest[c.agency_id] = c
    return latest


def day_text(d: date) -> str:
    """A date as the withheld notices write it: ``3 Mar 2026``."""
    return f"{d.day} {d:%b %Y}"


@dataclass(frozen=True, slots=True)
class SharingBasis:
    """Whether the records of one person may be shared with one agency, and why.

    ``record`` is the latest record (None: nothing recorded); ``objection`` the refusal
    or withdrawal that a direct-care basis does not overcome, when that is why not.
    """

    agency_id: str
    allowed: bool
    record: Consent | None = None
    objection: Consent | None = None

    @property
    def reason(self) -> str:
        """Why, in a few words: "consent refused on 3 Mar 2026", "no consent or legal
        basis recorded", "legal basis: safeguarding", "consent given on 1 Feb 2025"."""
        if self.objection is not None:
            return (f"consent {self.objection.status.value} on "
                    f"{day_text(self.objection.recorded_on)} (a direct-care basis does not "
                    "stand against the person's objection)")
        c = self.record
        if c is None:
            return "no consent or legal basis recorded"
        if c.status is ConsentStatus.LEGAL_BASIS:
            return f"legal basis: {c.basis_text or 'recorded'} (since {day_text(c.recorded_on)})"
        return f"consent {c.status.value} on {day_text(c.recorded_on)}"

    @property
    def severity_rank(self) -> int:
        """0 allowed, 1 nothing recorded, 2 refused or withdrawn (a flag's severity)."""
        if self.allowed:
            return 0
        return 1 if self.record is None and self.objection is None else 2


def sharing_basis(consents: Iterable[Consent], agency_id: str, today: date) -> SharingBasis:
    """The sharing basis of ``agency_id`` on ``today`` from one person's consent records
    (records of other agencies are passed over)."""
    mine = [c for c in consents if c.agency_id == agency_id]
    return _decide(agency_id, latest_records(mine, today).get(agency_id),
                   latest_records(mine, today, DECISIONS).get(agency_id))


def _decide(agency_id: str, latest: Consent | None, decision: Consent | None) -> SharingBasis:
    if latest is None or latest.status not in ALLOWS:
        return SharingBasis(agency_id, False, latest)
    if (latest.status is ConsentStatus.LEGAL_BASIS and latest.basis is LegalBasis.DIRECT_CARE
            and decision is not None and decision.status in OBJECTIONS):
        return SharingBasis(agency_id, False, latest, decision)
    return SharingBasis(agency_id, True, latest)


def sharing_bases(consents: Iterable[Consent], today: date) -> dict[str, SharingBasis]:
    """The sharing basis of every agency with a record, by agency id (an agency with
    none has no basis: :func:`sharing_basis` says so)."""
    items = list(consents)
    latest = latest_records(items, today)
    decisions = latest_records(items, today, DECISIONS)
    return {a: _decide(a, c, decisions.get(a)) for a, c in latest.items()}


def allowed_agencies(consents: Iterable[Consent], today: date) -> frozenset[str]:
    """Ids of the agencies the person's records may be shared with on ``today``."""
    return frozenset(a for a, b in sharing_bases(consents, today).items() if b.allowed)


def may_share(person_id: str, agency_id: str, facts: PersonFacts | Iterable[Consent],
              today: date) -> SharingBasis:
    """Whether ``person_id``'s records may be shared with ``agency_id`` on ``today``.

    ``facts`` is the person's facts (careplan.models.facts.PersonFacts) or their consent
    records; records of anyone else are passed over. For those who make a change pack or
    a print for a recipient agency: share the person only when this allows.
    """
    # PersonFacts (imported only for its type: the app's start stays light), or the consents
    consents: Iterable[Consent] = facts.consents if hasattr(facts, "consents") else facts
    return sharing_basis((c for c in consents if c.person_id == person_id), agency_id, today)


def latest_allows_sql(person: str = "p.id", agency: str = ":viewer_agency",
                      today: str = ":today", consents: str = "consents") -> str:
    """SQL that is 1 when the rule above allows sharing the records of the person whose
    id is ``person`` with the agency ``agency`` on ``today``, else 0 or NULL.

    Each of the three is an SQL expression (a column or a named parameter). It reads the
    covering index of consents (person, agency, status, recorded on: migration 5) and
    the ``basis`` column. The text is SQLite's and PostgreSQL's alike: the team server
    runs it over its own table of consent records (``consents``: a table with the
    columns of the store's, the day as ISO text), careplan.store.teamserver.
    """
    allows = ", ".join(f"'{s.value}'" for s in ALLOWS)
    objections = ", ".join(f"'{s.value}'" for s in OBJECTIONS)
    decisions = ", ".join(f"'{s.value}'" for s in DECISIONS)
    mine = (f"k.person_id = {person} AND k.agency_id = {agency} "
            f"AND k.recorded_on <= {today}")
    last = ("ORDER BY k.recorded_on DESC, "
            f"k.status IN ({objections}) DESC LIMIT 1")
    latest = (f"(SELECT CASE WHEN k.status NOT IN ({allows}) THEN 'no' "
              f"WHEN k.basis = '{LegalBasis.DIRECT_CARE.value}' THEN 'direct' ELSE 'yes' END "
              f"FROM {consents} k WHERE {mine} {last})")
    decision = (f"(SELECT k.status IN ({objections}) FROM {consents} k WHERE {mine} "
                f"AND k.status IN ({decisions}) {last})")
    return (f"(CASE {latest} WHEN 'yes' THEN 1 WHEN 'direct' "
            f"THEN (CASE WHEN {decision} THEN 0 ELSE 1 END) ELSE 0 END)")


def allowed_persons_sql(agency: str = ":viewer_agency", today: str = ":today") -> str:
    """SQL selecting the ids of the persons whose records the rule above allows sharing
    with the agency ``agency`` on ``today`` (each an SQL expression: a named parameter).

    The same rule as :func:`latest_allows_sql`, for one agency and every person at once:
    one pass over that agency's consents (the index of migration 15 leads with the
    agency), grouped by person, rather than a subquery per person, so that a caseload of
    50,000 reads each consent once. Each record's key is its day, then 1 for an objection
    (so that on one day an objection counts as later), then its kind: ``y`` allows, ``d``
    is a direct-care basis, ``n`` does not allow; the greatest key is the latest record.
    The greatest key among the person's own decisions says whether their latest decision
    is an objection, which a direct-care basis does not stand against.
    """
    allows = ", ".join(f"'{s.value}'" for s in ALLOWS)
    objections = ", ".join(f"'{s.value}'" for s in OBJECTIONS)
    decisions = ", ".join(f"'{s.value}'" for s in DECISIONS)
    latest = (f"max(k.recorded_on || (k.status IN ({objections})) || "
              f"CASE WHEN k.status NOT IN ({allows}) THEN 'n' "
              f"WHEN k.basis = '{LegalBasis.DIRECT_CARE.value}' THEN 'd' ELSE 'y' END)")
    decision = (f"max(CASE WHEN k.status IN ({decisions}) "
                f"THEN k.recorded_on || (k.status IN ({objections})) END)")
    return (f"SELECT k.person_id FROM consents k WHERE k.agency_id = {agency} "
            f"AND k.recorded_on <= {today} GROUP BY k.person_id "
            f"HAVING substr({latest}, 12, 1) = 'y' OR (substr({latest}, 12, 1) = 'd' "
            f"AND coalesce(substr({decision}, 11, 1), '0') = '0')")


def sharing_bases_sql(today: str = ":today", scope: str = "") -> str:
    """SQL selecting, for each person and agency with a consent record recorded by
    ``today`` (an SQL expression: a named parameter), the rule above as
    :func:`sharing_bases` decides it: ``person_id``, ``agency_id``, ``allowed`` (1 or 0),
    ``status`` (the latest record's status) and ``objection`` (the status of the refusal
    or withdrawal a direct-care basis does not stand against, when that is why not; else
    NULL). ``scope`` is more of the WHERE clause (``AND ...`` on ``k``), or empty.

    The keys are those of :func:`allowed_persons_sql`, each with its status after it, so
    that the greatest key also says which status decided: one pass over the consents,
    grouped by agency and person (the order of the index of migration 15, which covers
    every column read: no sort). (Of a refusal and a withdrawal of one agency recorded
    the same day the withdrawal is taken as the latest; the rule gives neither
    precedence, and both refuse.)
    """
    allows = ", ".join(f"'{s.value}'" for s in ALLOWS)
    objections = ", ".join(f"'{s.value}'" for s in OBJECTIONS)
    decisions = ", ".join(f"'{s.value}'" for s in DECISIONS)
    latest = (f"max(k.recorded_on || (k.status IN ({objections})) || "
              f"CASE WHEN k.status NOT IN ({allows}) THEN 'n' "
              f"WHEN k.basis = '{LegalBasis.DIRECT_CARE.value}' THEN 'd' ELSE 'y' END "
              "|| k.status)")
    decision = (f"max(CASE WHEN k.status IN ({decisions}) "
                f"THEN k.recorded_on || (k.status IN ({objections})) || k.status END)")
    keys = (f"SELECT k.person_id, k.agency_id, {latest} AS latest_, {decision} AS decision_ "
            f"FROM consents k WHERE k.recorded_on <= {today}{scope} "
            "GROUP BY k.agency_id, k.person_id")
    objected = ("(substr(latest_, 12, 1) = 'd' "
                "AND coalesce(substr(decision_, 11, 1), '0') = '1')")
    return (f"SELECT person_id, agency_id, "
            f"(substr(latest_, 12, 1) = 'y' OR (substr(latest_, 12, 1) = 'd' "
            f"AND NOT {objected})) AS allowed, substr(latest_, 13) AS status, "
            f"CASE WHEN {objected} THEN substr(decision_, 12) END AS objection "
            f"FROM ({keys})")


def withheld_sentence(count: int, noun: str, agency: str, reason: str) -> str:
    """"2 actions of Northbridge Homes withheld: consent refused on 3 Mar 2026."."""
    what = noun if count == 1 else _plural(noun)
    return f"{count} {what} of {agency} withheld: {reason}."


def _plural(noun: str) -> str:
    head, sep, tail = noun.partition(" of ")
    return (head + ("es" if head.endswith(("s", "sh", "ch")) else "s")) + sep + tail


__all__ = [
    "ALLOWS",
    "allowed_persons_sql",
    "DECISIONS",
    "OBJECTIONS",
    "SharingBasis",
    "allowed_agencies",
    "day_text",
    "latest_allows_sql",
    "latest_records",
    "may_share",
    "sharing_basis",
    "sharing_bases",
    "sharing_bases_sql",
    "withheld_sentence",
]
