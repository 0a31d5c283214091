"""What a caseload search box's text asks for: name words, part of an NHS number, a date
of birth typed the British way.

``"okafor marg"`` is two name words (each starts a given or family name);
``"476 59"`` is part of an NHS number (at least :data:`MIN_NHS_DIGITS` digits, anywhere
in the number, spaces and hyphens ignored); ``"12/03/1941"``, ``"12.3.1941"``,
``"12 Mar 1941"``, ``"12 March 1941"`` and ``"1941-03-12"`` are a date of birth, day
first. They combine: ``"okafor 12/3/1941"``. A date that does not exist ("31/02/1990")
or a year of two digits is never guessed at: :attr:`SearchTerms.problem` says why, and
the date is not searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from careplan.models.dates import month_number, parse_uk_date

#: The fewest digits searched as part of an NHS number (fewer would match thousands).
MIN_NHS_DIGITS = 3

_NUMERIC = re.compile(r"(?<![\d])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d])")
_ISO = re.compile(r"(?<![\d])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_NAMED = re.compile(
    r"(?<![\w])(\d{1,2})(?:st|nd|rd|th)?[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{4}|\d{2})(?![\d])")


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """The parts of one search text.

    Attributes:
        words: name words, lower case, each to start a given or family name.
        nhs_digits: digits to find anywhere in an NHS number, or None.
        birth_date: the date of birth typed, or None.
        problem: why part of the text is not searched (a sentence), or None.
    """

    words: tuple[str, ...] = ()
    nhs_digits: str | None = None
    birth_date: date | None = None
    problem: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.words or self.nhs_digits or self.birth_date)


def _take_date(raw: str) -> tuple[str, date | None, str | None]:
    """The text without the first date in it, that date, and a problem with it. Finding
    the date in the text is this module's; reading it is the one parser's
    (careplan.models.dates.parse_uk_date), so a date is never guessed at."""
    for pattern, kind in ((_ISO, "iso"), (_NUMERIC, "numeric"), (_NAMED, "named")):
        found = pattern.search(raw)
        if found is None:
            continue
        typed = found.group(0).strip()
        if kind == "named":
            if month_number(found.group(2)) is None:
                continue  # "12 apples 2024" is not a date: leave it as words
            typed = " ".join(typed.replace("-", " ").split())
        elif kind == "iso":
            typed = f"{found.group(1)}-{int(found.group(2)):02d}-{int(found.group(3)):02d}"
        rest = (raw[:found.start()] + " " + raw[found.end():]).strip()
        try:
            return rest, parse_uk_date(typed, "Date of birth"), None
        except ValueError as exc:
            return rest, None, f"{exc}."
    return raw, None, None


def parse_search(text: str) -> SearchTerms:
    """Split a search box's text into what it asks for (see the module docstring)."""
    raw = " ".join(text.split())
    if not raw:
        return SearchTerms()
    rest, birth, problem = _take_date(raw)
    words: list[str] = []
    digits = ""
    for token in rest.split():
        bare = token.replace("-", "")
        if bare.isdigit():
            digits += bare
        else:
            words.append(token.lower())
    nhs_digits: str | None = None
    if digits:
        if len(digits) >= MIN_NHS_DIGITS:
            nhs_digits = digits
        elif problem is None:
            problem = (f"NHS number: type at least {MIN_NHS_DIGITS} digits to search by "
                       "part of it.")
    return SearchTerms(tuple(words), nhs_digits, birth, problem)
