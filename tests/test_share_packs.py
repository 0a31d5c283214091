"""Change packs end to end: ``careplan share id | trust | export | import`` between real
store files, through real pack files.

Three stores (one made, copied twice, each with an identity of its own) trust one
another. Packs are relayed (A -> B -> C carries A's changes), imported twice, out of
order, and into the wrong store; a pack from another deployment, a changed or cut
short one, one made by the store itself and a full disk during an import are refused in
one sentence and change nothing. A pack carries only what the recipient may see: the
consent hook's withheld events travel as stubs and the recipient's sequence stays whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from careplan.cli import main
from careplan.models import Need, Person
from careplan.models.sync import WITHHELD
from careplan.store import Store, StoreError, add, chain, find, packs, update
from careplan.store.digest import content_digest
from careplan.store.exchange import (
    import_pack,
    import_pack_file,
    known_vector,
    make_pack,
    peers,
    read_events,
    since_pack,
    stub,
)
from careplan.store.packs import PackError
from careplan.store.replication import apply_events, events_for, verify, version_vector
from tests.sharing import content, exchange, log, stores
from tests.signin import digest_without_sign_ins


@pytest.fixture
def team(tmp_path: Path) -> Iterator[list[Store]]:
    """Stores A, B and C of one team, each trusting the others, each having seen all the
    others hold (the events of trusting them included)."""
    found = stores(tmp_path)
    for n, s in enumerate(found):
        s.set_meta("name", "ABC"[n])
    for s in found:
        for other in found:
            if other is not s:
                packs.trust(s, packs.identity(other).line(), "setup")
    exchange(found)
    yield found
    for s in found:
        s.close()


def _person(s: Store) -> Person:
    return find(s, Person)[0]


def _pack(source: Store, target: Store, folder: Path, name: str, **kwargs: Any) -> Path:
    out = folder / f"{name}.cpk"
    make_pack(source, out, target.store_id, **kwargs)
    return out


def _same(*group: Store) -> None:
    first = group[0]
    for other in group[1:]:
        assert content(other) == content(first)
        assert log(other) == log(first)
    for s in group:
        assert verify(s) == []
        assert s.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0


def test_a_pack_relayed_from_a_through_b_to_c(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    update(a, _person(a).evolve(what_matters="My garden."), "dr")
    update(b, find(b, Need)[0].evolve(description="Washing and dressing"), "sw")
    first = import_pack(b, _pack(a, b, tmp_path, "a-b").read_bytes())
    assert first.arrived.result.applied == 1 and _person(b).what_matters == "My garden."
    relayed = import_pack(c, _pack(b, c, tmp_path, "b-c").read_bytes())
    assert relayed.arrived.result.applied == 2  # A's change and B's, one pack from B
    assert _person(c).what_matters == "My garden."
    direct = import_pack(c, _pack(a, c, tmp_path, "a-c").read_bytes())
    assert direct.arrived.result.applied == 0  # A's change came through B already
    for source, target in ((b, a), (c, a), (c, b)):
        import_pack(target, _pack(source, target, tmp_path, "x").read_bytes())
    _same(a, b, c)


def test_a_pack_imported_twice_or_out_of_order_gives_the_same_result(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = team
    update(a, _person(a).evolve(what_matters="One."), "dr")
    first = _pack(a, b, tmp_path, "first")
    update(a, _person(a).evolve(address="2 Low Road"), "dr")
    # "since the first pack": carries the second change alone
    second = tmp_path / "second.cpk"
    recipient, since = since_pack(a, first.read_bytes())
    assert recipient == b.store_id
    made = make_pack(a, second, recipient, since=since)
    assert made.events == 1
    early = import_pack(b, second.read_bytes())  # before what it depends on: it waits
    assert (early.arrived.result.applied, early.arrived.result.pending) == (0, 1)
    assert any("wait" in line for line in early.lines())
    late = import_pack(b, first.read_bytes())
    assert late.arrived.result.applied == 2  # the first, then the one that waited
    assert (_person(b).what_matters, _person(b).address) == ("One.", "2 Low Road")
    before = content(b), log(b)
    again = import_pack(b, first.read_bytes())
    assert again.arrived.result.applied == 0 and "Nothing new" in " ".join(again.lines())
    assert (content(b), log(b)) == before
    _same(a, b)


def test_what_a_store_has_seen_is_known_from_its_packs(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = team
    assert known_vector(a, b.store_id) == {}
    everything = make_pack(a, tmp_path / "all.cpk", b.store_id)
    assert "nothing is known yet" in everything.basis
    import_pack(a, _pack(b, a, tmp_path, "b-a").read_bytes())
    assert known_vector(a, b.store_id) == version_vector(b)
    update(a, _person(a).evolve(what_matters="Later."), "dr")
    made = make_pack(a, tmp_path / "next.cpk", b.store_id)
    assert made.events == 1  # only what B has not seen
    # A pack B made for A tells A what B had seen, too (--since-pack).
    recipient, since = since_pack(a, (tmp_path / "b-a.cpk").read_bytes())
    assert recipient == b.store_id and since == version_vector(b)
    [peer] = [p for p in peers(a) if p.store_id == b.store_id]
    assert peer.name == "B" and peer.last_pack_received


def _digests(*group: Store) -> list[str]:
    return [content_digest(s) for s in group]


def test_refused_packs_change_nothing(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    update(a, _person(a).evolve(what_matters="Secret."), "dr")
    good = _pack(a, b, tmp_path, "a-b").read_bytes()
    other_team = Store.open(tmp_path / "other.db")
    try:
        packs.trust(other_team, packs.identity(b).line(), "setup")
        foreign = tmp_path / "foreign.cpk"
        add(other_team, Person(given_name="Zed", family_name="Other",
                               birth_date=date(1960, 1, 1)), "them")
        make_pack(other_team, foreign, b.store_id)
    finally:
        other_team.close()
    before = _digests(a, b, c)
    spoiled = bytearray(good)
    spoiled[len(good) // 2] ^= 0x20
    cases = [
        (foreign.read_bytes(), b, "does not share with"),  # another deployment
        (bytes(spoiled), b, "changed after it was made"),
        (good[: len(good) - 10], b, "changed after it was made|truncated|damaged"),
        (good[:40], b, "truncated"),
        (good, c, "made for store"),  # misaddressed
        (good, a, "made for store"),  # into the store that made it: nothing happens
        (b"not a pack at all", b, "not a CarePlan change pack"),
    ]
    for data, target, message in cases:
        with pytest.raises(PackError, match=message):
            import_pack(target, data)
    assert _digests(a, b, c) == before


def test_the_store_itself_is_never_read_as_a_pack(team) -> None:  # type: ignore[no-untyped-def]
    """Read with a plain handle, the store's own file (or its WAL) would drop this
    process's SQLite locks on it when the handle closed: refused before it is opened."""
    a, b, c = team
    before = _digests(a, b, c)
    for path in (Path(b.path), Path(f"{b.path}-wal")):
        assert path.exists()
        with pytest.raises(PackError, match="is the store itself"):
            import_pack_file(b, path)
    assert _digests(a, b, c) == before


def test_a_full_disk_during_an_import_leaves_nothing_half_applied(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = team
    plan = b.conn.execute("SELECT plan_id FROM needs").fetchone()[0]
    with a.atomic():
        for n in range(300):
            add(a, Need(plan_id=plan, description=f"Need {n} " + "x" * 500,
                        domain="social care"), "dr")
    data = _pack(a, b, tmp_path, "big").read_bytes()
    before = content_digest(b)
    pages = b.conn.execute("PRAGMA page_count").fetchone()[0]
    b.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills part way
    with pytest.raises(StoreError, match="is full; nothing more was saved"):
        import_pack(b, data)
    assert content_digest(b) == before
    assert known_vector(b, a.store_id) == {}  # not remembered either
    b.conn.execute("PRAGMA max_page_count = 1073741823")
    assert import_pack(b, data).arrived.result.applied == 300
    assert verify(b) == []


def test_withheld_events_travel_as_stubs(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a, b, c = team
    need = find(a, Need)[0]
    update(a, need.evolve(description="Private"), "dr")
    update(a, _person(a).evolve(what_matters="Shared."), "dr")

    def not_needs(store: Store, event: Any, agency: str | None) -> bool:
        return event.entity != "needs"

    made = make_pack(a, tmp_path / "a-b.cpk", b.store_id, share=not_needs,
                     since=version_vector(b))
    assert made.withheld == 1 and made.events == 2
    done = import_pack(b, (tmp_path / "a-b.cpk").read_bytes())
    assert done.arrived.result.applied == 2  # the stub keeps A's sequence whole
    assert _person(b).what_matters == "Shared."
    assert find(b, Need)[0].description == need.description  # never saw "Private"
    assert version_vector(b)[a.store_id] == version_vector(a)[a.store_id]
    held = b.conn.execute("SELECT entity, after, actor FROM audit_events WHERE entity = ?",
                          (WITHHELD,)).fetchall()
    assert held == [(WITHHELD, "{}", WITHHELD)]
    assert "Private" not in json.dumps(log(b), default=str)
    # Relayed as a stub: C never sees it either, and its sequence of A is whole too.
    import_pack(c, _pack(b, c, tmp_path, "b-c", since=version_vector(c)).read_bytes())
    assert find(c, Need)[0].description == need.description
    assert version_vector(c)[a.store_id] == version_vector(a)[a.store_id]
    # The stub keeps A's audit chain whole: A's next change follows it, and every
    # chain checks on every store (the stub's link is checked by the event after it).
    update(a, _person(a).evolve(what_matters="Later."), "dr")
    for target in (b, c):
        import_pack(target, _pack(a, target, tmp_path, "later", since=version_vector(target))
                    .read_bytes())
        assert _person(target).what_matters == "Later."
        assert chain.check(target.conn).breaks == ()  # type: ignore[union-attr]


def test_a_stub_with_a_false_link_holds_back_what_follows(team) -> None:  # type: ignore[no-untyped-def]
    """A stub's own link cannot be checked where it arrives, but the next event of its
    store links to it: a stub carrying another hash makes that event refused."""
    a, b, _ = team
    update(a, find(a, Need)[0].evolve(description="Private"), "dr")
    update(a, _person(a).evolve(what_matters="After it."), "dr")
    first, second = events_for(a, version_vector(b))
    false = stub(first) | {"hash": "0" * 64}
    result = apply_events(b, read_events([false, second.to_json()]))
    assert result.applied == 1 and len(result.refused) == 1
    assert "does not follow" in result.refused[0].reason
    assert _person(b).what_matters != "After it."


# -- the command line ----------------------------------------------------------------------------

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_the_commands(team, tmp_path: Path, cli: Cli, signed_in) -> None:  # type: ignore[no-untyped-def]
    a, b, _ = team
    da, db = a.path, b.path
    user = signed_in(da)
    signed_in(db)
    code, out, _ = cli("share", "id", "--db", da)
    assert code == 0 and out.strip() == packs.identity(a).line()
    update(a, _person(a).evolve(what_matters="By pack."), "dr")
    pack = tmp_path / "a-for-b.cpk"
    code, out, err = cli("share", "export", "--db", da, *user, "--for", "B", "--out", str(pack))
    assert code == 0, err
    assert "for B" in out and pack.exists()
    code, out, err = cli("share", "import", str(pack), "--db", db, *user)
    assert code == 0, err
    assert "arrived and was applied" in out or "arrived and were applied" in out
    assert _person(b).what_matters == "By pack."
    code, out, _ = cli("share", "import", str(pack), "--db", db, *user)
    assert code == 0 and "Nothing new" in out
    before = digest_without_sign_ins(a)
    code, _, err = cli("share", "import", str(pack), "--db", da, *user)
    assert code == 2 and err.count("\n") == 1 and "made for store" in err
    assert digest_without_sign_ins(a) == before
    code, _, err = cli("share", "export", "--db", da, *user, "--for", "nobody",
                       "--out", str(tmp_path / "x.cpk"))
    assert code == 2 and "--for: nobody is not a store this one shares with" in err
    code, _, err = cli("share", "export", "--db", da, *user, "--for", "B", "--out", da)
    assert code == 2 and "--out: nothing was written" in err
    code, _, err = cli("share", "import", da, "--db", da, *user)
    assert code == 2 and "the store itself" in err
    code, _, err = cli("share", "export", "--db", da, *user, "--for", "", "--out", "x.cpk")
    assert code == 2 and "--for: is empty" in err


def test_only_an_administrator_trusts_a_store(team, tmp_path: Path, cli: Cli, signed_in) -> None:  # type: ignore[no-untyped-def]
    a, _, _ = team
    other = Store.open(tmp_path / "new.db")
    line = packs.identity(other).line()
    other.close()
    before = digest_without_sign_ins(a)
    manager = signed_in(a.path, "lead.manager")
    code, _, err = cli("share", "trust", line, "--db", a.path, *manager)
    assert code == 2 and "Only an administrator may trust another store" in err
    assert digest_without_sign_ins(a) == before
    code, out, err = cli("share", "trust", line, "--db", a.path, *signed_in(a.path),
                         "--agency", "Adult Social Care")
    assert code == 0, err
    assert "now trusts" in out
    code, _, err = cli("share", "trust", "careplan-store-v1:junk", "--db", a.path,
                       *signed_in(a.path))
    assert code == 2 and err.startswith("careplan: store identity:")


def test_a_copy_for_another_laptop_is_a_store_of_its_own(team, tmp_path: Path, cli: Cli) -> None:  # type: ignore[no-untyped-def]
    a, _, _ = team
    out = tmp_path / "laptop.db"
    code, text, err = cli("share", "copy", "--db", a.path, "--out", str(out), "--name", "D")
    assert code == 0, err
    with Store.open(out, create=False) as copy:
        assert copy.store_id != a.store_id and copy.meta("name") == "D"
        assert content(copy) == content(a)
        assert copy.conn.execute("SELECT count(*) FROM trusted_stores").fetchone()[0] == 0
        assert packs.identity(copy).sign_public != packs.identity(a).sign_public
        assert version_vector(copy)[a.store_id] == version_vector(a)[a.store_id]
    code, _, err = cli("share", "copy", "--db", a.path, "--out", str(out))
    assert code == 2 and "exists already" in err
