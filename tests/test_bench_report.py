"""make bench rewrites docs/benchmarks.md from its figures and keeps the notes written by
hand under "Issue" headings (before -> after tables), which a rerun used to drop."""

from __future__ import annotations

from bench.report import kept_notes

PAGE = """# Benchmarks

## Figures

| a | b |

## Details

### demo_bench

```text
measured
```

### Issue 17: demo generation, before → after

| Run | Demo |
|---|---|

### flags_bench

```text
flags
```

## Issue 17: the table exports, before → after

- caseload to CSV: 22.7 s → 2.0 s
"""


def test_the_notes_under_issue_headings_are_kept_and_nothing_else() -> None:
    kept = kept_notes(PAGE)
    assert kept == [
        "### Issue 17: demo generation, before → after", "", "| Run | Demo |", "|---|---|",
        "", "## Issue 17: the table exports, before → after", "",
        "- caseload to CSV: 22.7 s → 2.0 s", ""]


def test_a_page_without_notes_keeps_nothing() -> None:
    assert kept_notes("# Benchmarks\n\n## Figures\n") == []
