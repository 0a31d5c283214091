"""R4 validation in worker processes (careplan.export.fhir_pool): a large FHIR export,
NDJSON export or import hands its resources to worker processes to validate. Whatever
the workers refuse is refused exactly as validation in the process itself refuses it
(the same sentence, the same exception, the first invalid resource in the file's order);
the files written and the records imported are the same; Cancel stops the workers and
nothing is written."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from export_sample import TODAY, build, share_with_reader

from careplan.export import fhir_pool
from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.export.fhir_ndjson import export_ndjson
from careplan.export.fhir_read import ImportRefused
from careplan.store import Store, audit_check

WORKERS = 2


def _consent(rid: str, code: Any = "59284-0") -> dict[str, Any]:
    return {"resourceType": "Consent", "id": rid, "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                  "consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": code}]}],
            "patient": {"reference": "Patient/p1"}}


def _patient(rid: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": rid, "name": [{"family": "Khan", "given": ["A"]}],
            "birthDate": "1988-07-14", **extra}


def _refusal(kind: fhir_pool.Kind, workers: int,
             resources: list[dict[str, Any]]) -> tuple[type[BaseException], str]:
    """What validating ``resources`` in this order raises, here or in workers."""
    with pytest.raises(ValueError) as caught, fhir_pool.Checks(kind, workers) as checks:
        for n, res in enumerate(resources):
            checks.add(res, json.dumps(res) if kind == "export" else f"entry {n + 1}")
        checks.finish()
    return type(caught.value), str(caught.value)


# Many valid resources, then two invalid ones (a number where a code goes, a birth date
# that is no date), more than one batch apart, then more valid ones.
STREAM = ([_consent(f"c{n}") for n in range(fhir_pool.BATCH + 30)]
          + [_consent("bad-code", code=59284)]
          + [_patient(f"p{n}") for n in range(fhir_pool.BATCH)]
          + [_patient("bad-date", birthDate="14/07/1988")]
          + [_patient(f"q{n}") for n in range(50)])


@pytest.fixture(autouse=True)
def small_import_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """An import hands its resources over in batches of ``BATCH`` here, as an export
    does, so these small files still span several batches."""
    monkeypatch.setattr(fhir_pool, "IMPORT_BATCH", fhir_pool.BATCH)


@pytest.mark.parametrize("kind", ["export", "import"])
def test_workers_refuse_the_first_invalid_resource_with_the_same_sentence(
        kind: fhir_pool.Kind) -> None:
    here = _refusal(kind, 0, STREAM)
    there = _refusal(kind, WORKERS, STREAM)
    assert there == here
    assert here[0] is (ValueError if kind == "export" else ImportRefused)
    assert ("Consent/bad-code" if kind == "export" else "entry 231") in here[1]
    # without the first, the second is the refusal, in both
    rest = [r for r in STREAM if r["id"] != "bad-code"]
    assert _refusal(kind, WORKERS, rest) == _refusal(kind, 0, rest)
    assert ("Patient/bad-date" if kind == "export" else "entry 431") in _refusal(
        kind, 0, rest)[1]
    assert not multiprocessing.active_children()  # the workers stopped


def _sample(store: Store) -> dict[str, Any]:
    build(store)
    build(store, nhs="9876543210", given="Ben", family="Other")
    reader = share_with_reader(store)
    reader.pop("professional_id")
    return reader


def _entries(path: Path) -> list[Any]:
    return json.loads(path.read_text(encoding="utf-8"))["entry"]  # type: ignore[no-any-return]


def test_exports_validated_in_workers_write_the_same(store: Store, tmp_path: Path) -> None:
    reader = _sample(store)
    here = export_fhir(store, tmp_path / "here.json", **reader, today=TODAY, workers=0)
    there = export_fhir(store, tmp_path / "there.json", **reader, today=TODAY,
                        workers=WORKERS)
    assert there.resources == here.resources > 20
    assert _entries(tmp_path / "there.json") == _entries(tmp_path / "here.json")
    # each entry a line, byte for byte as json.dumps writes the entry
    first = (tmp_path / "there.json").read_text(encoding="utf-8").split("\n")[1]
    assert first.rstrip(",") == json.dumps(json.loads(first.rstrip(",")), ensure_ascii=False)
    nd_here = export_ndjson(store, tmp_path / "nd-here", **reader, today=TODAY, workers=0)
    nd_there = export_ndjson(store, tmp_path / "nd-there", **reader, today=TODAY,
                             workers=WORKERS)
    assert nd_there.files == nd_here.files
    for rtype in nd_here.files:
        assert ((tmp_path / "nd-there" / f"{rtype}.ndjson").read_bytes()
                == (tmp_path / "nd-here" / f"{rtype}.ndjson").read_bytes())
    assert not multiprocessing.active_children()


class Stop(Exception):
    """What a Cancel raises from a progress callback (careplan.ui.workers.Cancelled)."""


def test_cancel_stops_the_workers_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    reader = _sample(store)
    out = tmp_path / "cancelled.json"

    def cancel(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        export_fhir(store, out, progress=cancel, **reader, today=TODAY, workers=WORKERS)
    with pytest.raises(Stop):
        export_ndjson(store, tmp_path / "nd", progress=cancel, **reader, today=TODAY,
                      workers=WORKERS)
    assert list(tmp_path.iterdir()) == []
    assert not multiprocessing.active_children()


def _bundle(path: Path, *resources: dict[str, Any]) -> Path:
    entries = [{"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{i:012d}", "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
               for i, r in enumerate(resources)]
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction",
                                "entry": entries}), encoding="utf-8")
    return path


def _imported(store_path: Path, file: Path, workers: int) -> str:
    """The refusal of importing ``file`` into a new store; nothing may be written."""
    with Store.open(store_path) as store:
        before = store.table_counts()
        with pytest.raises(ImportRefused) as caught:
            import_fhir(store, file, workers=workers)
        assert store.table_counts() == before
    return str(caught.value)


def test_an_import_validated_in_workers_refuses_as_before_and_writes_nothing(
        tmp_path: Path) -> None:
    many = [_patient(f"p{n}") for n in range(fhir_pool.BATCH + 10)]
    cases = {
        # a resource the R4 model refuses
        "invalid": _bundle(tmp_path / "a.json", *many, _patient("x", birthDate="1988-13-01"),
                           *many[:3]),
        # ... before one the reading refuses (it refers to itself): the first is named
        "invalid first": _bundle(
            tmp_path / "b.json", _patient("x", birthDate="1988-13-01"),
            {"resourceType": "PractitionerRole", "id": "r1",
             "practitioner": {"reference": "PractitionerRole/r1"}}),
        # ... a later one than a resource the reading refuses (nested too deeply)
        "invalid later": _bundle(
            tmp_path / "c.json", _patient("deep", extension=[_deep(70)]),
            _patient("x", birthDate="1988-13-01")),
        # the Bundle's own entries (a field R4 does not have), checked before the rest
        "entry": tmp_path / "d.json",
    }
    doc = json.loads(cases["invalid"].read_text(encoding="utf-8"))
    doc["entry"][5]["request"]["colour"] = "red"
    cases["entry"].write_text(json.dumps(doc), encoding="utf-8")
    for name, file in cases.items():
        here = _imported(tmp_path / f"{name}-here.db", file, 0)
        there = _imported(tmp_path / f"{name}-there.db", file, WORKERS)
        assert there == here, name
    assert "Patient/x" in _imported(tmp_path / "x.db", cases["invalid first"], 0)
    assert "Patient/deep" in _imported(tmp_path / "y.db", cases["invalid later"], 0)
    assert "entry.5.request.colour" in _imported(tmp_path / "z.db", cases["entry"], 0)
    assert not multiprocessing.active_children()


def _deep(levels: int) -> dict[str, Any]:
    ext: dict[str, Any] = {"url": "http://example.org/e", "valueString": "leaf"}
    for _ in range(levels):
        ext = {"url": "http://example.org/e", "extension": [ext]}
    return ext


def test_an_import_validated_in_workers_imports_the_same(store: Store,
                                                         tmp_path: Path) -> None:
    reader = _sample(store)
    export_fhir(store, tmp_path / "out.json", **reader, today=TODAY, workers=0)
    counts = []
    for workers in (0, 1, WORKERS):
        with Store.open(tmp_path / f"in-{workers}.db") as target:
            report = import_fhir(target, tmp_path / "out.json", workers=workers)
            counts.append((target.table_counts(), report.lines()))
            verified = audit_check.verify(target)
            assert verified is not None and verified.ok, verified
    assert counts[0] == counts[1] == counts[2]
    assert counts[0][0]["persons"] == 2


def test_records_inserted_while_a_worker_validates_are_not_kept_when_it_refuses(
        tmp_path: Path) -> None:
    """The import inserts while its worker validates and commits only once every
    resource is valid: a resource refused last (one the mapping takes, so its record
    is among those inserted) leaves the store as it was, audit log and chain heads
    included, with the sentence validation in this process gives."""
    many = [_patient(f"p{n}") for n in range(fhir_pool.BATCH * 2)]
    file = _bundle(tmp_path / "late.json", *many, _patient("x", gender=5))
    db = tmp_path / "store.db"
    with Store.open(db) as store:
        import_fhir(store, _bundle(tmp_path / "seed.json", _patient("seed")), workers=0)
        before = {table: store.query(f"SELECT * FROM {table}")
                  for table in ("persons", "audit_events", "audit_heads")}
        with pytest.raises(ImportRefused) as caught:
            import_fhir(store, file, workers=1)
        assert {table: store.query(f"SELECT * FROM {table}") for table in before} == before
        assert not store.conn.in_transaction
        verified = audit_check.verify(store)
        assert verified is not None and verified.ok, verified
    here = _imported(tmp_path / "here.db", file, 0)
    assert str(caught.value) == here and "Patient/x" in here and "gender" in here
    assert not multiprocessing.active_children()


def test_how_many_workers() -> None:
    assert fhir_pool.workers_for_import(10**9) <= fhir_pool.IMPORT_WORKERS == 1
    assert fhir_pool.workers_for_import(10_000) == 0
    assert fhir_pool.workers_for(1) == 0  # one person: validated in-process
    assert fhir_pool.workers_for_file(10_000) == 0
    assert fhir_pool.workers_for(10_000) in range(0, fhir_pool.MAX_WORKERS + 1)


def test_the_garbage_collector_is_as_it_was_after_an_import(tmp_path: Path) -> None:
    """Reading and mapping run without the cyclic collector (fhir_memo.no_collection):
    on again afterwards, after a refusal too, and left off if it was off."""
    import gc

    good = _bundle(tmp_path / "good.json", _patient("p1"))
    bad = _bundle(tmp_path / "bad.json", _patient("p2", birthDate="1988-13-01"))
    assert gc.isenabled()
    with Store.open(tmp_path / "a.db") as store:
        import_fhir(store, good)
        assert gc.isenabled()
        with pytest.raises(ImportRefused):
            import_fhir(store, bad)
        assert gc.isenabled()
        gc.disable()
        try:
            import_fhir(store, good)
            assert not gc.isenabled()
        finally:
            gc.enable()
        assert store.table_counts()["persons"] == 1


class _Stop(Exception):
    """What a progress callback raises to stop an import (the app's Cancel)."""


@pytest.mark.parametrize("case", ["imported", "refused", "cancelled"])
def test_no_collection_walks_the_file_during_an_import(tmp_path: Path, case: str) -> None:
    """The cyclic collector stays off from the parse until what was read is dropped, on
    a refusal and a Cancel too: on while the file's containers live, its next allocation
    starts a collection that walks every one of them (0.9 s after the parse and 1.1 s
    after the commit at 10,000 persons). A collection may walk what the import keeps
    (caches, the report), never the file."""
    import gc

    patients = 2000
    resources = [_patient(f"p{n}") for n in range(patients)]
    if case == "refused":
        resources.append(_patient("x", birthDate="1988-13-01"))
    file = _bundle(tmp_path / "many.json", *resources)
    walked: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            walked.append(sum(len(gc.get_objects(generation)) for generation in
                              range(info["generation"] + 1)))

    def progress(done: int, total: int) -> None:
        if case == "cancelled" and done > total // 3:  # while mapping
            raise _Stop

    with Store.open(tmp_path / "a.db") as store:
        # (a first import builds the R4 models and the store's caches, kept for good)
        import_fhir(store, _bundle(tmp_path / "one.json", _patient("first")), workers=0)
        assert gc.isenabled()
        thresholds = gc.get_threshold()
        gc.collect()
        gc.callbacks.append(seen)
        gc.set_threshold(1)  # a collection at the first allocation with the collector on
        try:
            if case == "imported":
                import_fhir(store, file, workers=0, progress=progress)
            else:
                with pytest.raises(ImportRefused if case == "refused" else _Stop):
                    import_fhir(store, file, workers=0, progress=progress)
        finally:
            gc.set_threshold(*thresholds)
            gc.callbacks.remove(seen)
        assert store.table_counts()["persons"] == (patients + 1 if case == "imported"
                                                   else 1)
    # each Patient is five containers (itself, its name, the name's given, the entry,
    # its request), the file ten thousand
    assert walked and max(walked) < patients, walked
