"""Import FHIR R4 (a Bundle or one resource) into the store, all or nothing.

What maps becomes domain entities (see docs/fhir-mapping.md); what does not is counted
as skipped. References that resolve neither in the file nor in the store are reported
and the field they fill is left empty (or the record skipped when it cannot stand
without it). The whole import is one transaction: on any error nothing is written.
"""

from __future__ import annotations

import functools
import re
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from careplan import resources
from careplan.export import fhir_codes as fc
from careplan.export import fhir_memo
from careplan.export.fhir_export import LONDON
from careplan.export.fhir_pool import Checks, workers_for_import
from careplan.export.fhir_read import (
    ImportRefused,
    ReadResult,
    file_size,
    load_json,
    read_document,
)
from careplan.export.fhir_refs import TABLES, Index, Located, entity_id, ref_key
from careplan.models import ENTITY_TYPES, Agency, Entity, Person, Professional
from careplan.models.condition_codes import ConditionCodes
from careplan.models.enums import AgencyKind, NeedDomain, Sector
from careplan.models.matching import Identity
from careplan.store import Store, add_many

#: Placeholder for practitioners whose organisation the file does not say.
UNKNOWN_AGENCY_ID = entity_id("Organization/careplan-unknown-organisation")
_MAX_LISTED = 50


@dataclass
class ImportReport:
    """What an import did, for the summary the user sees."""

    imported: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    already: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    def lines(self) -> list[str]:
        def fmt(c: Counter[str]) -> str:
            return ", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "nothing"

        out = [f"Imported: {fmt(self.imported)}.",
               f"Skipped (not mapped): {fmt(self.skipped)}."]
        if self.already:
            out.append(f"Already in the store (left as they were): {fmt(self.already)}.")
        if self.unresolved:
            out.append(f"Unresolved references: {len(self.unresolved)}.")
            out += [f"  - {u}" for u in self.unresolved[:_MAX_LISTED]]
        if self.warnings:
            out.append(f"Warnings: {len(self.warnings)}.")
            out += [f"  - {w}" for w in self.warnings[:_MAX_LISTED]]
        hidden = max(0, len(self.unresolved) - _MAX_LISTED) + max(
            0, len(self.warnings) - _MAX_LISTED)
        if hidden:
            out.append(f"  ({hidden} more not listed)")
        return out


#: A leap second (``23:59:60``) is a valid FHIR time; Python's datetime has none.
_LEAP_SECOND = re.compile(r"(?<=T\d\d:\d\d):60")


def parse_date(value: Any) -> date | None:
    """A FHIR date or dateTime as a date in the UK; partial dates (``1974``) give None.

    A dateTime is an instant: its date is the date in Europe/London at that instant, so
    an Encounter ending ``2026-06-30T23:30:00Z`` (00:30 British Summer Time) ends on
    1 July. A dateTime without a zone is not valid FHIR (R4 requires one with a time, and
    the R4 check refuses it before mapping); were one met, it would be taken as UK local
    time, the way CarePlan keeps its own times.
    """
    if not isinstance(value, str) or len(value) < 10:
        return None
    if len(value) > 10:
        moment = parse_datetime(value)
        if moment is not None:
            return moment.date()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """A FHIR dateTime as UK local wall-clock time without a zone (as the app keeps it)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = _LEAP_SECOND.sub(":59", value.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(LONDON).replace(tzinfo=None)
    return parsed


@functools.lru_cache(maxsize=1)
def condition_codes() -> ConditionCodes:
    """The value sets that give a coded condition its domain (resources/condition_codes)."""
    return ConditionCodes.from_data(resources.condition_value_sets())


#: What the import stores as the family name of a Patient that gives none.
NO_NAME = "(not given)"


def person_identity(person: Person) -> Identity:
    """What the matching rule compares of a stored (or just built) person."""
    family = [] if person.family_name == NO_NAME else [person.family_name]
    return Identity.of(person.nhs_number, person.birth_date, family)


def local_code(concepts: Any, system: str) -> str | None:
    """The code of ``system`` in a CodeableConcept, a Coding or a list of concepts."""
    items = concepts if isinstance(concepts, list) else [concepts]
    for item in items:
        if not isinstance(item, dict):
            continue
        codings = item.get("coding", [item]) if "coding" in item else [item]
        for c in codings:
            if isinstance(c, dict) and c.get("system") == system and c.get("code"):
                return str(c["code"])
    return None


#: Each enum's members by the slug of their value, made once an enum.
_SLUGS: dict[type[Any], dict[str, Any]] = {}


def enum_from_slug(kind: type[Any], code: str | None) -> Any:
    """The member of ``kind`` whose value's slug is ``code`` (the first, should two
    share one), or None."""
    if code is None:
        return None
    slugs = _SLUGS.get(kind)
    if slugs is None:
        slugs = _SLUGS[kind] = {}
        for member in kind:
            slugs.setdefault(fc.slug(str(member.value)), member)
    return slugs.get(code)


def need_domain(concepts: Any) -> NeedDomain:
    """The care domain of a need or referral from our local coding (OTHER without it)."""
    found = enum_from_slug(NeedDomain, local_code(concepts, fc.cs("need-domain")))
    return found if found is not None else NeedDomain.OTHER


def codings(concept: Any) -> list[tuple[str, str]]:
    """The (system, code) pairs of a CodeableConcept."""
    if not isinstance(concept, dict):
        return []
    return [(str(c.get("system")), str(c.get("code"))) for c in concept.get("coding", []) or []
            if isinstance(c, dict) and c.get("system") and c.get("code")]


def extension(res: dict[str, Any], name: str) -> list[dict[str, Any]]:
    url = fc.ext(name)
    return [e for e in res.get("extension", []) or [] if e.get("url") == url]


def ext_value(res: dict[str, Any], name: str, kind: str) -> Any:
    found = extension(res, name)
    return found[0].get(kind) if found else None


def sub_values(ext: dict[str, Any]) -> dict[str, Any]:
    """A complex extension's parts as ``{url: value}``."""
    out: dict[str, Any] = {}
    for part in ext.get("extension", []) or []:
        for k, v in part.items():
            if k.startswith("value"):
                out[part["url"]] = v
    return out


def concept_text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for c in concept.get("coding", []) or []:
        if c.get("display"):
            return str(c["display"])
    return ""


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


#: ``progress(done, total)``: how far an import is, in steps of its three passes (the
#: resources read, mapped, and their records written), :data:`STEPS` each.
Progress = Callable[[int, int], None]
STEPS = 1000
#: Records inserted between two calls of ``progress`` (all in the one transaction).
WRITE_EVERY = 10_000


@dataclass
class Steps:
    """Reports an import's progress; once ``progress`` raises (a Cancel), the import
    stops where it is and nothing is written (``stopped``: the resources still being
    validated are not waited for)."""

    progress: Progress | None = None
    stopped: bool = False

    def at(self, phase: int, done: int, of: int) -> None:
        if self.progress is None:
            return
        part = STEPS * min(done, of) // of if of > 0 else 0
        try:
            self.progress(phase * STEPS + part, 3 * STEPS)
        except BaseException:
            self.stopped = True
            raise


class Importer:
    """One import: resolves references, builds entities, then writes them at once."""

    def __init__(self, store: Store, read: ReadResult, actor: str,
                 steps: Steps | None = None) -> None:
        self.store = store
        self.actor = actor
        self.steps = steps if steps is not None else Steps()
        self._handed = 0  # resources handed to the mapping so far (:meth:`of_type`)
        self.index = Index(read.entries)
        self.report = ImportReport()
        self.report.skipped.update(read.skipped)
        self.entities: dict[str, Entity] = {}
        #: resource key -> entity id, for everything imported or found in the store.
        self.eid: dict[str, str] = {}
        self._exists_cache: dict[tuple[str, str], bool] = {}
        self._empty: dict[str, bool] = {}
        self.used: set[str] = set()
        self.professional_agency: dict[str, str] = {}
        #: Identifiers of what this import adds, so a lookup by identifier is one dict
        #: access rather than a walk through everything read so far.
        self._by_nhs: dict[str, str] = {}
        self._by_ods: dict[str, str] = {}
        self._stored_ids: dict[tuple[str, str], str | None] = {}
        #: Where each person of this import came from (``Bundle entry 2 (Patient/p1)``).
        self.person_where: dict[str, str] = {}
        #: Stored persons a Patient of this file was matched to (NHS number, date of
        #: birth and family name agreeing): the only stored persons an identifier-only
        #: reference may name.
        self.matched_stored: set[str] = set()
        #: Ids the file gives records inside resources (participants, activities,
        #: referral steps...): two records with one id are refused.
        self._given_ids: dict[str, str] = {}
        self.codes = condition_codes()
        self._by_type: dict[str, list[Located]] | None = None
        #: Conditions coded in SNOMED CT or ICD-10 outside the value sets.
        self.uncoded_conditions = 0

    # -- references ------------------------------------------------------------------

    def in_store(self, table: str, eid: str) -> bool:
        empty = self._empty.get(table)
        if empty is None:  # asked once a table: into an empty one, no record is there
            row = self.store.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
            empty = self._empty[table] = row is None
        if empty:
            return False
        key = (table, eid)
        if key not in self._exists_cache:
            row = self.store.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (eid,))
            self._exists_cache[key] = row.fetchone() is not None
        return self._exists_cache[key]

    def resolve(self, reference: Any, scope: Located, want: str, what: str,
                follow: bool = True) -> str | None:
        """The entity id a reference points at (a ``want`` type), or None (reported).

        A PractitionerRole where a Practitioner is wanted stands for its practitioner:
        one step on (``follow``), never more, so roles pointing at roles cannot loop.
        """
        if not isinstance(reference, dict):
            return None
        text = reference.get("reference")
        if not isinstance(text, str):
            by_id = self.by_identifier(reference, want)
            ident = reference.get("identifier") or {}
            if (by_id is None and want == "Patient" and ident.get("system") == fc.NHS_NUMBER
                    and self._stored_by("persons", "nhs_number", str(ident.get("value")))):
                self.report.unresolved.append(
                    f"{scope.key} {what}: an NHS number alone does not match a stored "
                    "person (the date of birth and family name must agree too: give the "
                    "Patient)")
            return by_id
        loc = self.index.find(text, scope.key)
        if loc is not None:
            if loc.rtype == "PractitionerRole" and want == "Practitioner" and follow:
                return self.resolve(loc.resource.get("practitioner"), loc, want, what,
                                    follow=False)
            if loc.rtype == want and loc.key in self.eid:
                return self.eid[loc.key]
        else:
            key = ref_key(text)
            if key and key.startswith(want + "/") and want in TABLES:
                eid = entity_id(key)
                found = self.entities.get(eid)
                # A UUID id is kept as it is, so another type's record may carry it.
                if (found is not None and TABLES[want] == found.TABLE) or self.in_store(
                        TABLES[want], eid):
                    return eid
        self.report.unresolved.append(f"{scope.key} {what}: {text}")
        return None

    def by_identifier(self, reference: dict[str, Any], want: str) -> str | None:
        ident = reference.get("identifier") or {}
        value, system = ident.get("value"), ident.get("system")
        if not value:
            return None
        if want == "Organization" and system == fc.ODS_CODE:
            if value in self._by_ods:
                return self._by_ods[value]
            return self._stored_by("agencies", "ods_code", value)
        if want == "Patient" and system == fc.NHS_NUMBER:
            if value in self._by_nhs:
                return self._by_nhs[value]
            stored = self._stored_by("persons", "nhs_number", value)
            # An NHS number alone never matches a stored person (careplan.models.matching):
            # only one a Patient of this file was matched to, by NHS number, date of birth
            # and family name.
            return stored if stored in self.matched_stored else None
        return None

    def person_by_nhs(self, number: str) -> str | None:
        """The person of this import, else the stored person, with this NHS number."""
        if number in self._by_nhs:
            return self._by_nhs[number]
        return self._stored_by("persons", "nhs_number", number)

    def identity_of(self, person_id: str) -> Identity | None:
        """What the matching rule compares of a person of this import or the store."""
        entity = self.entities.get(person_id)
        if isinstance(entity, Person):
            return person_identity(entity)
        row = self.store.conn.execute(
            "SELECT nhs_number, birth_date, family_name FROM persons WHERE id = ?",
            (person_id,)).fetchone()
        if row is None:
            return None
        family = [] if row[2] == NO_NAME else [str(row[2])]
        return Identity.of(row[0], date.fromisoformat(str(row[1])[:10]), family)

    def ref_type(self, reference: Any, scope: Located) -> str | None:
        """The resource type a reference points at: from the file when it is there (so
        ``urn:uuid:`` references have one), else from its text or its ``type``."""
        if not isinstance(reference, dict):
            return None
        text = reference.get("reference")
        if isinstance(text, str):
            found = self.index.find(text, scope.key)
            if found is not None:
                return found.rtype
            key = ref_key(text)
            if key is not None:
                return key.split("/", 1)[0]
        kind = reference.get("type")
        return kind if isinstance(kind, str) else None

    def agency_of(self, professional_id: str | None) -> str | None:
        """The agency of a professional of this import or the store."""
        if professional_id is None:
            return None
        entity = self.entities.get(professional_id)
        if isinstance(entity, Professional):
            return entity.agency_id
        row = self.store.conn.execute("SELECT agency_id FROM professionals WHERE id = ?",
                                      (professional_id,)).fetchone()
        return str(row[0]) if row else None

    def _stored_by(self, table: str, column: str, value: str) -> str | None:
        """The stored record with this identifier, asked once per value (agencies have
        no index on their ODS code, and a thousand patients share a few practices)."""
        key = (column, value)
        if key not in self._stored_ids:
            rows = self.store.query(f"SELECT id FROM {table} WHERE {column} = ?", (value,))
            self._stored_ids[key] = str(rows[0]["id"]) if rows else None
        return self._stored_ids[key]

    # -- adding ----------------------------------------------------------------------

    def add(self, loc: Located, build: Callable[[str], Entity | None],
            table: str | None = None) -> str | None:
        """Build the entity for ``loc`` (unless stored already) and remember its id."""
        eid = entity_id(loc.key)
        if loc.key in self.eid:
            return self.eid[loc.key]
        other = self.entities.get(eid)
        if other is not None and table is not None and table != other.TABLE:
            raise ImportRefused(f"{loc.where}: its id is already the id of {_a(other.NOUN)} "
                                "in the file; each record needs its own id.")
        if other is not None:
            self.eid[loc.key] = eid
            return eid
        if table and self.in_store(table, eid):
            self.report.already[loc.rtype] += 1
            self.eid[loc.key] = eid
            return eid
        try:
            entity = build(eid)
        except ValueError as exc:
            self.report.warn(f"{loc.key} not imported: {exc}.")
            return None
        if entity is None:
            return None
        self.put(entity)
        self.eid[loc.key] = entity.id
        return entity.id

    def make(self, where: str, cls: type[Entity], given: str | None = None,
             **fields: Any) -> str | None:
        """Build a record that belongs to another (a plan's need, a stay's delay) and
        put it; a value the domain refuses skips it with a warning, as ``add`` does.
        ``given``: where the file gave the record's id itself (see :meth:`put`)."""
        try:
            entity = cls(**fields)
        except ValueError as exc:
            self.report.warn(f"{where} not imported: {exc}.")
            return None
        self.put(entity, given)
        return entity.id

    def put(self, entity: Entity, given: str | None = None) -> None:
        """Add ``entity`` to what the import writes (once: a record already put or stored
        is counted as already there). ``given`` says where the file gave the entity's id
        (``Task/t1 referral step 2``): two records of the file with one id are refused,
        as two resources with one id are."""
        if given is not None:
            first = self._given_ids.setdefault(entity.id, given)
            if first != given:
                raise ImportRefused(f"{first} and {given} have the same id "
                                    f"{entity.id!r}; each record needs its own id.")
        other = self.entities.get(entity.id)
        if other is not None and type(other) is not type(entity):
            raise ImportRefused(f"The file gives the id {entity.id} to both {other.NOUN} "
                                f"and {entity.NOUN} records; each record needs its own id.")
        if other is not None or self.in_store(entity.TABLE, entity.id):
            self.report.already[entity.NOUN] += 1
            return
        self.entities[entity.id] = entity
        self.report.imported[entity.NOUN] += 1
        if isinstance(entity, Person) and entity.nhs_number:
            self._by_nhs.setdefault(entity.nhs_number, entity.id)
        elif isinstance(entity, Agency) and entity.ods_code:
            self._by_ods.setdefault(entity.ods_code, entity.id)

    def of_type(self, rtype: str) -> list[Located]:
        if self._by_type is None:  # grouped once: map_all asks for each type in turn
            self._by_type = {}
            for loc in self.index.all:
                self._by_type.setdefault(loc.rtype, []).append(loc)
        found = list(self._by_type.get(rtype, ()))
        self.steps.at(1, self._handed, len(self.index.all))
        self._handed += len(found)
        return found

    def unknown_agency(self) -> str:
        if UNKNOWN_AGENCY_ID not in self.entities and not self.in_store(
                "agencies", UNKNOWN_AGENCY_ID):
            self.put(Agency(id=UNKNOWN_AGENCY_ID, name="Organisation not stated (FHIR import)",
                            sector=Sector.HEALTH, kind=AgencyKind.OTHER))
        return UNKNOWN_AGENCY_ID

    # -- writing -----------------------------------------------------------------------

    def write(self, checks: Checks | None = None,
              committing: Callable[[], None] | None = None) -> None:
        """Write what was built, in one transaction. With ``checks`` still validating
        (in worker processes), the records are inserted meanwhile and committed only once
        every resource is valid: a refusal, or any error, rolls everything back, and a
        resource refused is the refusal, even when the insert stumbled over it first.
        ``committing()`` is called last before the commit (the app's point of no return:
        a Cancel asked for before it raises there, and nothing is written)."""
        if self.uncoded_conditions:
            n = self.uncoded_conditions
            self.report.warn(
                f"{n} condition{'s' if n != 1 else ''} coded in SNOMED CT or ICD-10 outside "
                "CarePlan's condition value sets: care domain 'other' (the value sets are "
                "in careplan/resources/condition_codes.toml).")
        order = {cls: i for i, cls in enumerate(ENTITY_TYPES)}
        batch = sorted(self.entities.values(), key=lambda e: order[type(e)])
        with self.store.atomic():
            try:
                for start in range(0, len(batch), WRITE_EVERY):
                    self.steps.at(2, start, len(batch))
                    add_many(self.store, batch[start:start + WRITE_EVERY], self.actor)
                self.steps.at(2, len(batch), len(batch))
            except Exception:
                if checks is not None and not self.steps.stopped:
                    checks.finish()  # a resource refused first is the refusal
                raise
            if checks is not None:
                checks.finish()  # (raising rolls the inserts back: nothing is written)
            if committing is not None:
                committing()


def import_fhir(store: Store, path: str | Path, actor: str = "import",
                workers: int | None = None, *, progress: Progress | None = None,
                committing: Callable[[], None] | None = None) -> ImportReport:
    """Import a FHIR R4 JSON file; raise ImportRefused (nothing written) when refused.

    As ``read_file`` then ``import_read``, without the cyclic garbage collector
    (``fhir_memo.no_collection``: the file and its records live until the end); its
    resources are validated in ``workers`` processes (``fhir_pool``; by default one for
    a file this large, none for a small one: then here), handed over as they are read,
    while it maps them and inserts the records, with equal nested elements validated
    once (``fhir_memo``); it commits once every resource is valid. ``progress`` and
    ``committing``: see :class:`Steps` and :meth:`Importer.write`."""
    if workers is None:
        workers = workers_for_import(file_size(path))
    steps = Steps(progress)
    # The collector is off from the parse until what was read is dropped: on while the
    # file's containers live, it walks every one of them at its next allocation (0.9 s
    # after the parse, 1.1 s after the commit, at 10,000 persons).
    read: ReadResult | None = None
    with fhir_memo.no_collection(), Checks("import", workers, ahead=None) as checks:
        try:
            # (the workers start while the file is parsed)
            read = read_document(load_json(path), checks,
                                 lambda done, of: steps.at(0, done, of))
            return import_read(store, read, actor, checks, steps=steps,
                               committing=committing)
        except BaseException as exc:
            _let_go(exc)
            raise
        finally:
            read = None


def _let_go(exc: BaseException) -> None:
    """Clear the variables of the finished frames ``exc`` came through, and those of the
    exceptions it was raised while handling: a refusal or a Cancel would otherwise keep
    the parsed file alive until it is handled, after the collector is on again."""
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]


def import_read(store: Store, read: ReadResult, actor: str = "import",
                checks: Checks | None = None, *, steps: Steps | None = None,
                committing: Callable[[], None] | None = None) -> ImportReport:
    """Map what was read and write it, all or nothing. With ``checks`` still validating
    the resources (in worker processes: ``fhir_pool``), the mapping runs meanwhile and
    nothing is committed before every resource is valid: a resource refused is the
    refusal, even when the mapping stumbled over it first. The inserts run while the
    workers may still validate, in the transaction that commits only once they are
    done (``Importer.write``)."""
    from careplan.export import fhir_map

    steps = steps if steps is not None else Steps()
    try:
        imp = Importer(store, read, actor, steps)
        fhir_map.map_all(imp)
    except Exception:
        if checks is not None and not steps.stopped:
            checks.finish()
        raise
    imp.write(checks, committing)
    return imp.report

