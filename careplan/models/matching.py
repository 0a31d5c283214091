"""Is this record the stored person? The one rule CarePlan uses wherever a record of a
person meets a person already stored: the FHIR import today, the sharing between stores
later.

A stored person is matched only when the **NHS number, date of birth and family name**
agree. The NHS number alone is not enough: one mistyped or borrowed number would put
another person's diagnoses in this person's record, the hazard the Personal Demographics
Service (PDS) names first ("an end user selects the wrong patient ... a risk of clinical
harm; for example due to retrieval of the wrong clinical data"). PDS tracing identifies a
person by "key information such as their Date of Birth, Surname and Gender" (NHS Digital,
FHIR Spine Core, PDS Tracing); gender is left out here, as PDS itself advises for
searches (the gender on record may not be the one a person gives).

Names are compared as PDS compares them in a non-fuzzy search: not case sensitive, and
tolerant of what PDS itself names as the hard parts of surnames (special characters as
in ``O'Reilly`` and ``Kociński``, double-barrelled names as in ``Smith-Jones``); never by
sound (``Smith`` is not ``Smythe``: PDS matches homophones only in a fuzzy search, which
may return more than one person, and a fuzzy match is no proof of identity). Sources:
NHS Digital, Personal Demographics Service FHIR API, "Search for a patient": matching
rules ("search parameters are not case sensitive"), names, non-fuzzy and fuzzy search
(github.com/NHSDigital/personal-demographics-service-api, specification).

The rule for two family names, after :func:`fold` (Unicode compatibility decomposition,
accents and other combining marks dropped, case folded, a few letters that do not
decompose spelled out: ``ø`` as ``o``, ``ł`` as ``l``, ``æ`` as ``ae``...; apostrophes
dropped; hyphens, dashes, spaces, full stops and any other punctuation taken as the
break between two parts of a name):

- they agree when they have the same parts, in any order (``Smith-Jones``,
  ``smith jones``, ``Jones Smith``), or the same letters once the breaks are left out
  (``McDonald`` and ``Mc Donald``, ``O'Reilly`` and ``O Reilly``);
- a part on one side only is a disagreement (``Smith`` is not ``Smith-Jones``: either may
  be another person of that family, and nothing else of the record says which).

A record may give several family names (current, previous, maiden: FHIR ``Patient.name``
repeats); it agrees when any of them agrees with the stored one, as PDS searches a
person's previous names too. A family name missing on both sides agrees; on one side,
it does not. Pure: no file, no database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

#: Letters with no Unicode decomposition, spelled as a PDS search would take them.
_SPELLED = str.maketrans({
    "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t", "ŀ": "l",
    "æ": "ae", "œ": "oe", "þ": "th", "ß": "ss",
})
#: Apostrophes of every kind: left out, never a break (``O'Reilly`` is ``OReilly``).
_APOSTROPHES = frozenset("'\u2018\u2019\u02bc\u02bb`\u00b4\u2032")

#: The fields the rule compares, in the order a refusal names them.
NHS_NUMBER = "NHS number"
DATE_OF_BIRTH = "date of birth"
FAMILY_NAME = "family name"


def fold(text: str) -> tuple[str, ...]:
    """The parts of a name as the rule compares them: ``"O'Brien-Kociński"`` gives
    ``("obrien", "kocinski")``."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue  # an accent, cedilla, ogonek... on the letter before
        if ch in _APOSTROPHES:
            continue
        letters.append(ch)
    folded = "".join(letters).casefold().translate(_SPELLED)
    parts: list[str] = []
    word: list[str] = []
    for ch in folded:
        if ch.isalnum():
            word.append(ch)
        elif word:
            parts.append("".join(word))
            word = []
    if word:
        parts.append("".join(word))
    return tuple(parts)


def family_names_agree(one: str, other: str) -> bool:
    """Whether two family names are the same name by the rule of this module."""
    a, b = fold(one), fold(other)
    if not a or not b:
        return not a and not b
    return sorted(a) == sorted(b) or "".join(a) == "".join(b)


@dataclass(frozen=True, slots=True)
class Identity:
    """What the rule compares of a person: the NHS number (ten digits, or None), the date
    of birth (or None) and every family name the record gives (empty when none)."""

    nhs_number: str | None
    birth_date: date | None
    family_names: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, nhs_number: str | None, birth_date: date | None,
           family_names: Iterable[str]) -> Identity:
        names = tuple(n for n in family_names if fold(n))
        return cls(nhs_number or None, birth_date, names)


def disagreements(stored: Identity, incoming: Identity) -> list[str]:
    """The fields on which ``incoming`` does not agree with ``stored`` (empty: the same
    person), in the order NHS number, date of birth, family name.

    A value missing on one side only is a disagreement: it cannot confirm the match.
    """
    out: list[str] = []
    if stored.nhs_number != incoming.nhs_number:
        out.append(NHS_NUMBER)
    if stored.birth_date != incoming.birth_date:
        out.append(DATE_OF_BIRTH)
    if not _family_agrees(stored.family_names, incoming.family_names):
        out.append(FAMILY_NAME)
    return out


def _family_agrees(stored: Sequence[str], incoming: Sequence[str]) -> bool:
    if not stored or not incoming:
        return not stored and not incoming
    return any(family_names_agree(s, i) for s in stored for i in incoming)


def same_person(stored: Identity, incoming: Identity) -> bool:
    """Whether ``incoming`` is the stored person: NHS number, date of birth and family
    name all agree."""
    return not disagreements(stored, incoming)


def field_list(fields: Sequence[str]) -> str:
    """``"date of birth and family name"``: the fields for a sentence."""
    if len(fields) <= 1:
        return "".join(fields)
    return f"{', '.join(fields[:-1])} and {fields[-1]}"


# -- possible duplicates when a person is registered ----------------------------------------
#
# Registering someone who is already on record splits their care between two files, so
# before a person is registered CarePlan lists the stored persons who may be them: the
# same NHS number (a stored person with it cannot be registered again), or the same
# date of birth and a similar name. It is a warning, not a match: a similar name is no
# proof of identity (see above), so the person registering decides. A similar name:
#
# - the family names agree (the rule above) and so do the first given names, one being
#   the start of the other (``Marg`` and ``Margaret``, ``M`` and ``Mary``: shortened and
#   initials, as people are often first written down);
# - or the first given names are the same and the family names differ (a family name
#   changed on marriage);
# - or the given and family names were written the wrong way round.


def given_names_agree(one: str, other: str) -> bool:
    """Whether two given names may be one: the first parts, folded, one the start of
    the other (``Marg`` and ``Margaret``; ``M`` and ``Mary``)."""
    a, b = fold(one), fold(other)
    if not a or not b:
        return True
    short, long_ = sorted((a[0], b[0]), key=len)
    return long_.startswith(short)


def similar_names(given: str, family: str, other_given: str, other_family: str) -> bool:
    """Whether two persons' names are similar enough to ask if they are one person
    (see the rule above this function)."""
    if family_names_agree(family, other_family):
        return given_names_agree(given, other_given)
    first, other_first = fold(given)[:1], fold(other_given)[:1]
    if first and first == other_first:
        return True
    return family_names_agree(given, other_family) and family_names_agree(family, other_given)


#: Why a stored person may be the one being registered.
SAME_NHS_NUMBER = "the same NHS number"
SAME_BIRTH_AND_NAME = "the same date of birth and a similar name"


def duplicate_reason(nhs_number: str | None, birth_date: date, given: str, family: str,
                     stored_nhs: str | None, stored_birth: date, stored_given: str,
                     stored_family: str) -> str | None:
    """Why a stored person may be the person being registered (:data:`SAME_NHS_NUMBER`,
    :data:`SAME_BIRTH_AND_NAME`), or None when nothing says so."""
    if nhs_number and nhs_number == stored_nhs:
        return SAME_NHS_NUMBER
    if birth_date == stored_birth and similar_names(given, family, stored_given,
                                                    stored_family):
        return SAME_BIRTH_AND_NAME
    return None


__all__ = [
    "DATE_OF_BIRTH",
    "FAMILY_NAME",
    "NHS_NUMBER",
    "SAME_BIRTH_AND_NAME",
    "SAME_NHS_NUMBER",
    "Identity",
    "disagreements",
    "duplicate_reason",
    "family_names_agree",
    "field_list",
    "fold",
    "given_names_agree",
    "same_person",
    "similar_names",
]
