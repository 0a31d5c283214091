"""A coded condition's care domain, from curated value sets of SNOMED CT concepts and
ICD-10 ranges (careplan/resources/condition_codes.toml names each set's source).

Pure: the value sets are given parsed (``ConditionCodes.from_data``); this module reads
no file. The FHIR import and the demo derive a condition's domain here, so that coded
schizophrenia and coded intellectual disability are a dual diagnosis whichever system
coded them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from careplan.models.enums import NeedDomain

SNOMED_CT = "http://snomed.info/sct"
#: WHO ICD-10, and the NHS's 5th edition as the NHS terminology server names it.
ICD_10 = "http://hl7.org/fhir/sid/icd-10"
ICD_10_UK = "http://hl7.org/fhir/sid/icd-10-uk"
ICD_10_SYSTEMS = frozenset({ICD_10, ICD_10_UK})

_SCTID = re.compile(r"^[1-9][0-9]{5,17}$", re.ASCII)
#: An ICD-10 code: a letter, two digits, then anything (``F20``, ``F20.0``, ``F200``, ``F20.0X``).
_ICD = re.compile(r"^([A-Z])([0-9]{2})(?:\.?[0-9A-Z]{0,4})$", re.ASCII)
_RANGE = re.compile(r"^([A-Z])([0-9]{2})-([A-Z])([0-9]{2})$", re.ASCII)


_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6), (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4), (9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2), (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8))


def is_concept_id(code: str) -> bool:
    """Whether ``code`` is a well-formed SNOMED CT concept id: 6 to 18 digits, a concept
    partition (``00`` short form, ``10`` with a namespace, as UK extension ids have) and a
    Verhoeff check digit (SNOMED CT Technical Implementation Guide, "SCTID")."""
    if not _SCTID.match(code) or code[-3:-1] not in ("00", "10"):
        return False
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(digit)]]
    return check == 0


def icd10_category(code: str) -> tuple[str, int] | None:
    """``("F", 20)`` for ``F20``, ``F20.0``, ``f200``; None for what is not ICD-10."""
    found = _ICD.match(code.strip().upper())
    return (found.group(1), int(found.group(2))) if found else None


def is_icd10(code: str) -> bool:
    """Whether ``code`` has the shape of an ICD-10 code (letter, two digits, detail)."""
    return icd10_category(code) is not None


@dataclass(frozen=True, slots=True)
class ValueSet:
    """One curated set: its domain, where it comes from, its SNOMED CT concepts (code ->
    term) and its ICD-10 category ranges (inclusive)."""

    id: str
    domain: NeedDomain
    title: str
    source: str
    snomed: Mapping[str, str]
    icd10: tuple[tuple[tuple[str, int], tuple[str, int]], ...]

    def has_icd10(self, code: str) -> bool:
        category = icd10_category(code)
        return category is not None and any(lo <= category <= hi for lo, hi in self.icd10)


def _ranges(set_id: str, values: Any) -> tuple[tuple[tuple[str, int], tuple[str, int]], ...]:
    if not isinstance(values, list):
        raise ValueError(f"value set {set_id}: icd10 must be a list of ranges")
    out = []
    for text in values:
        found = _RANGE.match(str(text))
        if not found:
            raise ValueError(f"value set {set_id}: icd10 range {text!r} is not like F20-F31")
        lo, hi = (found.group(1), int(found.group(2))), (found.group(3), int(found.group(4)))
        if hi < lo:
            raise ValueError(f"value set {set_id}: icd10 range {text!r} runs backwards")
        out.append((lo, hi))
    return tuple(out)


def _snomed(set_id: str, values: Any) -> dict[str, str]:
    if not isinstance(values, list):
        raise ValueError(f"value set {set_id}: snomed must be a list of [code, term]")
    out: dict[str, str] = {}
    for item in values:
        if not (isinstance(item, list) and len(item) == 2 and all(
                isinstance(v, str) for v in item)):
            raise ValueError(f"value set {set_id}: snomed entry {item!r} is not [code, term]")
        code, term = item
        if not is_concept_id(code):
            raise ValueError(f"value set {set_id}: {code!r} is not a SNOMED CT concept id "
                             "(its partition or check digit is wrong)")
        if code in out:
            raise ValueError(f"value set {set_id}: SNOMED CT {code} is listed twice")
        out[code] = term
    return out


@dataclass(frozen=True, slots=True)
class ConditionCodes:
    """The value sets, and the domain each coded condition falls in."""

    value_sets: tuple[ValueSet, ...]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConditionCodes:
        """Check and take the parsed ``condition_codes.toml``.

        Raises:
            ValueError: naming the value set and field, when a set is malformed, names an
                unknown domain, or shares a code or an ICD-10 category with another set.
        """
        sets: list[ValueSet] = []
        for raw in data.get("value_set", []) or []:
            set_id = str(raw.get("id") or "").strip()
            if not set_id:
                raise ValueError("value set: every set needs an id")
            try:
                domain = NeedDomain(raw.get("domain"))
            except ValueError:
                raise ValueError(f"value set {set_id}: domain {raw.get('domain')!r} is not a "
                                 "care domain") from None
            source = str(raw.get("source") or "").strip()
            if not source:
                raise ValueError(f"value set {set_id}: source is required")
            sets.append(ValueSet(set_id, domain, str(raw.get("title") or set_id), source,
                                 _snomed(set_id, raw.get("snomed", [])),
                                 _ranges(set_id, raw.get("icd10", []))))
        codes = cls(tuple(sets))
        codes._check_disjoint()
        return codes

    def _check_disjoint(self) -> None:
        seen: dict[str, str] = {}
        for vs in self.value_sets:
            for code in vs.snomed:
                if code in seen:
                    raise ValueError(f"value set {vs.id}: SNOMED CT {code} is also in "
                                     f"value set {seen[code]}")
                seen[code] = vs.id
        ranges = sorted((lo, hi, vs.id) for vs in self.value_sets for lo, hi in vs.icd10)
        for (_, hi, first), (lo, _, second) in zip(ranges, ranges[1:], strict=False):
            if lo <= hi:
                raise ValueError(f"value set {second}: an ICD-10 range overlaps one of "
                                 f"value set {first}")

    def by_snomed(self, code: str) -> ValueSet | None:
        code = code.strip()
        return next((vs for vs in self.value_sets if code in vs.snomed), None)

    def by_icd10(self, code: str) -> ValueSet | None:
        return next((vs for vs in self.value_sets if vs.has_icd10(code)), None)

    def value_set_of(self, system: str, code: str) -> ValueSet | None:
        """The value set a coding falls in (None: not in any, or not a system used)."""
        if system == SNOMED_CT:
            return self.by_snomed(code)
        if system in ICD_10_SYSTEMS:
            return self.by_icd10(code)
        return None

    def domain_of(self, codings: Iterable[tuple[str, str]]) -> NeedDomain | None:
        """The domain of a condition coded by ``codings`` ((system, code) pairs): its
        SNOMED CT codings first (the UK's clinical terminology), then ICD-10; None when
        no coding is in a value set."""
        pairs = list(codings)
        for wanted in (lambda s: s == SNOMED_CT, lambda s: s in ICD_10_SYSTEMS):
            for system, code in pairs:
                if wanted(system):
                    found = self.value_set_of(system, code)
                    if found is not None:
                        return found.domain
        return None

    def snomed_domain(self, code: str) -> NeedDomain:
        """The domain of a SNOMED CT concept that must be in a value set (the demo's)."""
        found = self.by_snomed(code)
        if found is None:
            raise ValueError(f"SNOMED CT {code} is in none of the condition value sets")
        return found.domain


__all__ = [
    "ICD_10",
    "ICD_10_SYSTEMS",
    "ICD_10_UK",
    "SNOMED_CT",
    "ConditionCodes",
    "ValueSet",
    "icd10_category",
    "is_concept_id",
    "is_icd10",
]
