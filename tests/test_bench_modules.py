"""``make bench`` (``python -m bench``) imports every ``bench/*_bench.py`` and calls its
``main()`` with no arguments: a benchmark whose ``main`` needs one stopped the whole run
(the search benchmark's did)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from bench.__main__ import names


@pytest.mark.parametrize("name", names())
def test_every_benchmark_runs_from_make_bench(name: str) -> None:
    main = importlib.import_module(f"bench.{name}").main
    needed = [p.name for p in inspect.signature(main).parameters.values()
              if p.default is inspect.Parameter.empty
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    assert needed == [], f"bench.{name}.main needs {needed}"
