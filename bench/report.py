"""Figures of the benchmarks and docs/benchmarks.md: the machine, the date, one table.

Every figure stands beside a baseline measured in the same run of the same benchmark
(the machine is shared and its load changes by the minute: the ratio is the honest
figure), with its target and PASS or MISS, and how it grows from the smallest store.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from careplan.store import sqlite

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / ".bench-cache" / "results.json"


@dataclass(frozen=True)
class Figure:
    """One measured figure and the baseline it is read against."""

    what: str
    persons: int | None
    value: float
    unit: str  # "s", "ms" or "MB"
    baseline: float | None = None
    baseline_what: str = ""
    #: Targets: at most ``limit`` (in ``unit``) and at most ``ratio_limit`` x baseline.
    limit: float | None = None
    ratio_limit: float | None = None
    #: Why it misses its target (shown only when it does).
    why: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.baseline else self.value / self.baseline

    @property
    def passed(self) -> bool | None:
        checks = []
        if self.limit is not None:
            checks.append(self.value <= self.limit)
        if self.ratio_limit is not None and self.ratio is not None:
            checks.append(self.ratio <= self.ratio_limit)
        return all(checks) if checks else None


def seconds(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_of(fn: Callable[[], Any], runs: int) -> float:
    return statistics.median(seconds(fn) for _ in range(runs))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def _cipher_version() -> str:
    conn = sqlite.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return str(row[0]) if row else "unknown"


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    mem_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    try:
        import PySide6
        from PySide6.QtCore import qVersion
        qt = f"Qt {qVersion()} (PySide6 {PySide6.__version__})"
    except ImportError:
        qt = "Qt not installed"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GB" if mem_kb else "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Qt": qt,
        "SQLite": f"{sqlite.sqlite_version} (SQLCipher {_cipher_version()})",
    }


def _num(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.3f} s" if value < 10 else f"{value:,.1f} s"


def _target(f: Figure) -> str:
    parts = []
    if f.limit is not None:
        parts.append(f"≤ {_num(f.limit, f.unit).replace('.000 ', ' ').replace('.0 ', ' ')}")
    if f.ratio_limit is not None:
        parts.append(f"≤ {f.ratio_limit:g}× baseline")
    return ", ".join(parts) or "—"


def _growth(f: Figure, smallest: Figure | None) -> str:
    if smallest is None or smallest is f or not f.persons or not smallest.persons:
        return "—"
    factor = f.value / smallest.value if smallest.value else float("inf")
    persons = f.persons / smallest.persons
    verdict = "≤ linear" if factor <= persons else "FASTER than linear"
    return f"×{factor:,.1f} for ×{persons:g} persons ({verdict})"


def table(figures: list[Figure]) -> str:
    rows = ["| Figure | Persons | Measured | Baseline (same run) | Ratio | Growth from the "
            "smallest store | Target | Result |",
            "|---|---:|---:|---|---:|---|---|---|"]
    smallest: dict[str, Figure] = {}
    for f in figures:
        if f.persons and (f.what not in smallest or f.persons < (smallest[f.what].persons or 0)):
            smallest[f.what] = f
    for f in figures:
        base = "—" if f.baseline is None else f"{_num(f.baseline, f.unit)}: {f.baseline_what}"
        ratio = "—" if f.ratio is None else f"{f.ratio:,.2f}×"
        result = {None: "—", True: "PASS", False: "**MISS**"}[f.passed]
        persons = "—" if f.persons is None else f"{f.persons:,}"
        rows.append(f"| {f.what} | {persons} | {_num(f.value, f.unit)} | {base} | {ratio} | "
                    f"{_growth(f, smallest.get(f.what))} | {_target(f)} | {result} |")
    return "\n".join(rows)


def save(bench: str, figures: list[Figure], details: str, started: str, load_at: str) -> None:
    """Keep one benchmark's figures (the document is made from every benchmark's last)."""
    RESULTS.parent.mkdir(exist_ok=True)
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    data[bench] = {"figures": [asdict(f) for f in figures], "details": details,
                   "started": started, "load": [load_at, load()]}
    RESULTS.write_text(json.dumps(data, indent=1), encoding="utf-8")


def write(order: list[str], uptime: str) -> None:
    """docs/benchmarks.md from the last figures of every benchmark in ``order``."""
    data = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    benches = [b for b in order if b in data]
    figures = [Figure(**f) for b in benches for f in data[b]["figures"]]
    runs = sorted({data[b]["started"][:10] for b in benches})
    info = machine()
    lines = ["# Benchmarks", "",
             "Written by `make bench` (`python -m bench`). Stores of 1,000, 10,000 and 50,000 "
             "persons from the demo generator (kept in `.bench-cache/`, rebuilt when the demo "
             "or the migrations change). Every figure stands beside a baseline measured in "
             "the same run: the machine is shared and its load changes by the minute, so the "
             "ratio is the figure to read.", "",
             "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines += [f"- date: {', '.join(runs)}",
              f"- load at the end (`uptime`): {uptime}", "",
              "Load average (1, 5, 15 min) at the start and end of each benchmark: "
              + "; ".join(f"{b} {data[b]['load'][0]} → {data[b]['load'][1]}" for b in benches)
              + ".", "",
              "## Figures", "", table(figures), ""]
    misses = [f for f in figures if f.passed is False]
    if misses:
        lines += ["## Targets missed, and why", ""]
        seen: set[str] = set()
        for f in misses:
            if f.what in seen:
                continue
            seen.add(f.what)
            lines.append(f"- **{f.what}**: {f.why or 'not yet explained.'}")
        lines.append("")
    lines += ["## Details", ""]
    for b in benches:
        lines += [f"### {b}", "", "```text", data[b]["details"].rstrip(), "```", ""]
    if DOC.exists():  # the before -> after notes of each issue are written by hand: kept
        lines += kept_notes(DOC.read_text(encoding="utf-8"))
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines), encoding="utf-8")


def kept_notes(text: str) -> list[str]:
    """The sections of ``text`` headed "## Issue ..." or "### Issue ...", each to the next
    heading of those levels."""
    kept: list[str] = []
    keeping = False
    for line in text.splitlines():
        if line.startswith(("## ", "### ")):
            keeping = line.split(" ", 1)[1].startswith("Issue ")
        if keeping:
            kept.append(line)
    return kept + [""] if kept else []
