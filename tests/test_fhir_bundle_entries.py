"""The Bundle's own entries (fullUrl, request) checked once a kind on import.

A transaction Bundle's entries are all alike but for their ``fullUrl`` and
``request.url`` texts, so ``fhir_read.check_shell`` validates the Bundle with one
entry of each kind and every such text by the field's own R4 type. It must refuse
exactly what validating the whole Bundle refuses, with the same sentence, and an
import it refuses writes nothing. The import's other shortcuts (enums by slug,
canonical UUIDs kept as ids) must give what they gave before.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from signin import digest_without_sign_ins

from careplan.cli import main
from careplan.export import fhir_codes as fc
from careplan.export.fhir_import import enum_from_slug, import_fhir
from careplan.export.fhir_read import ImportRefused, check_shell, validate_resource
from careplan.export.fhir_refs import entity_id
from careplan.models.enums import AgencyKind, NeedDomain, Role, Sector
from careplan.store import Store


def patient(n: int) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": f"p{n}",
            "name": [{"family": f"Family{n}", "given": ["A"]}], "birthDate": "1980-01-01"}


def transaction(count: int) -> dict[str, Any]:
    """A transaction Bundle of ``count`` patients, each entry with fullUrl and request."""
    return {"resourceType": "Bundle", "id": "b1", "type": "transaction",
            "entry": [{"fullUrl": f"urn:uuid:{uuid.UUID(int=n + 1)}", "resource": patient(n),
                       "request": {"method": "PUT", "url": f"Patient/p{n}"}}
                      for n in range(count)]}


def shell_of(doc: dict[str, Any]) -> dict[str, Any]:
    """The Bundle without its entries' resources, as the import checks it."""
    return {**doc, "entry": [{k: v for k, v in e.items() if k != "resource"}
                             for e in doc["entry"]]}


def verdict(check: Any, shell: dict[str, Any]) -> str | None:
    try:
        check(shell, "Bundle/b1")
    except ImportRefused as exc:
        return str(exc)
    return None


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return change


def _drop(path: tuple[Any, ...]) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return change


#: One entry among many changed so that its kind differs from the others', or only
#: its fullUrl or url text differs; each must get the whole Bundle's verdict.
CHANGES = {
    "fullUrl a number": _set(("entry", 37, "fullUrl"), 5),
    "fullUrl null": _set(("entry", 37, "fullUrl"), None),
    "fullUrl empty": _set(("entry", 37, "fullUrl"), ""),
    "fullUrl with a space": _set(("entry", 37, "fullUrl"), "urn:uuid: x"),
    "fullUrl an object": _set(("entry", 37, "fullUrl"), {"a": 1}),
    "url a number": _set(("entry", 12, "request", "url"), 7),
    "url true": _set(("entry", 12, "request", "url"), True),
    "url missing": _drop(("entry", 12, "request", "url")),
    "url null": _set(("entry", 12, "request", "url"), None),
    "method unknown": _set(("entry", 40, "request", "method"), "FETCH"),
    "method a number": _set(("entry", 40, "request", "method"), 1),
    "method missing": _drop(("entry", 40, "request", "method")),
    "request a list": _set(("entry", 3, "request"), [{"method": "PUT", "url": "x"}]),
    "request extra field": _set(("entry", 3, "request", "verb"), "PUT"),
    "request ifMatch": _set(("entry", 3, "request", "ifMatch"), 'W/"1"'),
    "request ifMatch a number": _set(("entry", 3, "request", "ifMatch"), 1),
    "entry extra field": _set(("entry", 9, "context"), "x"),
    "entry link null in list": _set(("entry", 9, "link"), [None]),
    "entry search": _set(("entry", 9, "search"), {"mode": "match"}),
    "entry search bad mode": _set(("entry", 9, "search"), {"mode": "sideways"}),
    "entry _fullUrl": _set(("entry", 9, "_fullUrl"), {"extension": []}),
    "entry id too odd": _set(("entry", 9, "id"), "x" * 70),
    "bundle type a number": _set(("type",), 3),
    "no request at all": _drop(("entry", 20, "request")),
    "total on a transaction": _set(("total",), "ten"),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_the_cheap_check_refuses_what_the_whole_bundle_refuses(name: str) -> None:
    doc = transaction(60)
    CHANGES[name](doc)
    shell = shell_of(doc)
    whole = verdict(validate_resource, copy.deepcopy(shell))
    assert verdict(check_shell, shell) == whole


def test_alike_entries_pass_as_the_whole_bundle_does() -> None:
    shell = shell_of(transaction(300))
    assert verdict(validate_resource, copy.deepcopy(shell)) is None
    assert verdict(check_shell, shell) is None


def test_entries_of_several_kinds_are_each_checked() -> None:
    doc = transaction(30)
    for n, entry in enumerate(doc["entry"]):
        if n % 3 == 1:
            entry["request"] = {"method": "POST", "url": "Patient"}
        elif n % 3 == 2:
            del entry["request"]
    doc["entry"][29]["request"] = {"method": "DELETE", "url": "Patient/p29",
                                   "ifMatch": ["not", "a", "string"]}
    shell = shell_of(doc)
    whole = verdict(validate_resource, copy.deepcopy(shell))
    assert whole is not None and "entry.29.request.ifMatch" in whole
    assert verdict(check_shell, shell) == whole


def test_an_import_refused_for_one_entry_names_it_and_writes_nothing(
        tmp_path: Path, signed_in: Callable[..., list[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    doc = transaction(200)
    doc["entry"][150]["request"]["method"] = 1
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        with pytest.raises(ImportRefused, match=r"entry\.150\.request\.method"):
            import_fhir(store, path)
        assert store.table_counts()["persons"] == 0
        assert store.query("SELECT count(*) AS n FROM audit_events")[0]["n"] == 0
    user = signed_in(db)
    with Store.open(db, create=False) as store:
        before = digest_without_sign_ins(store)
    assert main(["import", "fhir", str(path), "--db", str(db), *user]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "entry.150.request.method" in err, err
    with Store.open(db, create=False) as store:
        assert digest_without_sign_ins(store) == before


def test_a_transaction_imports_every_entry(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(transaction(120)), encoding="utf-8")
    with Store.open(tmp_path / "store.db") as store:
        report = import_fhir(store, path)
        assert report.imported["person"] == 120
        assert store.table_counts()["persons"] == 120


def _old_entity_id(key: str) -> str:
    """entity_id as it was: a UUID parsed and written again."""
    rid = key.split("/", 1)[1] if "/" in key else key
    try:
        if "#" not in rid and str(uuid.UUID(rid)) == rid:
            return rid
    except ValueError:
        pass
    return entity_id.__globals__["uuid"].uuid5(entity_id.__globals__["_NS"], key).__str__()


@pytest.mark.parametrize("key", [
    "Patient/6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60",
    "Patient/6F1C2E4A-8B3D-4C5E-9F7A-1B2C3D4E5F60",
    "Patient/{6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60}",
    "Patient/6f1c2e4a8b3d4c5e9f7a1b2c3d4e5f60",
    "Patient/urn:uuid:6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60",
    "Patient/6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60\n",
    "Patient/6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60#c1",
    "CarePlan/6f1c2e4a-8b3d-4c5e-9f7a-1b2c3d4e5f60#activity-2",
    "Patient/f201",
    "f201",
    "Patient/",
])
def test_entity_ids_are_as_before(key: str) -> None:
    assert entity_id(key) == _old_entity_id(key)


@pytest.mark.parametrize("kind", [NeedDomain, Sector, AgencyKind, Role])
def test_enums_by_slug_are_as_before(kind: Any) -> None:
    for member in kind:
        code = fc.slug(str(member.value))
        first = next(m for m in kind if fc.slug(str(m.value)) == code)
        assert enum_from_slug(kind, code) is first
    assert enum_from_slug(kind, "no-such-code") is None
    assert enum_from_slug(kind, None) is None
