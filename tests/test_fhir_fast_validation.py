"""FHIR export and import at scale: nested elements validated once per run
(careplan.export.fhir_memo) give the same verdicts as the library alone, stay within the
thread that asked, and leave nothing behind; the streamed Bundle has every resource of
the one held whole, each once."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from export_sample import TODAY, build, share_with_reader
from fhir.resources.R4B import get_fhir_model_class
from fhir_core.types import FhirBase

from careplan.export import fhir_memo
from careplan.export.fhir_export import build_bundle, export_fhir, validate
from careplan.export.fhir_read import ImportRefused, validate_resource
from careplan.export.records import load
from careplan.store import Store

CODING = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}


def _consent(coding: Any, rid: str = "c1") -> dict[str, Any]:
    return {"resourceType": "Consent", "id": rid, "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                  "consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [coding]}],
            "patient": {"reference": "Patient/p1"}}


BAD = [
    _consent({**CODING, "code": 59284}),               # a number where a code goes
    _consent({**CODING, "userSelected": "maybe"}),     # not a boolean
    _consent({**CODING, "colour": "red"}),             # no such field
    _consent({**CODING, "code": "two  spaces"}),       # a code with a double space
]


def _verdict(resource: dict[str, Any]) -> bool:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(copy.deepcopy(resource))
    except ValueError:
        return False
    return True


def test_shared_elements_give_the_library_s_own_verdicts() -> None:
    cases = [_consent(CODING), *BAD, _consent(CODING, "c2"), *BAD]
    alone = [_verdict(r) for r in cases]
    assert alone == [True, False, False, False, False, True, False, False, False, False]
    with fhir_memo.shared_elements():
        assert fhir_memo.active()
        shared = [_verdict(r) for r in cases]
        again = [_verdict(r) for r in reversed(cases)]
    assert shared == alone
    assert again == list(reversed(alone))


def test_a_refused_element_is_refused_again_with_the_same_sentence() -> None:
    bad = BAD[0]
    with pytest.raises(ImportRefused) as plain:
        validate_resource(bad, "Bundle entry 2")
    with fhir_memo.shared_elements():
        for _ in range(3):
            with pytest.raises(ImportRefused) as shared:
                validate_resource(bad, "Bundle entry 2")
            assert str(shared.value) == str(plain.value)
    with fhir_memo.shared_elements(), pytest.raises(ValueError, match="Consent/c1"):
        validate(bad)


def test_other_threads_and_later_calls_validate_as_the_library_does() -> None:
    hook = FhirBase.__dict__["fhir_model_validator"]
    seen: list[bool] = []
    with fhir_memo.shared_elements():
        worker = threading.Thread(target=lambda: seen.append(fhir_memo.active()))
        worker.start()
        worker.join()
        assert fhir_memo.active()
        with fhir_memo.shared_elements():  # nested: still one hook, still on
            assert fhir_memo.active()
        assert fhir_memo.active()
        validate(_consent(CODING))
        assert fhir_memo.remembered()  # something was remembered while inside
    assert seen == [False]
    assert not fhir_memo.active()
    assert not fhir_memo.remembered()  # and forgotten once every caller left
    assert FhirBase.__dict__["fhir_model_validator"] is hook


def test_the_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fhir_memo, "LIMIT", 3)
    with fhir_memo.shared_elements():
        for n in range(20):
            validate(_consent({**CODING, "code": f"code-{n}"}, f"c{n}"))
            assert fhir_memo.remembered() <= 3


def test_streamed_bundle_has_every_resource_once_and_valid(store: Store,
                                                           tmp_path: Path) -> None:
    build(store)
    build(store, nhs="9876543210", given="Ben", family="Other")
    out = tmp_path / "bundle.json"
    reader = share_with_reader(store)  # an agency that may see everything: nothing withheld
    reader.pop("professional_id")
    result = export_fhir(store, out, **reader, today=TODAY)
    bundle = json.loads(out.read_text(encoding="utf-8"))
    held = build_bundle(load(store, None))
    streamed = [e["resource"] for e in bundle["entry"]]
    assert streamed == [e["resource"] for e in held["entry"]]
    assert result.resources == len(streamed) == len({(r["resourceType"], r["id"])
                                                     for r in streamed})
    assert [e["request"] for e in bundle["entry"]] == [e["request"] for e in held["entry"]]
    for res in streamed:  # checked again here by the library alone, outside any sharing
        get_fhir_model_class(res["resourceType"]).model_validate(res)
    assert not fhir_memo.active()
