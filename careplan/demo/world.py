"""The demo neighbourhood: agencies of every sector and the professionals in them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from careplan.models.base import uuid7
from careplan.models.enums import AgencyKind, ClientGroup, NeedDomain, Role, Sector
from careplan.models.people import Agency, Professional

if TYPE_CHECKING:
    from careplan.demo.funding import FundingWorld


class Ids:
    """Deterministic, time-ordered UUIDs (v7) for the demo.

    The clock is fake: it starts at ``start_ms`` and ticks once per id; the random bits
    come from the demo's own stream. Time-ordered ids keep SQLite's indexes append-only.
    """

    def __init__(self, rng: random.Random, start_ms: int) -> None:
        self._rng = rng
        self._ms = start_ms

    def __call__(self) -> str:
        self._ms += 1
        return uuid7(self._ms, self._rng.getrandbits(74))


def random_uuid(rng: random.Random) -> str:
    """A version 4 UUID whose bits come from ``rng`` (formatted directly: it is hot)."""
    h = f"{(rng.getrandbits(128) & _CLEAR) | _SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# Version 4 and the RFC 4122 variant, as uuid.UUID(version=4) sets them.
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_SET = (0x4000 << 64) | (0x8000 << 48)


#: key, name, sector, kind, client group, domain, roles of its professionals
AGENCIES: list[tuple[str, str, Sector, AgencyKind, ClientGroup, NeedDomain | None, list[Role]]] = [
    ("gp1", "Riverside Medical Practice", Sector.HEALTH, AgencyKind.GP_PRACTICE,
     ClientGroup.ALL_AGES, NeedDomain.PHYSICAL_HEALTH, [Role.GP]),
    ("gp2", "Millbrook Surgery", Sector.HEALTH, AgencyKind.GP_PRACTICE,
     ClientGroup.ALL_AGES, NeedDomain.PHYSICAL_HEALTH, [Role.GP]),
    ("dn", "Northbridge Community Health: District Nursing", Sector.HEALTH,
     AgencyKind.COMMUNITY_HEALTH, ClientGroup.ADULTS, NeedDomain.PHYSICAL_HEALTH,
     [Role.COMMUNITY_NURSE, Role.OT]),
    ("cmht", "Northbridge Community Mental Health Team", Sector.HEALTH,
     AgencyKind.MENTAL_HEALTH, ClientGroup.ADULTS, NeedDomain.MENTAL_HEALTH,
     [Role.CPN, Role.CARE_COORDINATOR, Role.PSYCHIATRIST]),
    ("camhs", "Northbridge CAMHS (children's mental health)", Sector.HEALTH,
     AgencyKind.MENTAL_HEALTH, ClientGroup.CHILDREN, NeedDomain.MENTAL_HEALTH, [Role.CPN]),
    ("ldt", "Northbridge Community Learning Disability Team", Sector.HEALTH,
     AgencyKind.LEARNING_DISABILITY, ClientGroup.ADULTS, NeedDomain.LEARNING_DISABILITY,
     [Role.LD_NURSE, Role.SOCIAL_WORKER]),
    ("dat", "Northbridge Drug and Alcohol Service", Sector.HEALTH, AgencyKind.SUBSTANCE_USE,
     ClientGroup.ADULTS, NeedDomain.SUBSTANCE_USE, [Role.SUBSTANCE_USE_WORKER]),
    ("hosp", "Northbridge General Hospital", Sector.HEALTH, AgencyKind.ACUTE_HOSPITAL,
     ClientGroup.ALL_AGES, None, [Role.DISCHARGE_COORDINATOR]),
    ("asc", "Northbridge Council Adult Social Care", Sector.SOCIAL_CARE,
     AgencyKind.ADULT_SOCIAL_CARE, ClientGroup.ADULTS, NeedDomain.SOCIAL_CARE,
     [Role.SOCIAL_WORKER, Role.OT, Role.MANAGER]),
    ("csc", "Northbridge Council Children's Social Care", Sector.SOCIAL_CARE,
     AgencyKind.CHILDRENS_SOCIAL_CARE, ClientGroup.CHILDREN, NeedDomain.SOCIAL_CARE,
     [Role.SOCIAL_WORKER, Role.TRANSITION_WORKER]),
    ("housing", "Northbridge Homes", Sector.HOUSING, AgencyKind.HOUSING, ClientGroup.ADULTS,
     NeedDomain.HOUSING, [Role.HOUSING_OFFICER]),
    ("welfare", "Riverside Welfare Rights", Sector.WELFARE, AgencyKind.WELFARE,
     ClientGroup.ALL_AGES, None, [Role.SUPPORT_WORKER]),
    ("vol", "Riverside Carers' Network", Sector.VOLUNTARY, AgencyKind.VOLUNTARY,
     ClientGroup.ALL_AGES, None, [Role.SUPPORT_WORKER]),
    ("ward", "Northbridge Mental Health Trust: Willow Ward", Sector.HEALTH,
     AgencyKind.MENTAL_HEALTH, ClientGroup.ADULTS, NeedDomain.MENTAL_HEALTH, [Role.PSYCHIATRIST]),
]

_TITLES = {Role.GP: "Dr", Role.PSYCHIATRIST: "Dr"}


@dataclass
class World:
    """Agencies by key, and each agency's professionals (first one per role listed)."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    staff: dict[str, list[Professional]] = field(default_factory=dict)
    #: Streams and joint budgets (see careplan.demo.funding), once built.
    funding: FundingWorld | None = None

    def pro(self, key: str, role: Role | None = None, index: int = 0) -> Professional:
        """The ``index``-th professional of agency ``key`` (with ``role`` if given)."""
        people = [p for p in self.staff[key] if role is None or p.role is role]
        return people[index % len(people)]

    def any_pro(self, key: str, rng: random.Random) -> Professional:
        return rng.choice(self.staff[key])


def build_world(ids: Ids, rng: random.Random, names: dict[str, list[str]], neighbourhood: str,
                persons: int) -> World:
    """Agencies and professionals; bigger demos get more staff (about 1 per 400 persons)."""
    world = World()
    per_role = max(1, math.ceil(persons / 400 / 2))
    used: set[str] = set()
    for key, name, sector, kind, group, domain, roles in AGENCIES:
        agency = Agency(id=ids(), name=name, sector=sector, kind=kind, client_group=group,
                        domain=domain, neighbourhood=neighbourhood,
                        ods_code=f"RN{len(world.agencies) + 1:03d}")
        world.agencies[key] = agency
        staff: list[Professional] = []
        for role in roles:
            for _ in range(per_role if role is not Role.MANAGER else 1):
                while True:
                    person_name = f"{rng.choice(names['given'])} {rng.choice(names['family'])}"
                    if person_name not in used or len(used) > 3000:
                        break
                used.add(person_name)
                title = _TITLES.get(role)
                full = f"{title} {person_name}" if title else person_name
                email = person_name.lower().replace(" ", ".").replace("'", "") + "@example.nhs.uk"
                staff.append(Professional(id=ids(), name=full, role=role, agency_id=agency.id,
                                          email=email))
        world.staff[key] = staff
    return world
