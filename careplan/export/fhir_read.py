"""Read FHIR R4 JSON for import: a Bundle or a single resource, or a one-sentence refusal.

Refusals (``ImportRefused``) name the resource and the field: malformed or truncated
JSON, XML, a resourceType FHIR R4 does not have, STU3 (or other non-R4) content, and
resources that break the R4 structure. Resources the importer does not map are counted
as skipped without being validated, so a 50 MB Synthea bundle costs only what maps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

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


class ImportRefused(ValueError):
    """The file cannot be imported; the message is one sentence for the user."""


@dataclass
class Entry:
    """One resource from the file, with the address other resources may use for it."""

    resource: dict[str, Any]
    full_url: str = ""


@dataclass
class ReadResult:
    entries: list[Entry] = field(default_factory=list)
    #: Resource types met but not mapped, with how many.
    skipped: dict[str, int] = field(default_factory=dict)
    bundle_type: str = ""


def _label(resource: dict[str, Any]) -> str:
    rtype = resource.get("resourceType", "resource")
    rid = resource.get("id")
    return f"{rtype}/{rid}" if isinstance(rid, str) and rid else str(rtype)


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
    msg = str(err["msg"]).rstrip(".")
    value = err.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
    return f"{where}: field {loc!r} is not valid R4: {msg}{shown}."


def validate_resource(resource: dict[str, Any], where: str | None = None) -> None:
    """Check one resource against the R4 model of its type, or refuse it."""
    label = where or _label(resource)
    _refuse_other_version(resource, label)
    rtype = resource.get("resourceType")
    try:
        model = get_fhir_model_class(str(rtype))
    except (KeyError, ValueError, TypeError):
        raise ImportRefused(f"{label}: resourceType {rtype!r} is not a FHIR R4 resource.") from None
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        raise ImportRefused(_sentence(label, exc)) from None


def _check_type(resource: Any, where: str) -> str:
    if not isinstance(resource, dict):
        raise ImportRefused(f"{where}: expected a JSON object, found {type(resource).__name__}.")
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        raise ImportRefused(f"{where}: field 'resourceType' is missing, so it is not a FHIR "
                            "resource.")
    try:
        get_fhir_model_class(rtype)
    except (KeyError, ValueError):
        raise ImportRefused(
            f"{where}: resourceType {rtype!r} is not a FHIR R4 resource.") from None
    return rtype


def parse_text(text: str, name: str = "the file") -> Any:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<"):
        raise ImportRefused(f"{name} is XML; only FHIR R4 JSON is imported.")
    if not stripped:
        raise ImportRefused(f"{name} is empty; expected FHIR R4 JSON.")
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "it may be truncated."
        ) from None
    except RecursionError:
        raise ImportRefused(f"{name} nests JSON too deeply to be FHIR.") from None


def read_document(doc: Any) -> ReadResult:
    """Split a parsed document into the entries to map and the skipped counts."""
    rtype = _check_type(doc, "The file")
    result = ReadResult()
    if rtype != "Bundle":
        if rtype in MAPPED:
            validate_resource(doc)
            result.entries.append(Entry(doc))
        else:
            result.skipped[rtype] = 1
        return result
    _refuse_other_version(doc, _label(doc))
    btype = doc.get("type")
    if btype not in BUNDLE_TYPES:
        raise ImportRefused(
            f"{_label(doc)}: field 'type' is {btype!r}; a bundle of type "
            f"{', '.join(BUNDLE_TYPES)} is imported."
        )
    result.bundle_type = str(btype)
    entries = doc.get("entry", [])
    if not isinstance(entries, list):
        raise ImportRefused(f"{_label(doc)}: field 'entry' must be a list.")
    shell = {**doc, "entry": [{k: v for k, v in e.items() if k != "resource"}
                              for e in entries if isinstance(e, dict)]}
    validate_resource(shell, _label(doc))
    for i, entry in enumerate(entries):
        where = f"Bundle entry {i + 1}"
        if not isinstance(entry, dict):
            raise ImportRefused(f"{where}: expected a JSON object.")
        res = entry.get("resource")
        if res is None:
            continue  # e.g. a DELETE in a transaction: nothing to take
        inner = _check_type(res, where)
        label = f"{where} ({_label(res)})"
        if inner in MAPPED:
            validate_resource(res, label)
            result.entries.append(Entry(res, str(entry.get("fullUrl", ""))))
        elif inner == "Bundle":
            result.skipped["Bundle"] = result.skipped.get("Bundle", 0) + 1
        else:
            result.skipped[inner] = result.skipped.get(inner, 0) + 1
    return result


def read_file(path: str | Path) -> ReadResult:
    """Read and check a FHIR file; raise ImportRefused with one sentence when refused."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ImportRefused(f"{p} cannot be read ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(f"{p.name} is not UTF-8 text, so it is not FHIR JSON.") from None
    return read_document(parse_text(text, p.name))


def iter_resources(result: ReadResult) -> Iterator[dict[str, Any]]:
    for e in result.entries:
        yield e.resource
