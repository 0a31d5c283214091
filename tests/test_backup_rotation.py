"""Which automatic backups are kept: generations by day, week and month, only this
store's, and never the last copy of the caseload; and which backup is offered for a
restore (newest_good_backup, recovery_hint)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careplan.cli import main
from careplan.models import Agency, Person
from careplan.store import Store, add, find, update
from careplan.store import backup as bk
from careplan.store.migrations import latest_version
from tests.factories import one_of_each

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
POLICY = bk.RETENTION
BOUND = POLICY.days + POLICY.weeks + POLICY.months


# -- the policy, over random times ---------------------------------------------------------


def _as_backups(times: list[datetime]) -> list[bk.Backup]:
    return [bk.Backup(Path(f"b{k:04d}.db"), t) for k, t in enumerate(sorted(set(times)))]


def _expected(backups: list[bk.Backup], protected: bk.Backup | None) -> set[Path]:
    """The documented policy, said another way: group by period, take each of the
    newest periods' newest backup."""
    chosen = {protected.path} if protected else set()
    chosen.add(max(backups, key=lambda b: b.taken_at).path)
    tiers = [(POLICY.days, lambda t: t.date()),
             (POLICY.weeks, lambda t: t.isocalendar()[:2]),
             (POLICY.months, lambda t: (t.year, t.month))]
    for count, period in tiers:
        groups: dict[object, list[bk.Backup]] = {}
        for b in backups:
            groups.setdefault(period(b.taken_at), []).append(b)
        newest_periods = sorted(groups, key=lambda k: max(b.taken_at for b in groups[k]),
                                reverse=True)[:count]
        chosen |= {max(groups[k], key=lambda b: b.taken_at).path for k in newest_periods}
    return chosen


_times = st.lists(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30),
                 timezones=st.just(UTC)),
    min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(times=_times, data=st.data())
def test_rotation_keeps_generations_and_the_protected_copy(times, data) -> None:
    backups = _as_backups(times)
    # each backup: its persons, or None when it fails its check
    counts = data.draw(st.lists(st.none() | st.integers(0, 3), min_size=len(backups),
                                max_size=len(backups)))
    persons = dict(zip((b.path for b in backups), counts, strict=True))
    with_persons = [b for b in backups if persons[b.path]]
    protected = bk.protected(backups, lambda b: persons[b.path])
    assert protected == (max(with_persons, key=lambda b: b.taken_at) if with_persons
                         else None)
    kept = bk.retained(backups, POLICY, protected)
    paths = {b.path for b in kept}
    assert paths <= {b.path for b in backups}
    assert len(paths) == len(kept)  # no duplicates
    assert len(paths - ({protected.path} if protected else set())) <= BOUND
    assert len(paths) <= BOUND + 1
    assert max(backups, key=lambda b: b.taken_at).path in paths  # the newest, always
    if protected is not None:  # the newest sound backup with persons, always
        assert protected.path in paths
    assert paths == _expected(backups, protected)  # daily, weekly, monthly coverage
    assert [b.taken_at for b in kept] == sorted((b.taken_at for b in kept), reverse=True)


@settings(max_examples=200, deadline=None)
@given(times=_times)
def test_rotating_after_each_backup_keeps_what_deciding_once_would(times) -> None:
    """Backups arrive one at a time and a deleted one never comes back: rotating after
    every backup must end where one decision over all the times would."""
    backups = _as_backups(times)
    kept: list[bk.Backup] = []
    for item in backups:  # oldest first, as they are taken
        kept = bk.retained([*kept, item], POLICY)
    assert {b.path for b in kept} == {b.path for b in bk.retained(backups, POLICY)}


def test_a_long_gap_keeps_history_not_empty_slots() -> None:
    """Periods are counted among those that have a backup, not on the clock: a store left
    alone for a year still keeps its last seven days of work."""
    days = [T0 + timedelta(days=d) for d in range(10)]
    kept = bk.retained(_as_backups(days))
    assert {b.taken_at for b in kept} >= set(days[-7:])


# -- on real files --------------------------------------------------------------------------


@pytest.fixture
def filled(store_path: Path) -> Path:
    with Store.open(store_path) as store:
        for entity in one_of_each():
            add(store, entity, "setup")
    return store_path


def _touch(path: Path, text: str) -> None:
    """A change that is not about persons (so the store changes without gaining one)."""
    with Store.open(path, create=False) as store:
        agency = find(store, Agency)[0]
        update(store, agency.evolve(name=text), "editor")


def _persons(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM persons").fetchone()[0])
    finally:
        conn.close()


def _empty_persons(path: Path) -> None:
    """A mistake that leaves the store with nobody in it (written past the store's rules,
    as a bad script might)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM persons")
    conn.commit()
    conn.close()


def _id(path: Path) -> str:
    with Store.open(path, create=False) as store:
        return store.store_id


def test_the_last_backup_with_persons_is_never_rotated_away(filled: Path) -> None:
    caseload = bk.auto_backup(filled, now=T0).path
    assert caseload is not None and _persons(caseload) == 1
    _empty_persons(filled)
    for hour in range(1, 13):  # a dozen saves of the emptied store, the same day
        _touch(filled, f"save {hour}")
        made = bk.auto_backup(filled, now=T0 + timedelta(hours=hour))
        assert made.path is not None and _persons(made.path) == 0
    kept = bk.list_backups(filled)
    assert caseload in [b.path for b in kept]
    assert len(kept) == 2  # today's newest, and the protected caseload
    assert bk.newest_good_backup(filled) == bk.Backup(caseload, T0)
    good, hint = bk.recovery_hint(filled)
    assert good is not None and good.path == caseload
    assert str(caseload) in hint and "the newer one is damaged or holds no persons" in hint


def test_a_store_made_anew_at_the_same_path_leaves_the_old_backups_alone(
        filled: Path) -> None:
    """A store file replaced by a new, empty store (a new id) must not rotate away the
    backups of the store that was there."""
    old_backups = []
    for day in range(3):
        _touch(filled, f"day {day}")
        made = bk.auto_backup(filled, now=T0 + timedelta(days=day))
        assert made.path is not None
        old_backups.append(made.path)
    filled.unlink()
    with Store.open(filled) as store:  # a new store where the old one was
        add(store, Agency(name="New", sector="housing"), "me")
    later = T0 + timedelta(days=10)
    for hour in range(12):
        _touch(filled, f"new {hour}")
        assert bk.auto_backup(filled, now=later + timedelta(hours=hour)).path is not None
    assert all(p.exists() for p in old_backups)
    mine = bk.list_backups(filled)
    assert len(mine) == 1 and mine[0].path not in old_backups
    assert {b.path for b in bk.list_backups(filled, every_store=True)} >= set(old_backups)


def test_two_stores_with_one_stem_in_one_folder_rotate_separately(filled: Path) -> None:
    twin = filled.with_suffix(".sqlite")  # store.db and store.sqlite: both "store"
    shutil.copyfile(filled, twin)
    with Store.open(twin, create=False) as store:
        store.set_meta("store_id", "0f0f0f0f-0000-4000-8000-000000000000")
    first = bk.auto_backup(twin, now=T0).path
    assert first is not None
    for hour in range(1, 12):
        _touch(filled, f"hour {hour}")
        assert bk.auto_backup(filled, now=T0 + timedelta(hours=hour)).path is not None
    assert first.exists()
    assert [b.path for b in bk.list_backups(twin)] == [first]
    assert first not in [b.path for b in bk.list_backups(filled)]


def _old_style(backup: Path, store: Path, when: datetime) -> Path:
    """A backup named as before store ids went into names."""
    renamed = backup.with_name(f"{store.stem}-{when:%Y%m%d-%H%M%S}.db")
    backup.rename(renamed)
    return renamed


def test_backups_named_the_old_way_are_recognised_by_their_contents(filled: Path) -> None:
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    ours = _old_style(made, filled, T0)
    stranger = filled.parent / "stranger.db"
    with Store.open(stranger) as store:
        add(store, Agency(name="Elsewhere", sector="housing"), "me")
    theirs = bk.auto_backup(stranger, now=T0).path
    assert theirs is not None
    theirs = theirs.rename(ours.with_name(f"store-{T0 + timedelta(hours=1):%Y%m%d-%H%M%S}.db"))
    listed = bk.list_backups(filled)
    assert [b.path for b in listed] == [ours]
    assert listed[0].store_id == bk.short_id(_id(filled))
    _touch(filled, "later that day")  # old-style backups of this store rotate with the rest
    newer = bk.auto_backup(filled, now=T0 + timedelta(hours=2)).path
    assert newer is not None
    assert not ours.exists()  # no longer the newest of its day, week or month
    assert theirs.exists()  # never this store's to delete
    assert [b.path for b in bk.list_backups(filled)] == [newer]


def test_the_offered_backup_skips_damaged_foreign_and_newer_ones(filled: Path) -> None:
    good = bk.auto_backup(filled, now=T0).path
    assert good is not None
    later = []
    for hour, spoil in ((1, "damaged"), (2, "newer schema"), (3, "other store")):
        copy = good.with_name(good.name.replace("090000", f"{9 + hour:02d}0000"))
        shutil.copyfile(good, copy)
        conn = sqlite3.connect(copy)
        if spoil == "newer schema":
            conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
        elif spoil == "other store":  # named as this store's, but it is not
            conn.execute("UPDATE store_meta SET value = 'someone-else' WHERE key = 'store_id'")
        conn.commit()
        conn.close()
        if spoil == "damaged":
            with copy.open("r+b") as fh:
                fh.seek(100)
                fh.write(b"\xff" * 3000)
        later.append(copy)
    assert [b.path for b in bk.list_backups(filled)] == [*reversed(later), good]
    assert bk.newest_good_backup(filled) == bk.Backup(good, T0)
    found, hint = bk.recovery_hint(filled)
    assert found is not None and found.path == good
    assert hint == (f"The newest good backup is {good} (taken 2026-11-22 09:00 UTC; the 3 "
                    "newer ones are damaged or hold no persons).")


def test_with_no_persons_anywhere_the_newest_sound_backup_is_offered(
        store_path: Path) -> None:
    with Store.open(store_path) as store:
        add(store, Agency(name="Only agencies", sector="housing"), "me")
    first = bk.auto_backup(store_path, now=T0).path
    _touch(store_path, "again")
    second = bk.auto_backup(store_path, now=T0 + timedelta(days=1)).path
    assert first is not None and second is not None
    assert bk.newest_good_backup(store_path) == bk.Backup(second, T0 + timedelta(days=1))


def test_with_no_sound_backup_none_is_offered(filled: Path) -> None:
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    made.write_bytes(b"\x00" * 4096)
    assert bk.newest_good_backup(filled) is None
    found, hint = bk.recovery_hint(filled)
    assert found is None and "None of its 1 backups" in hint


def test_a_damaged_store_is_offered_its_own_newest_good_backup(filled: Path) -> None:
    """With the store's id unreadable, backups of every store of that name are candidates:
    the newest that is sound and has persons."""
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    person = Person(given_name="Grace", family_name="Hopper", birth_date=date(1960, 1, 1))
    with Store.open(filled, create=False) as store:
        add(store, person, "me")
    newer = bk.auto_backup(filled, now=T0 + timedelta(hours=2)).path
    assert newer is not None
    filled.write_bytes(b"not a database at all" * 100)
    assert bk.newest_good_backup(filled) == bk.Backup(newer, T0 + timedelta(hours=2))


def test_the_listing_shows_this_stores_backups_and_safety_copies(
        filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    made = bk.auto_backup(filled, now=T0).path
    assert made is not None
    _, safety = bk.restore(filled, made, now=T0 + timedelta(hours=1))
    twin = filled.with_suffix(".sqlite")
    with Store.open(twin) as store:
        add(store, Agency(name="Twin", sector="housing"), "me")
    theirs = bk.auto_backup(twin, now=T0 + timedelta(hours=2)).path
    assert main(["backup", "--db", str(filled), "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"2026-11-22 09:00:00 UTC       1 person  {made}"
    assert out[1:3] == ["Kept from before a restore (never removed automatically):",
                        f"  {safety}"]
    assert out[3] == (f"Not shown: 1 backup in {bk.backup_dir(filled)} of another store "
                      "with the same name.")
    assert all(str(theirs) not in line for line in out)
