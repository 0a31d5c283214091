"""A condition's care domain comes from the codes real records carry: curated SNOMED CT
and ICD-10 value sets (careplan/resources/condition_codes.toml, each with its source).
FHIR import and the demo use them, so schizophrenia and intellectual disability coded
by another system are a dual diagnosis in a referral dispute between a mental health
team and a learning disability team (NICE QS188's "coexisting" conditions; the
referral-dispute rule calls it critical).

Before: only CarePlan's own need-domain coding gave a domain; SNOMED CT 58214004 or
ICD-10 F20.0 schizophrenia with intellectual disability got "other", and the dispute
was an ordinary warning."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from export_sample import share_with_reader
from fhir_referrals import (
    ICD_10,
    SNOMED,
    bounced,
    bundle,
    care_plan,
    condition,
    patient,
    service_request,
    teams,
    write,
)

from careplan import resources
from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.demo.case import CONDITION_CODES, condition_domain
from careplan.demo.generator import _DOMAINS, MIN_PERSONS
from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.models.condition_codes import (
    ICD_10_UK,
    SNOMED_CT,
    ConditionCodes,
    is_concept_id,
)
from careplan.models.enums import NeedDomain
from careplan.models.flags import FlagCode
from careplan.store import Store
from careplan.store.flagdata import caseload_flags

UKCORE = Path(__file__).resolve().parent / "fixtures" / "fhir" / "ukcore"
UK_SUMMARY = UKCORE / "uk-patient-summary-r4" / "Bundle-ukps-basic-summary.json"
MH, LD, SU, PH = (NeedDomain.MENTAL_HEALTH, NeedDomain.LEARNING_DISABILITY,
                  NeedDomain.SUBSTANCE_USE, NeedDomain.PHYSICAL_HEALTH)


@pytest.fixture(scope="module")
def codes() -> ConditionCodes:
    return ConditionCodes.from_data(resources.condition_value_sets())


# -- the value sets ---------------------------------------------------------------------


def test_every_value_set_names_its_source_and_a_care_domain(codes: ConditionCodes) -> None:
    assert {vs.domain for vs in codes.value_sets} == {MH, LD, SU, PH}
    for vs in codes.value_sets:
        assert vs.source and vs.title and (vs.snomed or vs.icd10), vs.id
        assert all(is_concept_id(code) and term for code, term in vs.snomed.items()), vs.id


def test_the_value_sets_stay_small(codes: ConditionCodes) -> None:
    """Curated, not a terminology: a few dozen concepts a domain."""
    assert all(len(vs.snomed) <= 40 for vs in codes.value_sets)


@pytest.mark.parametrize("system,code,domain", [
    (SNOMED_CT, "58214004", MH),            # Schizophrenia
    (SNOMED_CT, "64905009", MH),            # Paranoid schizophrenia (MH_COD)
    (SNOMED_CT, "13746004", MH),            # Bipolar disorder
    (SNOMED_CT, "35489007", MH),            # Depressive disorder (DEPR_COD)
    (SNOMED_CT, "110359009", LD),           # Intellectual disability (LD_COD)
    (SNOMED_CT, "984671000000103", LD),     # Moderate learning disability (UK extension)
    (SNOMED_CT, "66590003", SU),            # Alcohol dependence
    (SNOMED_CT, "75544000", SU),            # Opioid dependence
    (SNOMED_CT, "44054006", PH),            # Diabetes mellitus type 2
    (ICD_10, "F20.0", MH), (ICD_10, "F31", MH), (ICD_10, "F32.1", MH), (ICD_10, "F00", MH),
    (ICD_10, "F70", LD), (ICD_10, "F79.9", LD), (ICD_10_UK, "F711", LD),
    (ICD_10, "F10.2", SU), (ICD_10, "F19", SU),
    (ICD_10, "I50.9", PH), (ICD_10, "G80", PH), (ICD_10, "S72.0", PH), (ICD_10, "B20", PH),
    (ICD_10, "F84.0", None),                # autism: neither LD nor mental illness in itself
    (ICD_10, "R41.8", None), (ICD_10, "Z63.6", None),
    (SNOMED_CT, "288920002", None),         # Unable to chew (UK Core): a finding
    ("http://hl7.org/fhir/sid/icd-10-cm", "F20.0", None),  # another system
])
def test_codes_fall_in_the_domain_of_their_value_set(codes: ConditionCodes, system: str,
                                                     code: str,
                                                     domain: NeedDomain | None) -> None:
    assert codes.domain_of([(system, code)]) == domain


def test_snomed_ct_comes_before_icd_10(codes: ConditionCodes) -> None:
    assert codes.domain_of([(ICD_10, "F10.5"), (SNOMED_CT, "58214004")]) == MH
    assert codes.domain_of([(SNOMED_CT, "288920002"), (ICD_10, "F20.0")]) == MH


@pytest.mark.parametrize("change,says", [
    (lambda d: d["value_set"][0].update(domain="psychiatry"), "is not a care domain"),
    (lambda d: d["value_set"][0].update(source=""), "source is required"),
    (lambda d: d["value_set"][0]["snomed"].append(["58214005", "A typo"]),
     "'58214005' is not a SNOMED CT concept id"),
    (lambda d: d["value_set"][2]["snomed"].append(["58214004", "Schizophrenia"]),
     "SNOMED CT 58214004 is also in value set severe-mental-illness"),
    (lambda d: d["value_set"][2]["icd10"].append("F25-F27"), "an ICD-10 range overlaps"),
    (lambda d: d["value_set"][0]["icd10"].append("F2O-F29"), "is not like F20-F31"),
])
def test_a_damaged_value_set_is_refused_naming_it(change: Callable[[dict[str, Any]], None],
                                                  says: str) -> None:
    data = copy.deepcopy(resources.condition_value_sets())
    change(data)
    with pytest.raises(ValueError, match=says):
        ConditionCodes.from_data(data)


# -- FHIR import ----------------------------------------------------------------------


def _domains(store: Store) -> dict[str, str]:
    return {r["name"]: r["domain"] for r in store.query("SELECT name, domain FROM conditions")}


def test_uk_core_conditions_keep_their_codes_and_no_wrong_domain(store: Store) -> None:
    """The UK Patient Summary example's Conditions are findings outside the value sets:
    imported with their SNOMED CT codes, domain "other", and counted in the report."""
    report = import_fhir(store, UK_SUMMARY)
    rows = store.query("SELECT name, code, domain FROM conditions ORDER BY name")
    assert rows == [
        {"name": "Chronic erythema", "code": "125116007", "domain": "other"},
        {"name": "Unable to chew", "code": "288920002", "domain": "other"}]
    assert any(w.startswith("2 conditions coded in SNOMED CT or ICD-10 outside") for w in
               report.warnings)


@pytest.mark.parametrize("first,second", [
    ((SNOMED_CT, "58214004", "Schizophrenia"), (SNOMED_CT, "110359009",
                                                "Intellectual disability")),
    ((ICD_10, "F20.0", "Paranoid schizophrenia"), (ICD_10, "F71",
                                                   "Moderate mental retardation")),
])
def test_uk_core_bundle_coded_with_schizophrenia_and_intellectual_disability(
        store: Store, tmp_path: Path, first: tuple[str, str, str],
        second: tuple[str, str, str]) -> None:
    """The UK Core document, its two problems recoded: the domains follow the codes."""
    doc = json.loads(UK_SUMMARY.read_text(encoding="utf-8"))
    problems = [e["resource"] for e in doc["entry"]
                if e["resource"]["resourceType"] == "Condition"]
    for res, (system, code, text) in zip(problems, (first, second), strict=True):
        res["code"] = {"coding": [{"system": system, "code": code, "display": text}],
                       "text": text}
    report = import_fhir(store, write(tmp_path, doc))
    assert _domains(store) == {first[2]: "mental health", second[2]: "learning disability"}
    assert {r["code"] for r in store.query("SELECT code FROM conditions")} == {first[1],
                                                                             second[1]}
    assert not any("outside" in w for w in report.warnings)


def test_icd_10_codes_are_exported_as_icd_10(store: Store, tmp_path: Path) -> None:
    import_fhir(store, write(tmp_path, bundle(
        patient(), condition("c1", ICD_10, "F20.0", "Paranoid schizophrenia"))))
    out = tmp_path / "out.json"
    reader = share_with_reader(store, every_agency=True)
    reader.pop("professional_id")
    export_fhir(store, out, **reader, today=date(2026, 1, 20))
    doc = json.loads(out.read_text(encoding="utf-8"))
    coded = [e["resource"]["code"]["coding"] for e in doc["entry"]
             if e["resource"]["resourceType"] == "Condition"]
    assert coded == [[{"system": ICD_10, "code": "F20.0"}]]


CODINGS = {
    "SNOMED CT": ((SNOMED, "58214004", "Schizophrenia"),
                  (SNOMED, "110359009", "Intellectual disability")),
    "ICD-10": ((ICD_10, "F20.0", "Paranoid schizophrenia"),
               (ICD_10, "F71", "Moderate mental retardation")),
    "both": ((SNOMED, "64905009", "Paranoid schizophrenia"),
             (ICD_10, "F70", "Mild mental retardation")),
}


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_coded_dual_diagnosis_makes_a_critical_dispute_in_careplan_flags(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str], coding: str) -> None:
    """A referral bounced between the mental health team and the learning disability team,
    for a person whose records code schizophrenia and intellectual disability."""
    psychosis, disability = CODINGS[coding]
    db = tmp_path / "store.db"
    Store.open(db).close()
    user = signed_in(db)
    path = write(tmp_path, bundle(
        *teams(), patient(), care_plan(), condition("c1", *psychosis),
        condition("c2", *disability), service_request(), bounced()))
    assert main(["import", "fhir", str(path), "--db", str(db), *user]) == 0
    capsys.readouterr()
    with Store.open(db, create=False) as store:  # a professional who may see the person
        user = signed_in(store, "rita", "practitioner",
                         share_with_reader(store)["professional_id"])

    assert main(["flags", "--db", str(db), *user, "--today", "2026-01-20", "--json",
                 "--code", "referral-dispute"]) == 0
    flags = json.loads(capsys.readouterr().out)
    assert len(flags) == 1
    flag = flags[0]
    assert flag["severity"] == "critical"
    assert flag["evidence"]["dual_diagnosis"] is True
    assert flag["evidence"]["shared_domains"] == ["learning disability", "mental health"]
    assert flag["message"].startswith("Dual-diagnosis referral dispute")
    assert "active conditions in learning disability and mental health" in flag["message"]


# -- the demo -------------------------------------------------------------------------


def test_every_demo_diagnosis_has_a_code_in_the_value_sets() -> None:
    for name, code in CONDITION_CODES.items():
        assert is_concept_id(code), name
        assert condition_domain(name) is not NeedDomain.OTHER


def test_the_generated_caseloads_diagnoses_are_in_their_domains_value_sets() -> None:
    for domain, (_, names, *_rest) in _DOMAINS.items():
        assert all(condition_domain(n) is domain for n in names), domain


def test_demo_conditions_carry_their_snomed_codes_and_coded_domains() -> None:
    with Store.open(":memory:") as store:
        build_demo(store, persons=MIN_PERSONS + 30, seed=3, today=date(2026, 6, 1))
        rows = store.query("SELECT name, code, domain FROM conditions")
        assert rows
        for row in rows:
            assert row["code"] == CONDITION_CODES[row["name"]]
            assert row["domain"] == condition_domain(row["name"]).value
        # The demo's dual-diagnosis dispute comes from its coded conditions.
        flags = caseload_flags(store, date(2026, 6, 1), codes=[FlagCode.REFERRAL_DISPUTE])
        assert any(f.evidence["dual_diagnosis"] for f in flags)
