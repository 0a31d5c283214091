"""``python -m bench [NAME...]``: run the benchmarks (every ``bench/*_bench.py`` module's
``main()``, which prints its details and returns its figures) and write
docs/benchmarks.md: the machine, the date and one table of every figure.

A benchmark's figures are kept in ``.bench-cache/results.json`` until it runs again, so
running one benchmark rewrites its own rows and leaves the others' as they were.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from bench import report

ROOT = Path(__file__).resolve().parents[1]
#: demo first: it builds the cached stores the others read.
FIRST = ["demo_bench", "flags_bench", "ui_bench", "startup_bench", "export_bench"]


class _Tee(io.StringIO):
    """Keep what is printed and show it as it comes."""

    def write(self, text: str) -> int:
        if sys.__stdout__ is not None:
            sys.__stdout__.write(text)
            sys.__stdout__.flush()
        return super().write(text)


def names() -> list[str]:
    found = sorted(p.stem for p in (ROOT / "bench").glob("*_bench.py"))
    return [n for n in FIRST if n in found] + [n for n in found if n not in FIRST]


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False,
                              timeout=10).stdout.strip()
    except OSError:
        return f"load average: {report.load()}"


def run(selected: list[str]) -> int:
    for name in selected:
        started, load_at = datetime.now().isoformat(timespec="seconds"), report.load()
        module = importlib.import_module(f"bench.{name}")
        out = _Tee()
        with contextlib.redirect_stdout(out):
            result = module.main()
        # A benchmark that returns no Figures (say, a dict) keeps its printed details only.
        figures = [f for f in result if isinstance(f, report.Figure)] \
            if isinstance(result, list) else []
        report.save(name, figures, out.getvalue(), started, load_at)
    report.write(names(), _uptime())
    print(f"wrote {report.DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    wanted = sys.argv[1:] or names()
    unknown = [n for n in wanted if n not in names()]
    if unknown:
        sys.exit(f"bench: no benchmark called {', '.join(unknown)} "
                 f"(there are {', '.join(names())}).")
    sys.exit(run(wanted))
