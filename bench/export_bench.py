"""Export benchmarks: the joint plan PDF with 300 actions, FHIR export and import of
1,000 persons. Each figure comes with a baseline measured in the same run.

Targets (issue 5): plan PDF <= 2 s; FHIR export and import of 1,000 persons <= 30 s each,
validation included.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate, Table

from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_import import import_fhir
from careplan.export.fhir_read import read_file
from careplan.export.plan_pdf import plan_pdf
from careplan.export.records import load
from careplan.models import Action, CarePlan, Professional
from careplan.models.enums import ActionStatus
from careplan.store import Store, add_many, find
from careplan.store.demo import build_demo

TODAY = date(2025, 3, 3)


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _best(fn: Callable[[], Any], runs: int = 3) -> float:
    return min(_timed(fn) for _ in range(runs))


def bench_plan_pdf(tmp: Path) -> dict[str, float]:
    store = Store.open(":memory:")
    build_demo(store, persons=20, seed=3, today=TODAY)
    plan = find(store, CarePlan)[0]
    profs = find(store, Professional)
    statuses = list(ActionStatus)
    add_many(store, [Action(plan_id=plan.id, description=f"Action {i}: visit, review and "
                            "record what was agreed with the person and family",
                            owner_professional_id=profs[i % len(profs)].id,
                            owner_agency_id=profs[i % len(profs)].agency_id,
                            due_date=TODAY + timedelta(days=i % 60 - 20),
                            status=statuses[i % len(statuses)]) for i in range(300)], "bench")
    out = tmp / "plan.pdf"
    seconds = _best(lambda: plan_pdf(store, plan.person_id, out, printed_by="bench",
                                     today=TODAY))
    rec = load(store, [plan.person_id])
    cells = [[a.description, rec.professional_name(a.owner_professional_id),
              rec.agency_name(a.owner_agency_id), str(a.due_date), a.status.value]
             for a in rec.actions[plan.id]]

    def bare() -> None:
        doc = SimpleDocTemplate(str(tmp / "bare.pdf"), pagesize=A4)
        doc.build([Table([["Action", "Owner", "Agency", "Due", "Status"], *cells],
                         repeatRows=1)])

    baseline = _best(bare)
    store.close()
    return {"plan_pdf_300_actions_s": seconds, "bare_table_s": baseline,
            "plan_pdf_ratio": seconds / baseline}


def bench_fhir(tmp: Path, persons: int = 1000) -> dict[str, float]:
    source = Store.open(tmp / "source.db")
    build_demo(source, persons=persons, seed=7, today=TODAY)
    bundle = tmp / "bundle.json"
    export_s = _timed(lambda: export_fhir(source, bundle))
    source.close()
    doc = json.loads(bundle.read_text(encoding="utf-8"))
    json_s = _best(lambda: json.loads(json.dumps(doc)))
    read_s = _timed(lambda: read_file(bundle))
    target = Store.open(tmp / "target.db")
    import_s = _timed(lambda: import_fhir(target, bundle))
    imported = target.table_counts()["persons"]
    target.close()
    return {"persons": float(imported), "resources": float(len(doc["entry"])),
            "fhir_export_s": export_s, "fhir_import_s": import_s,
            "fhir_read_and_validate_s": read_s, "json_round_trip_s": json_s,
            "export_ratio_vs_json": export_s / json_s, "import_ratio_vs_json": import_s / json_s}


def main() -> dict[str, float]:
    """Run every export benchmark; print and return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        figures = {**bench_plan_pdf(tmp), **bench_fhir(tmp)}
    print("Export benchmarks")
    for key, value in figures.items():
        print(f"  {key:<28} {value:10.3f}")
    checks = [("plan PDF <= 2 s", figures["plan_pdf_300_actions_s"] <= 2),
              ("FHIR export <= 30 s", figures["fhir_export_s"] <= 30),
              ("FHIR import <= 30 s", figures["fhir_import_s"] <= 30)]
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'} {name}")
    return figures


if __name__ == "__main__":
    main()
