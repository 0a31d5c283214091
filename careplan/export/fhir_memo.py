"""Validate many FHIR resources with ``fhir.resources`` without checking one element twice
(:func:`shared_elements`), and keep the garbage collector off what a long export or
import holds anyway (:func:`set_aside`, :func:`no_collection`).

A FHIR export or import validates every resource against its R4 model, and most of that
time goes on the small elements inside: a care plan's codings, a consent's policy rule,
a patient's reference, the same few hundred values met again in every resource.
``fhir.resources`` (through ``fhir_core``) validates each nested element by handing its
JSON object to ``FhirBase.fhir_model_validator(value, model_class)``, which depends on
nothing but those two. Inside :func:`shared_elements` that call is remembered: an element
whose JSON text and model class were already accepted in this run gets the model built
the first time instead of being built again. Every resource is still validated whole,
once; an element that fails is never remembered, so a refusal reads as before.

Each thread has its own memory, bounded (``LIMIT`` elements; the least recently used
half forgotten when full), and kept only while it is inside the ``with``; outside it,
and in every other thread, validation is the library's own. Should a later
``fhir_core`` no longer have the hook, validation simply runs unshared: slower, never
different.
"""

from __future__ import annotations

import gc
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:  # the hook this module wraps; without it, nothing is shared
    from fhir_core.types import FhirBase
except ImportError:  # pragma: no cover - a fhir_core without the module
    FhirBase = None  # type: ignore[assignment,misc]

#: Elements remembered at most: about the distinct elements of a few thousand persons.
LIMIT = 50_000

_lock = threading.Lock()
_users = 0
_original: Any = None
_saved: Any = None
_dumps = json.dumps
#: How deep the current thread is in ``shared_elements``: other threads validate as the
#: library does, and never receive a model this one built.
_here = threading.local()


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encoder() -> Any:
    """``json.dumps`` without its cost per call: the C encoder it makes each time, made
    once (the same text; a third of the time for a small element). Without the C
    module, ``json.dumps`` itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - a Python without json's C module
        return _dumps
    markers: dict[int, Any] = {}  # (what it is in, against cycles; empty between calls)
    encode = make(markers, _not_json, json.encoder.encode_basestring_ascii, None, ": ",
                  ", ", False, False, True)

    def dumps(value: Any) -> str:
        try:
            return "".join(encode(value, 0))
        except BaseException:
            markers.clear()  # (left behind by a refusal)
            raise

    return dumps


_encode = _encoder()


def _key(value: dict[str, Any]) -> Any:
    """What identifies an element's content: its items when every value is text (a
    coding, a reference: cheap), else its JSON text."""
    for v in value.values():
        if type(v) is not str:
            return _encode(value)
    return tuple(value.items())


def _remembering(cls: Any, value: Any, model_klass: Any) -> Any:
    memo: dict[tuple[Any, Any], Any] | None = getattr(_here, "memo", None)
    if type(value) is not dict or memo is None or "id" in value:
        # (an element with an id of its own, a care plan's activity, is met once)
        return _original(cls, value, model_klass)
    try:
        key = (model_klass, _key(value))
    except (TypeError, ValueError):  # not plain JSON: validate it as it is
        return _original(cls, value, model_klass)
    found = memo.pop(key, None)
    if found is not None:
        memo[key] = found  # last used, last in line to be forgotten
        return found
    built = _original(cls, value, model_klass)  # raises on a bad element: not remembered
    if len(memo) >= LIMIT:  # forget the least recently used half
        for old in list(itertools.islice(memo, LIMIT // 2)):
            del memo[old]
    memo[key] = built
    return built


def _hook() -> Any:
    if FhirBase is None:
        return None
    found = FhirBase.__dict__.get("fhir_model_validator")
    return found.__func__ if isinstance(found, classmethod) else None


@contextmanager
def shared_elements() -> Iterator[None]:
    """Within: equal nested elements are validated once (see the module's note)."""
    global _users, _original, _saved
    with _lock:
        if _users == 0:
            original = _hook()
            if original is not None:
                _saved, _original = FhirBase.__dict__["fhir_model_validator"], original
                hook = classmethod(_remembering)
                FhirBase.fhir_model_validator = hook  # type: ignore[method-assign,assignment]
        _users += 1
    _here.depth = getattr(_here, "depth", 0) + 1
    if _here.depth == 1:
        _here.memo = {}
    try:
        yield
    finally:
        _here.depth -= 1
        if _here.depth == 0:
            _here.memo = None
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                FhirBase.fhir_model_validator = _saved  # type: ignore[method-assign]
                _saved = None  # (_original stays: a call under way may still need it)


def active() -> bool:
    """Whether this thread shares nested elements now (for tests)."""
    return _saved is not None and getattr(_here, "memo", None) is not None


def remembered() -> int:
    """How many elements this thread remembers now (for tests)."""
    memo = getattr(_here, "memo", None)
    return len(memo) if memo is not None else 0


@contextmanager
def set_aside() -> Iterator[None]:
    """Leave every object that exists now out of the garbage collector's walks until
    the block ends (``gc.freeze``): an export's records or an import's parsed file live
    until then anyway, and a collector walking a few million of them again and again
    cost a third of a 10,000-person export. Nothing is lost: at the end they are
    collectable again as before."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def no_collection() -> Iterator[None]:
    """Within: no cyclic garbage collection at all (``gc.disable``; on again after, if it
    was). Reading a large file, or mapping it to records, makes millions of containers
    and almost no garbage, yet every few hundred thousand made start a collection that
    walks what is there: parsing a 148 MB Bundle took 2.7 s instead of 0.4 s, mapping
    and writing its records 6.6 s instead of 4.9 s. What garbage there is, is collected
    after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
