"""NHS numbers: every vector in tests/fixtures/nhsnumbers.txt, and the 3-3-4 display."""

from __future__ import annotations

from pathlib import Path

import pytest

from careplan.models import nhs

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "nhsnumbers.txt"


def _section_a() -> list[tuple[str, bool, str]]:
    rows = []
    in_a = False
    for line in FIXTURE.read_text().splitlines():
        if line.startswith("## SECTION A"):
            in_a = True
            continue
        if line.startswith("## SECTION B"):
            break
        if not in_a or not line.strip() or line.startswith("#"):
            continue
        number, expectation, check, *_ = line.split("\t")
        # Our rule is Modulus 11 itself: the fixture's own computed column says pass/fail.
        rows.append((number, check == "pass", expectation))
    return rows


VECTORS = _section_a()


def test_fixture_was_read() -> None:
    assert len(VECTORS) >= 40


@pytest.mark.parametrize(("number", "passes", "expectation"), VECTORS)
def test_modulus_11(number: str, passes: bool, expectation: str) -> None:
    assert nhs.is_valid(number) is passes
    if expectation == "valid":
        assert passes, "a number a source asserts valid must pass"
    if expectation == "invalid":
        assert not passes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9876543210 ", "9876543210"),
        (" 943 476 5919 ", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("111 111 1111", "1111111111"),
        ("111-111-1111", "1111111111"),
    ],
)
def test_accepted_spellings(text: str, expected: str) -> None:
    assert nhs.normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", " ", "          ", "a4785", "0", "a string", "123 456 789", "01 2345 6789",
     "012 345-6789", "01234567890", "ABCDEFGHIJ", "111 112 1111", "111 111  1111",
     "111a111a1111", "1234567890"],
)
def test_refused_spellings_name_the_field(text: str) -> None:
    with pytest.raises(ValueError, match="^NHS number: "):
        nhs.normalise(text)


def test_check_digit_matches_library() -> None:
    assert nhs.check_digit("943476591") == 9
    assert nhs.check_digit("999100010") == 0
    assert nhs.check_digit("999123456") is None


def test_format_334() -> None:
    assert nhs.format_334("9434765919") == "943 476 5919"
    assert nhs.format_334("unknown") == "unknown"


def _section_b() -> list[tuple[str, str]]:
    """(input text, what the source says) for every quoted row of section B. The rows
    whose input is an integer (``1234567890 (int)``) are about another library's API
    taking numbers, which ours does not."""
    rows = []
    in_b = False
    for line in FIXTURE.read_text().splitlines():
        if line.startswith("## SECTION B"):
            in_b = True
            continue
        if in_b and line.startswith('"'):
            quoted, expectation, *_ = line.split("\t")
            rows.append((quoted[1:-1], expectation))
    return rows


SPELLINGS = _section_b()


def test_section_b_was_read() -> None:
    assert len(SPELLINGS) >= 25


@pytest.mark.parametrize(("text", "expectation"), SPELLINGS)
def test_spelling_vectors(text: str, expectation: str) -> None:
    """Our rule is the strict one: ten digits or 3-3-4 with one kind of single separator,
    then Modulus 11. A shape a source accepts gives its digits (or a Modulus 11 refusal
    of exactly those digits); a shape it rejects is refused as not ten digits."""
    said = expectation.split(" -> ")[-1]
    if expectation.startswith("format ->"):
        assert nhs.format_334(text) == said.strip('"')
    elif said.startswith('"'):
        digits = said.split('"')[1]
        if not digits:
            with pytest.raises(ValueError, match="is not ten digits"):
                nhs.normalise(text)
        elif nhs.check_digit(digits[:9]) == int(digits[9]):
            assert nhs.normalise(text) == digits
        else:
            with pytest.raises(ValueError, match=f"{nhs.format_334(digits)} fails"):
                nhs.normalise(text)
    elif said.startswith("valid") or said.startswith("normalise -> valid"):
        assert nhs.is_valid(text)
    else:  # "invalid ...", and the lenient spelling that the strict rule refuses
        assert said.startswith("invalid") or ":strict -> invalid" in expectation
        assert not nhs.is_valid(text)


@pytest.mark.parametrize("text", ["٩٤٣٤٧٦٥٩١٩", "９４３４７６５９１９", "٩٤٣ ٤٧٦ ٥٩١٩"])
def test_digits_of_other_scripts_are_refused(text: str) -> None:
    # int() reads these as 9434765919: accepted, they would be a second spelling of it.
    with pytest.raises(ValueError, match="is not ten digits"):
        nhs.normalise(text)
