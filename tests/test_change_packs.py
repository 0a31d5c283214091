"""Change packs as files: signed by the sending store, sealed for the receiving one, and
refused in one sentence, before any event is looked at, when they are not what they
claim (tampered, truncated, foreign, misaddressed, or this store's own)."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from careplan.store import InputError, Store, packs
from careplan.store.digest import content_digest

EVENTS = [{"id": f"e{n}", "store_id": "origin", "store_seq": n, "after": {"x": "é" * n}}
          for n in range(1, 6)]


def _store(path: Path, name: str) -> Store:
    store = Store.open(path)
    store.set_meta("name", name)
    return store


@pytest.fixture
def team(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Three stores: the GP's and the social worker's trust each other; another team's
    store trusts the GP's but is not trusted back."""
    gp, sw, other = (_store(tmp_path / f"{n}.db", n) for n in ("gp", "sw", "other"))
    packs.trust(gp, packs.identity(sw).line(), "setup")
    packs.trust(sw, packs.identity(gp).line(), "setup")
    packs.trust(other, packs.identity(gp).line(), "setup")
    yield gp, sw, other
    for s in (gp, sw, other):
        s.close()


def test_a_pack_round_trip(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gp, sw, _ = team
    out = tmp_path / "for-sw.cpk"
    size = packs.write_pack(gp, sw.store_id, EVENTS, {gp.store_id: 7}, out)
    assert size == out.stat().st_size
    pack = packs.read_pack(sw, out.read_bytes())
    assert (pack.sender, pack.recipient) == (gp.store_id, sw.store_id)
    assert pack.events == EVENTS and pack.sender_vector == {gp.store_id: 7}
    assert b"origin" not in out.read_bytes()  # sealed: nothing of the events shows


def _refused(store: Store, data: bytes, message: str) -> None:
    before = content_digest(store)
    with pytest.raises(packs.PackError, match=message):
        packs.read_pack(store, data)
    assert content_digest(store) == before


def test_every_changed_byte_is_noticed(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gp, sw, _ = team
    out = tmp_path / "p.cpk"
    packs.write_pack(gp, sw.store_id, EVENTS, {}, out)
    data = out.read_bytes()
    for at in range(len(packs.MAGIC), len(data), max(1, len(data) // 97)):
        spoiled = bytearray(data)
        spoiled[at] ^= 0x01
        with pytest.raises(packs.PackError):
            packs.read_pack(sw, bytes(spoiled))
    for cut in (len(data) - 1, len(data) // 2, len(packs.MAGIC) + 3, 5):
        with pytest.raises(packs.PackError, match="truncated|damaged|not a CarePlan"):
            packs.read_pack(sw, data[:cut])


def test_foreign_misaddressed_and_own_packs_are_refused(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gp, sw, other = team
    out = tmp_path / "p.cpk"
    packs.write_pack(gp, sw.store_id, EVENTS, {}, out)
    _refused(other, out.read_bytes(), "made for store .* not this one")
    _refused(gp, out.read_bytes(), "made for store")
    # A store that is not trusted writes to the GP: refused as from another team.
    packs.trust(other, packs.identity(gp).line(), "setup")
    packs.trust(gp, packs.identity(sw).line(), "setup")
    with pytest.raises(InputError, match="not a store this one shares with"):
        packs.write_pack(gp, other.store_id, EVENTS, {}, out)
    foreign = tmp_path / "foreign.cpk"
    packs.trust(other, packs.identity(sw).line(), "setup")
    packs.write_pack(other, sw.store_id, EVENTS, {}, foreign)
    _refused(sw, foreign.read_bytes(), "does not share with")
    # A copy of the recipient (same id, other keys) cannot open it.
    copy = tmp_path / "sw-copy.db"
    sw.close()
    shutil.copyfile(tmp_path / "sw.db", copy)
    with Store.open(copy) as twin:
        twin.conn.execute("DELETE FROM store_meta WHERE key IN ('sign_private', 'box_private')")
        twin.conn.commit()
        packs.trust(twin, packs.identity(gp).line(), "setup")
        _refused(twin, out.read_bytes(), "never given out its identity")
        packs.identity(twin)  # now it has keys of its own, not the original's
        _refused(twin, out.read_bytes(), "cannot be opened with this store's key")


def test_a_compression_bomb_is_refused(team, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    gp, sw, _ = team
    monkeypatch.setattr(packs, "MAX_PLAIN_BYTES", 10_000)
    out = tmp_path / "bomb.cpk"
    packs.write_pack(gp, sw.store_id, [{"x": "0" * 50_000}], {}, out)
    _refused(sw, out.read_bytes(), "cannot be opened")


def test_identity_lines(team) -> None:  # type: ignore[no-untyped-def]
    gp, _, _ = team
    line = packs.identity(gp).line()
    assert packs.StoreIdentity.parse(line) == packs.identity(gp)
    assert ":" in line and "\n" not in line
    for bad in ("", "careplan-store-v1:x", line.replace("careplan-store-v1", "other"),
                line[:-10]):
        with pytest.raises(InputError, match="^store identity:"):
            packs.StoreIdentity.parse(bad)
    with pytest.raises(InputError, match="own identity"):
        packs.trust(gp, line, "me")


def test_trusting_a_store_is_audited(team) -> None:  # type: ignore[no-untyped-def]
    gp, sw, _ = team
    events = gp.query("SELECT entity, entity_id, actor FROM audit_events "
                      "WHERE entity = 'trusted_stores'")
    assert events == [{"entity": "trusted_stores", "entity_id": sw.store_id, "actor": "setup"}]
    assert "private" not in json.dumps(gp.query("SELECT after FROM audit_events"))


def test_header_lengths_beyond_the_file_are_refused(team, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, sw, _ = team
    data = packs.MAGIC + struct.pack(">I", 2**31) + b"{}" + bytes(64)
    _refused(sw, data, "truncated or damaged")
    header = json.dumps({"format": 1}).encode()
    data = packs.MAGIC + struct.pack(">I", len(header)) + header + zlib.compress(b"") + bytes(64)
    _refused(sw, data, "damaged")
