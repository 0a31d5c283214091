"""The team server's sync follows consent (HAZ-029), against a real PostgreSQL server
(the ``pg_server`` fixture): a laptop's pull hands it whole only what its agency may see,
by the rule change packs apply (careplan.models.sharing_basis), for the agency the
server records for its role (``careplan server laptop``), as the server's records
stand. The rest arrives as stubs that keep each store's sequence and audit chain whole;
once a sharing basis is recorded, the next sync delivers what was withheld.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from careplan.cli import main
from careplan.models import Consent, Person
from careplan.models.enums import ConsentStatus
from careplan.models.sharing_basis import latest_allows_sql
from careplan.models.sync import WITHHELD
from careplan.store import Store, add, find, teamserver, update
from careplan.store.errors import InputError
from careplan.store.permissions import today
from careplan.store.replication import verify
from careplan.store.serversync import sync
from tests.pg_server import PgServer
from tests.sharing import NOT_CONTENT, content, stores
from tests.test_sharing_consent import TABLE, TODAY

#: Tables of records about no person (a laptop of any agency receives them whole).
NO_PERSON = frozenset({"agencies", "professionals", "joint_budgets", "budget_contributions",
                       "funding_streams", "rule_overrides"})


class Team:
    """A team server (a database of its own on the session's PostgreSQL), its owner's
    DSN and its laptops' sign-ins (roles), in a password file as a laptop keeps them."""

    def __init__(self, server: PgServer, passfile: Path) -> None:
        self.server = server
        self.passfile = passfile
        self.db = server.new_database()
        self.owner = server.admin_dsn(self.db)
        teamserver.init_server(self.owner)

    def laptop(self) -> tuple[str, str]:
        """A new laptop's role and DSN."""
        role = f"laptop_{uuid.uuid4().hex[:8]}"
        return role, self.server.add_laptop(self.db, role, self.passfile)


@pytest.fixture
def team(pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    passfile = tmp_path / "pgpass"
    passfile.touch(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    return Team(pg_server, passfile)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Store]:
    """The store of the practice that keeps Ada Lovelace's records (one of each record:
    consent given to Adult Social Care, a direct-care basis for the practice, nothing
    recorded for General Hospital)."""
    (tmp_path / "office").mkdir()
    [store] = stores(tmp_path / "office", 1)
    yield store
    store.close()


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """New empty stores (each its own identity), as a new laptop starts."""
    made: list[Store] = []

    def make(name: str) -> Store:
        made.append(Store.open(tmp_path / f"{name}.db"))
        return made[-1]

    yield make
    for s in made:
        s.close()


def _agency(store: Store, name: str) -> str:
    return str(store.conn.execute("SELECT id FROM agencies WHERE name = ?",
                                  (name,)).fetchone()[0])


def _worker(store: Store) -> str:
    return str(store.conn.execute("SELECT id FROM professionals ORDER BY name").fetchone()[0])


def _consent(store: Store, agency: str, status: ConsentStatus, on: date) -> None:
    person = find(store, Person)[0]
    add(store, Consent(person_id=person.id, agency_id=agency, status=status,
                       recorded_on=on, recorded_by=_worker(store)), "dr")


def _person_rows(store: Store) -> dict[str, int]:
    """How many rows each table about persons holds (every table but those of no one
    and the bookkeeping), leaving out tables that are empty."""
    found = {}
    for table in content(store):
        if table in NOT_CONTENT or table in NO_PERSON:
            continue
        n = int(store.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        if n:
            found[table] = n
    return found


def _log_text(store: Store) -> str:
    return json.dumps(store.conn.execute(
        "SELECT before, after FROM audit_events").fetchall(), default=str)


def _withheld(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM audit_events WHERE entity = ?",
                                  (WITHHELD,)).fetchone()[0])


def test_a_refused_agency_gets_stubs_and_a_later_consent_delivers_everything(
        team: Team, office: Store, empty: Callable[[str], Store],
        signed_in: Callable[..., list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    hospital = _agency(office, "General Hospital")
    _consent(office, hospital, ConsentStatus.REFUSED, today(office) - timedelta(days=1))
    office_role, office_dsn = team.laptop()
    sync(office, office_dsn, authorise=None)
    ward_role, ward_dsn = team.laptop()
    teamserver.record_laptop(team.owner, ward_role, "General Hospital")
    ward = empty("ward")

    report = sync(ward, ward_dsn, authorise=None)
    # Stubs only for everything about her: her store shows nothing of the person.
    assert report.finished and _withheld(ward) > 0
    assert find(ward, Person) == [] and _person_rows(ward) == {}
    assert "Lovelace" not in _log_text(ward) and "stay at home" not in _log_text(ward)
    assert _agency(ward, "General Hospital") == hospital  # records of no one arrive whole
    assert verify(ward) == []
    assert ward.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
    # Her later changes travel as stubs too, and the ward's chain stays whole.
    update(office, find(office, Person)[0].evolve(what_matters="My garden."), "dr")
    sync(office, office_dsn, authorise=None)
    sync(ward, ward_dsn, authorise=None)
    assert find(ward, Person) == [] and "My garden" not in _log_text(ward)
    path = ward.path
    ward.close()
    user = signed_in(path)
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(path), *user]) == 0, capsys.readouterr()
    ward = empty("ward")  # the same file again

    # Consent given later: the next sync fills in every stub of hers.
    _consent(office, hospital, ConsentStatus.GIVEN, today(office))
    sync(office, office_dsn, authorise=None)
    stubs = _withheld(ward)
    again = sync(ward, ward_dsn, authorise=None)
    assert again.result.filled == stubs > 0
    assert find(ward, Person)[0].what_matters == "My garden."
    assert _withheld(ward) == 0
    assert _person_rows(ward) == _person_rows(office)
    mine = content(office)
    theirs = content(ward)
    for table in _person_rows(office):
        assert theirs[table] == mine[table], table
    assert verify(ward) == []
    assert "Synced with the team server" in "\n".join(again.lines(ward))
    assert any("withheld from this store before arrived whole" in line
               for line in again.lines(ward))
    ward.close()
    capsys.readouterr()
    assert main(["audit", "verify", "--db", str(path), *user]) == 0, capsys.readouterr()
    # Nothing is sent twice: a further sync brings nothing new (only the ward's own
    # sign-ins, pushed by the last sync, come back, and are skipped).
    ward = empty("ward")
    last = sync(ward, ward_dsn, authorise=None)
    assert (last.result.applied, last.result.filled) == (0, 0)
    assert last.pulled == last.result.already_seen


def test_an_agency_with_a_basis_and_a_role_with_no_agency_get_everything(
        team: Team, office: Store, empty: Callable[[str], Store]) -> None:
    _consent(office, _agency(office, "General Hospital"), ConsentStatus.REFUSED,
             today(office))
    _role, office_dsn = team.laptop()
    sync(office, office_dsn, authorise=None)
    council_role, council_dsn = team.laptop()
    teamserver.record_laptop(team.owner, council_role, _agency(office, "Adult Social Care"))
    _unknown_role, unknown_dsn = team.laptop()  # no agency recorded: as before the rule
    for dsn in (council_dsn, unknown_dsn):
        laptop = empty(f"laptop-{dsn[-12:]}")
        sync(laptop, dsn, authorise=None)
        assert _withheld(laptop) == 0
        assert find(laptop, Person)[0].what_matters == find(office, Person)[0].what_matters
        assert _person_rows(laptop) == _person_rows(office)
        assert verify(laptop) == []


def test_withdrawn_consent_withholds_what_follows_and_the_pushed_stubs_stay_on_the_laptop(
        team: Team, office: Store, empty: Callable[[str], Store]) -> None:
    """Consent withdrawn after the council's laptop had her records: it keeps what it
    had (sent while the basis stood), gets her later changes as stubs, and its own
    pushes never carry a stub to the server (the server holds every event whole)."""
    council = _agency(office, "Adult Social Care")
    _role, office_dsn = team.laptop()
    sync(office, office_dsn, authorise=None)
    council_role, council_dsn = team.laptop()
    teamserver.record_laptop(team.owner, council_role, "Adult Social Care")
    laptop = empty("council")
    sync(laptop, council_dsn, authorise=None)
    assert find(laptop, Person)[0].what_matters == "I want to stay at home."
    _consent(office, council, ConsentStatus.WITHDRAWN, today(office))
    update(office, find(office, Person)[0].evolve(what_matters="Private now."), "dr")
    sync(office, office_dsn, authorise=None)
    sync(laptop, council_dsn, authorise=None)
    assert _withheld(laptop) == 2  # the withdrawal and the change
    assert find(laptop, Person)[0].what_matters == "I want to stay at home."
    assert "Private now" not in _log_text(laptop)
    assert verify(laptop) == []
    with psycopg.connect(team.owner) as conn:
        row = conn.execute("SELECT count(*) FROM careplan.events "
                           "WHERE payload ->> 'entity' = %s", (WITHHELD,)).fetchone()
    assert row is not None and row[0] == 0


def test_the_server_runs_the_same_rule_on_every_case(team: Team) -> None:
    """The rule's SQL (careplan.models.sharing_basis.latest_allows_sql), run by
    PostgreSQL over the server's table of consent records, allows exactly the cases the
    pure rule allows."""
    expected: set[str] = set()
    with psycopg.connect(team.owner) as conn:
        for i, (_case, records, allowed) in enumerate(TABLE):
            person = f"person-{i}"
            for n, r in enumerate(records):
                conn.execute(
                    "INSERT INTO careplan.consents (id, person_id, agency_id, status, basis, "
                    "recorded_on) VALUES (%s, %s, %s, %s, %s, %s)",
                    (f"c-{i}-{n}", person, r.agency_id, r.status.value,
                     None if r.basis is None else r.basis.value, r.recorded_on.isoformat()))
            if allowed:
                expected.add(person)
        sql = latest_allows_sql("p.person_id", "%(agency)s", "%(today)s", "careplan.consents")
        rows = conn.execute(
            f"SELECT p.person_id FROM (SELECT DISTINCT person_id FROM careplan.consents) p "
            f"WHERE {sql} = 1", {"agency": "agency-a", "today": TODAY.isoformat()}).fetchall()
        conn.rollback()
    assert {r[0] for r in rows} == expected
    assert "person-0" not in expected  # nothing recorded: no row, never allowed


def test_recording_a_laptops_agency_refuses_in_one_sentence(
        team: Team, office: Store, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _role, office_dsn = team.laptop()
    sync(office, office_dsn, authorise=None)
    role, _dsn = team.laptop()
    with pytest.raises(InputError, match="^--role: nobody is not a role"):
        teamserver.record_laptop(team.owner, "nobody", "General Hospital")
    with pytest.raises(InputError, match="^--agency: no agency with the id or name Mars"):
        teamserver.record_laptop(team.owner, role, "Mars")
    owner = team.owner.rsplit(" password=", 1)[0]  # the owner's password from PGPASSWORD
    monkeypatch.setenv("PGPASSWORD", team.owner.rsplit("password=", 1)[1])
    assert main(["server", "laptop", "--dsn", owner, "--role", role]) == 2
    assert "--agency: give both --role and --agency" in capsys.readouterr().err
    assert main(["server", "laptop", "--dsn", owner, "--role", role,
                 "--agency", "Mars"]) == 2
    err = capsys.readouterr().err
    assert "--agency: no agency with the id or name Mars" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["server", "laptop", "--dsn", owner, "--role", role,
                 "--agency", "general hospital"]) == 0
    assert "syncs a store of General Hospital" in capsys.readouterr().out
    assert main(["server", "laptop", "--dsn", owner]) == 0
    listed = capsys.readouterr().out
    assert f"{role}: General Hospital ({_agency(office, 'General Hospital')})" in listed
