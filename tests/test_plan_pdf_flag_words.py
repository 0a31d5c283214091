"""The joint plan PDF's "Open flags" table names each flag in words, as the screens do
(careplan.models.flags.flag_label), never by its code; read back with pypdf."""

from __future__ import annotations

import re
from pathlib import Path

from export_sample import TODAY, build, prints
from pypdf import PdfReader

from careplan.export.flags import open_flags
from careplan.export.plan_pdf import plan_pdf
from careplan.models.flags import FlagCode, flag_label
from careplan.store import Store


def _flags_section(path: Path) -> str:
    whole = " ".join(re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(path).pages)
    return whole[whole.index("Open flags"):whole.index("Needs, outcomes and actions")]


def test_open_flags_are_printed_in_words_not_codes(store: Store, tmp_path: Path) -> None:
    sample = build(store, actions=3)
    found = open_flags(store, [sample.person.id], TODAY)
    assert found, "the sample must raise flags for this test to mean anything"
    out = plan_pdf(store, sample.person.id, tmp_path / "plan.pdf", printed_by="Sue Marsh",
                   today=TODAY, **prints(store))
    section = _flags_section(out)
    for flag in found:
        words = flag_label(flag.code)
        assert words != flag.code.value
        assert words in section
        assert flag.code.value not in section  # "action-unowned" is for machines
    assert FlagCode.HANDOFF_UNACKNOWLEDGED in {f.code for f in found}
    assert "Handoff not answered" in section and "handoff-unacknowledged" not in section


def test_every_flag_code_has_words() -> None:
    for code in FlagCode:
        words = flag_label(code)
        assert words and words != code.value and "-" not in words.split()[0]
    assert flag_label("a-code-from-a-newer-version") == "a-code-from-a-newer-version"
