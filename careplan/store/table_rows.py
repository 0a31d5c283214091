"""The caseload table's rows straight from SQL: one query, one tuple per person; and for
an audience, what it may receive and what is withheld from it, counted in SQL.

The export's caseload (careplan/export/tables.py) used to load every record of every
person into objects and count in Python: about 11 s of CPU at 50,000 persons, against
0.3 s for this query. The query keeps the same choices:

- persons by family name (as ``find(store, Person, order_by="family_name")``, which reads
  them through the index on family and given name: ties by given name, then as stored).
  The rows are worked out in the order stored and sorted after: worked out in name
  order, each person's rows are read from all over the file (1.2 s against 0.5 s).
- the plan: the open plan (status not closed) created last, the first stored on a tie;
- the lead: the first lead member of the care team, by start date, active on ``today``;
- open actions (not completed or cancelled) of every open plan, and those without an
  owning professional; handoffs proposed and not answered; referrals not resolved;
  whether a hospital stay has no discharge date.

For an audience (:class:`For`) the query keeps what careplan.export.audience.for_audience
keeps, by the same rule in SQL (careplan.models.sharing_basis.sharing_bases_sql, tested
against the Python): only the persons whose records may be shared with the audience and
the reader, and in the counts only the records whose agencies may pass them on
(``blocked`` lists the others). :func:`sharing_of` counts the persons left out (never
naming them) and what was withheld, by kind, agency and reason.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from careplan.models.sharing_basis import allowed_persons_sql, sharing_bases_sql
from careplan.store.db import Store

CASELOAD_SQL = """
WITH {ctes}rows AS MATERIALIZED (
SELECT p.family_name AS family_, p.given_name AS given_, p.rowid AS rowid_, {pos} AS pos_,
       p.given_name || ' ' || p.family_name AS name_, p.nhs_number, p.birth_date,
       p.neighbourhood,
       gp.name AS gp, lp.name AS lead, la.name AS lead_agency, pl.status, pl.plan_version,
       pl.review_date,
       (SELECT count(*) FROM care_plans q JOIN actions a ON a.plan_id = q.id
         WHERE q.person_id = p.id AND q.status != 'closed'
           AND a.status NOT IN ('completed', 'cancelled'){actions_ok}) AS open_actions,
       (SELECT count(*) FROM care_plans q JOIN actions a ON a.plan_id = q.id
         WHERE q.person_id = p.id AND q.status != 'closed'
           AND a.status NOT IN ('completed', 'cancelled')
           AND (a.owner_professional_id IS NULL OR a.owner_professional_id = ''){actions_ok}
       ) AS unowned,
       (SELECT count(*) FROM handoffs h
         WHERE h.person_id = p.id AND h.status = 'proposed'{handoffs_ok}) AS waiting,
       (SELECT count(*) FROM referrals r
         WHERE r.person_id = p.id AND r.status != 'resolved'{referrals_ok}) AS referrals,
       EXISTS (SELECT 1 FROM hospital_stays s
                WHERE s.person_id = p.id AND s.discharged_on IS NULL{stays_ok}) AS in_hospital
FROM persons p{join}
LEFT JOIN agencies gp ON gp.id = p.gp_practice_id
LEFT JOIN care_plans pl ON pl.id = (
    SELECT q.id FROM care_plans q WHERE q.person_id = p.id AND q.status != 'closed'
    ORDER BY q.created_on DESC, q.rowid LIMIT 1)
LEFT JOIN care_team_members m ON m.id = (
    SELECT t.id FROM care_team_members t
     WHERE t.person_id = p.id AND t.is_lead AND t.start_date <= :today
       AND (t.end_date IS NULL OR t.end_date >= :today)
     ORDER BY t.start_date, t.rowid LIMIT 1)
LEFT JOIN professionals lp ON lp.id = m.professional_id
LEFT JOIN agencies la ON la.id = lp.agency_id)
SELECT name_, nhs_number, birth_date, neighbourhood, gp, lead, lead_agency, status,
       plan_version, review_date, open_actions, unowned, waiting, referrals, in_hospital
FROM rows ORDER BY {order}
"""


@dataclass(frozen=True, slots=True)
class For:
    """Whom a table is made for: the audience's agency and the reader's (None: a reader
    of no agency is not asked about; careplan.export.audience.for_audience)."""

    audience_id: str
    reader_id: str | None = None


#: The persons asked for (``:ids``, a JSON array of distinct ids: ``key`` is the place)
#: or everyone, and those of them shared with the audience and the reader (``shown``).
_SCOPE_ALL = "scope AS MATERIALIZED (SELECT p.id, NULL AS pos FROM persons p),\n"
_SCOPE_SOME = ("scope AS MATERIALIZED (SELECT p.id, j.key AS pos FROM json_each(:ids) j "
               "JOIN persons p ON p.id = j.value),\n")


def _ctes(sharing: For, some: bool, blocked: bool = True) -> str:
    """The common table expressions of a table for ``sharing``: ``scope``, ``shown``,
    ``refs`` (the agencies each record of a shown person names, in the order
    careplan.export.audience asks them: an action's own agency, else its owner's; a
    handoff's receiving then sending agency; a referral's sending agency, then its
    steps' teams, then the teams they passed it to, steps by day then as stored; a
    hospital stay's hospital) and
    ``blocked``: each record left out, its kind (``noun``, as careplan.export.audience
    words it), the first of its agencies that may not pass it to the audience (not the
    audience, and no sharing basis allows it) and that basis' ``status`` and
    ``objection`` (careplan.models.sharing_basis.sharing_bases_sql). Without
    ``blocked``, only the first two."""
    reader = "" if sharing.reader_id in (None, sharing.audience_id) else (
        f" AND s.id IN ({allowed_persons_sql(':reader', ':today')})")
    step = "e.occurred_on || printf('%020d', e.rowid)"

    def of(table: str, alias: str, person: str = "") -> str:
        """``table`` (of the shown persons, when only some are asked for: everyone's
        records are filtered by ``blocked`` instead, which costs less than a join)."""
        join = f"{table} {alias}"
        if some:
            join = f"shown s JOIN {join} ON {person or alias + '.person_id'} = s.id"
        return join

    referrals = of("referrals", "r") + " JOIN referral_events e ON e.referral_id = r.id"
    shown = ((_SCOPE_SOME if some else _SCOPE_ALL)
             + "shown AS MATERIALIZED (SELECT s.id, s.pos FROM scope s WHERE s.id IN ("
             + allowed_persons_sql(":audience", ":today") + f"){reader}),\n")
    if not blocked:
        return shown
    return (
        shown
        + "refs AS (\n"
        + "SELECT 'action' AS noun, a.id, q.person_id, '0' AS pos, CASE WHEN "
        + "coalesce(a.owner_agency_id, '') != '' THEN a.owner_agency_id ELSE pr.agency_id "
        + f"END AS agency FROM {of('care_plans', 'q')} JOIN actions a ON a.plan_id = q.id "
        + "LEFT JOIN professionals pr ON pr.id = a.owner_professional_id\n"
        + "UNION ALL SELECT 'handoff', h.id, h.person_id, '0', h.to_agency_id "
        + f"FROM {of('handoffs', 'h')}\n"
        + "UNION ALL SELECT 'handoff', h.id, h.person_id, '1', h.from_agency_id "
        + f"FROM {of('handoffs', 'h')}\n"
        + "UNION ALL SELECT 'referral', r.id, r.person_id, '0', r.from_agency_id "
        + f"FROM {of('referrals', 'r')}\n"
        + f"UNION ALL SELECT 'referral', r.id, r.person_id, '1' || {step}, e.team_id "
        + f"FROM {referrals}\n"
        + f"UNION ALL SELECT 'referral', r.id, r.person_id, '2' || {step}, e.to_team_id "
        + f"FROM {referrals}\n"
        + "UNION ALL SELECT 'hospital stay', st.id, st.person_id, '0', st.hospital_id "
        + f"FROM {of('hospital_stays', 'st')}),\n"
        # the first blocking agency: min(pos) picks the row the other columns come from
        + "blocked_ AS MATERIALIZED (SELECT r.noun, r.id, r.person_id, r.agency, "
        + "min(r.pos) AS pos FROM refs r WHERE r.agency IS NOT NULL AND r.agency != :audience"
        + ("" if some else " AND r.person_id IN (SELECT id FROM shown)")
        + f" AND NOT coalesce({_basis('allowed', 'r')}, 0) GROUP BY r.noun, r.id),\n"
        + f"blocked AS MATERIALIZED (SELECT b.*, {_basis('status', 'b')} AS status, "
        + f"{_basis('objection', 'b')} AS objection FROM blocked_ b),\n")


def _basis(column: str, row: str) -> str:
    """``column`` of the sharing basis of ``row``'s agency for ``row``'s person (read
    through the index of consents led by agency and person: one seek a record, rather
    than every consent grouped and looked up)."""
    scope = f" AND k.agency_id = {row}.agency AND k.person_id = {row}.person_id"
    return f"(SELECT {column} FROM ({sharing_bases_sql(':today', scope)}))"


def _unblocked(column: str) -> str:
    return f" AND {column} NOT IN (SELECT value FROM json_each(:withheld))"


def _params(today: date, person_ids: Collection[str] | None,
            sharing: For | None, withheld: Collection[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"today": today.isoformat()}
    if withheld is not None:
        out["withheld"] = json.dumps(sorted(withheld))
    if person_ids is not None:
        out["ids"] = json.dumps(list(dict.fromkeys(person_ids)))
    if sharing is not None:
        out["audience"] = sharing.audience_id
        if sharing.reader_id is not None:
            out["reader"] = sharing.reader_id
    return out


def caseload_sql(some: bool, sharing: For | None) -> str:
    """The caseload query: of everyone in name order, or (``some``) of the ids in
    ``:ids`` in their order; for ``sharing`` (None: everything, for anyone), leaving out
    of the counts the records whose ids are in ``:withheld`` (a JSON array)."""
    if sharing is None:
        return CASELOAD_SQL.format(
            ctes=_SCOPE_SOME if some else "", pos="sc.pos" if some else "NULL",
            actions_ok="", handoffs_ok="", referrals_ok="", stays_ok="",
            join=" JOIN scope sc ON sc.id = p.id" if some else "",
            order="pos_" if some else "family_, given_, rowid_")
    return CASELOAD_SQL.format(
        ctes=_ctes(sharing, some, blocked=False), pos="sh.pos",
        actions_ok=_unblocked("a.id"), handoffs_ok=_unblocked("h.id"),
        referrals_ok=_unblocked("r.id"), stays_ok=_unblocked("s.id"),
        join=" JOIN shown sh ON sh.id = p.id",
        order="pos_" if some else "family_, given_, rowid_")


def caseload_rows(store: Store, today: date, size: int = 2_000,
                  person_ids: Collection[str] | None = None,
                  sharing: For | None = None,
                  withheld: Collection[str] = ()) -> Iterator[list[Any]]:
    """Batches of the caseload's raw rows, of everyone in name order or of ``person_ids``
    in their order (each once; unknown ids are skipped), as ``sharing`` may receive them
    (None: everything): (name, nhs_number, birth_date text, neighbourhood, gp practice,
    lead professional, lead agency, plan status, plan version, review_date text, open
    actions, unowned actions, handoffs waiting, open referrals, in hospital 0/1); absent
    names, plan fields are None. For an audience only the persons shared with it (and
    the reader) are in, and the counts leave out the records ``withheld`` (their ids:
    :func:`sharing_of` gives them)."""
    cursor = store.conn.execute(caseload_sql(person_ids is not None, sharing),
                                _params(today, person_ids, sharing,
                                        None if sharing is None else withheld))
    while batch := cursor.fetchmany(size):
        yield batch


@dataclass(frozen=True, slots=True)
class WithheldCount:
    """Records of one kind of one agency left out, for one reason: how many, and of
    how many persons. ``status`` and ``objection`` say the reason as
    careplan.models.sharing_basis.sharing_bases_sql does (``status`` None: nothing
    recorded)."""

    noun: str
    agency_id: str
    records: int
    persons: int
    status: str | None
    objection: str | None


@dataclass(frozen=True, slots=True)
class Sharing:
    """What a table for an audience holds and withholds, counted in SQL: the persons
    asked for, those shared (in), what was withheld of them, the ids of the records
    withheld and (when asked for) of the persons shared."""

    asked: int
    shown: int
    withheld: list[WithheldCount]
    withheld_ids: frozenset[str]
    person_ids: frozenset[str] = frozenset()

    @property
    def left_out(self) -> int:
        return self.asked - self.shown


def sharing_of(store: Store, today: date, sharing: For,
               person_ids: Collection[str] | None = None, ids: bool = False) -> Sharing:
    """How many of ``person_ids`` (everyone when None) the store holds and how many of
    them are shared with ``sharing``; what of theirs is withheld, by kind, agency and
    reason, and the ids of those records; with ``ids``, the ids of the persons shared
    too (for the flags table, which leaves out flags of anyone else and about the
    records withheld)."""
    some = person_ids is not None
    values = _params(today, person_ids, sharing)
    conn = store.conn
    shown_only = _ctes(sharing, some, blocked=False).rstrip().rstrip(",")
    asked, shown = conn.execute(
        f"WITH {shown_only} "
        "SELECT (SELECT count(*) FROM scope), (SELECT count(*) FROM shown)", values).fetchone()
    withheld, records = [], set()
    for *counts, listed in conn.execute(
            f"WITH {_ctes(sharing, some).rstrip().rstrip(',')} "
            "SELECT noun, agency, count(*), count(DISTINCT person_id), status, objection, "
            "json_group_array(id) FROM blocked GROUP BY noun, agency, status, objection",
            values):
        withheld.append(WithheldCount(*counts))
        records.update(json.loads(listed))
    persons: frozenset[str] = frozenset()
    if ids:
        persons = frozenset(str(r[0]) for r in conn.execute(
            f"WITH {shown_only} SELECT id FROM shown", values))
    return Sharing(int(asked), int(shown), withheld, frozenset(records), persons)


#: Only some persons: their ids as a JSON array in ``:ids``.
_SOME = "\nWHERE p.id IN (SELECT value FROM json_each(:ids))"


def person_count(store: Store, person_ids: Collection[str] | None = None) -> int:
    """How many persons the store holds (the caseload's rows), or how many of
    ``person_ids`` it holds."""
    if person_ids is None:
        return int(store.conn.execute("SELECT count(*) FROM persons").fetchone()[0])
    return int(store.conn.execute(
        "SELECT count(*) FROM persons p" + _SOME,
        {"ids": json.dumps(list(person_ids))}).fetchone()[0])


__all__ = ["CASELOAD_SQL", "For", "Sharing", "WithheldCount", "caseload_rows", "caseload_sql",
           "person_count", "sharing_of"]
