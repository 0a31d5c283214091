"""``consent-missing``: an agency in the care team with no consent or legal basis to share.

The agency's sharing basis decides (careplan.models.sharing_basis: the latest record up
to today; on the same day a refusal or withdrawal counts as later than a consent, so
doubt falls on the safe side; a direct-care basis does not stand against the person's
objection). "Given" and "legal basis" allow sharing. No record at all is a warning. A
refusal or a withdrawal is critical: the team is working with an agency the person has
said must not receive their information.

Sources: sharing a person's information with an agency needs their consent or a
recorded legal basis (the sharing basis of DESIGN.md; Health and Social Care Act 2012
s.251B(4)(a) for the objection); no national threshold gives a grace period, so there
is none.
"""

from __future__ import annotations

from careplan.models.enums import ConsentStatus
from careplan.models.facts import PersonFacts
from careplan.models.flags import Flag, FlagCode, Severity, SubjectType
from careplan.models.rules.common import (
    ACTIVE_MEMBER_SQL,
    Candidates,
    Context,
    current_plan,
    day,
    flag,
    joined_on,
    names,
    team_agencies,
    team_agency_ids,
)
from careplan.models.sharing_basis import SharingBasis, sharing_bases

_ALLOWS = (ConsentStatus.GIVEN, ConsentStatus.LEGAL_BASIS)
_OBJECTIONS = (ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN)

#: Candidates for ``consent_missing``: an active team member whose agency has no consent
#: allowing sharing (``_ALLOWS``) recorded by today, or any refusal or withdrawal recorded
#: by today (the latest record decides, so a person with one is checked by the rule).
#: No threshold: consent has no grace period.
CONSENT_MISSING_SQL = (
    "SELECT m.person_id FROM care_team_members m JOIN professionals p "
    f"ON p.id = m.professional_id WHERE {ACTIVE_MEMBER_SQL} AND "
    "NOT EXISTS (SELECT 1 FROM consents k WHERE k.person_id = m.person_id "
    "AND +k.agency_id = p.agency_id AND k.status IN "
    f"({', '.join(repr(s.value) for s in _ALLOWS)}) AND k.recorded_on <= :today) "
    "UNION SELECT person_id FROM consents WHERE status IN "
    f"({', '.join(repr(s.value) for s in _OBJECTIONS)}) "
    "AND recorded_on <= :today"
)
CONSENT_MISSING = Candidates(FlagCode.CONSENT_MISSING, CONSENT_MISSING_SQL)


def consent_missing(facts: PersonFacts, ctx: Context) -> list[Flag]:
    """Flag each agency of the active care team with no sharing basis: no record, or a
    refusal or withdrawal as the latest record (or standing against a direct-care basis)."""
    plan = current_plan(facts)
    if plan is None:
        return []
    today = ctx.today
    bases = sharing_bases(facts.consents, today)
    allowed = {a for a, b in bases.items() if b.allowed}
    if team_agency_ids(facts, today) <= allowed:
        return []  # the common case, decided before any names are looked up
    out = []
    for agency_id, (agency, members) in team_agencies(facts, today).items():
        basis = bases.get(agency_id) or SharingBasis(agency_id, False)
        if basis.allowed:
            continue
        joined = joined_on(facts, agency_id, today)
        who = names(sorted(members))
        record = basis.objection or basis.record
        if record is None:
            severity, since = Severity.WARNING, joined
            message = (
                f"No consent to share: {who} of {agency.name} joined the care team on "
                f"{day(joined)}, but no consent or legal basis to share {facts.person.name}'s "
                f"information with {agency.name} is recorded."
            )
        else:
            severity, since = Severity.CRITICAL, max(joined, record.recorded_on)
            message = (
                f"Consent {record.status.value}: {facts.person.name}'s consent to share "
                f"information with {agency.name} was {record.status.value} on "
                f"{day(record.recorded_on)}, yet {who} of that agency is in the care team; "
                f"record a legal basis or end their part in the team."
            )
            if basis.objection is not None and basis.record is not None:
                message += (f" The direct-care basis recorded on "
                            f"{day(basis.record.recorded_on)} does not stand against the "
                            "person's objection (Health and Social Care Act 2012 "
                            "s.251B(4)(a)).")
        latest = basis.record
        evidence = {
            "plan_id": plan.id,
            "agency": agency.name,
            "team_members": sorted(members),
            "joined_on": joined.isoformat(),
            "latest_consent": None if latest is None else {
                "status": latest.status.value,
                "recorded_on": latest.recorded_on.isoformat(),
                "legal_basis": latest.legal_basis,
                "basis": None if latest.basis is None else latest.basis.value,
            },
        }
        if basis.objection is not None:
            evidence["objection"] = {"status": basis.objection.status.value,
                                     "recorded_on": basis.objection.recorded_on.isoformat()}
        out.append(flag(facts, FlagCode.CONSENT_MISSING, severity,
                        (SubjectType.AGENCY, agency_id), since, None, message, evidence))
    return out
