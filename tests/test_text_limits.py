"""Every text field of every record has a maximum length and refuses control characters.

The limits are in careplan/models/limits.py. A value over its field's limit is refused
at construction with one sentence naming the field, the limit and the length; a value
exactly at the limit is accepted. Rows an older store already holds stay readable.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplan.cli import main
from careplan.models import ENTITY_TYPES, Entity, Person, limits
from careplan.models.base import FieldSpec, field_specs, label
from careplan.store import Store, add_many, get
from tests.factories import one_of_each

RECORDS = one_of_each()
BASE = {type(e): e for e in RECORDS}
#: Every text field: (record type, field). Lists of text count item by item.
TEXT_FIELDS = [(cls, spec) for cls in ENTITY_TYPES for spec in field_specs(cls)
               if spec.kind is str]
#: Fields whose content has a rule of its own besides length (an NHS number is 10 digits):
#: at the limit they are refused by that rule, never by the length.
SHAPED = {"nhs_number"}


def _with(spec: FieldSpec, base: Entity, text: str) -> dict[str, Any]:
    """The change that puts ``text`` in the field (the first item of a list field)."""
    if not spec.is_tuple:
        return {spec.name: text}
    items = list(getattr(base, spec.name)) or [""]
    items[0] = text
    return {spec.name: tuple(items)}


def _where(spec: FieldSpec) -> str:
    return f"{label(spec.name)}, item 1" if spec.is_tuple else label(spec.name)


def _visible(multiline: bool) -> st.SearchStrategy[str]:
    """A short run of text the field allows, with something visible in it."""
    chars = st.characters(blacklist_categories=("Cc", "Cs"))
    if multiline:
        chars = chars | st.sampled_from("\t\n\r")
    return st.text(chars, min_size=1, max_size=12).filter(lambda s: s.strip() != "")


def _of_length(piece: str, n: int) -> str:
    return (piece * (n // len(piece) + 1))[:n]


def test_every_text_field_of_every_record_has_a_limit() -> None:
    assert len(TEXT_FIELDS) > 80
    for cls, spec in TEXT_FIELDS:
        assert spec.text is not None, f"{cls.__name__}.{spec.name}"
        assert spec.max_chars == spec.text.chars
    # The classes documented in models/limits.py.
    assert limits.NAME.chars == 200 and limits.CODE.chars == 100
    assert limits.FREE_TEXT.chars == limits.LONGEST == 10_000


def test_a_new_text_field_without_a_limit_is_a_programming_error() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Unlimited(Entity):
        nickname: str

    with pytest.raises(TypeError, match=r"Unlimited\.nickname: every text field needs a limit"):
        Unlimited(nickname="Jo")


@pytest.mark.parametrize(("cls", "spec"), TEXT_FIELDS,
                         ids=[f"{c.__name__}.{s.name}" for c, s in TEXT_FIELDS])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_over_long_text_is_refused_naming_the_field_and_at_limit_text_is_accepted(
        cls: type[Entity], spec: FieldSpec, data: st.DataObject) -> None:
    assert spec.text is not None
    base = BASE[cls]
    limit = spec.text.chars
    piece = data.draw(_visible(spec.text.multiline), label="piece")
    over = data.draw(st.integers(limit + 1, limit + 3 * limit), label="length")
    with pytest.raises(ValueError) as refused:
        base.evolve(**_with(spec, base, _of_length(piece, over)))
    assert str(refused.value) == (f"{_where(spec)}: at most {limit:,} characters "
                                  f"(this one has {over:,})")

    at_limit = _of_length(piece, limit)
    if spec.name in SHAPED:
        with pytest.raises(ValueError) as shaped:
            base.evolve(**_with(spec, base, at_limit))
        assert "at most" not in str(shaped.value)
        return
    made = base.evolve(**_with(spec, base, at_limit))
    got = getattr(made, spec.name)
    assert (got[0] if spec.is_tuple else got) == at_limit


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x0c", "\x7f", "\x85"])
def test_control_characters_are_refused_in_any_text(char: str) -> None:
    person = BASE[Person]
    with pytest.raises(ValueError, match=rf"^what matters: control character "
                                         rf"U\+{ord(char):04X} at character 5 "):
        person.evolve(what_matters=f"Home{char}")
    with pytest.raises(ValueError, match=rf"^family name: control character "
                                         rf"U\+{ord(char):04X} at character 3 "):
        person.evolve(family_name=f"Le{char}e")


def test_free_text_may_break_lines_but_a_name_is_one_line() -> None:
    person = BASE[Person]
    kept = person.evolve(what_matters="Home.\r\n\tMy cat.\nMy sister.",
                         address="12 Mill Lane\nNorthfield")
    assert kept.what_matters == "Home.\r\n\tMy cat.\nMy sister."
    with pytest.raises(ValueError, match=r"^given name: must be one line \(a line break at "
                                         r"character 4\)$"):
        person.evolve(given_name="Ada\nLovelace")
    with pytest.raises(ValueError, match=r"^given name: must be one line \(a tab at "):
        person.evolve(given_name="Ada\tB")
    # Characters that are not control characters stay: no-break space, joiners, emoji.
    assert person.evolve(given_name="Zoë\u00a0Anne\u200d👩‍👧").given_name.startswith("Zoë")


def test_a_ten_megabyte_name_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match=r"^given name: at most 200 characters "
                                         r"\(this one has 10,485,760\)$"):
        BASE[Person].evolve(given_name="A" * 10_485_760)


def test_an_older_store_with_over_long_text_is_still_readable(tmp_path: Path) -> None:
    """A row written before the limits (here by SQL) reads back as stored; saving it
    again after an edit is what the limit refuses."""
    path = tmp_path / "old.db"
    with Store.open(path) as store:
        add_many(store, RECORDS, "setup")
    person = BASE[Person]
    conn = sqlite3.connect(path)
    conn.execute("UPDATE persons SET given_name = ?, what_matters = ? WHERE id = ?",
                 ("A" * 100_000, "line\x00break", person.id))
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        old = get(store, Person, person.id)
        assert len(old.given_name) == 100_000 and old.what_matters == "line\x00break"
        assert old.birth_date == person.birth_date  # converted as usual
        with pytest.raises(ValueError, match="^given name: at most 200 characters"):
            old.evolve(family_name="Byron")
        fixed = old.evolve(given_name="Ada", what_matters="line break")
        assert fixed.given_name == "Ada"


def test_fhir_import_of_an_over_long_name_is_refused_naming_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        signed_in: Callable[..., list[str]]) -> None:
    """The domain's limit comes through the importer's own refusal of a resource."""
    patient = {"resourceType": "Patient", "id": "long1",
               "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number",
                               "value": "9434765919"}],
               "name": [{"family": "Khan", "given": ["A" * 10_485_760]}],
               "birthDate": "1960-03-13"}
    source = tmp_path / "patient.json"
    source.write_text(json.dumps(patient), encoding="utf-8")
    db = tmp_path / "imported.db"
    Store.open(db).close()
    assert main(["import", "fhir", str(source), "--db", str(db), *signed_in(db)]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "long1" in line] == [
        "  - Patient/long1 not imported: given name: at most 200 characters "
        "(this one has 10,485,760)."]
    assert "Imported: nothing." in out
    with Store.open(db) as store:
        assert store.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 0
        # Only the account and its sign-in were written.
        assert store.conn.execute("SELECT count(*) FROM audit_events WHERE entity NOT IN "
                                  "('accounts', 'sign_ins')").fetchone()[0] == 0
