"""Read FHIR R4 JSON for import: a Bundle or a single resource, or a one-sentence refusal.

Refusals (``ImportRefused``) name the resource and the field: malformed or truncated
JSON (NaN, Infinity and numbers too long to read included), XML, a resourceType FHIR R4
does not have, STU3 (or other non-R4) content, resources that break the R4 structure, and
resources nested deeper than any real FHIR (``MAX_DEPTH``: the R4 models validate by
recursion, so a deeper one would overflow the stack instead of being refused). Resources
the importer does not map are counted as skipped without being validated, so a 50 MB
Synthea bundle costs only what maps.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from pydantic import TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from careplan.export.fhir_memo import no_collection
from careplan.export.fhir_pool import Checks, workers_for_file

BUNDLE_TYPES = ("collection", "transaction", "batch", "document", "searchset")
#: Resource types the importer maps; everything else is counted as skipped.
MAPPED = frozenset({
    "Patient", "Organization", "Practitioner", "PractitionerRole", "CareTeam", "CarePlan",
    "Goal", "Condition", "Task", "ServiceRequest", "Encounter", "Consent",
})
_NON_R4_MARKERS = ("/STU3/", "/stu3/", "/DSTU2/", "/R5/", "/r5/", "CareConnect-")
#: Fields that exist in STU3 (or R5) but not R4: named in the refusal when met.
_OTHER_VERSION_FIELDS = {"assertedDate", "definition", "context", "animal", "basedOn",
                         "subjectType", "instantiatesCanonical", "period"}


#: Deepest JSON nesting taken inside one resource. Real resources nest a dozen levels
#: (a Questionnaire's items within items, extensions within extensions); the R4 models
#: run out of Python stack at about 120 nested extensions (240 levels of JSON).
MAX_DEPTH = 64
#: FHIR R4 ids are 1 to 64 characters (the R4B models check the characters only).
MAX_ID = 64
_SHOWN = 60


class ImportRefused(ValueError):
    """The file cannot be imported; the message is one sentence for the user."""


@dataclass
class Entry:
    """One resource from the file, with the address other resources may use for it."""

    resource: dict[str, Any]
    full_url: str = ""
    #: Where it is, for refusals: ``Bundle entry 3 (Patient/p1)``.
    where: str = ""
    #: Its literal references outside ``contained``: (top-level field, reference).
    refs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ReadResult:
    entries: list[Entry] = field(default_factory=list)
    #: Resource types met but not mapped, with how many.
    skipped: dict[str, int] = field(default_factory=dict)
    bundle_type: str = ""


def shorten(text: str, limit: int = _SHOWN) -> str:
    """Text short enough to quote in a sentence."""
    return text if len(text) <= limit else f"{text[:limit]}…"


def _label(resource: dict[str, Any]) -> str:
    rtype = resource.get("resourceType", "resource")
    rid = resource.get("id")
    text = f"{rtype}/{rid}" if isinstance(rid, str) and rid else str(rtype)
    return shorten(text)


_JSON_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "true or false", type(None): "null"}


def json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (``an array``, not ``list``)."""
    return _JSON_NAMES.get(type(value), "an object")


def scan(resource: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """The literal references of a resource outside ``contained``, as (top-level field,
    reference); refuse it when it nests deeper than ``MAX_DEPTH``.

    A loop with its own stack, not recursion: the point is to stop what would overflow.
    """
    refs: list[tuple[str, str]] = []
    stack: list[tuple[Any, int, str]] = [
        (v, 1, k) for k, v in resource.items() if type(v) is dict or type(v) is list]
    push, pop = stack.append, stack.pop
    while stack:
        node, depth, top = pop()
        if depth > MAX_DEPTH:
            raise ImportRefused(f"{where}: field {shorten(top)!r} nests more than "
                                f"{MAX_DEPTH} levels deep, deeper than any FHIR resource.")
        if type(node) is dict:
            ref = node.get("reference")
            if type(ref) is str and top != "contained":
                refs.append((top, ref))
            node = node.values()
        depth += 1
        for v in node:  # (json.loads makes plain dicts and lists, never subclasses)
            if type(v) is dict or type(v) is list:
                push((v, depth, top))
    return refs


def _refuse_other_version(resource: dict[str, Any], where: str) -> None:
    meta = resource.get("meta")
    profiles = meta.get("profile", []) if isinstance(meta, dict) else []
    for profile in profiles if isinstance(profiles, list) else []:
        if isinstance(profile, str) and any(m in profile for m in _NON_R4_MARKERS):
            raise ImportRefused(
                f"{where}: meta.profile {profile!r} is not an R4 profile (this looks like "
                "FHIR STU3 content; only FHIR R4 is imported)."
            )


def _sentence(where: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1]) if err["loc"] else loc
        hint = (" (it exists in FHIR STU3; only FHIR R4 is imported)"
                if name in _OTHER_VERSION_FIELDS else "")
        return f"{where}: field {loc!r} is not part of FHIR R4{hint}."
    msg = shorten(str(err["msg"]).rstrip("."), 4 * _SHOWN)
    value = err.get("input")
    shown = (f" (got {shorten(repr(value))})" if isinstance(value, str | int | float | bool)
             else "")
    return f"{where}: field {shorten(loc)!r} is not valid R4: {msg}{shown}."


def validate_resource(resource: dict[str, Any], where: str | None = None) -> None:
    """Check one resource against the R4 model of its type, or refuse it."""
    label = where or _label(resource)
    _refuse_other_version(resource, label)
    rtype = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(rtype))
    except (KeyError, ValueError, TypeError):
        raise ImportRefused(f"{label}: resourceType {rtype!r} is not a FHIR R4 resource.") from None
    rid = resource.get("id")
    if isinstance(rid, str) and len(rid) > MAX_ID:
        raise ImportRefused(f"{label}: field 'id' is {len(rid):,} characters long; FHIR R4 "
                            f"ids are at most {MAX_ID}.")
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        raise ImportRefused(_sentence(label, exc)) from None
    except RecursionError:  # scan() keeps resources shallower than this: a last guard
        raise ImportRefused(f"{label}: nests too deeply to be checked.") from None


@functools.cache
def _uri_lists() -> tuple[TypeAdapter[Any], TypeAdapter[Any]]:
    """Validators of a list of ``Bundle.entry.fullUrl`` and of ``entry.request.url``
    values: each the field's own type (an R4 ``uri``), as the Bundle model checks it."""
    from fhir.resources.R4B.bundle import BundleEntry, BundleEntryRequest

    def of(field: FieldInfo) -> TypeAdapter[Any]:
        kind: Any = field.annotation
        if field.metadata:  # (constraints given in the Field, if a later model has any)
            kind = Annotated[(kind, *field.metadata)]
        return TypeAdapter(list[kind])

    return (of(BundleEntry.model_fields["fullUrl"]), of(BundleEntryRequest.model_fields["url"]))


_ENTRY_KEY = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _entry_kind(entry: dict[str, Any]) -> Any:
    """What an entry is but for its ``fullUrl`` and ``request.url`` texts: its items with
    each value's type (``1`` and ``true`` are equal in Python, not in FHIR), or its JSON
    text with those two blank when it holds more than plain values."""
    if len(entry) == 2:  # a transaction's entry: fullUrl and request (method, url)
        request = entry.get("request")
        if (type(request) is dict and len(request) == 2 and type(entry.get("fullUrl")) is str
                and type(request.get("url")) is str and type(request.get("method")) is str):
            return ("transaction", tuple(entry), tuple(request), request["method"])
    parts: list[Any] = []
    for name, value in entry.items():
        if name == "fullUrl" and type(value) is str:
            parts.append(name)
        elif name == "request" and type(value) is dict:
            parts.append((name, tuple((k, None, None) if k == "url" and type(v) is str
                                      else (k, type(v), v) for k, v in value.items())))
        else:
            parts.append((name, type(value), value))
    kind = tuple(parts)
    try:
        hash(kind)
    except TypeError:  # a list or an object inside: its JSON text
        alike = dict(entry)
        if type(alike.get("fullUrl")) is str:
            alike["fullUrl"] = ""
        request = alike.get("request")
        if type(request) is dict and type(request.get("url")) is str:
            alike["request"] = {**request, "url": ""}
        return _ENTRY_KEY(alike)
    return kind


def check_shell(shell: dict[str, Any], where: str) -> None:
    """Validate a Bundle without its entries' resources (its type, its entries' fullUrl
    and request) as ``validate_resource`` does, cheaply: entries alike but for their
    ``fullUrl`` and ``request.url`` texts (a transaction's are all alike) are validated
    as one, the Bundle with one entry of each kind, and every such text by the field's
    own R4 type, in one call for all. Anything refused there is refused by validating
    the whole Bundle as before, so the sentence is the one it gives."""
    entries = shell.get("entry", [])
    try:
        kinds: dict[Any, dict[str, Any]] = {}
        for entry in entries:
            kinds.setdefault(_entry_kind(entry), entry)
    except (TypeError, ValueError):  # not plain JSON: validate the whole Bundle
        validate_resource(shell, where)
        return
    full_urls = [e["fullUrl"] for e in entries if type(e.get("fullUrl")) is str]
    urls = [r["url"] for r in (e.get("request") for e in entries)
            if type(r) is dict and type(r.get("url")) is str]
    full_url_list, url_list = _uri_lists()
    try:
        full_url_list.validate_python(full_urls)
        url_list.validate_python(urls)
        validate_resource({**shell, "entry": list(kinds.values())}, where)
    except (ValidationError, ImportRefused):
        validate_resource(shell, where)  # the whole Bundle: its own sentence


def _check_type(resource: Any, where: str) -> str:
    if not isinstance(resource, dict):
        raise ImportRefused(f"{where}: expected a JSON object (a FHIR resource), found "
                            f"{json_kind(resource)}.")
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        what = "missing" if rtype is None or rtype == "" else json_kind(rtype)
        raise ImportRefused(f"{where}: field 'resourceType' is {what}, so it is not a FHIR "
                            "resource.")
    if rtype not in _RESOURCE_TYPES:
        try:
            model = get_fhir_model_class(rtype)
        except (KeyError, ValueError):
            model = None
        # The models include data types (Extension, HumanName) and the abstract bases.
        if model is None or not issubclass(model, Resource) or rtype in (
                "Resource", "DomainResource"):
            raise ImportRefused(
                f"{where}: resourceType {shorten(rtype)!r} is not a FHIR R4 resource.")
        _RESOURCE_TYPES.add(rtype)
    return rtype


#: The resource types met so far that are FHIR R4 resources (each asked once).
_RESOURCE_TYPES: set[str] = set()


def parse_text(text: str, name: str = "the file") -> Any:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        raise ImportRefused(f"{name} is XML; only FHIR R4 JSON is imported.")
    if not stripped:
        raise ImportRefused(f"{name} is empty; expected FHIR R4 JSON.")
    try:
        # (A caller keeping what this returns holds the collector off around it too: on
        # again, the collector walks every container just made at its next allocation.)
        with no_collection():
            return json.loads(stripped, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may be truncated."
        ) from None
    except _NotJSON as exc:
        found = re.search(r"[\[:,]\s*(-?Infinity|NaN)\b", stripped)
        at = _position(stripped, found.start(1) if found else None)
        raise ImportRefused(f"{name} is not valid JSON: {exc}{at} is not a number JSON "
                            "allows.") from None
    except RecursionError:
        at = _position(stripped, _deep_at(stripped))
        raise ImportRefused(f"{name} nests JSON more than {_DEEP} levels deep{at}, too deeply "
                            "to be FHIR." if at else
                            f"{name} nests JSON too deeply to be FHIR.") from None
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        long = re.search(r"\d{4000,}", stripped)
        at = _position(stripped, long.start() if long else None)
        raise ImportRefused(f"{name} holds a number thousands of digits long{at}; no FHIR "
                            "value is that long.") from None


_DEEP = 500
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_at(text: str, limit: int = _DEEP) -> int | None:
    """Where brackets first nest deeper than ``limit`` (only after json gave up)."""
    depth = 0
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif mark in "]}":
            depth -= 1
    return None


class _NotJSON(ValueError):
    """NaN, Infinity or -Infinity met while reading."""


def _no_constant(constant: str) -> Any:
    """``json`` takes NaN, Infinity and -Infinity, which are not JSON (RFC 8259)."""
    raise _NotJSON(constant)


def _position(text: str, at: int | None) -> str:
    """`` (line 3, column 7)`` for an offset into ``text``; empty without one."""
    if at is None:
        return ""
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return f" (line {line}, column {column})"


#: Entries of a Bundle read between two calls of ``read_document``'s ``progress``.
EVERY = 2000


def read_document(doc: Any, checks: Checks | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ReadResult:
    """Split a parsed document into the entries to map and the skipped counts.

    Each resource to map is validated by ``checks`` (``fhir_pool``: here or in worker
    processes; the caller finishes them before relying on it), else here. A refusal is
    the first in the file's order either way: the one of the first resource refused.
    ``progress(done, total)`` is called every :data:`EVERY` entries of a Bundle (an
    exception it raises, say a Cancel, stops the reading)."""
    if checks is None:
        with Checks("import") as here:
            return read_document(doc, here, progress)
    try:
        result = _read(doc, checks, progress)
    except ImportRefused:
        checks.finish()  # a resource before this one refused first?
        raise
    checks.flush()  # (the last batch, validated while the caller maps what was read)
    return result


def _read(doc: Any, checks: Checks,
          progress: Callable[[int, int], None] | None = None) -> ReadResult:
    rtype = _check_type(doc, "The file")
    result = ReadResult()
    if rtype != "Bundle":
        if rtype in MAPPED:
            label = _label(doc)
            refs = scan(doc, label)
            checks.add(doc, label)
            result.entries.append(Entry(doc, where=label, refs=refs))
        else:
            result.skipped[rtype] = 1
        return result
    _refuse_other_version(doc, _label(doc))
    btype = doc.get("type")
    if btype not in BUNDLE_TYPES:
        shown = "missing" if btype is None else shorten(repr(btype))
        raise ImportRefused(
            f"{_label(doc)}: field 'type' is {shown}; a bundle of type "
            f"{', '.join(BUNDLE_TYPES)} is imported."
        )
    result.bundle_type = str(btype)
    entries = doc.get("entry", [])
    if not isinstance(entries, list):
        raise ImportRefused(f"{_label(doc)}: field 'entry' must be a list.")
    shell = {**doc, "entry": [{k: v for k, v in e.items() if k != "resource"}
                              for e in entries if isinstance(e, dict)]}
    scan(shell, _label(doc))
    check_shell(shell, _label(doc))  # (here, at once: before any resource, as in order)
    for i, entry in enumerate(entries):
        if progress is not None and i % EVERY == 0:
            progress(i, len(entries))
        where = f"Bundle entry {i + 1}"
        if not isinstance(entry, dict):
            raise ImportRefused(f"{where}: expected a JSON object.")
        res = entry.get("resource")
        if res is None:
            continue  # e.g. a DELETE in a transaction: nothing to take
        inner = _check_type(res, where)
        label = f"{where} ({_label(res)})"
        if inner in MAPPED:
            refs = scan(res, label)
            checks.add(res, label)
            result.entries.append(Entry(res, str(entry.get("fullUrl", "")), label, refs))
        elif inner == "Bundle":
            result.skipped["Bundle"] = result.skipped.get("Bundle", 0) + 1
        else:
            result.skipped[inner] = result.skipped.get(inner, 0) + 1
    return result


def read_file(path: str | Path, workers: int | None = None) -> ReadResult:
    """Read and check a FHIR file; raise ImportRefused with one sentence when refused.

    It is read and checked without the cyclic garbage collector (``no_collection``);
    its resources are validated in ``workers`` processes (``fhir_pool``; by default as
    many as it takes for a file this large, none for a small one: then here), with equal
    nested elements validated once (``fhir_memo``)."""
    if workers is None:
        workers = workers_for_file(file_size(path))
    with Checks("import", workers) as checks, no_collection():
        read = read_document(load_json(path), checks)
        checks.finish()
        return read


def file_size(path: str | Path) -> int:
    """The size of the file at ``path`` in bytes; 0 when it cannot be seen."""
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0  # (load_json says why it cannot be read)


def load_json(path: str | Path) -> Any:
    """The file's JSON, parsed but not yet checked as FHIR (``read_document`` does that);
    raise ImportRefused with one sentence when it cannot be read as JSON."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"{p} cannot be read ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"{p.name} is not UTF-8 text (byte {exc.start + 1:,} is not "
                            "valid UTF-8), so it is not FHIR JSON.") from None
    del raw
    return parse_text(text, p.name)


def iter_resources(result: ReadResult) -> Iterator[dict[str, Any]]:
    for e in result.entries:
        yield e.resource
