"""Each person chosen by the candidate queries is read only as far as the rules that chose
them read (``careplan.models.rules.READS``): a candidate for a review alone has no
consents, sign-offs or costs read. The flags are still those of reading everyone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careplan.demo.build import build_demo
from careplan.models.facts import PersonFacts
from careplan.models.flags import FlagCode
from careplan.models.people import Condition
from careplan.models.rules import READS, RULES, evaluate_all
from careplan.models.rules.common import Context
from careplan.models.workdays import ENGLAND_AND_WALES
from careplan.store import Store, find, update
from careplan.store.flagdata import candidates_by_code, caseload_flags, load_facts
from careplan.store.flagreads import UNREAD, NotRead
from careplan.store.overrides import thresholds_in_force

TODAY = date(2025, 3, 12)
#: Every person's, whatever rules chose them.
ALWAYS = {"person", "directory"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo of 1,000 persons in a store file (so the loader reads on two connections)."""
    store = Store.open(tmp_path_factory.mktemp("reads") / "demo.db")
    build_demo(store, persons=1000, seed=3, today=TODAY, parallel=False)
    yield store
    store.close()


class _Recorder:
    """A person's facts that note the name of each field read from them."""

    def __init__(self, facts: PersonFacts, seen: set[str]) -> None:
        object.__setattr__(self, "_facts", facts)
        object.__setattr__(self, "_seen", seen)

    def __getattr__(self, name: str) -> Any:
        self._seen.add(name)
        return getattr(self._facts, name)


def _json(flags: list[Any]) -> list[dict[str, Any]]:
    return [f.to_json() for f in flags]


def test_every_rule_reads_only_the_facts_it_declares(demo: Store) -> None:
    facts = load_facts(demo, TODAY)
    ctx = Context(TODAY, thresholds_in_force(demo), ENGLAND_AND_WALES)
    seen: dict[FlagCode, set[str]] = {code: set() for code in RULES}
    raised: dict[FlagCode, int] = dict.fromkeys(RULES, 0)
    for person in facts:
        for code, rule in RULES.items():
            raised[code] += len(rule(_Recorder(person, seen[code]), ctx))  # type: ignore[arg-type]
    assert set(READS) == set(RULES)
    for code in RULES:
        assert seen[code] - ALWAYS <= READS[code], code
    # The demo exercises the rules: most raise flags, so their paths were walked.
    assert sum(1 for n in raised.values() if n) >= len(RULES) - 2, raised


def test_the_demos_flags_are_those_of_reading_everyone(demo: Store) -> None:
    everyone = evaluate_all(load_facts(demo, TODAY), TODAY, thresholds_in_force(demo))
    found = _json(caseload_flags(demo, TODAY))
    assert len(found) > 100
    assert found == _json(everyone)
    some = set(sorted({f["person_id"] for f in found})[::3])
    assert _json(caseload_flags(demo, TODAY, within=some)) == [
        f for f in found if f["person_id"] in some]


def test_a_candidate_is_read_only_for_the_rules_that_chose_them(demo: Store) -> None:
    chosen = candidates_by_code(demo, TODAY, thresholds_in_force(demo))
    full = {f.person.id: f for f in load_facts(demo, TODAY, sorted(chosen))}
    narrow = {f.person.id: f for f in load_facts(demo, TODAY, only=chosen)}
    assert narrow.keys() == full.keys() == chosen.keys()
    reviews = [p for p, codes in chosen.items() if codes == {FlagCode.REVIEW_OVERDUE}]
    assert reviews, "the demo has persons chosen for a review alone"
    for person_id in reviews:
        mine, all_of = narrow[person_id], full[person_id]
        assert mine.plans == all_of.plans and mine.plans
        for name in ("consents", "signoffs", "team", "actions"):  # unread, not empty
            with pytest.raises(NotRead, match=name):
                bool(getattr(mine, name))
    assert any(full[p].consents and full[p].team for p in reviews)
    # Those chosen for a missing sign-off have their plans, team and sign-offs read.
    unsigned = [p for p, codes in chosen.items() if FlagCode.PLAN_UNSIGNED in codes]
    assert unsigned
    for person_id in unsigned:
        mine, all_of = narrow[person_id], full[person_id]
        assert (mine.plans, mine.team, mine.signoffs) == (
            all_of.plans, all_of.team, all_of.signoffs)


def test_a_file_store_and_its_copy_in_memory_give_the_same_flags(demo: Store,
                                                                  tmp_path: Path) -> None:
    copy = Store.open(":memory:")
    demo.conn.backup(copy.conn)
    try:
        assert _json(caseload_flags(copy, TODAY)) == _json(caseload_flags(demo, TODAY))
    finally:
        copy.close()


def _plan(store: Store, code: FlagCode) -> str:
    from careplan.store.flagcandidates import tagged_candidates_sql

    sql, params, _ = tagged_candidates_sql(TODAY, thresholds_in_force(store), [code])
    return " ".join(str(row[-1]) for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}",
                                                                params))


def test_the_coordinator_candidates_read_the_partial_indexes(demo: Store) -> None:
    """Migration 20: the active conditions by domain and the coordinators and leads of
    the care team, each a covering partial index (never the rows of either table)."""
    plan = _plan(demo, FlagCode.MH_COORDINATOR_MISSING)
    assert "COVERING INDEX idx_conditions_active_domain" in plan
    assert "COVERING INDEX idx_care_team_members_coordinators" in plan
    assert "SCAN c " not in f"{plan} "


def test_the_partial_indexes_follow_every_change(demo: Store, tmp_path: Path) -> None:
    """SQLite keeps a partial index on every write: a person's substance use resolved
    leaves it, and with it their mental health coordinator flag."""
    copy = Store.open(tmp_path / "copy.db")
    demo.conn.backup(copy.conn)
    try:
        before = caseload_flags(copy, TODAY)
        person = next(f.person_id for f in before if f.code is FlagCode.MH_COORDINATOR_MISSING)
        count = ("SELECT count(*) FROM conditions INDEXED BY idx_conditions_active_domain "
                 "WHERE clinical_status = 'active' AND domain = 'substance use'")
        indexed = copy.conn.execute(count).fetchone()[0]
        mine = [c for c in find(copy, Condition, person_id=person)
                if c.domain.value == "substance use" and c.clinical_status.value == "active"]
        assert mine
        for condition in mine:
            update(copy, condition.evolve(clinical_status="resolved"), "test")
        assert copy.conn.execute(count).fetchone()[0] == indexed - len(mine)
        after = caseload_flags(copy, TODAY)
        assert [f for f in after if f.person_id == person
                and f.code is FlagCode.MH_COORDINATOR_MISSING] == []
        assert _json(after) == _json(evaluate_all(load_facts(copy, TODAY), TODAY,
                                                  thresholds_in_force(copy)))
        assert copy.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        copy.close()


def test_candidates_found_already_are_read_and_judged_the_same(demo: Store) -> None:
    """``chosen`` (the app's flag summaries, dashboard and ``careplan flags``: the
    candidates a reader may see, in batches): the whole caseload's flags of them."""
    found = candidates_by_code(demo, TODAY, thresholds_in_force(demo))
    everyone = _json(caseload_flags(demo, TODAY))
    batch = dict(list(sorted(found.items()))[: len(found) // 2])
    assert _json(caseload_flags(demo, TODAY, chosen=batch)) == [
        f for f in everyone if f["person_id"] in batch]
    with pytest.raises(ValueError, match="not both"):
        caseload_flags(demo, TODAY, person_ids=sorted(batch), chosen=batch)


def test_a_rule_reading_what_it_did_not_declare_raises_instead_of_missing_a_flag(
        demo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a rule's READS entry short of a fact it reads, that fact would not be read
    for the persons it chose; it is then unread, not empty, so the rule stops with a
    bug (logged with its traceback) instead of finding nothing and flagging no one."""
    monkeypatch.setitem(READS, FlagCode.REVIEW_OVERDUE, frozenset())
    with pytest.raises(NotRead, match="PersonFacts.plans"):
        caseload_flags(demo, TODAY)


def test_every_fact_a_rule_may_read_can_be_left_unread() -> None:
    names = {f for facts in READS.values() for f in facts}
    assert names <= set(UNREAD)
    for name, value in UNREAD.items():
        with pytest.raises(NotRead, match=name):
            if name == "health":
                value.severe_mental_illness([])
            else:
                list(value)
        with pytest.raises(NotRead):
            len(value) if name != "health" else value.chc  # noqa: B018
