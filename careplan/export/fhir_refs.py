"""Ids and references for the FHIR importer: which entity a FHIR reference points at.

A resource keeps its id when it is a UUID (ours always are, so a round trip keeps every
id); any other id becomes a name-based UUID of ``Type/id``, so two files that refer to
``Patient/f201`` meet on the same person, and importing a file twice finds what the
first import wrote instead of doubling it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from careplan.export.fhir_read import Entry

_NS = uuid.UUID("0b6f7a52-54a4-4c1e-9a7c-4a1f2f65d0a3")
TABLES = {
    "Patient": "persons",
    "Organization": "agencies",
    "Practitioner": "professionals",
    "CarePlan": "care_plans",
    "Encounter": "hospital_stays",
    "ServiceRequest": "referrals",
}


def entity_id(key: str) -> str:
    """The entity id for a resource known as ``key`` (``Type/id`` or ``Type/id#contained``)."""
    rid = key.split("/", 1)[1] if "/" in key else key
    try:
        if "#" not in rid and str(uuid.UUID(rid)) == rid:
            return rid
    except ValueError:
        pass
    return str(uuid.uuid5(_NS, key))


@dataclass
class Located:
    """A resource found in the file, with its key (``Type/id``)."""

    key: str
    rtype: str
    resource: dict[str, Any]


class Index:
    """Every resource of the file by each address a reference may use for it."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_address: dict[str, Located] = {}
        self.all: list[Located] = []
        self._contained: dict[str, list[Located]] = {}
        for n, entry in enumerate(entries):
            res = entry.resource
            rtype = res["resourceType"]
            rid = res.get("id") or entry.full_url.rsplit("/", 1)[-1] or f"entry-{n}"
            loc = Located(f"{rtype}/{rid}", rtype, res)
            self.all.append(loc)
            self._add(loc.key, loc)
            if entry.full_url:
                self._add(entry.full_url, loc)
                tail = "/".join(entry.full_url.rstrip("/").split("/")[-2:])
                if tail.startswith(rtype + "/"):
                    self._add(tail, loc)
            for inner in res.get("contained", []) or []:
                cid = inner.get("id")
                if cid:
                    inner_loc = Located(f"{loc.key}#{cid}", inner["resourceType"], inner)
                    self._add(inner_loc.key, inner_loc)
                    self._contained.setdefault(loc.key, []).append(inner_loc)

    def _add(self, address: str, loc: Located) -> None:
        self.by_address.setdefault(address, loc)

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
