"""The resources of a FHIR export, validated once each and written as they are made.

Neither the Bundle nor its entries are held: each resource is built from the records,
validated (``fhir_export.validate``, with equal nested elements checked once:
``fhir_memo``), encoded and written, then dropped. The records themselves are set aside
from the garbage collector while the export runs (``fhir_memo.set_aside``): they live until the
end anyway, and a collector walking a few hundred thousand of them again and again was a
third of the time of a 10,000-person export.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from careplan.export import fhir_codes as fc
from careplan.export import fhir_export as fx
from careplan.export.audience import Shared
from careplan.export.fhir_memo import set_aside, shared_elements
from careplan.export.fhir_pool import Checks
from careplan.export.records import Records
from careplan.models import Agency, Professional

Resource = dict[str, Any]
Progress = Callable[[int, int], None]


def _referenced(rec: Records) -> tuple[list[Agency], list[Professional]]:
    """The organisations and practitioners the persons' resources refer to (with the
    agencies of those practitioners and the persons' GP practices)."""
    wanted: set[str] = set()
    for person in rec.persons:
        for res in fx.person_resources(person, rec):
            wanted.update(fx._references(res))
    wanted |= {f"Organization/{rec.professionals[p.split('/')[1]].agency_id}"
               for p in wanted if p.startswith("Practitioner/")
               and p.split("/")[1] in rec.professionals}
    wanted |= {f"Organization/{rec.agencies[a].id}" for a in (
        p.gp_practice_id for p in rec.persons) if a in rec.agencies}
    return ([a for a in rec.agencies.values() if f"Organization/{a.id}" in wanted],
            [p for p in rec.professionals.values() if f"Practitioner/{p.id}" in wanted])


def made(rec: Records, *, only_referenced: bool = False,
         progress: Progress | None = None,
         shared: Shared | None = None) -> Iterator[Resource]:
    """Every resource of the export, in Bundle order (organisations, practitioners and
    their roles, then each person's own), not yet validated (see :func:`resources`).

    With ``shared`` (what an audience receives: careplan.export.audience; ``rec`` is then
    its records), each person whose records were withheld in part has a List saying what
    and why after their own resources, and persons left out are counted in a last List."""
    agencies: Iterable[Agency] = rec.agencies.values()
    profs: Iterable[Professional] = rec.professionals.values()
    if only_referenced:
        agencies, profs = _referenced(rec)
    for a in agencies:
        yield fx.organization(a)
    for p in profs:
        yield fx.practitioner(p)
        yield fx.practitioner_role(p)
    total = len(rec.persons)
    for i, person in enumerate(rec.persons, 1):
        yield from fx.person_resources(person, rec)
        if shared is not None and (lines := shared.sentences(person.id)):
            yield fx.withheld_list(person, lines, shared.audience.name)
        if progress is not None:
            progress(i, total)
    if shared is not None and (left_out := shared.persons_sentence()):
        yield fx.persons_left_out_list(left_out, shared.audience.name)


def resources(rec: Records, *, only_referenced: bool = False,
              progress: Progress | None = None,
              shared: Shared | None = None) -> Iterator[Resource]:
    """The resources of :func:`made`, each validated here, once, before it is yielded
    (an export of many validates in worker processes instead: ``fhir_pool``)."""
    validate = fx.validate
    with shared_elements():
        for res in made(rec, only_referenced=only_referenced, progress=progress,
                        shared=shared):
            validate(res)
            yield res


def bundle_fields(redacted: bool = False) -> Resource:
    """The Bundle's own fields; ``redacted``: it carries the security label ``REDACTED``
    (something was withheld from its audience)."""
    fields: Resource = {"resourceType": "Bundle", "id": str(uuid.uuid4())}
    if redacted:
        fields["meta"] = {"security": [fc.coding(fc.V3_OBSERVATION_VALUE, "REDACTED",
                                                    "redacted")]}
    fields.update({"type": "transaction",
                   "timestamp": fx.fhir_datetime(datetime.now(fx.LONDON))})
    return fields


def bundle_head(redacted: bool = False) -> str:
    """The Bundle's own fields, as JSON without its closing brace."""
    return json.dumps(bundle_fields(redacted), ensure_ascii=False)[:-1]


def write_bundle(fh: IO[str], items: Iterable[Resource], redacted: bool = False,
                 checks: Checks | None = None) -> int:
    """Write a transaction Bundle of ``items`` to ``fh``, one entry a line (diffable,
    greppable, and json's fast C encoder: ``indent=`` falls back to the pure-Python
    one); return how many entries. With ``checks``, each resource's JSON text is handed
    to them as it is written (the caller finishes them before keeping the file)."""
    dumps = json.dumps
    fh.write(f'{bundle_head(redacted)}, "entry": [\n')
    count = 0
    for res in items:
        rtype, rid = res["resourceType"], res["id"]
        text = dumps(res, ensure_ascii=False)
        if checks is not None:
            checks.add(res, text)
        # as json.dumps of {"fullUrl", "resource", "request"} writes it, byte for byte
        fh.write(("" if count == 0 else ",\n") + '{"fullUrl": '
                 + dumps("urn:uuid:" + rid, ensure_ascii=False) + ', "resource": ' + text
                 + ', "request": {"method": "PUT", "url": '
                 + dumps(rtype + "/" + rid, ensure_ascii=False) + "}}")
        count += 1
    fh.write("\n]}\n")
    return count


def export_bundle(rec: Records, tmp: Path, *, only_referenced: bool,
                  progress: Progress | None = None, shared: Shared | None = None,
                  checks: Checks | None = None) -> int:
    """Write the Bundle of ``rec`` to ``tmp`` (for ``shared``'s audience, if given: see
    :func:`made`), each resource validated once by ``checks`` (here, when None; see
    ``fhir_pool``); return how many entries it has."""
    redacted = shared is not None and shared.anything_withheld
    with ExitStack() as stack:
        if checks is None:
            checks = stack.enter_context(Checks("export"))
        stack.enter_context(set_aside())
        fh = stack.enter_context(tmp.open("w", encoding="utf-8", buffering=1 << 20))
        count = write_bundle(fh, made(rec, only_referenced=only_referenced,
                                      progress=progress, shared=shared), redacted, checks)
        checks.finish()
        return count
