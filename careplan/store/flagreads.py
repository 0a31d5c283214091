"""The facts a person's flag rules do not read are not read for them
(``careplan.models.rules.READS``; ``flagdata.load_facts(only=...)``), and are left
*unread*, not empty: a rule that reads one anyway raises :class:`NotRead` instead of
finding nothing and missing a flag (HAZ-018). The rule's declaration is then wrong: a
bug, logged with its traceback like any other, never a flag quietly left out."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import fields
from typing import Any, NoReturn

from careplan.models.facts import PersonFacts
from careplan.models.flags import FlagCode
from careplan.models.health import HealthFacts
from careplan.models.rules import READS


class NotRead(RuntimeError):
    """A flag rule read a fact of a person that its ``READS`` entry does not name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a flag rule read PersonFacts.{name}, which was not read for it: "
                         "add it to the rule's entry in careplan.models.rules.READS")


class _UnreadList(list[Any]):
    """A list field that was not read: any look at it raises."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def _no(self, *_: Any) -> NoReturn:
        raise NotRead(self.name)

    __iter__ = __len__ = __getitem__ = __contains__ = __reversed__ = _no
    append = extend = insert = __setitem__ = __iadd__ = index = count = _no


class _UnreadDict(dict[str, Any]):
    """A mapping field that was not read: any look at it raises."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def _no(self, *_: Any) -> NoReturn:
        raise NotRead(self.name)

    __iter__ = __len__ = __getitem__ = __contains__ = _no
    get = items = keys = values = setdefault = __setitem__ = update = _no  # type: ignore[assignment]


class _UnreadHealth(HealthFacts):
    """The health facts, not read: any of their fields or methods raises."""

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        raise NotRead("health")


def _unread() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for f in fields(PersonFacts):
        if f.name in ("person", "directory"):
            continue
        empty = f.default_factory() if callable(f.default_factory) else None
        if isinstance(empty, list):
            found[f.name] = _UnreadList(f.name)
        elif isinstance(empty, dict):
            found[f.name] = _UnreadDict(f.name)
        elif isinstance(empty, HealthFacts):
            found[f.name] = _UnreadHealth()
        else:  # a new kind of field: say how it is left unread
            raise TypeError(f"PersonFacts.{f.name}: no unread value for its type")
    return found


#: Each field the rules may read, besides the person and the directory (every person's),
#: with the one unread value every person shares.
UNREAD = _unread()


def seal_unread(people: Iterable[PersonFacts],
                only: Mapping[str, Collection[FlagCode]]) -> None:
    """Mark unread each person's fields that none of their rules in ``only`` reads."""
    by_codes: dict[frozenset[FlagCode], list[tuple[str, Any]]] = {}
    for facts in people:
        codes = frozenset(only.get(facts.person.id, ()))
        unread = by_codes.get(codes)
        if unread is None:
            read = {name for code in codes for name in READS[code]}
            unread = by_codes[codes] = [(n, v) for n, v in UNREAD.items() if n not in read]
        for name, value in unread:
            setattr(facts, name, value)
