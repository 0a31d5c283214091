"""``python -m bench [NAME...]``: run the benchmarks (every ``bench/*_bench.py`` module's
``main()``) and keep their output in docs/benchmarks.md, one section per benchmark.

A section is rewritten only by its own benchmark, so benchmarks run at different times
(or by different people) do not overwrite each other's figures.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = ("# Benchmarks\n\nFigures from `python -m bench` (or `make bench`) on the machine "
          "named in each section.\nEach section is rewritten by its own benchmark.\n")


class _Tee(io.StringIO):
    """Keep what is printed and show it as it comes."""

    def write(self, text: str) -> int:
        sys.__stdout__.write(text)
        return super().write(text)


def names() -> list[str]:
    return sorted(p.stem for p in (ROOT / "bench").glob("*_bench.py"))


def update_section(name: str, output: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    cpus = os.cpu_count()
    body = (f"<!-- bench:{name} -->\n## {name}\n\nRun on {date.today().isoformat()}, "
            f"{cpus} CPU(s).\n\n```text\n{output.rstrip()}\n```\n<!-- /bench:{name} -->")
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    text = pattern.sub(lambda _: body, text) if pattern.search(text) else (
        text.rstrip() + "\n\n" + body + "\n")
    DOC.write_text(text, encoding="utf-8")


def run(selected: list[str]) -> int:
    for name in selected:
        module = importlib.import_module(f"bench.{name}")
        out = _Tee()
        with contextlib.redirect_stdout(out):
            module.main()
        update_section(name, out.getvalue())
    return 0


if __name__ == "__main__":
    wanted = sys.argv[1:] or names()
    unknown = [n for n in wanted if n not in names()]
    if unknown:
        sys.exit(f"bench: no benchmark called {', '.join(unknown)} "
                 f"(there are {', '.join(names())}).")
    sys.exit(run(wanted))
