"""The base of every stored entity: typed fields checked and coerced at construction.

Each entity is a frozen, slotted dataclass. ``__post_init__`` coerces plain values
(ISO text to dates, text to enums) and raises ``ValueError`` naming the field and the
rule it broke, so bad input never becomes a domain object.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, TypeVar, Union

from careplan.models.limits import TextLimit, limit_for

E = TypeVar("E", bound="Entity")


def new_id() -> str:
    """A fresh UUID as text: ids must not clash across offline copies of a store.

    Version 7 (time-ordered, 74 random bits) rather than 4: new rows then land at the
    end of SQLite's indexes instead of at random places in them.
    """
    return uuid7(time.time_ns() // 1_000_000, secrets.randbits(74))


def uuid7(unix_ms: int, rand: int) -> str:
    """A version 7 UUID (RFC 9562): 48-bit milliseconds, then 74 bits of ``rand``.

    Audit events use these: ids sort by time, and appending them to the index is cheap.
    """
    # The five groups of the text form written directly (the demo makes millions):
    # 32 + 16 bits of time; version 7 and 12 random bits; variant 0b10 and 14 random
    # bits; 48 random bits.
    # One %-format is one C call: about a third of the time of f-string fields here.
    return "%08x-%04x-%04x-%04x-%012x" % (  # noqa: UP031
        (unix_ms >> 16) & 0xFFFF_FFFF,
        unix_ms & 0xFFFF,
        0x7000 | (rand >> 62) & 0xFFF,
        0x8000 | (rand >> 48) & 0x3FFF,
        rand & 0xFFFF_FFFF_FFFF,
    )


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one field is checked and stored."""

    name: str
    kind: type[Any]
    optional: bool
    is_tuple: bool = False
    #: How long a text field (or each item of a list of text) may be: see models.limits.
    text: TextLimit | None = None
    #: ``text.chars``, or 0 for a field that is not text (read for every field built).
    max_chars: int = 0


_SPECS: dict[type[Any], tuple[FieldSpec, ...]] = {}


def _unwrap(hint: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


def field_specs(cls: type[Any]) -> tuple[FieldSpec, ...]:
    """The checked fields of an entity class, computed once per class.

    Raises:
        TypeError: a text field has no limit in careplan.models.limits (a new field must
            be given one there).
    """
    specs = _SPECS.get(cls)
    if specs is None:
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            hint, optional = _unwrap(hints[f.name])
            is_tuple = typing.get_origin(hint) is tuple
            kind = typing.get_args(hint)[0] if is_tuple else hint
            text = None
            if kind is str:
                text = limit_for(f.name)
                if text is None:
                    raise TypeError(f"{cls.__name__}.{f.name}: every text field needs a "
                                    "limit in careplan/models/limits.py")
            out.append(FieldSpec(f.name, kind, optional, is_tuple, text,
                                 text.chars if text else 0))
        specs = _SPECS[cls] = tuple(out)
    return specs


def label(name: str) -> str:
    """A field name as a person would say it: ``birth_date`` -> ``birth date``."""
    return name.replace("_", " ")


#: Control characters: C0 (NUL to US), DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: The same without tab, line feed and carriage return, which multi-line text may hold.
_CONTROL_NOT_BREAK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAKS = {"\t": "a tab", "\n": "a line break", "\r": "a line break"}


def check_text(limit: TextLimit, value: str, where: str) -> None:
    """Refuse text longer than ``limit`` or holding a control character it does not allow.

    Raises:
        ValueError: naming ``where`` (the field as a person says it), the limit and what
            the value holds.
    """
    if len(value) > limit.chars:
        raise ValueError(f"{where}: at most {limit.chars:,} characters "
                         f"(this one has {len(value):,})")
    if value.isprintable():  # the usual case, checked in C
        return
    bad = (_CONTROL_NOT_BREAK if limit.multiline else _CONTROL).search(value)
    if bad is None:
        return  # only allowed breaks, or characters such as a no-break space
    char, at = bad.group(), bad.start() + 1
    if char in _BREAKS:
        raise ValueError(f"{where}: must be one line ({_BREAKS[char]} at character {at:,})")
    raise ValueError(f"{where}: control character U+{ord(char):04X} at character {at:,} "
                     "(text may not hold control characters"
                     + (" other than tabs and line breaks)" if limit.multiline else ")"))


def _coerce_one(spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind is date and isinstance(value, datetime):
        return value.date()  # before the isinstance check: a datetime is a date too
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    name = label(spec.name)
    if kind is date and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if kind is datetime and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{name}: {value!r} is not a date and time (use YYYY-MM-DDTHH:MM)"
            ) from None
    if isinstance(kind, type) and issubclass(kind, Enum):
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in kind)
            raise ValueError(f"{name}: {value!r} is not one of {allowed}") from None
    if kind is bool and value in (0, 1):
        return bool(value)
    if kind is int and isinstance(value, str):
        text = value.strip()
        # ASCII digits only: "²" is a digit to str.isdigit but not to int().
        if text.removeprefix("-").isascii() and text.removeprefix("-").isdigit():
            return int(text)
    raise ValueError(f"{name}: expected {getattr(kind, '__name__', kind)}, got {value!r}")


def _check_field(entity: Any, spec: FieldSpec, value: Any) -> None:
    """Check one field whose value is not of exactly the field's class (or is a list):
    coerce it in place (ISO text to a date, text to an enum, a list to a tuple), or
    raise ``ValueError`` naming the field."""
    if value is None:
        if not spec.optional:
            raise ValueError(f"{label(spec.name)}: is required")
        return
    if spec.is_tuple:
        if isinstance(value, str) or not isinstance(value, tuple | list):
            raise ValueError(f"{label(spec.name)}: expected a list, got {value!r}")
        items = tuple(_coerce_one(spec, v) for v in value)
        if spec.text is not None:
            for i, item in enumerate(items, 1):
                check_text(spec.text, item, f"{label(spec.name)}, item {i}")
        object.__setattr__(entity, spec.name, items)
        return
    coerced = _coerce_one(spec, value)
    if spec.text is not None:  # text of a str subclass
        check_text(spec.text, coerced, label(spec.name))
    if coerced is not value:
        object.__setattr__(entity, spec.name, coerced)


_CHECKS: dict[type[Any], Callable[[Any], None]] = {}


def _checker(cls: type[Any]) -> Callable[[Any], None]:
    """The field checks of ``cls``'s ``__post_init__`` as generated straight-line code
    (as ``trusted_builder`` builds entities): the demo and imports build millions of
    records, and a loop over the fields cost about a fifth of the demo's drawing time.
    Fields in order; a value of exactly its field's class passes at once (text after
    its limit and control characters are checked); anything else goes through
    :func:`_check_field`."""
    env: dict[str, Any] = {"check_text": check_text, "slow": _check_field}
    lines = ["def check(self):"]
    for i, spec in enumerate(field_specs(cls)):
        env[f"s{i}"] = spec
        lines.append(f"    v = self.{spec.name}")
        if spec.is_tuple:
            lines.append(f"    slow(self, s{i}, v)")
            continue
        env[f"k{i}"] = spec.kind
        if spec.max_chars:
            env[f"t{i}"] = spec.text
            lines.append(f"    if v.__class__ is k{i}:")
            lines.append(f"        if len(v) > {spec.max_chars} or not v.isprintable():")
            lines.append(f"            check_text(t{i}, v, {label(spec.name)!r})")
            lines.append("    else:")
            lines.append(f"        slow(self, s{i}, v)")
        else:
            lines.append(f"    if v.__class__ is not k{i}:")
            lines.append(f"        slow(self, s{i}, v)")
    if len(lines) == 1:
        lines.append("    pass")
    exec("\n".join(lines), env)
    check: Callable[[Any], None] = env["check"]
    return check


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """A stored record: a UUID text id and a version used to detect stale writes."""

    TABLE: ClassVar[str] = ""
    #: What a person calls one of these ("care team member"), for messages.
    NOUN: ClassVar[str] = ""

    id: str = field(default_factory=new_id)
    version: int = 0

    def __post_init__(self) -> None:
        check = _CHECKS.get(self.__class__)
        if check is None:
            check = _CHECKS[self.__class__] = _checker(self.__class__)
        check(self)
        self.validate()

    def validate(self) -> None:
        """Check rules across fields; raise ValueError naming the field."""

    def evolve(self: E, **changes: Any) -> E:
        """A copy with ``changes`` applied and checked again."""
        return dataclasses.replace(self, **changes)


def require_text(value: str, name: str) -> None:
    """Raise unless ``value`` has visible characters."""
    if not value or not value.strip():
        raise ValueError(f"{label(name)}: is required")


def not_before(later: date | datetime | None, earlier: date | datetime | None,
               later_name: str, earlier_name: str) -> None:
    """Raise when ``later`` falls before ``earlier`` (both optional)."""
    if later is None or earlier is None:
        return
    a = later.date() if isinstance(later, datetime) else later
    b = earlier.date() if isinstance(earlier, datetime) else earlier
    if a < b:
        raise ValueError(
            f"{label(later_name)}: {a.isoformat()} is before {label(earlier_name)} "
            f"{b.isoformat()}"
        )


def trusted_builder(
    cls: type[E], convert: Mapping[str, Callable[[Any], Any]] | None = None
) -> Callable[[Sequence[Any]], E]:
    """A fast constructor for rows the store wrote (they were checked when saved).

    The function returned takes one row's values in field order (``field_specs(cls)``),
    applies ``convert[name]`` to each non-None value of the fields named there (ISO
    text to date, text to enum) and sets the slots directly: no ``__post_init__``, no
    coercion, no validation. Building a million read-back rows then costs a third of
    checked construction. Never use it for input the store did not write.
    """
    specs = field_specs(cls)
    conv = dict(convert or {})
    unknown = sorted(set(conv) - {s.name for s in specs})
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {unknown[0]!r}")
    # Generated straight-line code (as dataclasses generates __init__): a loop over the
    # fields costs twice as much per row.
    env: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = ["def build(row):", "    obj = new(cls)"]
    for i, spec in enumerate(specs):
        # The slot's own setter: frozen dataclasses refuse ordinary attribute setting.
        env[f"set{i}"] = getattr(cls, spec.name).__set__
        if spec.name in conv:
            env[f"conv{i}"] = conv[spec.name]
            lines.append(f"    v = row[{i}]")
            lines.append(f"    set{i}(obj, None if v is None else conv{i}(v))")
        else:
            lines.append(f"    set{i}(obj, row[{i}])")
    lines.append("    return obj")
    exec("\n".join(lines), env)
    build: Callable[[Sequence[Any]], E] = env["build"]
    return build
