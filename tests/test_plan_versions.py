"""Plan versions at the store: progress keeps the version and every signature; a change
to what the agencies signed waits in a draft until it is issued; undo gives back the
state before an edit, signatures included; an older store upgrades with its versions."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.export.plan_pdf import plan_pdf
from careplan.models import (
    Action,
    CarePlan,
    CaseConference,
    Handoff,
    Need,
    Outcome,
    Person,
    PlanSignOff,
    PlanVersion,
)
from careplan.models.enums import ActionStatus, OutcomeStatus
from careplan.models.flags import FlagCode
from careplan.models.plan_versions import (
    PROGRESS_FIELDS,
    SIGNED_FIELDS,
    describe,
    from_snapshot,
    signed_content,
    to_snapshot,
)
from careplan.store import (
    InputError,
    StaleWriteError,
    Store,
    add,
    find,
    get,
    migrations,
    operations,
    update,
)
from careplan.store import casework as cw
from careplan.store.flagdata import caseload_flags
from careplan.store.plan_versions import issue_version, state
from tests.flag_world import AGENCIES, ASC, DR, GP, PROS, SW, world
from tests.older_schema import take_back
from tests.store_checks import assert_whole

TODAY = date(2025, 3, 12)


def _for_the_practice(store: Store) -> dict[str, Any]:
    """``audience=`` and ``reader=`` of a print by Dr Patel for her practice (consent to
    share with it is recorded in the world)."""
    from careplan.export.audience import audience_of
    from careplan.store.visibility import Viewer

    return {"audience": audience_of(store, GP.id), "reader": Viewer(GP.id, DR.id, GP.name)}
AT = datetime(2025, 3, 10, 11)


@dataclasses.dataclass
class Signed:
    """A plan in force at version 1, signed by both agencies of its team."""

    plan: CarePlan
    need: Need
    outcome: Outcome
    action: Action


def _signed(store: Store, status: str = "active") -> Signed:
    facts = world()
    if status == "draft":  # being written: not active, signed by nobody
        facts.plans = [facts.plans[0].evolve(status=status, activated_on=None)]
        facts.signoffs = []
    person = facts.person.evolve(what_matters="I want to stay in my own home.")
    plan = facts.plans[0]
    need = Need(plan_id=plan.id, description="Personal care", domain="social care")
    outcome = Outcome(plan_id=plan.id, need_id=need.id, description="I want to wash myself.",
                      target_date=date(2025, 6, 1))
    action = Action(plan_id=plan.id, need_id=need.id, description="Start home care",
                    owner_professional_id=SW.id, owner_agency_id=ASC.id,
                    due_date=date(2025, 3, 20))
    for entity in [*AGENCIES, *PROS, person, plan, *facts.team, *facts.consents,
                   *facts.signoffs, need, outcome, action]:
        add(store, entity, "setup")
    return Signed(get(store, CarePlan, plan.id), get(store, Need, need.id),
                  get(store, Outcome, outcome.id), get(store, Action, action.id))


def _signatures(store: Store, plan_id: str) -> list[tuple[str, int]]:
    return sorted((s.agency_id, s.plan_version)
                  for s in find(store, PlanSignOff, plan_id=plan_id))


def _everything(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a plan edit may touch, without the write stamps."""
    out = {}
    for table in ("care_plans", "needs", "outcomes", "actions", "plan_signoffs",
                  "plan_versions", "persons"):
        rows = store.query(f"SELECT * FROM {table} ORDER BY id")
        out[table] = [{k: v for k, v in r.items()
                       if k not in ("version", "updated_at", "updated_by")} for r in rows]
    return out


def _unsigned(store: Store, today: date = TODAY) -> list[str]:
    return [f.subject_id for f in caseload_flags(store, today)
            if f.code is FlagCode.PLAN_UNSIGNED]


# -- progress ------------------------------------------------------------------------------


def test_completing_an_action_keeps_the_version_and_every_signature(store: Store) -> None:
    """The reported defect: marking one action completed made version 2 and left every
    agency's signature on a version no longer in force."""
    s = _signed(store)
    signed = _signatures(store, s.plan.id)
    assert signed == sorted([(GP.id, 1), (ASC.id, 1)])
    cw.save_plan_item(store, s.action.evolve(status=ActionStatus.COMPLETED), SW.id)
    cw.save_plan_item(store, s.outcome.evolve(achievement=OutcomeStatus.ACHIEVED), SW.id)
    plan = get(store, CarePlan, s.plan.id)
    assert (plan.plan_version, plan.version_since) == (1, None)
    assert plan.version == s.plan.version  # the plan record itself was not written
    assert _signatures(store, s.plan.id) == signed
    assert state(store, plan).draft == ()
    assert find(store, PlanVersion) == []  # nothing to record: nothing signed changed
    assert _unsigned(store) == []


def test_every_field_is_either_signed_or_progress() -> None:
    for cls, kind in ((Need, "need"), (Outcome, "outcome"), (Action, "action")):
        fields = {f.name for f in dataclasses.fields(cls)} - {"id", "version", "plan_id"}
        assert set(SIGNED_FIELDS[kind]) | set(PROGRESS_FIELDS[kind]) == fields, kind
        assert not set(SIGNED_FIELDS[kind]) & set(PROGRESS_FIELDS[kind])


# -- the draft -----------------------------------------------------------------------------


def test_a_change_to_what_was_signed_makes_a_draft_and_version_1_stays_in_force(
        store: Store) -> None:
    s = _signed(store)
    cw.save_plan_item(store, s.action.evolve(due_date=date(2025, 4, 3),
                                             status=ActionStatus.IN_PROGRESS), SW.id)
    plan = get(store, CarePlan, s.plan.id)
    assert plan.plan_version == 1 and plan.version == s.plan.version
    assert _signatures(store, s.plan.id) == sorted([(GP.id, 1), (ASC.id, 1)])
    assert _unsigned(store) == []  # version 1 is still in force, and signed
    found = state(store, plan)
    assert (found.number, found.draft_number, found.recorded) == (1, 2, True)
    assert [describe(c) for c in found.draft] == [
        "Action “Start home care”: when 2025-03-20 → 2025-04-03"]
    # The version in force was recorded as it was signed, before the change.
    [v1] = find(store, PlanVersion, plan_id=s.plan.id)
    assert (v1.number, v1.issued_by) == (1, None)
    assert from_snapshot(v1.snapshot) == signed_content(
        "I want to stay in my own home.", [s.need], [s.outcome], [s.action])


def test_every_kind_of_signed_change_is_listed_in_the_draft(store: Store) -> None:
    s = _signed(store)
    cw.save_plan_item(store, s.need.evolve(domain="physical health"), SW.id)
    cw.save_plan_item(store, s.outcome.evolve(target_date=date(2025, 7, 1)), SW.id)
    cw.save_plan_item(store, s.action.evolve(owner_professional_id=DR.id,
                                             owner_agency_id=GP.id), SW.id)
    cw.save_plan_item(store, Action(plan_id=s.plan.id, description="Weekly visits",
                                    due_date=date(2025, 4, 1)), SW.id)
    person = find(store, Person)[0]
    update(store, person.evolve(what_matters="I want to stay home with my cat."), SW.id)
    found = state(store, get(store, CarePlan, s.plan.id))
    assert [describe(c) for c in found.draft] == [
        "What matters to the person now reads “I want to stay home with my cat.” "
        "(was “I want to stay in my own home.”)",
        "Need “Personal care”: domain social care → physical health",
        "Outcome “I want to wash myself.”: target date 2025-06-01 → 2025-07-01",
        f"Action “Start home care”: who {SW.id} → {DR.id}; agency {ASC.id} → {GP.id}",
        "Added action “Weekly visits” (when: 2025-04-01)",
    ]
    assert len(find(store, PlanVersion)) == 1  # version 1 recorded once, at the first edit


def test_agreed_actions_and_accepted_handoffs_join_the_draft(store: Store) -> None:
    s = _signed(store)
    cw.save_conference(store, CaseConference(person_id=s.plan.person_id, held_at=AT),
                       s.plan, [Action(plan_id=s.plan.id, description="Respite week")], SW.id)
    handoff = cw.propose_handoff(store, Handoff(
        person_id=s.plan.person_id, subject="action", action_id=s.action.id,
        from_professional_id=SW.id, from_agency_id=ASC.id, to_professional_id=DR.id,
        to_agency_id=GP.id, proposed_at=AT, answer_by=date(2025, 3, 14)), SW.id)
    cw.answer_handoff(store, handoff, True, AT, DR.id)
    plan = get(store, CarePlan, s.plan.id)
    assert plan.plan_version == 1
    assert _signatures(store, s.plan.id) == sorted([(GP.id, 1), (ASC.id, 1)])
    assert sorted((c.change, c.label) for c in state(store, plan).draft) == [
        ("added", "Respite week"), ("changed", "Start home care")]


def test_a_draft_plan_nobody_has_signed_is_changed_in_place(store: Store) -> None:
    """Nothing is in force yet: changes are part of version 1 until an agency signs it."""
    s = _signed(store, "draft")
    plan = s.plan
    cw.save_plan_item(store, s.need.evolve(description="Personal care, mornings"), SW.id)
    assert find(store, PlanVersion) == []
    assert state(store, plan).draft == ()
    with pytest.raises(InputError, match="nothing the agencies sign has changed"):
        issue_version(store, plan, DR.id, AT)
    cw.sign_plan(store, plan, DR, AT)  # once signed, version 1 is kept as it was signed
    cw.save_plan_item(store, get(store, Need, s.need.id).evolve(description="Evenings"),
                      SW.id)
    assert [c.label for c in state(store, plan).draft] == ["Personal care, mornings"]


# -- issuing ---------------------------------------------------------------------------------


def test_issuing_the_draft_makes_version_2_and_keeps_version_1_signatures(
        store: Store) -> None:
    s = _signed(store)
    cw.save_plan_item(store, s.need.evolve(description="Personal care, mornings"), SW.id)
    draft = state(store, get(store, CarePlan, s.plan.id)).draft
    issued = issue_version(store, get(store, CarePlan, s.plan.id), DR.id, AT, draft)
    plan = get(store, CarePlan, s.plan.id)
    assert (plan.plan_version, plan.version_since) == (2, AT.date())
    assert (issued.number, issued.issued_at, issued.issued_by) == (2, AT, DR.id)
    found = state(store, plan)
    assert found.draft == () and found.since_previous == draft
    assert _signatures(store, s.plan.id) == sorted([(GP.id, 1), (ASC.id, 1)])
    # Version 2 is what the agencies now sign, within 14 days of its issue.
    assert _unsigned(store, date(2025, 3, 24)) == []
    assert sorted(_unsigned(store, date(2025, 3, 25))) == sorted([GP.id, ASC.id])
    cw.sign_plan(store, plan, DR, datetime(2025, 3, 11, 9))
    assert _unsigned(store, date(2025, 3, 25)) == [ASC.id]


def test_issuing_is_refused_with_nothing_to_issue_or_a_changed_draft(store: Store) -> None:
    s = _signed(store)
    with pytest.raises(InputError, match="^plan: nothing the agencies sign has changed "
                                         "since version 1"):
        issue_version(store, s.plan, DR.id, AT)
    cw.save_plan_item(store, s.need.evolve(description="Personal care, mornings"), SW.id)
    shown = state(store, get(store, CarePlan, s.plan.id)).draft
    cw.save_plan_item(store, get(store, Need, s.need.id).evolve(description="Evenings"), DR.id)
    before = _everything(store)
    with pytest.raises(StaleWriteError, match="not the ones you were shown"):
        issue_version(store, get(store, CarePlan, s.plan.id), DR.id, AT, shown)
    old = get(store, CarePlan, s.plan.id)
    update(store, old.evolve(review_date=date(2025, 7, 1)), DR.id)
    with pytest.raises(StaleWriteError, match="changed after you opened it"):
        issue_version(store, old, DR.id, AT)
    closed = update(store, get(store, CarePlan, s.plan.id).evolve(
        status="closed", closed_on=date(2025, 3, 11)), DR.id)
    with pytest.raises(InputError, match="^plan: it is closed"):
        issue_version(store, closed, DR.id, AT)
    after = _everything(store)
    assert after["plan_versions"] == before["plan_versions"]


# -- undo -------------------------------------------------------------------------------------


@pytest.mark.parametrize("edit", ["progress", "signed content", "added action"])
def test_undoing_an_edit_gives_back_the_plan_and_its_signatures(store: Store,
                                                                edit: str) -> None:
    """The reported defect: undoing the edit brought the content back but not the
    signatures."""
    s = _signed(store)
    before = _everything(store)
    item: Need | Outcome | Action = {
        "progress": s.action.evolve(status=ActionStatus.COMPLETED),
        "signed content": s.need.evolve(description="Personal care, evenings"),
        "added action": Action(plan_id=s.plan.id, description="Weekly visits"),
    }[edit]
    done = operations.run(store, lambda st: cw.save_plan_item(st, item, SW.id))
    operations.revert(store, done.changes, SW.id)
    assert _everything(store) == before
    assert _signatures(store, s.plan.id) == sorted([(GP.id, 1), (ASC.id, 1)])
    assert state(store, get(store, CarePlan, s.plan.id)).draft == ()
    assert _unsigned(store) == []


def test_undoing_an_issue_puts_the_signed_version_back_in_force(store_path: Path) -> None:
    with Store.open(store_path) as store:
        s = _signed(store)
        cw.save_plan_item(store, s.need.evolve(description="Personal care, mornings"), SW.id)
        with_draft = _everything(store)
        done = operations.run(store, lambda st: issue_version(
            st, get(st, CarePlan, s.plan.id), DR.id, AT))
        assert get(store, CarePlan, s.plan.id).plan_version == 2
        operations.revert(store, done.changes, SW.id)
        assert _everything(store) == with_draft
        plan = get(store, CarePlan, s.plan.id)
        assert plan.plan_version == 1 and len(state(store, plan).draft) == 1
        assert _unsigned(store, date(2025, 6, 1)) == []  # version 1, signed by both
    assert_whole(store_path)


def test_an_issue_an_agency_has_signed_is_not_undone(store: Store) -> None:
    s = _signed(store)
    cw.save_plan_item(store, s.need.evolve(description="Personal care, mornings"), SW.id)
    done = operations.run(store, lambda st: issue_version(
        st, get(st, CarePlan, s.plan.id), DR.id, AT))
    cw.sign_plan(store, get(store, CarePlan, s.plan.id), DR, datetime(2025, 3, 11, 9))
    before = _everything(store)
    with pytest.raises(InputError, match="other records now refer to it"):
        operations.revert(store, done.changes, SW.id)
    assert _everything(store) == before


def test_an_edit_a_later_version_was_issued_from_is_not_undone(store: Store) -> None:
    """Version 2's snapshot came after it: undoing the edit alone would leave version 1
    without the record of what was signed."""
    s = _signed(store)
    done = operations.run(store, lambda st: cw.save_plan_item(
        st, s.need.evolve(description="Personal care, mornings"), SW.id))
    issue_version(store, get(store, CarePlan, s.plan.id), DR.id, AT)
    before = _everything(store)
    with pytest.raises(InputError, match="other records now refer to it"):
        operations.revert(store, done.changes, SW.id)
    assert _everything(store) == before


# -- stores from before versions were kept -----------------------------------------------------


def _older_store(path: Path) -> Signed:
    """A store as CarePlan left it before plan versions: a plan at version 3, signed by
    both agencies for version 2 and by the GP practice for version 3."""
    with Store.open(path) as store:
        s = _signed(store)
        plan = update(store, s.plan.evolve(plan_version=3, version_since=date(2025, 2, 20)),
                      "setup")
        for version, agencies in ((2, (GP, ASC)), (3, (GP,))):
            for agency in agencies:
                pro = DR if agency is GP else SW
                add(store, PlanSignOff(plan_id=plan.id, agency_id=agency.id,
                                       plan_version=version, signed_by=pro.id,
                                       signed_at=datetime(2025, 2, 21 + version, 9)), "setup")
    conn = sqlite3.connect(path)
    take_back(conn, migrations.PLAN_VERSIONS_SCHEMA - 1)
    conn.close()
    return dataclasses.replace(s, plan=plan)


def test_an_older_store_keeps_its_version_in_force_and_signatures(store_path: Path) -> None:
    s = _older_store(store_path)
    with Store.open(store_path) as store:
        assert store.schema_version == migrations.latest_version()
        plan = get(store, CarePlan, s.plan.id)
        assert plan == s.plan
        assert _unsigned(store) == [ASC.id]  # as before the upgrade: version 3 unsigned
        found = state(store, plan)
        assert (found.number, found.recorded, found.draft) == (3, False, ())
        # The first change records version 3 as it stood, then waits in the draft.
        cw.save_plan_item(store, s.action.evolve(status=ActionStatus.COMPLETED), SW.id)
        cw.save_plan_item(store, s.outcome.evolve(description="I want to wash alone."),
                          SW.id)
        found = state(store, get(store, CarePlan, s.plan.id))
        assert (found.number, found.recorded) == (3, True)
        assert [c.label for c in found.draft] == ["I want to wash myself."]
        assert [v.number for v in find(store, PlanVersion)] == [3]
        assert len(_signatures(store, s.plan.id)) == 5
        assert _unsigned(store) == [ASC.id]
    assert_whole(store_path)


def test_a_plan_survives_fhir_export_and_import_with_its_version_and_signatures(
        store: Store, tmp_path: Path) -> None:
    """Exported: the version in force and every signature. Not exported: the recorded
    versions; the imported plan's version in force is its content as imported."""
    s = _signed(store)
    cw.save_plan_item(store, s.need.evolve(description="Personal care, mornings"), SW.id)
    issue_version(store, get(store, CarePlan, s.plan.id), DR.id, AT)
    cw.sign_plan(store, get(store, CarePlan, s.plan.id), DR, datetime(2025, 3, 11, 9))
    out = tmp_path / "plan.json"
    export_fhir(store, out, **_for_the_practice(store), today=TODAY)
    with Store.open(tmp_path / "imported.db") as fresh:
        import_fhir(fresh, out)
        plan = get(fresh, CarePlan, s.plan.id)
        assert plan.plan_version == 2
        assert _signatures(fresh, plan.id) == sorted([(GP.id, 1), (ASC.id, 1), (GP.id, 2)])
        found = state(fresh, plan)
        assert (found.recorded, found.draft) == (False, ())


def test_snapshots_round_trip_any_text() -> None:
    content = signed_content("Home.\n\tMy cat — ☕ \U0001f408", [
        Need(plan_id="p", description="A \"quoted\" need\r\n", domain="other")], [], [])
    stored = to_snapshot(content)
    assert all(item.isascii() and item.isprintable() for item in stored)
    assert from_snapshot(stored) == content
    with pytest.raises(ValueError, match="snapshot, item 1: not a signed plan item"):
        from_snapshot(["{not json"])


# -- the joint plan PDF ---------------------------------------------------------------------


def _pdf_text(store: Store, person_id: str, path: Path) -> str:
    out = plan_pdf(store, person_id, path, printed_by="Sue Marsh", today=TODAY,
                   printed_at=datetime(2025, 3, 12, 9), **_for_the_practice(store))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(out).pages))


def test_the_plan_pdf_prints_the_version_in_force_and_the_changes_not_yet_issued(
        store_path: Path, tmp_path: Path) -> None:
    with Store.open(store_path) as store:
        s = _signed(store)
        text = _pdf_text(store, s.plan.person_id, tmp_path / "before.pdf")
        assert "Changes not yet issued: none. The plan is as version 1 was issued." in text
        cw.save_plan_item(store, s.action.evolve(description="Start home care, twice daily",
                                                 status=ActionStatus.IN_PROGRESS), SW.id)
        text = _pdf_text(store, s.plan.person_id, tmp_path / "draft.pdf")
        body = text[text.index("Needs, outcomes and actions"):text.index("Version 1 and")]
        # The body is version 1 as signed, with today's progress.
        assert "Start home care Sam Green" in body and "twice daily" not in body
        assert "in progress" in body
        assert ("Changes not yet issued (the draft of version 2): 1. They are not part of "
                "the version signed below.") in text
        assert ("1. Action “Start home care” now reads “Start home care, twice daily”"
                in text)
        issue_version(store, get(store, CarePlan, s.plan.id), DR.id, AT)
        text = _pdf_text(store, s.plan.person_id, tmp_path / "issued.pdf")
        assert "plan version 2" in text
        assert "Version 2 was issued for sign-off on 10 Mar 2025 by Dr Asha Patel." in text
        assert "What version 2 changed from version 1" in text
        assert "Start home care, twice daily Sam Green" in text
