"""Funding benchmarks: what the demo's money costs its generation, and the neighbourhood
funding report against a plain read of the rows it adds up. Baselines in the same run.

Targets (issue 6): the money adds at most 10% to demo generation (the 50,000-person demo
must stay fast); the funding report's figures cost at most 3 times reading its rows.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

from bench import stores
from careplan.demo import generator as demo_module
from careplan.demo.build import build_demo
from careplan.export.audience import audience_of
from careplan.export.funding_data import funding_report
from careplan.export.funding_xlsx import write_funding
from careplan.store import Store
from careplan.store.funding import load_book

TODAY = date(2026, 11, 22)
PERSONS = 6_000


def _cpu(fn: Callable[[], Any], runs: int = 3) -> float:
    """Best process CPU time of ``fn`` (steadier than wall time on a busy machine)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _build(with_money: bool) -> None:
    store = Store.open(":memory:")
    if with_money:
        build_demo(store, persons=PERSONS, seed=1, today=TODAY, parallel=False)
    else:
        with mock.patch.object(demo_module, "money_for", lambda *a, **k: None):
            build_demo(store, persons=PERSONS, seed=1, today=TODAY, parallel=False)
    store.close()


def main() -> dict[str, float]:
    """Run the funding benchmarks; print and return the figures."""
    without = _cpu(lambda: _build(False))
    with_money = _cpu(lambda: _build(True))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.db"
        with Store.open(path) as store:
            build_demo(store, persons=PERSONS, seed=1, today=TODAY)
            read = _cpu(lambda: load_book(store, neighbourhood="Riverside"))
            reader = stores.widest_reader(store)
            assert reader.agency_id is not None
            audience = audience_of(store, reader.agency_id)
            report = _cpu(lambda: funding_report(
                store, TODAY, "Riverside", audience_id=audience.agency_id,
                audience=audience.name, reader_agency_id=reader.agency_id))
            pdf = _cpu(lambda: write_funding(store, Path(folder) / "f.pdf", TODAY,
                                             printed_by="bench", neighbourhood="Riverside",
                                             audience=audience,
                                             reader_agency_id=reader.agency_id), 1)
            costed = float(len(load_book(store).lines))
    figures = {
        "persons": float(PERSONS), "costed_actions": costed,
        "demo_without_money_cpu_s": without, "demo_with_money_cpu_s": with_money,
        "demo_money_ratio": with_money / without,
        "read_rows_cpu_s": read, "report_figures_cpu_s": report,
        "report_ratio_vs_read": report / read, "report_pdf_cpu_s": pdf,
    }
    print("Funding benchmarks")
    for key, value in figures.items():
        print(f"  {key:<28} {value:10.3f}")
    checks = [("money adds <= 10% to the demo", figures["demo_money_ratio"] <= 1.10),
              ("report figures <= 3x reading the rows", figures["report_ratio_vs_read"] <= 3)]
    for name, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'} {name}")
    return figures


if __name__ == "__main__":
    main()
