"""The sharing basis (careplan.models.sharing_basis): whether a person's records may be
shared with an agency, as a table of cases; and the same rule as SQL, which the store's
reads run, agreeing with it on every case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from careplan.models import Agency, Person, Professional
from careplan.models.enums import (
    LEGAL_BASIS_SOURCES,
    AgencyKind,
    ConsentStatus,
    LegalBasis,
    Role,
    Sector,
)
from careplan.models.facts import Directory, PersonFacts
from careplan.models.people import Consent
from careplan.models.sharing_basis import (
    allowed_agencies,
    allowed_persons_sql,
    latest_allows_sql,
    may_share,
    sharing_bases,
    sharing_bases_sql,
    sharing_basis,
    withheld_sentence,
)
from careplan.store import Store
from careplan.store.repo import add
from careplan.store.visibility import shareable_persons

TODAY = date(2026, 3, 10)
P, A, B = "person-1", "agency-a", "agency-b"

G, R, W, L = (ConsentStatus.GIVEN, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN,
              ConsentStatus.LEGAL_BASIS)
DIRECT, SAFE, COURT = LegalBasis.DIRECT_CARE, LegalBasis.SAFEGUARDING, LegalBasis.COURT_ORDER


def rec(status: ConsentStatus, days_ago: int, basis: LegalBasis | None = None,
        agency: str = A) -> Consent:
    return Consent(person_id=P, agency_id=agency, status=status,
                   recorded_on=TODAY - timedelta(days=days_ago), recorded_by="someone",
                   basis=basis)


#: (case, records of agency A, allowed today?)
TABLE: list[tuple[str, list[Consent], bool]] = [
    ("nothing recorded", [], False),
    ("consent given", [rec(G, 10)], True),
    ("consent refused", [rec(R, 10)], False),
    ("consent withdrawn", [rec(W, 10)], False),
    ("legal basis: direct care", [rec(L, 10, DIRECT)], True),
    ("legal basis: safeguarding", [rec(L, 10, SAFE)], True),
    ("legal basis: court order", [rec(L, 10, COURT)], True),
    ("given, then withdrawn", [rec(G, 20), rec(W, 5)], False),
    ("refused, then given", [rec(R, 20), rec(G, 5)], True),
    ("given, then refused on the same day", [rec(G, 5), rec(R, 5)], False),
    ("refused, then given on the same day (the refusal wins)", [rec(R, 5), rec(G, 5)], False),
    ("given in the future only", [rec(G, -1)], False),
    ("given today", [rec(G, 0)], True),
    ("refused tomorrow: today still given", [rec(G, 30), rec(R, -1)], True),
    ("refused, then a direct-care basis (the objection stands)",
     [rec(R, 20), rec(L, 5, DIRECT)], False),
    ("withdrawn, then a direct-care basis (the objection stands)",
     [rec(W, 20), rec(L, 5, DIRECT)], False),
    ("refused, then safeguarding", [rec(R, 20), rec(L, 5, SAFE)], True),
    ("refused, then a court order", [rec(R, 20), rec(L, 5, COURT)], True),
    ("refused, given, then direct care", [rec(R, 30), rec(G, 20), rec(L, 5, DIRECT)], True),
    ("safeguarding, then refused", [rec(L, 20, SAFE), rec(R, 5)], False),
    ("legal basis with text only (older record)",
     [Consent(person_id=P, agency_id=A, status=L, recorded_on=TODAY, recorded_by="x",
              legal_basis="Care Act 2014 s.42 enquiry")], True),
    ("another agency's consent does not count", [rec(G, 10, agency=B)], False),
]


@pytest.mark.parametrize(("case", "records", "allowed"), TABLE, ids=[t[0] for t in TABLE])
def test_sharing_basis_table(case: str, records: list[Consent], allowed: bool) -> None:
    assert sharing_basis(records, A, TODAY).allowed is allowed
    assert may_share(P, A, records, TODAY).allowed is allowed
    facts = PersonFacts(person=Person(id=P, given_name="Ann", family_name="Lee",
                                      birth_date=date(1960, 1, 1)),
                        directory=Directory({}, {}), consents=records)
    assert may_share(P, A, facts, TODAY).allowed is allowed
    assert (A in allowed_agencies(records, TODAY)) is allowed


def test_reasons_name_the_record_and_its_day() -> None:
    assert sharing_basis([rec(R, 7)], A, TODAY).reason == "consent refused on 3 Mar 2026"
    assert sharing_basis([], A, TODAY).reason == "no consent or legal basis recorded"
    objection = sharing_basis([rec(W, 20), rec(L, 5, DIRECT)], A, TODAY)
    assert objection.reason.startswith("consent withdrawn on 18 Feb 2026")
    assert "safeguarding" in sharing_basis([rec(L, 5, SAFE)], A, TODAY).reason


def test_may_share_passes_over_other_persons_records() -> None:
    other = Consent(person_id="person-2", agency_id=A, status=G, recorded_on=TODAY,
                    recorded_by="x")
    assert not may_share(P, A, [other], TODAY).allowed
    assert may_share("person-2", A, [other], TODAY).allowed


def test_legal_bases_have_their_sources() -> None:
    assert set(LEGAL_BASIS_SOURCES) == set(LegalBasis)
    assert "s.251B" in DIRECT.source
    assert "251B" in DIRECT.url and DIRECT.url.startswith("https://www.legislation.gov.uk/")
    for basis in LegalBasis:
        assert basis.source and basis.url.startswith("https://www.legislation.gov.uk/")


def test_a_consent_that_is_not_a_legal_basis_names_no_basis() -> None:
    with pytest.raises(ValueError, match="legal basis"):
        Consent(person_id=P, agency_id=A, status=G, recorded_on=TODAY, recorded_by="x",
                basis=SAFE)
    with pytest.raises(ValueError, match="legal basis: is required"):
        Consent(person_id=P, agency_id=A, status=L, recorded_on=TODAY, recorded_by="x")


def test_withheld_sentence() -> None:
    assert (withheld_sentence(2, "action", "Northbridge Homes", "consent refused on 3 Mar 2026")
            == "2 actions of Northbridge Homes withheld: consent refused on 3 Mar 2026.")
    assert withheld_sentence(1, "referral", "X", "why") == "1 referral of X withheld: why."


def test_the_sql_agrees_with_the_rule_on_every_case(store: Store) -> None:
    """One person per case, each with agency A's records of that case: the persons the
    SQL lets A see are those the pure rule allows."""
    agency_a = add(store, Agency(name="Agency A", sector=Sector.HEALTH,
                                 kind=AgencyKind.GP_PRACTICE), "test")
    agency_b = add(store, Agency(name="Agency B", sector=Sector.SOCIAL_CARE,
                                 kind=AgencyKind.ADULT_SOCIAL_CARE), "test")
    pro = add(store, Professional(name="Dr Test", role=Role.GP, agency_id=agency_a.id), "test")
    ids = {"a": agency_a.id, "b": agency_b.id}
    expected: set[str] = set()
    for i, (_case, records, allowed) in enumerate(TABLE):
        person = add(store, Person(given_name="Case", family_name=f"Number{i}",
                                   birth_date=date(1970, 1, 1)), "test")
        for r in records:
            add(store, r.evolve(person_id=person.id,
                                agency_id=ids["a" if r.agency_id == A else "b"],
                                recorded_by=pro.id), "test")
        if allowed:
            expected.add(person.id)
    assert shareable_persons(store, agency_a.id, TODAY) == expected
    sql = f"SELECT p.id FROM persons p WHERE {latest_allows_sql('p.id', ':a', ':t')}"
    got = {r[0] for r in store.conn.execute(sql, {"a": agency_a.id, "t": TODAY.isoformat()})}
    assert got == expected
    grouped = allowed_persons_sql(":a", ":t")  # every person at once, as the caseload reads
    got = {r[0] for r in store.conn.execute(grouped, {"a": agency_a.id,
                                                      "t": TODAY.isoformat()})}
    assert got == expected


def test_the_bases_in_sql_agree_with_the_rule_and_its_reasons(store: Store) -> None:
    """sharing_bases_sql (the table exports count what they withhold with it): for each
    case, with agency B's records beside A's, the same agencies with a basis, whether
    each allows, and the reason's category (careplan.export.audience.category)."""
    from careplan.export.audience import category, category_of

    agencies = {k: add(store, Agency(name=f"Agency {k}", sector=Sector.HEALTH,
                                     kind=AgencyKind.GP_PRACTICE), "test").id for k in "ab"}
    pro = add(store, Professional(name="Dr Test", role=Role.GP,
                                  agency_id=agencies["a"]), "test")
    expected: dict[tuple[str, str], tuple[bool, str]] = {}

    def others(n: int) -> list[Consent]:  # B's records: none, refused, withdrawn, direct care
        return [rec(R, 3, agency=B), rec(W, 9, agency=B), rec(L, 2, DIRECT, agency=B)][:n]

    for i, (_case, records, _allowed) in enumerate(TABLE):
        person = add(store, Person(given_name="Case", family_name=f"Number{i}",
                                   birth_date=date(1970, 1, 1)), "test")
        saved = [add(store, r.evolve(person_id=person.id,
                                     agency_id=agencies["a" if r.agency_id == A else "b"],
                                     recorded_by=pro.id), "test")
                 for r in [*records, *others(i % 4)]]
        for agency, basis in sharing_bases(saved, TODAY).items():
            expected[(person.id, agency)] = (basis.allowed, category(basis))
    got = {(p, a): (bool(allowed), category_of(status, objection))
           for p, a, allowed, status, objection in store.conn.execute(
               sharing_bases_sql(":t"), {"t": TODAY.isoformat()})}
    assert got == expected
    assert {c for _, c in expected.values()} >= {
        "consent refused", "consent withdrawn", "consent given", "consent legal basis",
        "consent refused (a direct-care basis does not stand against it)",
        "consent withdrawn (a direct-care basis does not stand against it)"}


# -- change packs: a pack carries whole only what the recipient's agency may see ------------


def _pair(tmp_path: object) -> tuple[Store, Store]:
    from pathlib import Path

    from careplan.store import packs
    from tests.sharing import exchange, stores

    a, b = stores(Path(str(tmp_path)), 2)
    for s, other in ((a, b), (b, a)):
        packs.trust(s, packs.identity(other).line(), "setup")
    exchange([a, b])
    return a, b


def _agency(store: Store, name: str) -> str:
    return str(store.conn.execute("SELECT id FROM agencies WHERE name = ?",
                                  (name,)).fetchone()[0])


def _worker(store: Store) -> str:
    return str(store.conn.execute("SELECT id FROM professionals ORDER BY name").fetchone()[0])


def test_a_pack_for_an_agency_the_person_refused_carries_stubs_of_their_events(
        tmp_path: object) -> None:
    from pathlib import Path

    from careplan.store import add, find, update
    from careplan.store.exchange import import_pack, make_pack, set_peer_agency
    from careplan.store.permissions import today
    from careplan.store.replication import version_vector

    a, b = _pair(tmp_path)
    folder = Path(str(tmp_path))
    try:
        asc = _agency(a, "Adult Social Care")  # the person consented to share with it
        set_peer_agency(a, b.store_id, asc)
        person = find(a, Person)[0]
        before = find(b, Person)[0].what_matters
        # With consent, the person's change goes whole.
        update(a, person.evolve(what_matters="Shared."), "dr")
        made = make_pack(a, folder / "given.cpk", b.store_id, since=version_vector(b))
        assert (made.events, made.withheld) == (1, 0)
        import_pack(b, (folder / "given.cpk").read_bytes())
        # Consent refused: the refusal and every later change of theirs travel as stubs.
        add(a, Consent(person_id=person.id, agency_id=asc, status=ConsentStatus.REFUSED,
                       recorded_on=today(a) - timedelta(days=1),
                       recorded_by=_worker(a)), "dr")
        update(a, find(a, Person)[0].evolve(what_matters="Private."), "dr")
        made = make_pack(a, folder / "refused.cpk", b.store_id, since=version_vector(b))
        assert (made.events, made.withheld) == (2, 2)  # the refusal and the change: stubs
        import_pack(b, (folder / "refused.cpk").read_bytes())
        assert find(b, Person)[0].what_matters == "Shared." != before
        assert "Private." not in str(b.conn.execute(
            "SELECT group_concat(after) FROM audit_events").fetchone()[0])
        # An event about no person goes whole to the same agency.
        gp = find(a, Agency, name="Riverside Medical Practice")[0]
        update(a, gp.evolve(neighbourhood="Riverside"), "dr")
        made = make_pack(a, folder / "agency.cpk", b.store_id, since=version_vector(b))
        assert (made.events, made.withheld) == (1, 0)
    finally:
        a.close()
        b.close()


def test_a_pack_for_a_store_whose_agency_is_not_recorded_carries_everything(
        tmp_path: object) -> None:
    from pathlib import Path

    from careplan.store import add, find
    from careplan.store.exchange import make_pack
    from careplan.store.permissions import today
    from careplan.store.replication import version_vector

    a, b = _pair(tmp_path)
    try:
        person = find(a, Person)[0]
        add(a, Consent(person_id=person.id, agency_id=_agency(a, "Adult Social Care"),
                       status=ConsentStatus.REFUSED, recorded_on=today(a),
                       recorded_by=_worker(a)), "dr")
        made = make_pack(a, Path(str(tmp_path)) / "p.cpk", b.store_id,
                         since=version_vector(b))
        assert (made.events, made.withheld) == (1, 0)
    finally:
        a.close()
        b.close()


def test_a_consent_given_later_sends_what_went_as_stubs_whole_in_the_next_pack(
        tmp_path: object) -> None:
    """What a pack sent as stubs is remembered for that store; once its agency may see
    the person, the next pack carries those events whole, and the recipient fills its
    stubs in: the person's records arrive, and its audit chains still check."""
    from pathlib import Path

    from careplan.store import add, find, update
    from careplan.store.exchange import import_pack, make_pack, set_peer_agency
    from careplan.store.permissions import today
    from careplan.store.replication import verify, version_vector
    from tests.sharing import content

    a, b = _pair(tmp_path)
    folder = Path(str(tmp_path))
    try:
        asc = _agency(a, "Adult Social Care")
        set_peer_agency(a, b.store_id, asc)
        person = find(a, Person)[0]
        add(a, Consent(person_id=person.id, agency_id=asc, status=ConsentStatus.WITHDRAWN,
                       recorded_on=today(a) - timedelta(days=2),
                       recorded_by=_worker(a)), "dr")
        update(a, find(a, Person)[0].evolve(what_matters="Private."), "dr")
        made = make_pack(a, folder / "withdrawn.cpk", b.store_id, since=version_vector(b))
        assert (made.events, made.withheld, made.filled) == (2, 2, 0)
        import_pack(b, (folder / "withdrawn.cpk").read_bytes())
        assert find(b, Person)[0].what_matters != "Private."
        # Consent given again: the next pack carries the two whole, and one change more.
        add(a, Consent(person_id=person.id, agency_id=asc, status=ConsentStatus.GIVEN,
                       recorded_on=today(a) - timedelta(days=1),
                       recorded_by=_worker(a)), "dr")
        made = make_pack(a, folder / "given.cpk", b.store_id, since=version_vector(b))
        assert (made.events, made.withheld, made.filled) == (3, 0, 2)
        assert any("go whole now" in line for line in made.lines())
        done = import_pack(b, (folder / "given.cpk").read_bytes())
        assert (done.arrived.result.filled, done.arrived.result.applied) == (2, 1)
        assert find(b, Person)[0].what_matters == "Private."
        assert b.conn.execute("SELECT count(*) FROM audit_events WHERE entity = 'withheld'"
                              ).fetchone()[0] == 0
        assert content(b) == content(a)
        assert verify(b) == []
        # Sent whole once: the next pack has nothing to fill in.
        again = make_pack(a, folder / "again.cpk", b.store_id, since=version_vector(b))
        assert (again.events, again.filled) == (0, 0)
    finally:
        a.close()
        b.close()


def test_a_stub_is_filled_in_only_by_the_event_it_stands_for(tmp_path: object) -> None:
    """An event arriving with the id of one held as a stub, but not the content whose
    link the stub holds, is refused and the stub stays; the log refuses any other
    rewrite."""
    from dataclasses import replace
    from pathlib import Path

    from careplan.store import add, find, sqlite, update
    from careplan.store.exchange import import_pack, make_pack, set_peer_agency
    from careplan.store.permissions import today
    from careplan.store.replication import apply_events, events_for, version_vector

    a, b = _pair(tmp_path)
    folder = Path(str(tmp_path))
    try:
        asc = _agency(a, "Adult Social Care")
        set_peer_agency(a, b.store_id, asc)
        person = find(a, Person)[0]
        add(a, Consent(person_id=person.id, agency_id=asc, status=ConsentStatus.REFUSED,
                       recorded_on=today(a), recorded_by=_worker(a)), "dr")
        update(a, find(a, Person)[0].evolve(what_matters="Private."), "dr")
        made = make_pack(a, folder / "refused.cpk", b.store_id, since=version_vector(b))
        import_pack(b, (folder / "refused.cpk").read_bytes())
        assert made.withheld == 2
        change = [e for e in events_for(a, {}) if e.store_id == a.store_id][-1]
        assert change.entity == "persons"
        forged = replace(change, after={**change.after, "what_matters": "Forged."})
        result = apply_events(b, [forged])
        assert result.filled == 0 and len(result.refused) == 1
        assert "is not the change that was withheld" in result.refused[0].reason
        assert find(b, Person)[0].what_matters != "Forged."
        held = b.conn.execute("SELECT entity FROM audit_events WHERE id = ?",
                              (change.id,)).fetchone()[0]
        assert held == "withheld"
        with pytest.raises(sqlite.IntegrityError, match="append-only"):
            b.conn.execute("UPDATE audit_events SET actor = 'x' WHERE id = ?", (change.id,))
        with pytest.raises(sqlite.IntegrityError, match="append-only"):
            b.conn.execute("UPDATE audit_events SET after = '{}' WHERE entity != 'withheld'")
        assert apply_events(b, [change]).filled == 1  # the real one fills it in
        assert find(b, Person)[0].what_matters == "Private."
    finally:
        a.close()
        b.close()
