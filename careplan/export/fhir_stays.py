"""How a hospital stay began, in FHIR R4's Encounter: the admission method and the Mental
Health Act section the person was detained under (careplan.models.health).

Export: ``Encounter.priority`` from HL7 v3 ActPriority (``EM`` emergency, ``EL``
elective), which any R4 reader understands, and our local extensions *admission-method*
and *mental-health-act-section* (exact, for a round trip). Import reads our extensions
first, then UK Core's ``Extension-UKCore-AdmissionMethod`` on ``Encounter.hospitalization``
(NHS Data Dictionary ADMISSION METHOD: 1x elective, 2x emergency, others other), then
``priority``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from careplan.export import fhir_codes as fc
from careplan.models import HospitalStay
from careplan.models.health import AdmissionMethod, MhaSection

ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
UKCORE_ADMISSION_METHOD = ("https://fhir.hl7.org.uk/StructureDefinition/"
                           "Extension-UKCore-AdmissionMethod")
UKCORE_ADMISSION_METHOD_CODES = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland"
_PRIORITY = {AdmissionMethod.EMERGENCY: ("EM", "emergency"),
             AdmissionMethod.ELECTIVE: ("EL", "elective")}


def extensions(stay: HospitalStay) -> list[dict[str, Any]]:
    """The stay's local extensions for its admission method and detention."""
    out: list[dict[str, Any]] = []
    if stay.admission_method is not None:
        out.append({"url": fc.ext("admission-method"), "valueCoding": fc.coding(
            fc.cs("admission-method"), fc.slug(stay.admission_method.value),
            stay.admission_method.value)})
    if stay.mha_section is not None:
        out.append({"url": fc.ext("mental-health-act-section"), "valueCoding": fc.coding(
            fc.cs("mental-health-act-section"), fc.slug(stay.mha_section.value),
            stay.mha_section.value)})
    return out


def priority(stay: HospitalStay) -> dict[str, Any] | None:
    """``Encounter.priority`` for an emergency or elective admission."""
    found = _PRIORITY.get(stay.admission_method) if stay.admission_method else None
    return None if found is None else {"coding": [fc.coding(ACT_PRIORITY, *found)]}


E = TypeVar("E", bound=StrEnum)


def _code(concept: Any, system: str) -> str | None:
    """The code of ``system`` in a Coding or CodeableConcept (this module is imported by
    both the export and the import, so it keeps its own small reader)."""
    if not isinstance(concept, dict):
        return None
    for c in concept.get("coding", [concept]) or []:
        if isinstance(c, dict) and c.get("system") == system and c.get("code"):
            return str(c["code"])
    return None


def _member(kind: type[E], code: str | None) -> E | None:
    return next((m for m in kind if fc.slug(m.value) == code), None)


def _ext(res: dict[str, Any], url: str) -> Any:
    for ext in res.get("extension", []) or []:
        if isinstance(ext, dict) and ext.get("url") == url:
            return ext
    return None


def admission_method(res: dict[str, Any]) -> AdmissionMethod | None:
    """An Encounter's admission method: ours, else UK Core's, else its priority."""
    ours = _ext(res, fc.ext("admission-method"))
    if ours is not None:
        found = _member(AdmissionMethod,
                        _code(ours.get("valueCoding"), fc.cs("admission-method")))
        if found is not None:
            return found
    hosp = res.get("hospitalization")
    uk = _ext(hosp, UKCORE_ADMISSION_METHOD) if isinstance(hosp, dict) else None
    if uk is not None:
        code = _code(uk.get("valueCodeableConcept"), UKCORE_ADMISSION_METHOD_CODES)
        if code:
            return {"1": AdmissionMethod.ELECTIVE, "2": AdmissionMethod.EMERGENCY}.get(
                code[0], AdmissionMethod.OTHER)
    code = _code(res.get("priority"), ACT_PRIORITY)
    return {"EM": AdmissionMethod.EMERGENCY, "EL": AdmissionMethod.ELECTIVE}.get(code or "")


def mha_section(res: dict[str, Any]) -> MhaSection | None:
    ours = _ext(res, fc.ext("mental-health-act-section"))
    if ours is None:
        return None
    return _member(MhaSection,
                   _code(ours.get("valueCoding"), fc.cs("mental-health-act-section")))
