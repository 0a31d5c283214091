"""Every print and export is made for an audience (careplan.export.audience): records of
agencies that may not receive them are left out, the document says what was withheld and
why, and an audience that may receive nothing is refused in one sentence with no file.

The demo's Niamh Byrne refused consent to Northbridge Homes three weeks before the demo's
day; two actions of her plan are Northbridge Homes'. Arthur Jenkins' record was opened in
an emergency by the hospital's discharge coordinator."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from careplan.cli import main
from careplan.demo.build import build_demo
from careplan.export.audience import NothingShared, audience_for, audience_of
from careplan.export.audit_pdf import audit_pdf
from careplan.export.fhir_export import export_fhir
from careplan.export.plan_pdf import plan_pdf
from careplan.export.tables import write_table
from careplan.models import Agency, Person, Professional
from careplan.models.enums import Role
from careplan.models.sharing_basis import day_text
from careplan.store import Store, find
from careplan.store.visibility import NotSharedError, Viewer, viewer_for

TODAY = date(2026, 11, 22)
REFUSED = day_text(TODAY - timedelta(days=21))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store.open(str(tmp_path_factory.mktemp("demo") / "demo.db"))
    build_demo(s, persons=120, seed=7, today=TODAY)
    yield s
    s.close()


def _agency(store: Store, name: str) -> Agency:
    (a,) = find(store, Agency, name=name)
    return a


def _person(store: Store, given: str, family: str) -> Person:
    (p,) = find(store, Person, given_name=given, family_name=family)
    return p


def _reader(store: Store, agency: Agency) -> Viewer:
    pro = find(store, Professional, agency_id=agency.id)[0]
    return viewer_for(store, pro.id)


def _text(path: Path) -> str:
    return " ".join("".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_joint_plan_for_the_lead_agency_lists_what_was_withheld(demo: Store,
                                                                tmp_path: Path) -> None:
    niamh = _person(demo, "Niamh", "Byrne")
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    out = plan_pdf(demo, niamh.id, tmp_path / "plan.pdf", printed_by="Tester", today=TODAY,
                   audience=audience_of(demo, asc.id), reader=_reader(demo, asc))
    flat = _text(out)
    assert "Withheld from this copy" in flat
    assert f"This copy is for {asc.name}" in flat
    assert f"2 actions of Northbridge Homes withheld: consent refused on {REFUSED}." in flat
    assert "Tenancy sustainment visits" not in flat
    assert "Rent arrears repayment plan" not in flat
    assert "Welfare benefits check" in flat  # her social worker's own action stays
    # Her tenancy need has only Northbridge Homes' actions: withheld, not "none yet".
    assert "Its actions are withheld from this copy (see above)." in flat
    assert "No actions yet for this need" not in flat


def test_joint_plan_for_an_agency_she_refused_is_refused_with_no_file(demo: Store,
                                                                     tmp_path: Path) -> None:
    niamh = _person(demo, "Niamh", "Byrne")
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    homes = _agency(demo, "Northbridge Homes")
    out = tmp_path / "homes.pdf"
    with pytest.raises(NothingShared) as err:
        plan_pdf(demo, niamh.id, out, printed_by="Tester", today=TODAY,
                 audience=audience_of(demo, homes.id), reader=_reader(demo, asc))
    message = str(err.value)
    assert "Northbridge Homes" in message and message.endswith(".")
    assert "\n" not in message
    assert not out.exists()
    # Nor may a professional of Northbridge Homes print it for themselves.
    with pytest.raises(NotSharedError):
        plan_pdf(demo, niamh.id, out, printed_by="Tester", today=TODAY,
                 audience=audience_of(demo, homes.id), reader=_reader(demo, homes))
    assert not out.exists()


def test_an_account_of_no_agency_may_print_for_no_one(demo: Store) -> None:
    with pytest.raises(NotSharedError, match="belongs to no professional"):
        audience_for(demo, Viewer(None, None, "admin"))
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    assert audience_for(demo, _reader(demo, asc)).agency_id == asc.id  # by default: own


def test_a_table_for_an_audience_leaves_out_and_counts_persons(demo: Store,
                                                               tmp_path: Path) -> None:
    homes = _agency(demo, "Northbridge Homes")
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    out = tmp_path / "caseload.csv"
    n = write_table(demo, "caseload", out, TODAY, audience=audience_of(demo, homes.id),
                    reader_agency_id=homes.id)
    text = out.read_text(encoding="utf-8-sig")
    assert "Byrne" not in text
    notes = [line for line in text.splitlines() if line.startswith("# ")]
    assert notes[0].startswith("# OFFICIAL-SENSITIVE: PERSONAL.")  # the marking first
    assert notes[1] == "# This table is for Northbridge Homes."
    assert any("left out: their records are not shared with Northbridge Homes." in line
               for line in notes)
    rows = list(csv.reader(line for line in text.splitlines()
                           if line and not line.startswith("# ")))
    assert len(rows) - 1 == n and n > 0
    # For adult social care: her two Northbridge Homes actions are withheld and said so.
    actions = tmp_path / "actions.csv"
    write_table(demo, "actions", actions, TODAY, audience=audience_of(demo, asc.id),
                reader_agency_id=asc.id)
    text = actions.read_text(encoding="utf-8-sig")
    assert "Tenancy sustainment visits" not in text
    assert "actions of Northbridge Homes withheld" in text


def test_a_table_for_an_audience_that_may_see_no_one_is_refused(demo: Store,
                                                                tmp_path: Path) -> None:
    nobody = Agency(name="Nobody's Agency", sector="voluntary", kind="voluntary")
    from careplan.store import add

    nobody = add(demo, nobody, "test")
    out = tmp_path / "empty.csv"
    with pytest.raises(NothingShared) as err:
        write_table(demo, "caseload", out, TODAY, audience=audience_of(demo, nobody.id),
                    reader_agency_id=nobody.id)
    assert "Nobody's Agency" in str(err.value)
    assert not out.exists()


def test_fhir_export_carries_consents_and_what_was_withheld(demo: Store,
                                                           tmp_path: Path) -> None:
    niamh = _person(demo, "Niamh", "Byrne")
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    homes = _agency(demo, "Northbridge Homes")
    out = tmp_path / "niamh.json"
    export_fhir(demo, out, [niamh.id], audience=audience_of(demo, asc.id),
                reader=_reader(demo, asc), today=TODAY)  # validated with fhir.resources
    bundle = json.loads(out.read_text(encoding="utf-8"))
    resources = [e["resource"] for e in bundle["entry"]]
    consents = [r for r in resources if r["resourceType"] == "Consent"]
    refused = [c for c in consents
               if c["provision"]["actor"][0]["reference"]["reference"].endswith(homes.id)]
    assert refused and refused[-1]["provision"]["type"] == "deny"
    assert refused[-1]["scope"]["coding"][0]["code"] == "patient-privacy"
    assert refused[-1]["category"][0]["coding"][0] == {
        "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
    assert any(c["provision"]["type"] == "permit" for c in consents)
    lists = [r for r in resources if r["resourceType"] == "List"]
    notes = [n["text"] for r in lists for n in r.get("note", [])]
    assert f"2 actions of Northbridge Homes withheld: consent refused on {REFUSED}." in notes
    assert all(r["emptyReason"]["coding"][0]["code"] == "withheld" for r in lists)
    texts = json.dumps(resources)
    assert "Tenancy sustainment visits" not in texts


def test_fhir_ndjson_for_an_audience_says_what_was_withheld(demo: Store,
                                                           tmp_path: Path) -> None:
    from careplan.export.fhir_ndjson import export_ndjson

    niamh = _person(demo, "Niamh", "Byrne")
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    homes = _agency(demo, "Northbridge Homes")
    out = tmp_path / "bulk"
    result = export_ndjson(demo, out, [niamh.id], audience=audience_of(demo, asc.id),
                           reader=_reader(demo, asc), today=TODAY)
    bundle = export_fhir(demo, tmp_path / "niamh.json", [niamh.id],
                         audience=audience_of(demo, asc.id), reader=_reader(demo, asc),
                         today=TODAY)
    assert result.persons == 1 and result.records_withheld == bundle.records_withheld >= 2
    lists = [json.loads(line) for line in
             (out / "List.ndjson").read_text(encoding="utf-8").splitlines()]
    notes = [n["text"] for r in lists for n in r.get("note", [])]
    assert f"2 actions of Northbridge Homes withheld: consent refused on {REFUSED}." in notes
    everything = "".join(p.read_text(encoding="utf-8") for p in out.glob("*.ndjson"))
    assert "Tenancy sustainment visits" not in everything
    # Nothing at all for an agency she refused: refused, and no folder is made.
    with pytest.raises(NothingShared):
        export_ndjson(demo, tmp_path / "none", [niamh.id], audience=audience_of(demo, homes.id),
                      reader=_reader(demo, asc), today=TODAY)
    assert not (tmp_path / "none").exists()


def test_fhir_export_for_an_audience_of_no_one_is_refused(demo: Store, tmp_path: Path) -> None:
    niamh = _person(demo, "Niamh", "Byrne")
    homes = _agency(demo, "Northbridge Homes")
    asc = _agency(demo, "Northbridge Council Adult Social Care")
    out = tmp_path / "none.json"
    with pytest.raises(NothingShared):
        export_fhir(demo, out, [niamh.id], audience=audience_of(demo, homes.id),
                    reader=_reader(demo, asc), today=TODAY)
    assert not out.exists()


def test_handoff_audit_reports_emergency_access(demo: Store, tmp_path: Path) -> None:
    dn = _agency(demo, "Northbridge Community Health: District Nursing")
    lead = next(p for p in find(demo, Professional, agency_id=dn.id)
                if p.role is Role.COMMUNITY_NURSE)
    out = audit_pdf(demo, tmp_path / "audit.pdf", start=TODAY - timedelta(days=30), end=TODAY,
                    today=TODAY, printed_by="Tester", audience=audience_of(demo, dn.id),
                    reader=viewer_for(demo, lead.id))
    flat = _text(out)
    assert "Arthur Jenkins" in flat
    assert "Brought to the emergency department confused and alone" in flat


def test_the_command_line_prints_for_the_readers_agency_or_a_named_audience(
        demo: Store, tmp_path: Path, demo_signed_in, capsys) -> None:  # type: ignore[no-untyped-def]
    niamh = _person(demo, "Niamh", "Byrne")
    db = demo.path
    user = demo_signed_in(db, "reader")  # a manager of adult social care
    out = tmp_path / "niamh.pdf"
    argv = ["export", "plan-pdf", "--db", db, *user, "--nhs", niamh.nhs_number or "",
            "--today", TODAY.isoformat()]
    assert main([*argv, "--out", str(out)]) == 0
    assert f"2 actions of Northbridge Homes withheld: consent refused on {REFUSED}." in _text(out)
    capsys.readouterr()
    refused = tmp_path / "homes.pdf"
    assert main([*argv, "--audience", "Northbridge Homes", "--out", str(refused)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("careplan: ") and err.count("\n") == 1 and "Northbridge Homes" in err
    assert not refused.exists()
