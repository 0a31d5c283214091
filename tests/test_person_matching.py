"""The one rule for "is this the stored person?" (careplan.models.matching): NHS number,
date of birth and family name agree, family names compared the way a non-fuzzy PDS search
compares them (not case sensitive; tolerant of accents, hyphens, spaces and apostrophes;
never by sound). Sources: NHS Digital, Personal Demographics Service FHIR API, "Search
for a patient" (matching rules, names); FHIR Spine Core, PDS Tracing."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careplan.models.matching import (
    DATE_OF_BIRTH,
    FAMILY_NAME,
    NHS_NUMBER,
    Identity,
    disagreements,
    family_names_agree,
    field_list,
    fold,
    same_person,
)

JORDAN = Identity.of("9434765919", date(2008, 3, 1), ["Ellis"])

#: Family names as people have them: letters, some with accents, parts joined by a
#: hyphen, a space or an apostrophe.
_LETTERS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzéèäöüçñøłśńžåæ"))
_PART = st.text(_LETTERS, min_size=2, max_size=9)
FAMILY = st.lists(_PART, min_size=1, max_size=3).flatmap(
    lambda parts: st.lists(st.sampled_from(["-", " ", "'"]), min_size=len(parts) - 1,
                           max_size=len(parts) - 1).map(
        lambda seps: parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=True))))


def _accented(text: str, marks: list[bool]) -> str:
    """``text`` with a combining acute accent after the letters ``marks`` picks."""
    out = []
    for ch, mark in zip(text, marks + [False] * len(text), strict=False):
        out.append(ch + ("\u0301" if mark and ch.isascii() and ch.isalpha() else ""))
    return unicodedata.normalize("NFC", "".join(out))


@given(FAMILY, st.lists(st.booleans(), max_size=30), st.lists(st.booleans(), max_size=30))
def test_case_and_accents_never_matter(name: str, upper: list[bool], marks: list[bool]) -> None:
    cased = "".join(c.upper() if u else c for c, u in
                    zip(name, upper + [False] * len(name), strict=False))
    variant = _accented(cased, marks)
    assert family_names_agree(name, variant)
    assert same_person(Identity.of("9434765919", date(1990, 1, 1), [name]),
                       Identity.of("9434765919", date(1990, 1, 1), [variant]))


@given(st.lists(_PART, min_size=2, max_size=3), st.sampled_from(["-", " ", "\u2013", " - "]),
       st.sampled_from(["-", " ", "  "]))
def test_hyphens_dashes_and_spaces_between_parts_are_alike(parts: list[str], one: str,
                                                           other: str) -> None:
    assert family_names_agree(one.join(parts), other.join(parts))
    assert family_names_agree(one.join(parts), " ".join(reversed(parts)))  # Jones Smith


@given(FAMILY, _PART)
def test_a_different_or_an_extra_part_is_another_name(name: str, extra: str) -> None:
    assert not family_names_agree(name, f"{name}-{extra}")  # Smith is not Smith-Jones
    assert not family_names_agree(name, name + "x")


@pytest.mark.parametrize("one,other", [
    ("O'Reilly", "OREILLY"), ("O'Reilly", "O Reilly"), ("O\u2019Reilly", "o'reilly"),
    ("Smith-Jones", "smith jones"), ("Smith-Jones", "Jones-Smith"), ("McDonald", "Mc Donald"),
    ("Kociński", "Kocinski"), ("Łukasiewicz", "Lukasiewicz"), ("Søndergaard", "Sondergaard"),
    ("Strauß", "Strauss"), ("Ní Bhriain", "ni bhriain"), ("Ellis", "ÉLLIS"),
])
def test_pds_examples_of_hard_names_agree(one: str, other: str) -> None:
    assert family_names_agree(one, other)


@pytest.mark.parametrize("one,other", [
    ("Smith", "Smythe"),  # a homophone: PDS matches it only in a fuzzy search
    ("Smith", "Smith-Jones"), ("MacDonald", "McDonald"), ("Ellis", "Zebra"), ("Ellis", ""),
])
def test_sounds_alike_and_partial_names_do_not(one: str, other: str) -> None:
    assert not family_names_agree(one, other)


def test_fold_gives_the_compared_parts() -> None:
    assert fold("O'Brien-Kociński") == ("obrien", "kocinski")
    assert fold("  --  ") == ()


def test_the_same_person_when_all_three_agree() -> None:
    assert disagreements(JORDAN, Identity.of("9434765919", date(2008, 3, 1), ["ellis"])) == []


def test_any_of_the_records_family_names_may_agree() -> None:
    married = Identity.of("9434765919", date(2008, 3, 1), ["Okafor", "Ellis"])
    assert same_person(JORDAN, married)


@pytest.mark.parametrize("incoming,fields", [
    (Identity.of("9434765919", date(1950, 1, 1), ["Zebra"]), [DATE_OF_BIRTH, FAMILY_NAME]),
    (Identity.of("9434765870", date(2008, 3, 1), ["Ellis"]), [NHS_NUMBER]),
    (Identity.of(None, date(2008, 3, 1), ["Ellis"]), [NHS_NUMBER]),
    (Identity.of("9434765919", None, ["Ellis"]), [DATE_OF_BIRTH]),
    (Identity.of("9434765919", date(2008, 3, 1), []), [FAMILY_NAME]),
    (Identity.of("9434765870", date(1950, 1, 1), ["Zebra"]),
     [NHS_NUMBER, DATE_OF_BIRTH, FAMILY_NAME]),
])
def test_each_disagreement_is_named(incoming: Identity, fields: list[str]) -> None:
    assert disagreements(JORDAN, incoming) == fields
    assert not same_person(JORDAN, incoming)


def test_missing_on_both_sides_agrees() -> None:
    no_number = Identity.of(None, date(2008, 3, 1), [])
    assert same_person(no_number, Identity.of("", date(2008, 3, 1), ["  "]))


def test_the_fields_read_as_a_sentence() -> None:
    assert field_list([DATE_OF_BIRTH, FAMILY_NAME]) == "date of birth and family name"
    assert field_list([NHS_NUMBER, DATE_OF_BIRTH, FAMILY_NAME]) == \
        "NHS number, date of birth and family name"
    assert field_list([FAMILY_NAME]) == "family name"
