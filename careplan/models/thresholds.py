"""The rules' thresholds: defaults from ``careplan/resources/rules.toml``, overridable per
store.

Keys are ``section.name`` as written in the file (``discharge.critical_days``); the
typed :class:`Thresholds` holds them as ``section_name`` attributes. This module reads
no file: it is given the file's parsed tables (``careplan.store.overrides`` reads the
defaults shipped in the package).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: The largest value a threshold may take. The rules add these many days, weeks, months,
#: working days or years to dates; beyond ten years no threshold means anything, and far
#: larger values run off the calendar (or, for working days, count for ever).
MAX_VALUE = 3650
#: Ages are in years (a birthday 3650 years on is no date at all).
MAX_AGE = 120
#: The handoff critical point is this many answer windows, each up to MAX_VALUE days.
MAX_MULTIPLE = 10


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every number the rules use. Build with :func:`thresholds_from_tables` (the
    defaults: ``careplan.store.overrides.default_thresholds``)."""

    transition_planning_age: int
    transition_warning_age: int
    transition_critical_age: int
    transition_stop_age: int
    discharge_warning_days: int
    discharge_critical_days: int
    discharge_no_ready_date_days: int
    discharge_no_ready_date_critical_days: int
    referral_accept_working_days: int
    referral_escalation_working_days: int
    referral_substance_use_min_age: int
    handoff_answer_working_days: int
    handoff_critical_multiple: int
    action_critical_within_days: int
    review_first_review_weeks: int
    review_interval_months: int
    review_critical_weeks: int
    signoff_days: int
    funding_dispute_working_days: int
    funding_critical_working_days: int
    budget_critical_percent: int
    carer_offer_days: int
    carer_critical_days: int
    transition25_from_age: int
    transition25_until_age: int
    safeguarding_decision_working_days: int
    safeguarding_critical_working_days: int
    chc_decision_days: int
    chc_critical_days: int
    aftercare_critical_days: int
    readmission_within_days: int
    readmission_critical_days: int
    readmission_flagged_days: int
    mhcoordinator_min_age: int
    mhcoordinator_critical_days: int

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key_of(f.name)}: expected a whole number 0 or more, "
                                 f"got {value!r}")
            most = (MAX_AGE if f.name.endswith("_age") else
                    MAX_MULTIPLE if f.name.endswith("_multiple") else MAX_VALUE)
            if value > most:
                raise ValueError(f"{key_of(f.name)}: must be at most {most}, got {value}")
        ages = (self.transition_planning_age, self.transition_warning_age,
                self.transition_critical_age, self.transition_stop_age)
        if list(ages) != sorted(ages) or len(set(ages)) != len(ages):
            raise ValueError("transition: the ages must rise: planning_age < warning_age < "
                             "critical_age < stop_age")
        if self.discharge_warning_days < 1:
            raise ValueError("discharge.warning_days: must be 1 or more")
        if self.discharge_critical_days < self.discharge_warning_days:
            raise ValueError("discharge.critical_days: must not be below discharge.warning_days")
        if self.discharge_no_ready_date_days < 1:
            raise ValueError("discharge.no_ready_date_days: must be 1 or more")
        if self.discharge_no_ready_date_critical_days < self.discharge_no_ready_date_days:
            raise ValueError("discharge.no_ready_date_critical_days: must not be below "
                             "discharge.no_ready_date_days")
        if self.review_interval_months < 1:
            raise ValueError("review.interval_months: must be 1 or more")
        if self.handoff_critical_multiple < 1:
            raise ValueError("handoff.critical_multiple: must be 1 or more")
        if self.funding_critical_working_days < self.funding_dispute_working_days:
            raise ValueError("funding.critical_working_days: must not be below "
                             "funding.dispute_working_days")
        if self.carer_critical_days < self.carer_offer_days:
            raise ValueError("carer.critical_days: must not be below carer.offer_days")
        if self.transition25_until_age <= self.transition25_from_age:
            raise ValueError("transition25.until_age: must be above transition25.from_age")
        if self.safeguarding_critical_working_days < self.safeguarding_decision_working_days:
            raise ValueError("safeguarding.critical_working_days: must not be below "
                             "safeguarding.decision_working_days")
        if self.chc_critical_days < self.chc_decision_days:
            raise ValueError("chc.critical_days: must not be below chc.decision_days")

    def as_dict(self) -> dict[str, int]:
        """``{"section.name": value}`` in file order."""
        return {key_of(f.name): getattr(self, f.name) for f in dataclasses.fields(self)}

    def with_overrides(self, overrides: Mapping[str, str | int]) -> Thresholds:
        """A copy with store overrides applied (text values as kept in the store).

        Raises:
            ValueError: naming the key, for an unknown key or a value that is not a
                whole number, or when the result is inconsistent.
        """
        changes: dict[str, int] = {}
        for key, value in overrides.items():
            changes[attr_of(key)] = parse_value(key, value)
        return dataclasses.replace(self, **changes)


def key_of(attr: str) -> str:
    """``discharge_critical_days`` -> ``discharge.critical_days``."""
    section, _, name = attr.partition("_")
    return f"{section}.{name}"


def attr_of(key: str) -> str:
    """``discharge.critical_days`` -> ``discharge_critical_days``; refuses unknown keys."""
    attr = key.strip().replace(".", "_", 1)
    if "." not in key or attr not in _ATTRS:
        known = ", ".join(key_of(a) for a in _ATTRS)
        raise ValueError(f"rule threshold: {key!r} is not one of {known}")
    return attr


def parse_value(key: str, value: str | int) -> int:
    """A threshold value from text; raises ValueError naming the key."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()):  # "²" and "١٢" are digits to str.isdigit
        raise ValueError(f"{key}: {value!r} is not a whole number 0 or more")
    return int(text)


_ATTRS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Thresholds))


def thresholds_from_tables(data: Mapping[str, Any], source: str = "rules.toml") -> Thresholds:
    """Thresholds from a rules file's parsed tables (``{section: {name: value}}``, as
    ``tomllib`` gives them); every key must be present, none unknown.

    Raises:
        ValueError: naming the key that is missing, unknown or not a whole number
            (``source`` names the file the tables came from).
    """
    values: dict[str, int] = {}
    for section, entries in data.items():
        if not isinstance(entries, dict):
            raise ValueError(f"{section}: expected a [{section}] table of thresholds")
        for name, value in entries.items():
            key = f"{section}.{name}"
            values[attr_of(key)] = parse_value(key, value)
    missing = [key_of(a) for a in _ATTRS if a not in values]
    if missing:
        raise ValueError(f"{source}: missing thresholds {', '.join(missing)}")
    return Thresholds(**values)
