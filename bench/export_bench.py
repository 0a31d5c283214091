"""Export benchmarks: the joint plan PDF of a person with 300 actions (in the stores of
every size), FHIR export, import and Bulk Data NDJSON export of the 1,000 and
10,000-person demo stores. Each figure comes with a baseline measured in the same run.

Targets: plan PDF <= 2 s (issue 5); FHIR export and import of 1,000 persons <= 30 s each
(issue 5) and of 10,000 persons <= 10 s each (issue 17), R4 validation of every resource
included; the NDJSON export is held to the Bundle export's targets. The 50,000-person
FHIR figures are left out: on this machine they would take as long as every other
benchmark together.
"""

from __future__ import annotations

import json
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate, Table

from bench import stores
from bench.report import Figure, median_of, seconds
from careplan.export import fhir_export as fx
from careplan.export import fhir_memo
from careplan.export.audience import audience_of
from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.export.fhir_ndjson import export_ndjson
from careplan.export.fhir_read import read_file
from careplan.export.plan_pdf import plan_pdf
from careplan.export.records import Records, load
from careplan.models import Agency, CarePlan, Consent, Professional
from careplan.models.enums import AgencyKind, ConsentStatus, Role, Sector
from careplan.store import Store, add_many, find
from careplan.store.visibility import Viewer, viewer_for

TODAY = stores.TODAY
FHIR_SIZES = (1_000, 10_000)
PDF = "joint plan PDF (300 actions)"
EXPORT = "FHIR export (whole store, validated)"
IMPORT = "FHIR import (into an empty store)"
NDJSON = "FHIR Bulk Data NDJSON export (whole store, validated)"
#: Where the time goes, for a figure that misses its target (measured with cProfile on
#: the 1,000 and 10,000-person stores; docs/benchmarks.md's notes give the numbers).
WHY_EXPORT = (
    "R4 validation with fhir.resources is most of the CPU (10.8 of 15.6 s at 10,000 persons, "
    "120,040 resources, in one process: see the details below), about 90 us a resource, "
    "most of it the top-level pydantic model of each (fhir_core's checks in Python; its "
    "reject_null_complex_elements alone is a sixth); equal nested elements are validated "
    "once (careplan/export/fhir_memo.py). Done in this round: from 2,500 persons the "
    "resources are validated in two worker processes (careplan/export/fhir_pool.py, "
    "spawn), each resource's JSON text handed over as it is written, the same checks, "
    "the first refusal with the same sentence: this process 6.5 s of CPU, the workers "
    "12.8 s, so on 2 free cores about 9-10 s of wall time; on this machine, shared at a "
    "load of 5 to 8 on its 2 cores, 35-51 s, about what one process took (50.2 s, CPU "
    "19.6 s, same hour). Left: a lighter validator than fhir.resources (the CPU in all "
    "is no less than before), or more free cores (up to 4 workers are used).")
WHY_IMPORT = (
    "CPU at 10,000 persons (161 MB, 120,040 resources), measured apart from this run on a"
    " quiet machine: this process 11.1-11.4 s (reading and parsing the file about 0.9 s, "
    "the scan and handing the resources to the worker 1.8 s, mapping to records 3.2 s, "
    "inserts with their audit events 4.1 s, then the commit and dropping what was read), "
    "the one validation worker 9.0-9.4 s (fhir.resources, about 75 us a resource): 20.5 s"
    " of CPU on 2 cores, so no arrangement of the work comes under about 10.3 s, and this"
    " process sets the pace. Done this round, 14.8 -> about 11.8 s: the garbage collector"
    " kept off from the parse until what was read is dropped (on in between, it walked "
    "every parsed container: 0.9 s after the parse and 1.1 s after the commit); the "
    "resources handed to the worker in batches of 5,000, not 200 (submitting every few "
    "milliseconds starved the executor's thread that moves work to the worker, which sat "
    "idle for the whole 1.5 s of the reading). Done before: the Bundle's own entries "
    "validated once a kind (1.9 -> 0.2 s); one worker validating while this process maps "
    "and inserts, in the transaction that commits only once every resource is valid; the "
    "inserts 6.1 -> 4.2 s of CPU. Tried and not kept: orjson (it parsed this file in 0.68"
    " s, json in 0.77 s, each alone), two workers (more CPU, no less wall time on 2 "
    "cores). Not done: the worker parsing the file itself (nothing to hand over, but a "
    "second parsed copy of the file, 900 MB). Left: a lighter validator than "
    "fhir.resources, or more cores.")
WHY_NDJSON = ("the same resources and the same validation as the Bundle export (see "
              "there); CPU 6.0 s here and 13.1 s in the workers at 10,000 persons.")


def plan_pdf_figure(tmp: Path, persons: int) -> Figure:
    store = Store.open(stores.bench_store(persons), create=False)
    person = stores.person_id(store, stores.PRINTED)
    plan = find(store, CarePlan, person_id=person)[0]
    out = tmp / "plan.pdf"
    reader = stores.reader(store)
    assert reader.agency_id is not None
    audience = audience_of(store, reader.agency_id)
    pdf_s = median_of(lambda: plan_pdf(store, person, out, printed_by="bench", today=TODAY,
                                       audience=audience, reader=reader), 3)
    rec = load(store, [person])
    cells = [[a.description, rec.professional_name(a.owner_professional_id),
              rec.agency_name(a.owner_agency_id), str(a.due_date), a.status.value]
             for a in rec.actions[plan.id]]
    store.close()

    def bare() -> None:
        doc = SimpleDocTemplate(str(tmp / "bare.pdf"), pagesize=A4)
        doc.build([Table([["Action", "Owner", "Agency", "Due", "Status"], *cells],
                         repeatRows=1)])

    bare_s = median_of(bare, 3)
    print(f"  {persons:>6,} persons: plan PDF ({len(cells)} actions, {out.stat().st_size:,} "
          f"bytes) {pdf_s:6.3f} s; bare reportlab table {bare_s:6.3f} s "
          f"({pdf_s / bare_s:4.1f} x)")
    return Figure(PDF, persons, pdf_s, "s", bare_s, "bare reportlab table of the same cells",
                  limit=2.0, why="see the details below.")


def cpu(fn: Callable[[], Any]) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def children_cpu() -> float:
    """CPU seconds of this process's ended children (the validation workers)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def split(fn: Callable[[], Any]) -> str:
    """The CPU of ``fn`` in this process and in its workers."""
    before = children_cpu()
    here = cpu(fn)
    return f"this process {here:5.2f} s, workers {children_cpu() - before:5.2f} s"


def export_phases(source: Store) -> str:
    """Where an export's time goes, each step alone (CPU seconds)."""
    rec: list[Records] = []
    load_s = cpu(lambda: rec.append(load(source, None)))

    def made() -> Iterator[dict[str, Any]]:
        return (r for p in rec[0].persons for r in fx.person_resources(p, rec[0]))

    with fhir_memo.set_aside():
        build_s = cpu(lambda: sum(1 for _ in made()))
        dumps_s = cpu(lambda: [json.dumps(r, ensure_ascii=False) for r in made()]) - build_s
        def check() -> None:
            for r in made():
                fx.validate(r)

        with fhir_memo.shared_elements():
            check_s = cpu(check) - build_s
    return (f"reading the records {load_s:5.2f} s, building the dicts {build_s:5.2f} s, "
            f"R4 validation {check_s:5.2f} s (in one process), json.dumps {dumps_s:5.2f} s")


def import_phases(bundle: Path, target: Path) -> str:
    """Where an import's time goes, each step as the import runs it (CPU seconds of
    this process; the workers' validation beside them)."""
    from careplan.export import fhir_map
    from careplan.export.fhir_import import Importer
    from careplan.export.fhir_pool import Checks, workers_for_import
    from careplan.export.fhir_read import load_json, read_document

    before = children_cpu()
    doc: list[Any] = []
    read: list[Any] = []
    imp: list[Importer] = []
    with (Checks("import", workers_for_import(bundle.stat().st_size), ahead=None) as checks,
          Store.open(target) as store, fhir_memo.no_collection()):  # (as the import runs)
        parse_s = cpu(lambda: doc.append(load_json(bundle)))
        check_s = cpu(lambda: read.append(read_document(doc.pop(), checks)))
        def mapped() -> None:
            imp.append(Importer(store, read[0], "bench"))
            fhir_map.map_all(imp[0])

        map_s = cpu(mapped)
        wait_s = seconds(checks.finish)
        write_s = cpu(lambda: imp[0].write())
        read.clear()
        imp.clear()
    workers = children_cpu() - before
    return (f"json.loads {parse_s:5.2f} s, scan and handing the resources to "
            f"{checks.workers} workers {check_s:5.2f} s, mapping to records {map_s:5.2f} s, "
            f"(then waiting {wait_s:5.2f} s), inserts with their audit events "
            f"{write_s:5.2f} s; the workers' R4 validation {workers:5.2f} s")


def shared_store(persons: int) -> Path:
    """The demo store of ``persons`` with one more agency, "Bench Reader", to which
    every person consented to share their record: an export for it is the whole store
    (the demo's own consents share each person with some agencies only)."""
    def build(partial: Path) -> None:
        shutil.copyfile(stores.demo_store(persons), partial)
        with Store.open(partial, create=False) as store:
            team = Agency(name="Bench Reader", sector=Sector.HEALTH,
                          kind=AgencyKind.GP_PRACTICE)
            pro = Professional(name="Rita Reader", role=Role.GP, agency_id=team.id)
            add_many(store, [team, pro], "bench")
            add_many(store, [Consent(person_id=str(row["id"]), agency_id=team.id,
                                     status=ConsentStatus.GIVEN, recorded_by=pro.id,
                                     recorded_on=max(date(2000, 1, 1), date.fromisoformat(
                                         str(row["birth_date"])[:10])))
                             for row in store.query("SELECT id, birth_date FROM persons")],
                     "bench")
    key = stores.demo_key() + stores._hash(("bench/export_bench.py",))[:6]
    return stores._cached("fhir", persons, key, build)


def bench_reader(store: Store) -> Viewer:
    """The professional of "Bench Reader" (see :func:`shared_store`)."""
    row = store.query("SELECT p.id FROM professionals p JOIN agencies a ON a.id = "
                      "p.agency_id WHERE a.name = 'Bench Reader'")[0]
    return viewer_for(store, str(row["id"]))


def fhir_figures(tmp: Path, persons: int) -> list[Figure]:
    bundle = tmp / "bundle.json"
    folder = tmp / f"ndjson-{persons}"
    with Store.open(shared_store(persons), create=False) as source:
        reader = bench_reader(source)
        assert reader.agency_id is not None
        audience = audience_of(source, reader.agency_id)
        cpu_split: list[str] = []
        started = time.perf_counter()
        cpu_split.append(split(lambda: export_fhir(source, bundle, audience=audience,
                                                   reader=reader, today=TODAY)))
        export_s = time.perf_counter() - started
        started = time.perf_counter()
        cpu_split.append(split(lambda: export_ndjson(source, folder, audience=audience,
                                                     reader=reader, today=TODAY)))
        ndjson_s = time.perf_counter() - started
        export_cpu = export_phases(source)
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    dumps_s = seconds(lambda: bundle.with_suffix(".plain").write_text(
        json.dumps(doc, ensure_ascii=False), encoding="utf-8"))
    lines_s = seconds(lambda: bundle.with_suffix(".lines").write_text(
        "".join(json.dumps(e["resource"], ensure_ascii=False) + "\n" for e in doc["entry"]),
        encoding="utf-8"))
    loads_s = seconds(lambda: json.loads(bundle.read_text(encoding="utf-8")))
    read_s = seconds(lambda: read_file(bundle))
    target = tmp / f"target-{persons}.db"
    with Store.open(target) as store:
        started = time.perf_counter()
        cpu_split.append(split(lambda: import_fhir(store, bundle)))
        import_s = time.perf_counter() - started
        imported = store.table_counts()["persons"]
    resources = len(doc["entry"])
    files = len(list(folder.glob("*.ndjson")))
    print(f"  {persons:>6,} persons: {resources:,} resources, {bundle.stat().st_size / 1e6:.0f} "
          f"MB; export {export_s:6.2f} s (json.dumps of the bundle {dumps_s:5.2f} s); import "
          f"{import_s:6.2f} s, of which reading and R4 validation about {read_s:6.2f} s "
          f"(json.loads "
          f"{loads_s:5.2f} s); NDJSON export {ndjson_s:6.2f} s, {files} files (json.dumps of "
          f"each resource to one file {lines_s:5.2f} s); {imported:,} persons imported")
    assert imported == persons, "every person must come back"
    import_cpu = import_phases(bundle, tmp / f"phases-{persons}.db")
    print(f"          CPU: export: {cpu_split[0]}; import: {cpu_split[2]}; NDJSON export: "
          f"{cpu_split[1]}")
    print(f"          where the time goes (CPU, each step alone): export: {export_cpu}; "
          f"import: {import_cpu}")
    limit = 30.0 if persons == 1_000 else 10.0
    return [Figure(EXPORT, persons, export_s, "s", dumps_s,
                   "json.dumps of the same bundle", limit=limit, why=WHY_EXPORT),
            Figure(IMPORT, persons, import_s, "s", loads_s,
                   "json.loads of the same file", limit=limit, why=WHY_IMPORT),
            Figure(NDJSON, persons, ndjson_s, "s", lines_s,
                   "json.dumps of the same resources, one a line", limit=limit,
                   why=WHY_NDJSON)]


def main() -> list[Figure]:
    """Run every export benchmark; print and return the figures."""
    print("Export benchmarks (plan PDF: median of 3)")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        pdfs = [plan_pdf_figure(tmp, persons) for persons in stores.SIZES]
        fhir = [f for persons in FHIR_SIZES for f in fhir_figures(tmp, persons)]
    return pdfs + fhir[0::3] + fhir[1::3] + fhir[2::3]


if __name__ == "__main__":
    main()
