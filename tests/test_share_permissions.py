"""Another store's changes are checked against the permission rules for their author.

Each change is checked as it is applied, against the records as they are here at that
point, with the authority its author's account had on the store where they acted. A
refused change is reported (who, what, why), kept, and the changes that depend on it
(the rest of its store's sequence) wait behind it; the rest of the pack is applied.
Changes that follow from an allowed act (an accepted handoff moving the action or the
lead) pass with it; records a bulk writer made (an import, the demo) are nobody's act.

The refused changes are written here with the store's primitives (careplan.store.repo),
as an older CarePlan or a damaged copy might, since the store functions refuse them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from careplan.models import Action, CareTeamMember, Handoff, Need, PlanSignOff, Professional
from careplan.models.accounts import AccountRole
from careplan.store import Store, accounts, add, find, get, packs, update
from careplan.store import overrides as overrides_module
from careplan.store.casework import answer_handoff
from careplan.store.exchange import import_pack, make_pack
from careplan.store.overrides import read_overrides, set_override
from careplan.store.remote_permissions import author
from careplan.store.replication import events_for, version_vector
from careplan.store.team import set_lead
from tests.sharing import administrator, exchange, lead_manager, stores

AT = datetime(2025, 2, 4, 9)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[list[Store]]:
    found = stores(tmp_path)
    for s in found:
        for other in found:
            if other is not s:
                packs.trust(s, packs.identity(other).line(), "setup")
    exchange(found)
    yield found
    for s in found:
        s.close()


def _send(source: Store, target: Store, folder: Path):  # type: ignore[no-untyped-def]
    out = folder / f"{source.store_id[:6]}-{target.store_id[:6]}.cpk"
    make_pack(source, out, target.store_id, since=version_vector(target))
    return import_pack(target, out.read_bytes())


def _pro(s: Store, name: str) -> Professional:
    return next(p for p in find(s, Professional) if p.name == name)


def _handoff(s: Store) -> Handoff:
    return find(s, Handoff)[0]


def test_an_answer_by_someone_not_addressed_is_refused_and_held(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    sam = _pro(a, "Sam Green")  # a manager of Adult Social Care; the handoff is to the GP
    handoff = _handoff(a)
    update(a, handoff.evolve(status="accepted", answered_at=AT, answered_by=sam.id), sam.id)
    later = update(a, find(a, Need)[0].evolve(description="After the answer"), sam.id)
    update(c, find(c, Action)[0].evolve(description="Start home care on Monday"),
           _pro(c, "Sam Green").id)
    from_a = _send(a, b, tmp_path)
    [refused] = from_a.arrived.result.refused
    assert refused.reason.startswith("Sam Green (")
    assert ("Only Dr Asha Patel (to whom it is addressed) or a manager of Riverside Medical "
            "Practice may answer this handoff.") in refused.reason
    assert from_a.arrived.result.pending == 1  # the need's change waits behind it
    assert any("refused" in line for line in from_a.lines())
    from_c = _send(c, b, tmp_path)
    assert from_c.arrived.result.applied == 1  # independent of the refusal: applied
    assert find(b, Action)[0].description == "Start home care on Monday"
    assert _handoff(b).status.value == "proposed"
    assert find(b, Need)[0].description != later.description
    held = b.conn.execute("SELECT refused FROM sync_pending WHERE refused IS NOT NULL"
                          ).fetchall()
    assert len(held) == 1 and "may answer this handoff" in held[0][0]


def test_the_addressee_accepting_moves_the_action_and_passes(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = team
    asha = _pro(a, "Dr Asha Patel")
    answer_handoff(a, _handoff(a), True, AT, asha.id)
    assert find(a, Action)[0].owner_professional_id == asha.id
    done = _send(a, b, tmp_path)
    assert done.arrived.result.refused == () and done.arrived.result.pending == 0
    assert find(b, Action)[0].owner_professional_id == asha.id
    assert _handoff(b).status.value == "accepted"


def test_signing_for_another_agency_is_refused_an_import_is_not(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    sam = _pro(a, "Sam Green")
    gp = _pro(a, "Dr Asha Patel").agency_id
    plan = find(a, PlanSignOff)[0].plan_id
    add(a, PlanSignOff(plan_id=plan, agency_id=gp, plan_version=2, signed_by=sam.id,
                       signed_at=AT), sam.id)
    [refused] = _send(a, b, tmp_path).arrived.result.refused
    assert "Only a member of Riverside Medical Practice may sign this plan" in refused.reason
    # A record an import made names its signer, not the importer: nobody's act here.
    imported = add(c, PlanSignOff(plan_id=plan, agency_id=gp, plan_version=3,
                                  signed_by=sam.id, signed_at=AT), "import")
    from_c = _send(c, b, tmp_path)
    assert from_c.arrived.refused_now == () and len(from_c.arrived.result.refused) == 1
    assert find(b, PlanSignOff, id=imported.id)
    assert any("refused earlier still waits" in line for line in from_c.lines())


def test_the_thresholds_are_an_administrators(team, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    set_override(c, "discharge.critical_days", 9, administrator(c))
    assert _send(c, b, tmp_path).arrived.result.refused == ()
    assert read_overrides(b)["discharge.critical_days"] == "9"
    monkeypatch.setattr(overrides_module, "require", lambda decision: None)
    set_override(a, "discharge.warning_days", 3, _pro(a, "Dr Asha Patel").id)
    [refused] = _send(a, b, tmp_path).arrived.result.refused
    assert "Only an administrator may change the rules' thresholds" in refused.reason
    assert "discharge.warning_days" not in read_overrides(b)


def test_the_lead_is_made_by_a_manager_on_the_team(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    member = find(c, CareTeamMember)[0]
    set_lead(c, member.person_id, None, lead_manager(c), reason="agreed at the conference")
    assert _send(c, b, tmp_path).arrived.result.refused == ()
    asha = _pro(a, "Dr Asha Patel")
    stored = get(a, CareTeamMember, member.id)
    update(a, stored.evolve(is_lead=False, lead_reason=""), asha.id)
    [refused] = _send(a, b, tmp_path).arrived.result.refused
    assert "may make someone the lead professional" in refused.reason


def test_authority_is_what_the_authors_own_store_gave_them(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Dr Patel is a GP manager on store A only; B knows her as a practitioner. Her answer
    to a handoff addressed to another GP, made on A, passes on B."""
    a, b, _ = team
    asha = _pro(a, "Dr Asha Patel")
    ben = add(a, Professional(name="Dr Ben Cole", role="GP", agency_id=asha.agency_id), "setup")
    handoff = _handoff(a)
    moved = update(a, handoff.evolve(to_professional_id=ben.id), "setup")
    _send(a, b, tmp_path)
    admin = accounts.find_account(a, "admin")
    accounts.add_account(a, "asha.patel", "a-long-password-1", AccountRole.MANAGER, asha.id,
                         admin, temporary=False)
    answer_handoff(a, moved, False, AT, asha.id, reason="Not for the GP")
    event = next(e for e in events_for(a, version_vector(b)) if e.entity == "handoffs")
    done = _send(a, b, tmp_path)
    assert done.arrived.result.refused == ()
    assert _handoff(b).status.value == "declined"
    assert accounts.find_account(b, "asha.patel") is None  # accounts are each computer's
    who_on_b = author(b, event)  # the account as her own store recorded it
    assert who_on_b is not None and who_on_b.authority is AccountRole.MANAGER
