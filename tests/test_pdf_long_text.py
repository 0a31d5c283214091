"""PDFs never hang or fail on long text.

An older store may hold text longer than the limits allow now (careplan.models.limits);
the stores here are made so by SQL. Each print runs as ``careplan export`` in a process
of its own with a generous timeout, so a regression fails instead of hanging the suite
(a 10 MB name once kept the plan PDF busy for more than five minutes). What is checked
is the output: the PDF reads back, shows the first part of the text and says how much
was cut. Text the domain accepts, however long, prints whole.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from export_sample import NHS, TODAY, build, reader_of_everyone
from pypdf import PdfReader

from careplan.demo.build import build_demo
from careplan.demo.generator import MIN_PERSONS
from careplan.models import Action, CaseConference, Person, ReferralEvent, nhs
from careplan.store import Store, find, get, update

#: Seconds one print may take before the test fails; each takes a second or two.
TIMEOUT = 120
TEN_MB = 10 * 1024 * 1024
#: Where a print cuts one text (pdf_common.MAX_TEXT).
CUT = 12_000
MB = 1024 * 1024
WORDS = "nothing entered is ever lost "


def _words(n: int) -> str:
    return (WORDS * (n // len(WORDS) + 1))[:n]


def _export(*argv: str) -> None:
    """``careplan export`` in a process of its own, signed in as ``USER`` (its password
    file named in the environment the child inherits)."""
    done = subprocess.run([sys.executable, "-m", "careplan", "export", *argv, *USER],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


#: ``--user`` of the account that prints (set by each test through ``signed_in``).
USER: list[str] = []


def _text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


def _squeezed(text: str) -> str:
    """``text`` without the line breaks a narrow column puts in a long word."""
    return text.replace(" ", "")


def _sql(path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Write straight into the store, past the domain's limits, as an old version might."""
    conn = sqlite3.connect(path)
    try:
        for sql, params in statements:
            assert conn.execute(sql, params).rowcount > 0, sql
        conn.commit()
    finally:
        conn.close()


def test_plan_audit_and_minutes_of_enormous_text_finish_with_a_mark(
        tmp_path: Path, signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "old.db"
    with Store.open(db) as store:
        sample = build(store)
    assert sample.conference is not None
    ld = sample.agencies["ld"].id  # in the referral's steps and at the case conference
    manager = sample.profs["mgr"].id  # who prints (signed in), named on every page
    USER[:] = signed_in(db, "sue.marsh", "manager", manager)
    _sql(db,
         ("UPDATE persons SET given_name = ?, what_matters = ? WHERE nhs_number = ?",
          ("J" * TEN_MB, "M" * MB, NHS)),
         ("UPDATE actions SET description = ? WHERE description LIKE 'Step 1:%'",
          (_words(MB),)),
         ("UPDATE agencies SET name = name || ? WHERE id = ?", ("Z" * 30_000, ld)),
         ("UPDATE case_conferences SET decisions = ?",
          (json.dumps([_words(MB), "D" * MB]),)),
         ("UPDATE referral_events SET reason = ? WHERE reason != ''", (_words(MB),)),
         ("UPDATE professionals SET name = ? WHERE id = ?", ("S" * MB, manager)))
    plan, audit, minutes = (tmp_path / f"{n}.pdf" for n in ("plan", "audit", "minutes"))
    common = ("--db", str(db), "--today", TODAY.isoformat())

    _export("plan-pdf", *common, "--nhs", NHS, "--out", str(plan))
    reader = PdfReader(plan)
    assert reader.metadata is not None and len(reader.metadata.author or "") <= 200
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in reader.pages]
    whole = " ".join(pages)
    # The name (10,485,760 + " Khan") is cut at 12,000 characters, with the count.
    assert f"[truncated: {TEN_MB + 5 - CUT:,} more characters]" in whole
    assert f"[truncated: {MB + 2 - CUT:,} more characters]" in whole  # what matters, quoted
    assert f"[truncated: {MB - CUT:,} more characters]" in whole  # an action
    assert "J" * 50 in whole and "M" * 50 in whole
    for page in pages:  # the running header still shows whose plan it is; one line each
        assert f"NHS {nhs.format_334(NHS)} · plan version 3" in page
        assert re.search(r"Printed by S{20,}… for .+ on \d\d \w{3} \d{4}", page)
        assert len(page) < 20_000

    _export("handoff-audit", *common, "--from", "2024-01-01", "--out", str(audit))
    text = _text(audit)
    assert f"[truncated: {TEN_MB + 5 - CUT:,} more characters]" in text  # the person's name
    assert "[truncated: 18,099 more characters]" in text  # "5. 09 Jan redirected ... LD"
    assert "more characters]" in text.split("Referral disputes")[-1]  # a decline reason

    _export("minutes", "--db", str(db), "--conference", sample.conference.id,
            "--out", str(minutes))
    text = _text(minutes)
    assert text.count(f"[truncated: {MB + 3 - CUT:,} more characters]") == 2  # "1. " ...
    assert "D" * 50 in text
    assert "[truncated: 18,035 more characters]" in text  # the LD nurse's team


def test_funding_report_of_enormous_text_finishes_with_a_mark(
        tmp_path: Path, signed_in: Callable[..., list[str]]) -> None:
    db = tmp_path / "demo.db"
    with Store.open(db) as store:
        build_demo(store, persons=MIN_PERSONS, seed=1, today=date(2025, 3, 10))
    USER[:] = reader_of_everyone(db, signed_in)  # the report covers every person
    _sql(db,
         ("UPDATE persons SET given_name = ? WHERE id = "
          "(SELECT person_id FROM personal_budgets ORDER BY id LIMIT 1)", ("P" * TEN_MB,)),
         ("UPDATE actions SET description = ? WHERE id IN (SELECT action_id FROM action_costs "
          "WHERE funding_status = 'disputed')", ("N" * MB,)),
         ("UPDATE funding_streams SET name = ? WHERE id = (SELECT stream_id FROM "
          "action_funders ORDER BY id LIMIT 1)", (_words(MB),)))
    out = tmp_path / "funding.pdf"
    _export("funding", "--db", str(db), "--today", "2025-03-10", "--out", str(out))
    text = _text(out)
    assert f"[truncated: {MB - CUT:,} more characters]" in text  # a stream's name
    assert "P" * 50 in _squeezed(text) and "N" * 50 in _squeezed(text)
    assert f"[truncated: {MB - CUT:,} more characters]" in text  # the disputed action
    # The person: 10 MB of given name, a space and a family name, less what was shown.
    assert re.search(r"\[truncated: 10,47\d,\d{3} more characters\]", text)


def test_the_longest_text_the_domain_accepts_prints_whole(
        tmp_path: Path, signed_in: Callable[..., list[str]]) -> None:
    """Ten thousand characters in one table cell (taller than a page) and in a paragraph:
    the row is split across pages instead of failing the print, and nothing is cut."""
    db = tmp_path / "long.db"
    end = " END-OF-THE-TEXT"
    one_word = "W" * (10_000 - len(end)) + end
    with Store.open(db) as store:
        sample = build(store, given="G" * 200, family="F" * 200)
        person = get(store, Person, sample.person.id)
        update(store, person.evolve(what_matters=_words(10_000 - len(end)) + end), "test")
        step = next(a for a in find(store, Action) if a.description.startswith("Step 2:"))
        update(store, step.evolve(description=one_word), "test")
        conf = get(store, CaseConference, sample.conference.id)  # type: ignore[union-attr]
        update(store, conf.evolve(decisions=(_words(10_000 - len(end)) + end, one_word)),
               "test")
        reason = next(e for e in find(store, ReferralEvent) if e.reason)
        update(store, reason.evolve(reason=one_word), "test")
    USER[:] = signed_in(db, "sue.marsh", "manager", sample.profs["mgr"].id)
    plan, audit, minutes = (tmp_path / f"{n}.pdf" for n in ("plan", "audit", "minutes"))
    _export("plan-pdf", "--db", str(db), "--today", TODAY.isoformat(), "--nhs", NHS,
            "--out", str(plan))
    _export("handoff-audit", "--db", str(db), "--today", TODAY.isoformat(),
            "--from", "2024-01-01", "--out", str(audit))
    _export("minutes", "--db", str(db), "--conference", conf.id, "--out", str(minutes))
    for pdf, ends in ((plan, 2), (audit, 1), (minutes, 2)):
        text = _text(pdf)
        assert "truncated" not in text
        assert text.count("END-OF-THE-TEXT") >= ends, pdf.name
    assert "G" * 200 in _squeezed(_text(plan))
