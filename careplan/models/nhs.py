"""NHS numbers: ten digits whose last is a Modulus 11 check digit."""

from __future__ import annotations

import re

from nhs_number.validate import calculate_checksum

# Accepted spellings: ten digits, or 3-3-4 groups split by single spaces or hyphens.
# ASCII: without it \d also takes other scripts' digits ("٩٤٣..."), which would be
# stored as a second spelling of a number already on record.
_SHAPE = re.compile(r"^(\d{10}|\d{3}([ -])\d{3}\2\d{4})$", re.ASCII)


def normalise(text: str) -> str:
    """The ten digits of an NHS number typed with or without 3-3-4 spacing.

    Raises:
        ValueError: naming the field, when the shape or the check digit is wrong.
    """
    raw = text.strip()
    if not _SHAPE.match(raw):
        raise ValueError(
            f"NHS number: {text!r} is not ten digits (write it as 10 digits or 3-3-4)"
        )
    digits = re.sub(r"\D", "", raw)
    # Modulus 11 alone: the package's is_valid also rejects Scottish CHI numbers whose
    # first six digits are not a date, which is not our rule.
    if calculate_checksum(digits[:9]) != int(digits[9]):
        raise ValueError(f"NHS number: {format_334(digits)} fails the Modulus 11 check")
    return digits


def is_valid(text: str) -> bool:
    """Whether ``text`` is a well-formed NHS number passing Modulus 11."""
    try:
        normalise(text)
    except ValueError:
        return False
    return True


def format_334(digits: str) -> str:
    """Ten digits shown the NHS way, ``943 476 5919``; other text is returned as is."""
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return digits


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when none exists (10)."""
    check: int | None = calculate_checksum(first_nine)
    return None if check == 10 else check
