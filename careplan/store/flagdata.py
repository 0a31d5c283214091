"""Everything the flag rules read, for a whole caseload, in one query per table.

No query per person: each table is read once for every selected person, rows become
domain objects through the trusted fast path (they were checked when saved), and are
grouped into one :class:`PersonFacts` per person. Rows that no rule can flag as of
``today`` (closed plans, completed actions, the delay reasons of discharged stays,
settled referrals) are left in the store; the rules still check every condition
themselves. The health side's reads are in ``flagdata_health``.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from careplan.models.base import Entity, field_specs
from careplan.models.emergency import EmergencyAccess
from careplan.models.enums import AssessmentKind, AssessmentStatus
from careplan.models.episodes import DelayReason, HospitalStay
from careplan.models.facts import Directory, PersonFacts
from careplan.models.flags import Flag, FlagCode
from careplan.models.funding import ActionCost, ActionFunder, PersonalBudget
from careplan.models.handoffs import Handoff, Referral, ReferralEvent
from careplan.models.people import (
    Agency,
    Assessment,
    CareTeamMember,
    Condition,
    Consent,
    Person,
    Professional,
)
from careplan.models.plan import Action, CarePlan, PlanSignOff
from careplan.models.rules import CANDIDATES, READS, evaluate_all
from careplan.models.rules.discharge import IN_HOSPITAL_SQL
from careplan.models.rules.referral import OPEN_REFERRAL_SQL
from careplan.models.social import Carer, SafeguardingConcern, YoungPersonStatus
from careplan.models.thresholds import Thresholds
from careplan.store import flagdata_health, sqlite
from careplan.store.db import Store
from careplan.store.fastload import builder, columns_sql, parse_date
from careplan.store.flagcandidates import tagged_candidates_sql
from careplan.store.flagreads import seal_unread
from careplan.store.overrides import thresholds_in_force
from careplan.store.replication import open_conflicts

E = TypeVar("E", bound=Entity)
_T = TypeVar("_T")

@dataclass(frozen=True, slots=True)
class Query:
    """One read: ``cls``'s columns first, then any extra columns the loader uses."""

    name: str
    cls: type[Entity]
    sql: str
    params: tuple[Any, ...]


#: Everyone: a referral or a hospital stay is flagged whether or not a plan is open.
_EVERYONE = "SELECT id FROM persons"
_IN_FORCE = "('active', 'under review')"
_OPEN_ACTION = "('completed', 'cancelled')"
_COSTED_JOIN = ("JOIN actions a ON a.id = k.action_id JOIN care_plans c ON c.id = a.plan_id "
                "WHERE c.person_id IN ({sel}) AND c.status != 'closed' "
                "AND a.status != 'cancelled'")
_COSTED = "FROM action_costs k " + _COSTED_JOIN
#: A carer ``k`` caring on the day bound twice after it (``Carer.caring_on``).
_CARING = "k.recorded_on <= ? AND (k.end_date IS NULL OR k.end_date >= ?)"


def _positional(sql: str, today: str) -> tuple[str, tuple[str, ...]]:
    """A rule module's condition with ``:today`` as ``?`` placeholders, and their values
    (the loader's queries bind by position)."""
    return sql.replace(":today", "?"), (today,) * sql.count(":today")


#: The loader's reads behind each field of :class:`PersonFacts` that ``READS`` names
#: (the persons and the directory are read for everyone). The conditions are also what
#: the health facts' value sets are found from.
_READS_OF: dict[str, tuple[str, ...]] = {
    "plans": ("plans",),
    "team": ("team",),
    "consents": ("consents",),
    "assessments": ("assessments", "carer_assessments"),
    "actions": ("actions",),
    "action_recorded_on": ("actions",),
    "signoffs": ("signoffs",),
    "handoffs": ("handoffs",),
    "referrals": ("referrals",),
    "referral_events": ("referral_events",),
    "conditions": ("conditions", "mh_conditions"),
    "stays": ("stays", "past_stays"),
    "delay_reasons": ("delay_reasons",),
    "action_costs": ("action_costs",),
    "costed_actions": ("action_costs",),
    "action_funders": ("action_funders",),
    "personal_budgets": ("personal_budgets",),
    "sync_conflicts": ("sync_conflicts",),
    "carers": ("carers",),
    "young_person_statuses": ("young_person_statuses",),
    "safeguarding_concerns": ("safeguarding_concerns",),
    "health": ("chc", "aftercare", "conditions", "mh_conditions"),
    "emergency_accesses": ("emergency_accesses",),
}


def persons_by_read(only: Mapping[str, Collection[FlagCode]]) -> dict[str, list[str]]:
    """For each of the loader's reads (and ``sync_conflicts``), the persons (sorted) whom
    one of their rules in ``only`` (person id -> codes) reads it for."""
    reads_of: dict[frozenset[FlagCode], set[str]] = {}
    by_read: dict[str, list[str]] = {}
    for person_id in sorted(only):
        codes = frozenset(only[person_id])
        names = reads_of.get(codes)
        if names is None:
            names = reads_of[codes] = {name for code in codes for read in READS[code]
                                       for name in _READS_OF[read]}
        for name in names:
            by_read.setdefault(name, []).append(person_id)
    return by_read


def queries(today: date, person_ids: Sequence[str] | None = None,
            only: Mapping[str, Collection[FlagCode]] | None = None) -> list[Query]:
    """The reads behind :func:`load_facts`: everyone, or the given persons; with ``only``
    (person id -> codes: :func:`candidates_by_code`), its persons, each person's rows of
    a table read only if one of their rules reads them (``READS``). The benchmark times
    the same SQL as plain reads."""
    if only is None:
        return _queries(today, person_ids)
    return _narrowed(today, sorted(only), persons_by_read(only))


def _narrowed(today: date, person_ids: list[str], by_read: dict[str, list[str]]
              ) -> list[Query]:
    """The reads of ``person_ids``, each of the persons ``by_read`` gives for it."""
    everyone = json.dumps(person_ids)

    def narrowed(q: Query) -> Query:
        if q.name in ("agencies", "professionals", "persons"):
            return q
        ids = json.dumps(by_read.get(q.name, []))
        return Query(q.name, q.cls, q.sql,
                     tuple(ids if p == everyone else p for p in q.params))
    return [narrowed(q) for q in _queries(today, person_ids)]


def _queries(today: date, person_ids: Sequence[str] | None) -> list[Query]:
    sp: tuple[Any, ...] = ()
    if person_ids is None:
        sel = _EVERYONE
    else:
        sel, sp = "SELECT value FROM json_each(?)", (json.dumps(list(person_ids)),)
    t = today.isoformat()
    # Referrals the referral-dispute rule must read, and stays under way today: the same
    # conditions as the rules' candidate queries, from the rules' modules.
    open_referral, rp = _positional(OPEN_REFERRAL_SQL, t)
    unsettled = f"r.person_id IN ({sel}) AND {open_referral}"
    in_hospital, hp = _positional(IN_HOSPITAL_SQL, t)
    return [
        Query("agencies", Agency, f"SELECT {columns_sql(Agency, 'a')} FROM agencies a", ()),
        Query("professionals", Professional,
              f"SELECT {columns_sql(Professional, 'p')} FROM professionals p", ()),
        Query("persons", Person,
              f"SELECT {columns_sql(Person, 'p')} FROM persons p WHERE p.id IN ({sel})", sp),
        Query("plans", CarePlan,
              f"SELECT {columns_sql(CarePlan, 'c')} FROM care_plans c "
              f"WHERE c.status != 'closed' AND c.person_id IN ({sel})", sp),
        # Ended lead professionals and care coordinators stay in: "no coordinator since
        # the last one left".
        Query("team", CareTeamMember,
              f"SELECT {columns_sql(CareTeamMember, 'm')} FROM care_team_members m "
              f"WHERE m.person_id IN ({sel}) AND m.start_date <= ? "
              "AND (m.end_date IS NULL OR m.end_date >= ? OR m.is_lead = 1 "
              "OR m.role = 'care coordinator')", (*sp, t, t)),
        Query("consents", Consent,
              f"SELECT {columns_sql(Consent, 'c')} FROM consents c "
              f"WHERE c.person_id IN ({sel}) AND c.recorded_on <= ?", (*sp, t)),
        Query("assessments", Assessment,
              f"SELECT {columns_sql(Assessment, 'a')} FROM assessments a "
              f"WHERE a.person_id IN ({sel}) AND a.kind = ? AND a.status = ?",
              (*sp, AssessmentKind.CARE_ACT_ADULT.value, AssessmentStatus.COMPLETED.value)),
        # Open actions of plans in force, and any action a proposed handoff names.
        Query("actions", Action,
              f"SELECT {columns_sql(Action, 'a')}, c.person_id, substr(a.created_at, 1, 10) "
              "FROM actions a JOIN care_plans c ON c.id = a.plan_id "
              f"WHERE c.person_id IN ({sel}) AND ((c.status IN {_IN_FORCE} "
              f"AND a.status NOT IN {_OPEN_ACTION}) OR a.id IN (SELECT h.action_id FROM "
              "handoffs h WHERE h.status = 'proposed'))", sp),
        Query("signoffs", PlanSignOff,
              f"SELECT {columns_sql(PlanSignOff, 's')}, c.person_id FROM plan_signoffs s "
              "JOIN care_plans c ON c.id = s.plan_id AND c.plan_version = s.plan_version "
              f"WHERE c.person_id IN ({sel}) AND c.status IN {_IN_FORCE} "
              "AND substr(s.signed_at, 1, 10) <= ?", (*sp, t)),
        Query("handoffs", Handoff,
              f"SELECT {columns_sql(Handoff, 'h')} FROM handoffs h WHERE h.person_id IN ({sel}) "
              "AND (h.status = 'proposed' OR h.action_id IS NOT NULL)", sp),
        Query("referrals", Referral,
              f"SELECT {columns_sql(Referral, 'r')} FROM referrals r WHERE {unsettled}",
              (*sp, *rp)),
        Query("referral_events", ReferralEvent,
              f"SELECT {columns_sql(ReferralEvent, 'e')}, r.person_id FROM referral_events e "
              f"JOIN referrals r ON r.id = e.referral_id WHERE {unsettled} "
              "ORDER BY e.occurred_on, e.rowid", (*sp, *rp)),
        # Conditions tell a dual-diagnosis referral dispute (here), and severe mental
        # illness with substance misuse in mental health care (flagdata_health).
        Query("conditions", Condition,
              f"SELECT {columns_sql(Condition, 'c')} FROM conditions c "
              f"WHERE c.person_id IN ({sel}) AND c.clinical_status = 'active' "
              "AND c.person_id IN (SELECT person_id FROM referrals)", sp),
        Query("stays", HospitalStay,
              f"SELECT {columns_sql(HospitalStay, 's')} FROM hospital_stays s "
              f"WHERE s.person_id IN ({sel}) AND {in_hospital}", (*sp, *hp)),
        Query("delay_reasons", DelayReason,
              f"SELECT {columns_sql(DelayReason, 'd')}, s.person_id FROM delay_reasons d "
              "JOIN hospital_stays s ON s.id = d.stay_id "
              f"WHERE s.person_id IN ({sel}) AND {in_hospital}", (*sp, *hp)),
        # Money: costs of actions not cancelled in open plans (a completed action's cost
        # still counts against a personal budget), each with its action (one walk from
        # the persons through their plans and actions), and their funders.
        Query("action_costs", ActionCost,
              f"SELECT {columns_sql(ActionCost, 'k')}, {columns_sql(Action, 'a')}, "
              f"c.person_id {_COSTED.format(sel=sel)}", sp),
        Query("action_funders", ActionFunder,
              f"SELECT {columns_sql(ActionFunder, 'f')}, c.person_id FROM action_funders f "
              f"JOIN action_costs k ON k.id = f.cost_id {_COSTED_JOIN.format(sel=sel)}", sp),
        Query("personal_budgets", PersonalBudget,
              f"SELECT {columns_sql(PersonalBudget, 'b')} FROM personal_budgets b "
              f"WHERE b.person_id IN ({sel})", sp),
        # Carers caring today and the carer's assessments their records name; EHC plans
        # and care leaver status in force today; safeguarding concerns undecided today.
        Query("carers", Carer,
              f"SELECT {columns_sql(Carer, 'k')} FROM carers k WHERE k.person_id IN ({sel}) "
              f"AND {_CARING}", (*sp, t, t)),
        Query("carer_assessments", Assessment,
              f"SELECT {columns_sql(Assessment, 'a')} FROM assessments a WHERE a.kind = ? "
              "AND a.id IN (SELECT k.assessment_id FROM carers k "
              f"WHERE k.person_id IN ({sel}) AND {_CARING})",
              (AssessmentKind.CARER.value, *sp, t, t)),
        Query("young_person_statuses", YoungPersonStatus,
              f"SELECT {columns_sql(YoungPersonStatus, 'y')} FROM young_person_statuses y "
              f"WHERE y.person_id IN ({sel}) AND y.start_date <= ? "
              "AND (y.end_date IS NULL OR y.end_date >= ?)", (*sp, t, t)),
        Query("safeguarding_concerns", SafeguardingConcern,
              f"SELECT {columns_sql(SafeguardingConcern, 'g')} FROM safeguarding_concerns g "
              f"WHERE g.person_id IN ({sel}) AND g.received_on <= ? "
              "AND (g.decided_on IS NULL OR g.decided_on > ?)", (*sp, t, t)),
        *(Query(*q) for q in flagdata_health.queries(sel, sp, t)),
        # Emergency accesses made by today and not reviewed by today.
        Query("emergency_accesses", EmergencyAccess,
              f"SELECT {columns_sql(EmergencyAccess, 'x')} FROM emergency_accesses x "
              f"WHERE x.person_id IN ({sel}) AND substr(x.opened_at, 1, 10) <= ? "
              "AND (x.reviewed_at IS NULL OR substr(x.reviewed_at, 1, 10) > ?)", (*sp, t, t)),
    ]


def load_facts(
    store: Store, today: date, person_ids: Sequence[str] | None = None, *,
    only: Mapping[str, Collection[FlagCode]] | None = None,
    second: _Second | None = None,
) -> list[PersonFacts]:
    """One :class:`PersonFacts` per selected person (default: everyone), in a fixed
    number of queries whatever the caseload's size (some of them, for many persons, on
    ``second`` or a second connection of its own). With ``only`` (person id -> codes),
    its persons, each read only as far as those codes' rules read (``READS``): the
    facts are then for those rules alone."""
    if only is None:
        reads, by_read = _queries(today, person_ids), None
    else:
        person_ids, by_read = sorted(only), persons_by_read(only)
        reads = _narrowed(today, person_ids, by_read)
    with _reading(store, reads, len(person_ids) if person_ids is not None else None,
                  second) as (rows, rest):
        people = _group_main(rows)
        # Meanwhile the second connection (if any) reads the rest.
        rows.update(rest())
    conflicted = list(people) if by_read is None else by_read.get("sync_conflicts", [])
    _group_rest(store, people, rows, conflicted)
    if only is not None:  # what was not read for a person is unread, not empty
        seal_unread(people.values(), only)
    return list(people.values())


def _group_main(rows: dict[str, list[Any]]) -> dict[str, PersonFacts]:
    """Everyone's facts from the rows the store's own connection reads."""
    build_agency = builder(Agency)
    build_pro = builder(Professional)
    directory = Directory(
        agencies={a.id: a for a in map(build_agency, rows["agencies"])},
        professionals={p.id: p for p in map(build_pro, rows["professionals"])},
    )
    people: dict[str, PersonFacts] = {}
    for person in map(builder(Person), rows["persons"]):
        people[person.id] = PersonFacts(person=person, directory=directory)

    def group(name: str, cls: type[Entity], key: int, attr: str) -> None:
        """Append each row's object to ``facts.<attr>`` of the person in column ``key``."""
        build = builder(cls)
        get = people.get
        for row in rows[name]:
            facts = get(row[key])
            if facts is not None:
                getattr(facts, attr).append(build(row))

    def at(cls: type[Entity], column: str) -> int:
        return [s.name for s in field_specs(cls)].index(column)

    group("plans", CarePlan, at(CarePlan, "person_id"), "plans")
    group("team", CareTeamMember, at(CareTeamMember, "person_id"), "team")
    group("assessments", Assessment, at(Assessment, "person_id"), "assessments")
    group("conditions", Condition, at(Condition, "person_id"), "conditions")
    group("handoffs", Handoff, at(Handoff, "person_id"), "handoffs")
    group("referrals", Referral, at(Referral, "person_id"), "referrals")
    group("stays", HospitalStay, at(HospitalStay, "person_id"), "stays")
    group("carers", Carer, at(Carer, "person_id"), "carers")
    group("carer_assessments", Assessment, at(Assessment, "person_id"), "assessments")
    group("young_person_statuses", YoungPersonStatus, at(YoungPersonStatus, "person_id"),
          "young_person_statuses")
    group("safeguarding_concerns", SafeguardingConcern, at(SafeguardingConcern, "person_id"),
          "safeguarding_concerns")
    group("emergency_accesses", EmergencyAccess, at(EmergencyAccess, "person_id"),
          "emergency_accesses")
    return people


def _group_rest(store: Store, people: dict[str, PersonFacts], rows: dict[str, list[Any]],
                conflicted: list[str]) -> None:
    """The consents, sign-offs, actions and money (read on the second connection, if
    any: :data:`_SIDE_READS`), then what hangs off records grouped already."""
    get = people.get
    build_consent = builder(Consent)
    owner = [s.name for s in field_specs(Consent)].index("person_id")
    for row in rows["consents"]:
        facts = get(row[owner])
        if facts is not None:
            facts.consents.append(build_consent(row))
    build_signoff = builder(PlanSignOff)
    owner = len(field_specs(PlanSignOff))
    for row in rows["signoffs"]:
        facts = get(row[owner])
        if facts is not None:
            facts.signoffs.append(build_signoff(row))
    extra = len(field_specs(Action))
    build_action = builder(Action)
    for row in rows["actions"]:
        facts = people.get(row[extra])
        if facts is not None:
            action = build_action(row)
            facts.actions.append(action)
            facts.action_recorded_on[action.id] = parse_date(row[extra + 1])
    _group_by_parent(people, rows["referral_events"], ReferralEvent, "referral_id",
                     "referral_events")
    _group_by_parent(people, rows["delay_reasons"], DelayReason, "stay_id", "delay_reasons")
    _group_money(people, rows)
    if conflicted:
        for conflict in open_conflicts(store, conflicted):
            if conflict.person_id is not None and conflict.person_id in people:
                people[conflict.person_id].sync_conflicts.append(conflict)
    flagdata_health.group(people, rows)


def _group_money(people: dict[str, PersonFacts], rows: dict[str, list[Any]]) -> None:
    """Costs and their actions (by id), funders (by cost) and personal budgets."""
    get = people.get
    build_cost = builder(ActionCost)
    build_action = builder(Action)
    action_at = len(field_specs(ActionCost))
    for row in rows["action_costs"]:
        facts = get(row[-1])
        if facts is not None:
            facts.action_costs.append(build_cost(row))
            action = build_action(row[action_at:])
            facts.costed_actions[action.id] = action
    _group_by_parent(people, rows["action_funders"], ActionFunder, "cost_id",
                     "action_funders")
    owner = [s.name for s in field_specs(PersonalBudget)].index("person_id")
    build_budget = builder(PersonalBudget)
    for row in rows["personal_budgets"]:
        facts = get(row[owner])
        if facts is not None:
            facts.personal_budgets.append(build_budget(row))


def _group_by_parent(
    people: dict[str, PersonFacts], rows: Iterable[Sequence[Any]], cls: type[Entity],
    parent_field: str, attr: str,
) -> None:
    """Rows keyed by their parent (referral, stay), the person's id in the last column."""
    build = builder(cls)
    parent = [s.name for s in field_specs(cls)].index(parent_field)
    for row in rows:
        facts = people.get(row[-1])
        if facts is not None:
            getattr(facts, attr).setdefault(row[parent], []).append(build(row))


#: The loader's reads made on a second connection, in parallel with the others, when
#: many persons are read (about half of their time each at 50,000 persons, where on an
#: encrypted store every page read is decrypted: SQLite lets go of the GIL meanwhile).
_SIDE_READS = frozenset({"consents", "actions", "signoffs", "action_costs", "action_funders"})
#: Fewer persons than this are read on the one connection.
_PARALLEL_FROM = 500


def _alone(store: Store) -> bool:
    """Whether the store's reads must all be made on its own connection: an in-memory
    store, or a connection inside a transaction (which may hold changes no other
    connection can see yet)."""
    return store.path == ":memory:" or store.conn.in_transaction


class _Second:
    """A read-only second connection to a store file, and the one thread that uses it,
    kept for one run of the flags: what its first reads bring into its page cache (on
    an encrypted store, decrypted) serves the later ones. Made on its first use."""

    def __init__(self, store: Store) -> None:
        self._path, self._key = store.path, store.key
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="careplan-flags")
        self._conn: sqlite.Connection | None = None

    def submit(self, fn: Callable[[sqlite.Connection], _T]) -> Future[_T]:
        """Run ``fn(connection)`` in the thread (its result raises sqlite.Error when
        the connection cannot be made: say, in a read-only folder)."""
        return self._pool.submit(self._run, fn)

    def _run(self, fn: Callable[[sqlite.Connection], _T]) -> _T:
        if self._conn is None:
            conn = sqlite.connect(f"{Path(self._path).resolve().as_uri()}?mode=ro",
                                  uri=True, key=self._key)
            conn.execute("PRAGMA cache_size = -65536")
            self._conn = conn
        return fn(self._conn)

    def close(self) -> None:
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        try:
            self._pool.submit(shut).result()
        finally:
            self._pool.shutdown()


@contextmanager
def _second(store: Store, given: _Second | None = None) -> Iterator[_Second]:
    """``given``, or a second connection of its own, closed afterwards."""
    if given is not None:
        yield given
        return
    second = _Second(store)
    try:
        yield second
    finally:
        second.close()


def _rows(reads: Sequence[Query]) -> Callable[[Any], dict[str, list[Any]]]:
    return lambda conn: {q.name: conn.execute(q.sql, q.params).fetchall() for q in reads}


@contextmanager
def _reading(store: Store, reads: Sequence[Query], persons: int | None,
             given: _Second | None = None
             ) -> Iterator[tuple[dict[str, list[Any]], Callable[[], dict[str, list[Any]]]]]:
    """The rows of each read, by name, and a function that waits for the rest. Many
    persons' rows are read on two connections at once: :data:`_SIDE_READS` on the
    second, while the rows of the store's own connection are made into records. A few
    persons, or a store that must be read alone (:func:`_alone`), are read on the one
    connection; then the rest is nothing."""
    side = [q for q in reads if q.name in _SIDE_READS]
    if _alone(store) or not side or (persons is not None and persons < _PARALLEL_FROM):
        yield _rows(reads)(store.conn), dict
        return
    with _second(store, given) as second:
        other = second.submit(_rows(side))

        def rest() -> dict[str, list[Any]]:
            try:
                return other.result()
            except sqlite.Error:  # no second connection (a read-only folder): read here
                return _rows(side)(store.conn)

        yield _rows([q for q in reads if q.name not in _SIDE_READS])(store.conn), rest


#: Rules whose candidate queries run on a second connection, in parallel with the others:
#: SQLite lets go of the GIL while it works, and the sign-off, consent and mental health
#: coordinator queries are the largest shares of the time (all three read the care
#: team's covering index, so the second connection's page cache serves the later ones).
#: At 50,000 persons these read about 27,000 pages there, the others about 20,000 here.
_SIDE_QUERIES = (FlagCode.PLAN_UNSIGNED, FlagCode.CONSENT_MISSING,
                 FlagCode.MH_COORDINATOR_MISSING)


def candidates(store: Store, today: date, thresholds: Thresholds) -> list[str]:
    """Ids of the persons whom some rule might flag today, sorted."""
    return sorted(candidates_by_code(store, today, thresholds))


def candidates_by_code(store: Store, today: date, thresholds: Thresholds, *,
                       second: _Second | None = None) -> dict[str, set[FlagCode]]:
    """The persons whom some rule might flag today, each with the codes of the rules
    that might flag them (each rule's query holds every person its rule flags). Some
    rules' queries run on ``second`` (or a second connection of its own)."""
    side = [c for c in _SIDE_QUERIES if c in CANDIDATES]
    main = [c for c in CANDIDATES if c not in side]
    found: dict[str, set[FlagCode]] = {}
    if _alone(store) or not side:
        _tag(found, _tagged(store.conn, tagged_candidates_sql(today, thresholds)))
        return found
    side_sql = tagged_candidates_sql(today, thresholds, side)
    with _second(store, second) as other_connection:
        other = other_connection.submit(lambda conn: _tagged(conn, side_sql))
        _tag(found, _tagged(store.conn, tagged_candidates_sql(today, thresholds, main)))
        try:
            _tag(found, other.result())
        except sqlite.Error:  # no second connection (say, a read-only folder): run it here
            _tag(found, _tagged(store.conn, side_sql))
    return found


_Tagged = tuple[str, dict[str, Any], list[FlagCode]]


def _tagged(conn: Any, query: _Tagged) -> list[tuple[str, FlagCode]]:
    sql, params, codes = query
    return [(str(person_id), codes[n]) for person_id, n in conn.execute(sql, params)]


def _tag(found: dict[str, set[FlagCode]], pairs: Iterable[tuple[str, FlagCode]]) -> None:
    for person_id, code in pairs:
        held = found.get(person_id)
        if held is None:
            found[person_id] = {code}
        else:
            held.add(code)


def caseload_flags(
    store: Store,
    today: date,
    thresholds: Thresholds | None = None,
    *,
    person_ids: Sequence[str] | None = None,
    codes: Iterable[FlagCode] | None = None,
    within: Collection[str] | None = None,
    chosen: Mapping[str, Collection[FlagCode]] | None = None,
) -> list[Flag]:
    """Flags for the caseload (or the given persons), worst first, with the store's
    thresholds in force unless ``thresholds`` is given.

    For the whole caseload only the persons some rule might flag are loaded (see
    ``flagcandidates``), each only as far as the rules that might flag them read
    (``READS``: at 50,000 persons under a third of the pages of reading all their rows),
    and each is put only through those rules; the flags are the same as loading
    everyone. ``within`` keeps of those candidates only the persons it holds (each
    person's flags are found from their own facts alone, so these are the whole
    caseload's flags of those persons: a table made for an audience). ``chosen`` is
    some of the candidates found already (:func:`candidates_by_code`, say those a reader
    may see, or a batch of them), read and judged the same way without finding them
    again. Given persons (``person_ids``) go through every rule, read whole.
    """
    if chosen is not None and person_ids is not None:
        raise ValueError("caseload_flags: give person_ids or chosen, not both")
    limits = thresholds if thresholds is not None else thresholds_in_force(store)
    only = chosen
    with collector_paused():
        with contextlib.ExitStack() as stack:
            # One second connection for the candidates and the records (its page cache,
            # decrypted, serves both), unless the store must be read alone.
            second = None if _alone(store) else stack.enter_context(_second(store))
            if person_ids is None and only is None:
                only = candidates_by_code(store, today, limits, second=second)
            if only is not None and within is not None:
                only = {pid: found for pid, found in only.items() if pid in within}
            facts = load_facts(store, today, person_ids, only=only, second=second)
        return evaluate_all(facts, today, limits, codes=codes, only=only)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many objects are made that all live
    until the flags are found: it would otherwise walk them again and again (about a
    tenth of the flags' time at 50,000 persons). Reference counting still frees what
    is dropped; the collector runs again afterwards, unless it was off already."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
