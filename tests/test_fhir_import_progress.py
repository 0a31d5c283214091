"""A FHIR import reports its progress over its three passes (the resources read, mapped,
their records written) and can be stopped in any of them, or at its commit, as the app's
Cancel stops it: nothing is written, the audit log still verifies, no worker is left."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from careplan.export import fhir_import, fhir_read
from careplan.export.fhir_import import STEPS, import_fhir
from careplan.store import Store, audit_check

PATIENTS = 120


class Stop(Exception):
    """What the app's Cancel raises through ``progress`` (careplan.ui.workers.Cancelled)."""


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several reports in each pass of a small file."""
    monkeypatch.setattr(fhir_read, "EVERY", 25)
    monkeypatch.setattr(fhir_import, "WRITE_EVERY", 40)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    entries = [{"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
                "resource": {"resourceType": "Patient", "id": f"p{i}",
                             "name": [{"family": "Khan", "given": [f"A{i}"]}],
                             "birthDate": "1988-07-14"},
                "request": {"method": "PUT", "url": f"Patient/p{i}"}}
               for i in range(PATIENTS)]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "transaction",
                                "entry": entries}), encoding="utf-8")
    return path


def _state(store: Store) -> dict[str, Any]:
    return {table: store.query(f"SELECT * FROM {table}")
            for table in ("persons", "audit_events", "audit_heads")}


def test_progress_runs_once_through_the_three_passes(bundle: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    committed: list[bool] = []
    with Store.open(tmp_path / "store.db") as store:
        report = import_fhir(store, bundle, workers=0,
                             progress=lambda done, total: seen.append((done, total)),
                             committing=lambda: committed.append(True))
        assert len(store.query("SELECT id FROM persons")) == PATIENTS
    assert "Imported" in "\n".join(report.lines())
    assert committed == [True]
    assert {total for _, total in seen} == {3 * STEPS}
    done = [d for d, _ in seen]
    assert done[0] == 0 and done[-1] == 3 * STEPS and done == sorted(done)
    for phase in range(3):  # each pass reports more than once
        assert sum(phase * STEPS <= d < (phase + 1) * STEPS for d in done) > 1, (phase, done)


@pytest.mark.parametrize("workers", [0, 1])
@pytest.mark.parametrize("phase", [0, 1, 2])
def test_stopped_in_any_pass_writes_nothing(bundle: Path, tmp_path: Path, phase: int,
                                            workers: int) -> None:
    def progress(done: int, total: int) -> None:
        if done > phase * STEPS:
            raise Stop

    with Store.open(tmp_path / "store.db") as store:
        import_fhir(store, bundle, workers=0)
        before = _state(store)
        again = tmp_path / "again.json"  # other persons, so that something would be added
        again.write_text(bundle.read_text(encoding="utf-8").replace('"p', '"q'),
                         encoding="utf-8")
        with pytest.raises(Stop):
            import_fhir(store, again, workers=workers, progress=progress)
        assert _state(store) == before
        assert not store.conn.in_transaction
        verified = audit_check.verify(store)
        assert verified is not None and verified.ok, verified
    assert not multiprocessing.active_children()


def test_stopped_at_the_commit_writes_nothing(bundle: Path, tmp_path: Path) -> None:
    def refuse() -> None:
        raise Stop

    with Store.open(tmp_path / "store.db") as store:
        before = _state(store)
        with pytest.raises(Stop):
            import_fhir(store, bundle, workers=1, committing=refuse)
        assert _state(store) == before and not store.conn.in_transaction
    assert not multiprocessing.active_children()
