"""FHIR import puts a record on a stored person only when it is that person: NHS number,
date of birth and family name agree (careplan.models.matching, the rule PDS tracing
follows). A disagreement refuses the file in one sentence naming the fields, never their
values or the clinical content, and nothing of the file is written. Two records of one
bundle with one id, or one NHS number and different people, are refused too.

Before: a Patient was matched by NHS number alone, so a bundle for "Zed Zebra, born
1950" carrying Jordan Ellis's NHS number put an HIV diagnosis on 17-year-old Jordan."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from signin import digest_without_sign_ins

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.demo.generator import MIN_PERSONS
from careplan.export.fhir_import import import_fhir
from careplan.export.fhir_read import ImportRefused
from careplan.store import Store
from careplan.store.digest import content_digest

TODAY = date(2026, 6, 1)
NHS = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"


def patient(rid: str, nhs: str | None, family: str, given: str, born: str,
            **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Patient", "id": rid,
                           "name": [{"use": "official", "family": family, "given": [given]}],
                           "birthDate": born, **extra}
    if nhs:
        res["identifier"] = [{"system": NHS, "value": nhs}]
    return res


def hiv(subject: dict[str, Any], rid: str = "c-hiv") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": subject,
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"}]},
            "code": {"coding": [{"system": SNOMED, "code": "86406008",
                                 "display": "Human immunodeficiency virus infection"}],
                     "text": "Human immunodeficiency virus infection"}}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['resourceType']}-{r['id']}", "resource": r}
                      for r in resources]}


def write(tmp_path: Path, doc: dict[str, Any], name: str = "in.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    with Store.open(path) as store:
        build_demo(store, persons=MIN_PERSONS, seed=1, today=TODAY)
    return path


def _jordan(store: Store) -> dict[str, Any]:
    rows = store.query("SELECT id, nhs_number, birth_date FROM persons "
                       "WHERE given_name = 'Jordan' AND family_name = 'Ellis'")
    assert len(rows) == 1
    return rows[0]


def _conditions(store: Store, person_id: str) -> list[str]:
    return [r["name"] for r in store.query(
        "SELECT name FROM conditions WHERE person_id = ?", (person_id,))]


def test_zed_zebra_with_jordans_nhs_number_is_refused_and_nothing_written(
        demo_db: Path, tmp_path: Path,
        demo_signed_in: Callable[[str | Path], list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's bundle, through ``careplan import fhir`` on the demo store."""
    with Store.open(demo_db, create=False) as store:
        jordan = _jordan(store)
        before = digest_without_sign_ins(store)
        held = _conditions(store, jordan["id"])
    zed = patient("zed", jordan["nhs_number"], "Zebra", "Zed", "1950-02-14")
    path = write(tmp_path, bundle(zed, hiv({"reference": "Patient/zed"})))
    user = demo_signed_in(demo_db)
    capsys.readouterr()

    assert main(["import", "fhir", str(path), "--db", str(demo_db), *user]) == 2

    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert "its NHS number is that of a person already in the store" in err
    assert "date of birth and family name do not agree" in err
    assert "Nothing was written" in err
    # The fields are named; their values and the clinical content are not.
    for secret in ("1950", "Zebra", "Ellis", "2008", "immunodeficiency", "86406008",
                   jordan["nhs_number"]):
        assert secret not in err
    with Store.open(demo_db, create=False) as store:
        assert digest_without_sign_ins(store) == before
        assert _conditions(store, jordan["id"]) == held
        assert not store.query("SELECT 1 FROM conditions WHERE code = '86406008'")


def test_refused_in_the_library_with_the_store_unchanged(store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    before = content_digest(store)
    zed = patient("zed", "9434765919", "Zebra", "Zed", "1950-02-14")
    with pytest.raises(ImportRefused) as refused:
        import_fhir(store, write(tmp_path, bundle(zed, hiv({"reference": "Patient/zed"}))))
    assert str(refused.value) == (
        "Bundle entry 1 (Patient/zed): its NHS number is that of a person already in the "
        "store, but its date of birth and family name do not agree with that person's record.")
    assert content_digest(store) == before


@pytest.mark.parametrize("family,born,fields", [
    ("Ellis", "1950-02-14", "its date of birth does not agree"),
    ("Zebra", "2008-09-04", "its family name does not agree"),
    ("Ellis-Zebra", "2008-09-04", "its family name does not agree"),
])
def test_one_field_that_disagrees_is_enough_to_refuse(store: Store, tmp_path: Path,
                                                      family: str, born: str,
                                                      fields: str) -> None:
    import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    before = content_digest(store)
    with pytest.raises(ImportRefused, match=fields):
        import_fhir(store, write(tmp_path, bundle(
            patient("other", "9434765919", family, "Jordan", born))))
    assert content_digest(store) == before


@pytest.mark.parametrize("family", ["ELLIS", "Éllis", "ellis", " Ellis "])
def test_the_same_person_written_differently_is_linked(store: Store, tmp_path: Path,
                                                       family: str) -> None:
    import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    person = store.query("SELECT id FROM persons")[0]["id"]
    report = import_fhir(store, write(tmp_path, bundle(
        patient("gp-record-7", "943 476 5919", family, "Jordan", "2008-09-04"),
        hiv({"reference": "Patient/gp-record-7"}))))
    assert report.imported == {"condition": 1}
    assert store.query("SELECT count(*) AS n FROM persons")[0]["n"] == 1
    assert store.query("SELECT person_id FROM conditions")[0]["person_id"] == person


def test_a_previous_family_name_matches_too(store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    married = patient("p9", "9434765919", "Okafor", "Jordan", "2008-09-04")
    married["name"].append({"use": "maiden", "family": "Ellis", "given": ["Jordan"]})
    report = import_fhir(store, write(tmp_path, bundle(married)))
    assert report.already["Patient"] == 1 and not report.imported


def test_an_id_reused_by_another_source_for_another_person_is_refused(
        store: Store, tmp_path: Path) -> None:
    """``Patient/1`` of one system is not ``Patient/1`` of another: the same id is the
    stored person only when the rule says so."""
    import_fhir(store, write(tmp_path, bundle(
        patient("1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    before = content_digest(store)
    with pytest.raises(ImportRefused) as refused:
        import_fhir(store, write(tmp_path, bundle(
            patient("1", "9434765870", "Zebra", "Zed", "1950-02-14"),
            hiv({"reference": "Patient/1"}))))
    assert "its id is that of a person already in the store" in str(refused.value)
    assert "NHS number, date of birth and family name do not agree" in str(refused.value)
    assert content_digest(store) == before


def test_importing_the_same_person_again_still_adds_nothing(store: Store,
                                                            tmp_path: Path) -> None:
    path = write(tmp_path, bundle(patient("1", "9434765919", "Ellis", "Jordan", "2008-09-04"),
                                  hiv({"reference": "Patient/1"})))
    import_fhir(store, path)
    before = content_digest(store)
    report = import_fhir(store, path)
    assert not report.imported and content_digest(store) == before


def test_an_nhs_number_alone_never_names_a_stored_person(store: Store, tmp_path: Path) -> None:
    """A reference by identifier carries no date of birth or family name to check."""
    import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    by_number = {"identifier": {"system": NHS, "value": "9434765919"}}
    report = import_fhir(store, write(tmp_path, bundle(hiv(by_number))))
    assert not report.imported
    assert report.unresolved == [
        "Condition/c-hiv subject: an NHS number alone does not match a stored person (the "
        "date of birth and family name must agree too: give the Patient)"]
    assert not store.query("SELECT 1 FROM conditions")


def test_an_nhs_number_names_the_person_the_file_matched(store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")), "first.json"))
    by_number = {"identifier": {"system": NHS, "value": "9434765919"}}
    report = import_fhir(store, write(tmp_path, bundle(
        patient("p7", "9434765919", "Ellis", "Jordan", "2008-09-04"), hiv(by_number))))
    assert report.imported == {"condition": 1}


def test_two_patients_sharing_an_id_are_refused(store: Store, tmp_path: Path) -> None:
    before = content_digest(store)
    with pytest.raises(ImportRefused, match="two different resources called 'Patient/p1'"):
        import_fhir(store, write(tmp_path, {"resourceType": "Bundle", "type": "collection",
                                            "entry": [
            {"resource": patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04")},
            {"resource": patient("p1", "9434765870", "Zebra", "Zed", "1950-02-14")}]}))
    assert content_digest(store) == before


def test_two_patients_sharing_an_nhs_number_but_not_a_person_are_refused(
        store: Store, tmp_path: Path) -> None:
    before = content_digest(store)
    with pytest.raises(ImportRefused) as refused:
        import_fhir(store, write(tmp_path, bundle(
            patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04"),
            patient("p2", "9434765919", "Zebra", "Zed", "1950-02-14"))))
    assert str(refused.value) == (
        "Bundle entry 2 (Patient/p2) has the NHS number of Bundle entry 1 (Patient/p1), "
        "but their date of birth and family name do not agree.")
    assert content_digest(store) == before


def test_two_records_of_one_person_in_one_bundle_become_one(store: Store,
                                                            tmp_path: Path) -> None:
    report = import_fhir(store, write(tmp_path, bundle(
        patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04"),
        patient("p2", "9434765919", "ELLIS", "Jordan", "2008-09-04"))))
    assert report.imported == {"person": 1}
    assert any("linked to that person" in w for w in report.warnings)


def _team(*participants: dict[str, Any]) -> list[dict[str, Any]]:
    org = {"resourceType": "Organization", "id": "o1", "name": "Riverside CMHT"}
    pro = {"resourceType": "Practitioner", "id": "d1", "name": [{"text": "Dr Asha Patel"}]}
    role = {"resourceType": "PractitionerRole", "id": "r1",
            "practitioner": {"reference": "Practitioner/d1"},
            "organization": {"reference": "Organization/o1"}}
    team = {"resourceType": "CareTeam", "id": "t1", "subject": {"reference": "Patient/p1"},
            "participant": list(participants)}
    return [org, pro, role, patient("p1", "9434765919", "Ellis", "Jordan", "2008-09-04"), team]


def test_two_records_inside_resources_with_one_id_are_refused(store: Store,
                                                              tmp_path: Path) -> None:
    """Before, the second care team member with the first's id was silently dropped."""
    member = {"id": "m1", "member": {"reference": "Practitioner/d1"},
              "period": {"start": "2026-01-05"}}
    before = content_digest(store)
    with pytest.raises(ImportRefused) as refused:
        import_fhir(store, write(tmp_path, bundle(*_team(
            member, {**member, "period": {"start": "2026-02-01"}}))))
    assert str(refused.value) == (
        "Bundle entry 5 (CareTeam/t1) participant 1 and Bundle entry 5 (CareTeam/t1) "
        "participant 2 have the same id 'm1'; each record needs its own id.")
    assert content_digest(store) == before
