"""Ids and references for the FHIR importer: which entity a FHIR reference points at.

A resource keeps its id when it is a UUID (ours always are, so a round trip keeps every
id); any other id becomes a name-based UUID of ``Type/id``, so two files that refer to
``Patient/f201`` meet on the same person, and importing a file twice finds what the
first import wrote instead of doubling it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from careplan.export.fhir_read import Entry, ImportRefused, scan, shorten

_NS = uuid.UUID("0b6f7a52-54a4-4c1e-9a7c-4a1f2f65d0a3")
TABLES = {
    "Patient": "persons",
    "Organization": "agencies",
    "Practitioner": "professionals",
    "CarePlan": "care_plans",
    "Encounter": "hospital_stays",
    "ServiceRequest": "referrals",
}


#: A UUID written as ``str(uuid.UUID(...))`` writes it: lower case, 8-4-4-4-12.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def entity_id(key: str) -> str:
    """The entity id for a resource known as ``key`` (``Type/id`` or ``Type/id#contained``)."""
    rid = key.split("/", 1)[1] if "/" in key else key
    if _CANONICAL_UUID.fullmatch(rid):  # (as str(uuid.UUID(rid)) == rid, without parsing)
        return rid
    return str(uuid.uuid5(_NS, key))


@dataclass
class Located:
    """A resource found in the file, with its key (``Type/id``)."""

    key: str
    rtype: str
    resource: dict[str, Any]
    #: Where it is in the file, for refusals: ``Bundle entry 3 (Patient/p1)``.
    where: str = ""


class Index:
    """Every resource of the file by each address a reference may use for it.

    Refuses (``ImportRefused``) what would make a reference mean two things or lead in
    circles: two different resources with one fullUrl or one ``Type/id``, a resource
    that refers to itself, and a PractitionerRole whose practitioner is not a
    Practitioner (the one reference the importer follows on to another).
    """

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_address: dict[str, Located] = {}
        self.all: list[Located] = []
        self._contained: dict[str, list[Located]] = {}
        refs: list[tuple[Located, str, str]] = []
        for n, entry in enumerate(entries):
            res = entry.resource
            rtype = res["resourceType"]
            rid = res.get("id") or entry.full_url.rsplit("/", 1)[-1] or f"entry-{n}"
            loc = Located(f"{rtype}/{rid}", rtype, res, entry.where or f"{rtype}/{rid}")
            first = self._add(loc.key, loc, "are two different resources called")
            if entry.full_url:
                self._add(entry.full_url, loc, "have the same fullUrl", first)
                tail = "/".join(entry.full_url.rstrip("/").split("/")[-2:])
                if tail.startswith(rtype + "/"):
                    self.by_address.setdefault(tail, first)
            if first is not loc:
                continue  # the same resource given twice: taken once, found by either
            self.all.append(loc)
            refs += [(loc, top, ref) for top, ref in entry.refs]
            for inner in res.get("contained", []) or []:
                cid = inner.get("id")
                if cid:
                    inner_loc = Located(f"{loc.key}#{cid}", inner["resourceType"], inner,
                                        f"{loc.where} contained {shorten(cid)!r}")
                    self._add(inner_loc.key, inner_loc,
                              "are two different contained resources called")
                    self._contained.setdefault(loc.key, []).append(inner_loc)
                    refs += [(inner_loc, top, ref) for top, ref in scan(inner, inner_loc.where)]
        for loc, top, ref in refs:
            # An absolute URL counts only as the resource's own fullUrl: by its tail alone,
            # http://elsewhere/Patient/p1 may be another server's record of the patient.
            target = self.by_address.get(ref) if "://" in ref else self.find(ref, loc.key)
            if target is loc:
                raise ImportRefused(f"{loc.where}: field {shorten(top)!r} refers to the "
                                    "resource itself.")
        for loc in self.all + [c for cs in self._contained.values() for c in cs]:
            if loc.rtype == "PractitionerRole":
                self._check_role(loc)

    def _add(self, address: str, loc: Located, clash: str,
             file: Located | None = None) -> Located:
        """File ``loc`` (or ``file``, an earlier copy of it) under ``address``; return what
        is filed there. The same resource twice is harmless: the first copy stays. Two
        different resources under one address are refused."""
        there = self.by_address.setdefault(address, file or loc)
        if there is not (file or loc) and there.resource != loc.resource:
            raise ImportRefused(f"{there.where} and {loc.where} {clash} "
                                f"{shorten(address)!r}; a reference to it would be ambiguous.")
        return there

    def _check_role(self, role: Located) -> None:
        """Its practitioner, when in the file, must be a Practitioner: the importer goes
        on from a role to its practitioner, so a role pointing at a role would chain."""
        text = (role.resource.get("practitioner") or {}).get("reference")
        target = self.find(text, role.key) if isinstance(text, str) else None
        if target is not None and target.rtype != "Practitioner":
            raise ImportRefused(f"{role.where}: field 'practitioner' refers to "
                                f"{shorten(target.key)!r}, a {target.rtype}; it must refer "
                                "to a Practitioner.")

    def find(self, reference: str, scope: str) -> Located | None:
        """The resource a reference string points at, if it is in the file."""
        if reference.startswith("#"):
            return self.by_address.get(f"{scope.split('#')[0]}{reference}")
        found = self.by_address.get(reference)
        if found is None and "/" in reference and not reference.startswith("urn:"):
            parts = reference.split("/_history/")[0].rstrip("/").split("/")
            found = self.by_address.get("/".join(parts[-2:]))
        return found

    def contained(self, key: str) -> list[Located]:
        return self._contained.get(key, [])


def ref_key(reference: str) -> str | None:
    """``Type/id`` of a literal reference that is not in the file (it may be stored)."""
    if reference.startswith(("#", "urn:")) or "?" in reference:
        return None
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) < 2:
        return None
    return f"{parts[-2]}/{parts[-1]}"
