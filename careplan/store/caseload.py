"""Queries behind the caseload list: ordered person ids, then rows for a block of ids.

The list stays quick with tens of thousands of persons because it is read in two steps:
one query returns only the ids in the chosen order (filtering and sorting in SQL), and
the columns are read later, a block of ids at a time, for the rows on screen.

Only persons whose records may be shared with the reader's agency are listed or found
(``CaseloadQuery.viewer_agency_id``; careplan.models.sharing_basis): the condition is
part of the ids query, so search and every filter see no one else. A query with no
reader's agency lists no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from careplan.models.dates import nth_birthday
from careplan.models.search import parse_search
from careplan.models.sharing_basis import allowed_persons_sql, latest_allows_sql
from careplan.store.db import Store

#: Care team membership that counts on ``:today`` (started, not yet ended).
_ACTIVE_MEMBER = "m.start_date <= :today AND (m.end_date IS NULL OR m.end_date >= :today)"

_LEAD_NAME = (
    "(SELECT pr.name FROM care_team_members m JOIN professionals pr "
    "ON pr.id = m.professional_id WHERE m.person_id = p.id AND m.is_lead = 1 "
    f"AND {_ACTIVE_MEMBER} ORDER BY pr.name LIMIT 1)"
)
_AGENCY_COUNT = (
    "(SELECT count(DISTINCT pr.agency_id) FROM care_team_members m JOIN professionals pr "
    f"ON pr.id = m.professional_id WHERE m.person_id = p.id AND {_ACTIVE_MEMBER})"
)
_REVIEW_DUE = (
    "(SELECT min(c.review_date) FROM care_plans c "
    "WHERE c.person_id = p.id AND c.status != 'closed')"
)
_EIGHTEENTH = "CASE WHEN date(p.birth_date, '+18 years') > :today " \
    "THEN date(p.birth_date, '+18 years') END"
_DISCHARGE_READY = (
    "(SELECT min(h.discharge_ready_on) FROM hospital_stays h "
    "WHERE h.person_id = p.id AND h.discharged_on IS NULL)"
)
# SQLite's two-argument min() is NULL when either side is; coalesce keeps the other.
_NEXT_TRANSITION = (
    f"min(coalesce({_EIGHTEENTH}, {_DISCHARGE_READY}), "
    f"coalesce({_DISCHARGE_READY}, {_EIGHTEENTH}))"
)


class SortKey(StrEnum):
    """The caseload columns that can be sorted on, in column order."""

    NAME = "name"
    BIRTH_DATE = "date of birth"
    AGE = "age"
    NHS_NUMBER = "nhs number"
    LEAD = "lead professional"
    AGENCIES = "agencies"
    FLAGS = "flags"
    TRANSITION = "next transition"
    REVIEW = "review due"


# NULLS LAST (SQLite 3.30+) rather than "x IS NULL, x": a correlated subquery written
# twice is run twice per person, which doubled the time of these sorts.
_ORDER: dict[SortKey, str] = {
    SortKey.NAME: "p.family_name {d}, p.given_name {d}",
    SortKey.BIRTH_DATE: "p.birth_date {d}",
    # Youngest first when ascending by age means latest birth date first.
    SortKey.AGE: "p.birth_date {r}",
    SortKey.NHS_NUMBER: "p.nhs_number {d} NULLS LAST",
    SortKey.LEAD: f"{_LEAD_NAME} {{d}} NULLS LAST",
    SortKey.AGENCIES: f"{_AGENCY_COUNT} {{d}}",
    SortKey.TRANSITION: f"{_NEXT_TRANSITION} {{d}} NULLS LAST",
    SortKey.REVIEW: f"{_REVIEW_DUE} {{d}} NULLS LAST",
}


@dataclass(frozen=True, slots=True)
class CaseloadQuery:
    """What the caseload shows and in which order.

    Attributes:
        viewer_agency_id: the agency of whoever reads the list: only persons whose
            records may be shared with it are listed or found; None (an account of no
            agency) lists no one.
        search: name words (each starts a given or family name), 3 or more digits
            of an NHS number (anywhere in it; spaces ignored) and a date of birth typed
            the British way, in any mix (:func:`careplan.models.search.parse_search`).
        professional_id: only persons whose care team includes this professional now.
        agency_id: only persons with a current team member from this agency.
        person_ids: only these persons (e.g. those with a given flag), when not None.
        sort: the column to order by; flags are ordered by the caller's counts.
        descending: reverse the order.
    """

    viewer_agency_id: str | None = None
    search: str = ""
    professional_id: str | None = None
    agency_id: str | None = None
    person_ids: frozenset[str] | None = None
    sort: SortKey = SortKey.NAME
    descending: bool = False


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """One person's line in the caseload."""

    id: str
    given_name: str
    family_name: str
    birth_date: date
    nhs_number: str | None
    lead_professional: str | None
    agencies: tuple[str, ...]
    next_transition: date | None
    transition_kind: str
    review_due: date | None

    @property
    def name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_clause(text: str) -> tuple[str, dict[str, str]]:
    """The WHERE fragment for a search box's text, and its parameters.

    See :func:`careplan.models.search.parse_search`: name words each start a given or
    family name; digits (3 or more, spaces and hyphens ignored) are found anywhere in
    the NHS number; a date typed the British way is the date of birth. A part of the
    text that cannot be searched (a date that does not exist) matches nobody rather
    than everybody.
    """
    terms = parse_search(text)
    if terms.problem is not None:
        return "0", {}  # said on screen; never searched as something else
    if terms.empty:
        return "", {}
    parts: list[str] = []
    params: dict[str, str] = {}
    if terms.nhs_digits:
        # instr, not LIKE: the digits may be anywhere, and need no escaping.
        parts.append("instr(p.nhs_number, :nhs) > 0")
        params["nhs"] = terms.nhs_digits
    if terms.birth_date is not None:
        parts.append("p.birth_date = :dob")
        params["dob"] = terms.birth_date.isoformat()
    for i, word in enumerate(terms.words):
        key = f"w{i}"
        # Word starts after a space or a hyphen ("Smith-Jones", "O'Brien" typed "o'b").
        parts.append(
            f"(' ' || lower(p.given_name) || ' ' || replace(lower(p.family_name), '-', ' ')"
            f" LIKE :{key} ESCAPE '\\')"
        )
        params[key] = f"% {_like_escape(word)}%"
    return " AND ".join(parts), params


#: The reader's agency may see the person ``p`` on :today (careplan.models.sharing_basis).
#: One pass over the agency's consents, not a subquery per person: first paint at 50,000.
_VISIBLE = f"p.id IN ({allowed_persons_sql(':viewer_agency', ':today')})"
#: The same, person by person: cheaper once a search or a filter has ruled most out.
_VISIBLE_EACH = latest_allows_sql("p.id", ":viewer_agency", ":today")


def _filters(query: CaseloadQuery, today: date) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {"today": today.isoformat(),
                              "viewer_agency": query.viewer_agency_id}
    clause, search_params = search_clause(query.search)
    if clause:
        where.append(clause)
        params.update(search_params)
    if query.professional_id:
        where.append(
            "EXISTS (SELECT 1 FROM care_team_members m WHERE m.person_id = p.id "
            f"AND m.professional_id = :prof AND {_ACTIVE_MEMBER})"
        )
        params["prof"] = query.professional_id
    if query.agency_id:
        where.append(
            "EXISTS (SELECT 1 FROM care_team_members m JOIN professionals pr "
            "ON pr.id = m.professional_id WHERE m.person_id = p.id "
            f"AND pr.agency_id = :agency AND {_ACTIVE_MEMBER})"
        )
        params["agency"] = query.agency_id
    # Last: a search or one professional's caseload has ruled most persons out by then,
    # so each is checked on its own; else the agency's whole visible set is read at once.
    where.append(_VISIBLE_EACH if clause or query.professional_id else _VISIBLE)
    return where, params


def _sees_no_one(query: CaseloadQuery) -> bool:
    """A reader of no agency, or a list of no ids: nobody is selected."""
    return query.viewer_agency_id is None or query.person_ids == frozenset()


def count_matching(store: Store, query: CaseloadQuery, today: date) -> int:
    """How many persons ``query``'s search and filters select (its order aside), of those
    the reader's agency may see."""
    if _sees_no_one(query):
        return 0
    where, params = _filters(query, today)
    if query.person_ids is not None:
        sql = "SELECT p.id FROM persons p WHERE " + " AND ".join(where)
        keep = query.person_ids
        return sum(1 for (pid,) in store.conn.execute(sql, params) if pid in keep)
    sql = "SELECT count(*) FROM persons p WHERE " + " AND ".join(where)
    return int(store.conn.execute(sql, params).fetchone()[0])


def _ordered(store: Store, query: CaseloadQuery, today: date,
             columns: str) -> list[tuple[Any, ...]]:
    if _sees_no_one(query):
        return []
    where, params = _filters(query, today)
    key, descending = query.sort, query.descending
    if key is SortKey.FLAGS:  # ordered by the caller; names ascending break its ties
        key, descending = SortKey.NAME, False
    d, r = ("DESC", "ASC") if descending else ("ASC", "DESC")
    order = _ORDER[key].format(d=d, r=r)
    sql = f"SELECT {columns} FROM persons p WHERE " + " AND ".join(where)
    # rowid breaks ties: it is in every index entry, so the name index alone gives the
    # whole order (no temporary sort), and it is stable across reads.
    sql += f" ORDER BY {order}, p.family_name, p.given_name, p.rowid"
    return store.conn.execute(sql, params).fetchall()


def person_keys(store: Store, query: CaseloadQuery, today: date) -> list[int]:
    """Row keys (SQLite rowids) of the persons the query selects, in its order.

    Keys rather than ids: the name index holds them, so ordering 50,000 persons by
    name reads the index only, several times faster than fetching every id.
    """
    if query.person_ids is None:
        return [row[0] for row in _ordered(store, query, today, "p.rowid")]
    keep = query.person_ids
    return [row[0] for row in _ordered(store, query, today, "p.rowid, p.id") if row[1] in keep]


def keyed_ids(store: Store, query: CaseloadQuery, today: date) -> list[tuple[int, str]]:
    """(key, id) of the persons the query selects, in its order."""
    rows = _ordered(store, query, today, "p.rowid, p.id")
    if query.person_ids is not None:
        keep = query.person_ids
        rows = [row for row in rows if row[1] in keep]
    return [(row[0], row[1]) for row in rows]


def person_ids(store: Store, query: CaseloadQuery, today: date) -> list[str]:
    """Ids of the persons the query selects, in its order."""
    return [pid for _, pid in keyed_ids(store, query, today)]


def key_of(store: Store, person_id: str) -> int | None:
    row = store.conn.execute("SELECT rowid FROM persons WHERE id = ?", (person_id,)).fetchone()
    return None if row is None else int(row[0])


def count_persons(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM persons").fetchone()[0])


def rows_by_key(store: Store, keys: Sequence[int], today: date) -> list[CaseloadRow]:
    """The caseload rows for row keys, in the same order (unknown keys are skipped)."""
    if not keys:
        return []
    marks = ", ".join("?" for _ in keys)
    found = {
        r[0]: r[1:]
        for r in store.conn.execute(
            "SELECT rowid, id, given_name, family_name, birth_date, nhs_number FROM persons "
            f"WHERE rowid IN ({marks})",
            list(keys),
        )
    }
    persons = [found[k] for k in keys if k in found]
    return _rows(store, [p[0] for p in persons], {p[0]: p for p in persons}, today)


def rows(store: Store, ids: Sequence[str], today: date) -> list[CaseloadRow]:
    """The caseload rows for ``ids``, in the same order (unknown ids are skipped)."""
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    persons = {
        r[0]: r
        for r in store.conn.execute(
            "SELECT id, given_name, family_name, birth_date, nhs_number FROM persons "
            f"WHERE id IN ({marks})",
            list(ids),
        )
    }
    return _rows(store, ids, persons, today)


def _rows(store: Store, ids: Sequence[str], persons: dict[str, Any],
          today: date) -> list[CaseloadRow]:
    marks = ", ".join("?" for _ in ids)
    day = today.isoformat()
    leads: dict[str, str] = {}
    agencies: dict[str, list[str]] = {}
    for person_id, name, agency, is_lead in store.conn.execute(
        "SELECT m.person_id, pr.name, a.name, m.is_lead FROM care_team_members m "
        "JOIN professionals pr ON pr.id = m.professional_id "
        "JOIN agencies a ON a.id = pr.agency_id "
        f"WHERE m.person_id IN ({marks}) AND m.start_date <= ? "
        "AND (m.end_date IS NULL OR m.end_date >= ?) ORDER BY a.name, pr.name",
        [*ids, day, day],
    ):
        if is_lead and person_id not in leads:
            leads[person_id] = name
        names = agencies.setdefault(person_id, [])
        if agency not in names:
            names.append(agency)
    reviews = dict(
        store.conn.execute(
            "SELECT person_id, min(review_date) FROM care_plans "
            f"WHERE person_id IN ({marks}) AND status != 'closed' GROUP BY person_id",
            list(ids),
        ).fetchall()
    )
    ready = dict(
        store.conn.execute(
            "SELECT person_id, min(discharge_ready_on) FROM hospital_stays "
            f"WHERE person_id IN ({marks}) AND discharged_on IS NULL GROUP BY person_id",
            list(ids),
        ).fetchall()
    )
    out: list[CaseloadRow] = []
    for person_id in ids:
        p = persons.get(person_id)
        if p is None:
            continue
        birth = date.fromisoformat(p[3])
        when, kind = next_transition(birth, ready.get(person_id), today)
        review = reviews.get(person_id)
        out.append(
            CaseloadRow(
                id=person_id,
                given_name=p[1],
                family_name=p[2],
                birth_date=birth,
                nhs_number=p[4],
                lead_professional=leads.get(person_id),
                agencies=tuple(agencies.get(person_id, ())),
                next_transition=when,
                transition_kind=kind,
                review_due=date.fromisoformat(review) if review else None,
            )
        )
    return out


def next_transition(birth: date, discharge_ready: str | None,
                    today: date) -> tuple[date | None, str]:
    """The next dated change of responsibility and what it is.

    Turning 18 (children's to adult services) if still ahead, or the discharge ready
    date of a current hospital stay (which may be past: the discharge is then late).
    """
    candidates: list[tuple[date, str]] = []
    eighteenth = nth_birthday(birth, 18)
    if eighteenth > today:
        candidates.append((eighteenth, "turns 18"))
    if discharge_ready:
        candidates.append((date.fromisoformat(discharge_ready), "discharge"))
    if not candidates:
        return None, ""
    return min(candidates)
