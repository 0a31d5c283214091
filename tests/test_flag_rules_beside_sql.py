"""Each flag rule and the SQL that picks its candidates live side by side.

The candidate query of a rule selects every person the rule might flag; if the rule
changes and its query does not, flags go missing without a sound. So each query is
defined in the rule's own module (as text: models never touch the database), and
``store.flagcandidates`` only binds and runs them. That the flags found through the
queries equal those of loading everyone is checked in tests/test_flags_store.py and
tests/test_funding_flags.py.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import replace
from datetime import date
from types import ModuleType

import pytest

import careplan.models.rules as rules
from careplan.models.flags import FlagCode
from careplan.models.rules import CANDIDATES, RULES, Candidates
from careplan.store import Store
from careplan.store.flagcandidates import candidates_sql
from careplan.store.overrides import default_thresholds

DAYS = (date(2025, 3, 10), date(2024, 2, 29), date(2025, 9, 1))
PLACEHOLDER = re.compile(r"(?<![\w:]):([a-z_]\w*)")


def _rule_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(rules.__path__) if m.name != "common"]
    return [importlib.import_module(f"{rules.__name__}.{name}") for name in names]


def _defined_in(module: ModuleType) -> list[Candidates]:
    return [v for v in vars(module).values() if isinstance(v, Candidates)]


@pytest.mark.parametrize("code", list(FlagCode), ids=lambda c: c.value)
def test_every_code_has_a_rule_and_its_candidates_in_the_same_module(code: FlagCode) -> None:
    assert code in RULES, f"{code.value} has no rule"
    assert code in CANDIDATES, f"{code.value} has no candidate query"
    assert CANDIDATES[code].code is code
    module = importlib.import_module(RULES[code].__module__)
    assert any(c is CANDIDATES[code] for c in _defined_in(module)), (
        f"the candidates of {code.value} are not defined beside its rule in "
        f"{module.__name__}")


def test_every_rule_module_defines_the_candidates_of_its_rules_and_no_others() -> None:
    modules = _rule_modules()
    assert len(modules) >= 7  # the walk found the rule modules
    for module in modules:
        codes = {code for code, rule in RULES.items() if rule.__module__ == module.__name__}
        defined = {c.code for c in _defined_in(module)}
        assert codes, f"{module.__name__} defines no rule"
        assert defined == codes, f"{module.__name__}: rules {codes}, candidates {defined}"


@pytest.mark.parametrize("code", list(FlagCode), ids=lambda c: c.value)
def test_each_query_binds_exactly_the_values_its_params_give(code: FlagCode) -> None:
    found = CANDIDATES[code]
    names = set(PLACEHOLDER.findall(found.sql))
    for today in DAYS:
        given = found.params(today, default_thresholds())
        assert "today" not in given  # bound once for the whole statement
        assert names - {"today"} == set(given), (code.value, names, sorted(given))


def test_the_queries_run_together_with_values_that_differ() -> None:
    # Two rules may name a value alike: each gets its own, and SQLite accepts the whole.
    t = replace(default_thresholds(), signoff_days=3, funding_dispute_working_days=9)
    sql, params = candidates_sql(DAYS[0], t)
    assert len(set(params)) == len(params) and set(PLACEHOLDER.findall(sql)) == set(params)
    with Store.open(":memory:") as store:
        assert store.conn.execute(sql, params).fetchall() == []
        for code in FlagCode:
            one, values = candidates_sql(DAYS[0], t, [code])
            assert store.conn.execute(one, values).fetchall() == []
