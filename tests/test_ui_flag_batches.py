"""The caseload's flags are found batch by batch (bounded memory) with the same result
as all at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from export_sample import share_with_reader

from careplan.demo.build_file import build_demo_file
from careplan.store import Store
from careplan.ui import flagsource
from careplan.ui.workers import Job


def test_batches_give_the_same_summaries(tmp_path: Path, qtbot,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.db"
    build_demo_file(path, persons=300, seed=2, today=date(2026, 11, 22), parallel=False,
                    encrypted=False)
    # A year on, many reviews are overdue: most persons are flagged.
    later = date(2027, 11, 22)
    with Store.open(path, create=False) as store:  # a reader who may see everyone
        reader = share_with_reader(store)["reader"]
    whole = flagsource.load_flag_summaries(str(path), later, Job(), reader)
    monkeypatch.setattr(flagsource, "BATCH", 7)
    batched = flagsource.load_flag_summaries(str(path), later, Job(), reader)
    assert len(whole) > 100
    assert batched == whole
