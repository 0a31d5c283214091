"""FHIR Bulk Data style export (``careplan export fhir-ndjson``): one NDJSON file per
resource type and a manifest, in a new folder made aside and renamed into place. Every
line is one resource that validates as R4; every resource of the Bundle export is there
once; the folder is never put over one with files in it, nor over the store's own files,
a file, a link or the backups; a refusal is one sentence naming --out, exit 2, nothing
written, nothing left behind."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from export_sample import NHS, TODAY, build, reader_of_everyone, share_with_reader
from fhir.resources.R4B import get_fhir_model_class

from careplan.cli import main
from careplan.export import fhir_codes as fc
from careplan.export.fhir_export import export_fhir
from careplan.export.fhir_ndjson import MANIFEST, export_ndjson
from careplan.export.outfile import OutRefused
from careplan.store import Store
from careplan.store.backup import backup_dir

Key = tuple[str, str]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        build(store)
        build(store, nhs="9876543210", given="Ben", family="Other")
    return path


def for_everyone(store: Store) -> dict[str, Any]:
    """``audience=``, ``reader=`` and ``today=`` of an export by and for an agency every
    person of the store consented to share with (nothing is withheld)."""
    made = share_with_reader(store)
    made.pop("professional_id")
    return {**made, "today": TODAY}


def lines(folder: Path) -> dict[Key, dict[str, Any]]:
    """Every resource of the folder's NDJSON files, checked as it is read: one JSON
    object a line, of the file's type, valid R4, its key met once."""
    found: dict[Key, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.ndjson")):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n")
        for line in text.splitlines():
            res = json.loads(line)
            assert res["resourceType"] == path.stem
            get_fhir_model_class(res["resourceType"]).model_validate(res)
            fc.check_codes(res)
            key = (res["resourceType"], res["id"])
            assert key not in found, key
            found[key] = res
    return found


def bundle(path: Path) -> dict[Key, dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {(e["resource"]["resourceType"], e["resource"]["id"]): e["resource"]
            for e in doc["entry"]}


def test_every_bundle_resource_is_one_valid_line(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulk"
    with Store.open(db, create=False) as store:
        reader = for_everyone(store)
        result = export_ndjson(store, out, **reader)
        export_fhir(store, tmp_path / "bundle.json", **reader)
    found = lines(out)
    assert found == bundle(tmp_path / "bundle.json")
    assert result.resources == len(found) and result.persons == 2
    assert {p.name for p in out.iterdir()} == {f"{t}.ndjson" for t in result.files} | {
        MANIFEST}


def test_manifest_is_a_bulk_data_status_response(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulk"
    with Store.open(db, create=False) as store:
        result = export_ndjson(store, out, **for_everyone(store))
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest) == {"transactionTime", "request", "requiresAccessToken", "output",
                             "error"}
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    get_fhir_model_class("Bundle").model_validate(  # an instant, as FHIR writes it
        {"resourceType": "Bundle", "type": "collection",
         "timestamp": manifest["transactionTime"]})
    assert [o["type"] for o in manifest["output"]] == list(result.files)
    for item in manifest["output"]:
        assert item["url"] == f"{item['type']}.ndjson"
        assert item["count"] == len((out / item["url"]).read_text().splitlines())
    assert sum(o["count"] for o in manifest["output"]) == result.resources


def test_one_person_by_the_command_line(db: Path, tmp_path: Path,
                                        signed_in: Callable[..., list[str]],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    user = reader_of_everyone(db, signed_in)
    out = tmp_path / "one"
    out.mkdir()  # an empty folder may be named: it is replaced
    assert main(["export", "fhir-ndjson", "--db", str(db), "--out", str(out),
                 "--nhs", NHS, *user]) == 0
    assert "FHIR R4 NDJSON of 1 persons" in capsys.readouterr().out
    found = lines(out)
    assert [k for k in found if k[0] == "Patient"] and len(
        [k for k in found if k[0] == "Patient"]) == 1
    refs = {f"{t}/{i}" for t, i in found}
    for res in found.values():
        for text in _refs(res):
            assert text in refs, text


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        own = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return own + [x for k, v in value.items() if k != "reference" for x in _refs(v)]
    if isinstance(value, list):
        return [x for v in value for x in _refs(v)]
    return []


def _refused(db: Path, out: Path, user: list[str], capsys: pytest.CaptureFixture[str],
             says: str) -> None:
    watch = out.parent if out.parent.exists() else out.parent.parent
    before = sorted(os.listdir(watch))
    assert main(["export", "fhir-ndjson", "--db", str(db), "--out", str(out), *user]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("careplan: --out: ") and says in err, err
    assert err.count(". ") == 0 and err.endswith(".")  # one sentence
    assert sorted(os.listdir(watch)) == before  # nothing written, nothing left


def test_refusals(db: Path, tmp_path: Path, signed_in: Callable[..., list[str]],
                  capsys: pytest.CaptureFixture[str]) -> None:
    user = signed_in(db)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine", encoding="utf-8")
    _refused(db, full, user, capsys, "folder with files in it")
    assert os.listdir(full) == ["keep.txt"]
    _refused(db, db, user, capsys, "the store being exported")
    _refused(db, Path(f"{db}-wal"), user, capsys, "write-ahead log")
    plain = tmp_path / "plain.txt"
    plain.write_text("mine", encoding="utf-8")
    _refused(db, plain, user, capsys, "is a file; name a folder")
    assert plain.read_text(encoding="utf-8") == "mine"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    _refused(db, link, user, capsys, "symbolic link")
    backups = backup_dir(db)
    backups.mkdir(exist_ok=True)
    _refused(db, backups / "bulk", user, capsys, "backups folder")
    _refused(db, backups, user, capsys, "backups folder")
    _refused(db, tmp_path / "no" / "such", user, capsys, "does not exist")


def test_a_folder_filled_meanwhile_is_left_as_it_is(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulk"
    out.mkdir()
    with Store.open(db, create=False) as store:
        progress_seen: list[int] = []

        def fill(done: int, total: int) -> None:  # someone saves a file there meanwhile
            progress_seen.append(done)
            (out / "theirs.txt").write_text("theirs", encoding="utf-8")

        with pytest.raises(OutRefused, match="folder with files in it"):
            export_ndjson(store, out, progress=fill, **for_everyone(store))
    assert progress_seen
    assert os.listdir(out) == ["theirs.txt"]
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]
