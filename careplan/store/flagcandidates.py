"""Which persons could have a flag today: a cheap SQL superset, so that only they are loaded.

Most of a caseload has no flag on a given day. Each rule's module defines, beside the
rule, the query that selects every person the rule *might* flag (never fewer:
``careplan.models.rules.CANDIDATES``); here they are bound to today and the thresholds
and joined into one statement. SQLite evaluates it in C, and only the persons found are
read into domain objects and put through the rules, which stay the one judge of what is
flagged. Tests check that the flags found this way equal the flags of loading every
person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from careplan.models.flags import FlagCode
from careplan.models.rules import CANDIDATES, Candidates
from careplan.models.thresholds import Thresholds


def bind(candidates: Candidates, n: int, today: date,
         thresholds: Thresholds) -> tuple[str, dict[str, Any]]:
    """The query of ``candidates`` with its parameters renamed ``c<n>_<name>`` (so that
    several can share one statement) and their values; ``:today`` is left to the caller."""
    sql = candidates.sql
    params: dict[str, Any] = {}
    for name, value in candidates.params(today, thresholds).items():
        unique = f"c{n}_{name}"
        sql = re.sub(rf":{name}\b", f":{unique}", sql)
        params[unique] = value
    return sql, params


def candidates_sql(
    today: date, thresholds: Thresholds, codes: Iterable[FlagCode] | None = None
) -> tuple[str, dict[str, Any]]:
    """One query for the ids of persons whom some rule might flag (any rule, or one of
    ``codes``): those of a rule that needs an open plan only if they have one."""
    planned: list[str] = []
    unplanned: list[str] = []
    params: dict[str, Any] = {"today": today.isoformat()}
    chosen = CANDIDATES.values() if codes is None else [CANDIDATES[c] for c in codes]
    for n, candidates in enumerate(chosen):
        sql, values = bind(candidates, n, today, thresholds)
        (planned if candidates.needs_open_plan else unplanned).append(sql)
        params.update(values)
    parts = list(unplanned)
    if planned:
        union = "\nUNION ".join(planned)
        parts.insert(0, "SELECT DISTINCT person_id FROM care_plans WHERE status != 'closed' "
                        f"AND person_id IN ({union})")
    return "\nUNION ".join(parts), params


def tagged_candidates_sql(
    today: date, thresholds: Thresholds, codes: Iterable[FlagCode] | None = None
) -> tuple[str, dict[str, Any], list[FlagCode]]:
    """One query for (person id, n) rows: the persons whom the n-th rule of the list
    returned beside it might flag (any rule, or one of ``codes``), those of a rule that
    needs an open plan only if they have one. The flags are then looked for only by the
    rules that might find them (each rule's query holds every person it flags)."""
    chosen = list(CANDIDATES) if codes is None else list(codes)
    params: dict[str, Any] = {"today": today.isoformat()}
    ctes: list[str] = []
    planned: list[str] = []
    unplanned: list[str] = []
    for n, code in enumerate(chosen):
        candidates = CANDIDATES[code]
        sql, values = bind(candidates, n, today, thresholds)
        params.update(values)
        ctes.append(f"c{n}(p) AS ({sql})")
        (planned if candidates.needs_open_plan else unplanned).append(
            f"SELECT p, {n:d} AS n FROM c{n}")
    parts = list(unplanned)
    if planned:
        parts.insert(0, "SELECT t.p, t.n FROM (" + "\nUNION ".join(planned) + ") t "
                        "WHERE EXISTS (SELECT 1 FROM care_plans o WHERE o.person_id = t.p "
                        "AND o.status != 'closed')")
    return "WITH " + ",\n".join(ctes) + "\n" + "\nUNION ".join(parts), params, chosen
