"""Recording hospital stays, continuing healthcare checklists and decisions, and section
117 aftercare plans.

Each edit asks in a :class:`RecordForm` (the record's validation names the field, and the
form stays open until the store has taken it), then saves through the workspace's writer
as an undoable operation (careplan.store.health_records checks what the record alone
cannot: sectors, whose stay, which detention).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from careplan.models import DelayReason, HospitalStay
from careplan.models.enums import DischargePathway, Sector
from careplan.models.health import (
    AdmissionMethod,
    AftercarePlan,
    ChcAssessment,
    ChcDecision,
    ChecklistOutcome,
    MhaSection,
)
from careplan.models.plausibility import check_dates
from careplan.store import health_records
from careplan.ui import text
from careplan.ui.workspace.forms import RecordForm

if TYPE_CHECKING:
    from careplan.ui.workspace import PersonWorkspace


def _agencies(ws: PersonWorkspace, sector: Sector, none: str) -> list[tuple[str, Any]]:
    d = ws.pf.directory
    found = sorted((a.name, a.id) for a in d.agencies.values() if a.sector is sector)
    return [(none, None), *found]


def _optional(values: Sequence[Any], none: str) -> list[tuple[str, Any]]:
    return [(none, None), *((str(v.value), v) for v in values)]


def stay_label(ws: PersonWorkspace, stay: HospitalStay) -> str:
    """``Willow Ward, 10 Jan 2025 to 1 Mar 2025 (section 3)``."""
    where = ws.pf.directory.agency_name(stay.hospital_id)
    until = text.fmt_date(stay.discharged_on) or ws.tr("still in hospital")
    section = f" ({stay.mha_section.value})" if stay.mha_section else ""
    return f"{where}, {text.fmt_date(stay.admitted_on)} to {until}{section}"


# -- hospital stays ------------------------------------------------------------------------


def record_stay(ws: PersonWorkspace, stay: HospitalStay | None = None) -> bool:
    """A new hospital stay (``stay`` None), or a change to one."""
    if not ws.require_actor():
        return False
    tr = ws.tr

    def build(f: RecordForm) -> HospitalStay:
        hospital = f.choice("hospital")
        if hospital is None:
            raise ValueError("hospital: choose the hospital")
        values: dict[str, Any] = {
            "hospital_id": hospital, "admitted_on": f.day("admitted"),
            "discharge_ready_on": f.day_or_none("ready"),
            "discharged_on": f.day_or_none("discharged"),
            "pathway": f.choice("pathway"), "admission_method": f.choice("method"),
            "mha_section": f.choice("section")}
        if stay is None:
            return HospitalStay(person_id=ws.person_id, **values)
        return stay.evolve(**values)

    form = RecordForm(tr("Record a hospital stay") if stay is None else tr("Change the stay"),
                      tr("An admission of %s: how it began (an emergency admission soon after "
                         "a discharge is a readmission) and, after detention under the Mental "
                         "Health Act, the section (3, 37, 45A, 47 and 48 bring section 117 "
                         "aftercare).") % ws.pf.person.name, build, ws)
    form.add_choice("hospital", tr("&Hospital:"),
                    _agencies(ws, Sector.HEALTH, tr("— choose —")),
                    stay.hospital_id if stay else None)
    form.add_date("admitted", tr("&Admitted:"), stay.admitted_on if stay else ws.today,
                  also=("admitted on",))
    form.add_date("ready", tr("Discharge &ready date:"),
                  stay.discharge_ready_on if stay else None, optional=True,
                  also=("discharge ready on",))
    form.add_date("discharged", tr("&Discharged:"), stay.discharged_on if stay else None,
                  optional=True, also=("discharged on",))
    form.add_choice("pathway", tr("Discharge &pathway:"),
                    [(tr("— not recorded —"), None)]
                    + [(tr("pathway %d") % int(p), p) for p in DischargePathway],
                    stay.pathway if stay else None)
    form.add_choice("method", tr("Admission &method:"),
                    _optional(list(AdmissionMethod), tr("— not recorded —")),
                    stay.admission_method if stay else None)
    form.add_choice("section", tr("Mental Health Act &section:"),
                    _optional(list(MhaSection), tr("— not detained —")),
                    stay.mha_section if stay else None)
    actor = ws.actor_id()
    return ws.ask(form, tr("Record a hospital stay") if stay is None else tr("Change the stay"),
                  lambda built: lambda s: health_records.save_stay(s, built, actor))


#: NHS England's discharge pathways, as a person says them.
PATHWAY_WORDS = {
    DischargePathway.HOME_NO_NEW_SUPPORT: "pathway 0: home, no new support",
    DischargePathway.HOME_WITH_SUPPORT: "pathway 1: home, with new support",
    DischargePathway.REHABILITATION_BED: "pathway 2: a rehabilitation or short-term bed",
    DischargePathway.CARE_HOME: "pathway 3: a care home",
}


def _checked(ws: PersonWorkspace, record: HospitalStay, *fields: str) -> HospitalStay:
    """``record`` with the dates a step changes checked as the store will check them,
    on the workspace's today (careplan.models.plausibility)."""
    check_dates(record, ws.pf.person.birth_date, ws.today, fields)
    return record


def set_discharge_ready(ws: PersonWorkspace, stay: HospitalStay) -> bool:
    """Set, change or clear the stay's discharge ready date (a delay counts from it)."""
    if not ws.require_actor():
        return False
    tr = ws.tr

    def build(f: RecordForm) -> HospitalStay:
        try:
            changed = stay.evolve(discharge_ready_on=f.day_or_none("ready"))
        except ValueError as exc:
            raise ValueError(str(exc).replace("discharge ready on", "discharge ready date",
                                              1)) from None
        return _checked(ws, changed, "discharge_ready_on")

    form = RecordForm(tr("Discharge ready date"), tr(
        "The day %s was, or is expected to be, medically fit to leave %s (NHS England's "
        "discharge ready date): every day in hospital after it counts as a delay, with "
        "the reasons and the agencies that own them.") % (
        ws.pf.person.name, ws.pf.directory.agency_name(stay.hospital_id)), build, ws)
    form.add_date("ready", tr("Discharge &ready date:"), stay.discharge_ready_on or ws.today,
                  optional=True, also=("discharge ready on",))
    actor = ws.actor_id()
    return ws.ask(form, tr("Set the discharge ready date"),
                  lambda done: lambda s: health_records.set_discharge_ready(
                      s, stay, done.discharge_ready_on, actor))


def record_discharge(ws: PersonWorkspace, stay: HospitalStay) -> bool:
    """Record the discharge: the day and the pathway (0 to 3)."""
    if not ws.require_actor():
        return False
    tr = ws.tr

    def build(f: RecordForm) -> HospitalStay:
        pathway = f.choice("pathway")
        if pathway is None:
            raise ValueError(tr("pathway: choose the discharge pathway (0 to 3)"))
        return _checked(ws, stay.evolve(discharged_on=f.day("discharged"), pathway=pathway),
                        "discharged_on")

    form = RecordForm(tr("Record the discharge"), tr(
        "%s left %s: the day, and the discharge pathway (NHS England): 0 home with no new "
        "support, 1 home with new support, 2 a rehabilitation or short-term bed, 3 a care "
        "home.") % (ws.pf.person.name, ws.pf.directory.agency_name(stay.hospital_id)),
        build, ws)
    form.add_date("discharged", tr("&Discharged on:"), ws.today)
    form.add_choice("pathway", tr("Discharge &pathway:"),
                    [(tr("— choose —"), None)]
                    + [(tr(PATHWAY_WORDS[p]), p) for p in DischargePathway],
                    stay.pathway)
    actor = ws.actor_id()
    return ws.ask(form, tr("Record the discharge"),
                  lambda done: lambda s: health_records.record_discharge(
                      s, stay, done.discharged_on, done.pathway, actor))


def add_delay_reason(ws: PersonWorkspace, stay: HospitalStay) -> bool:
    """Why the discharge is delayed, and the agency that owns clearing it."""
    if not ws.require_actor():
        return False
    tr = ws.tr
    d = ws.pf.directory

    def build(f: RecordForm) -> DelayReason:
        owner = f.choice("owner")
        if owner is None:
            raise ValueError(tr("owner: choose the agency that owns clearing it"))
        return DelayReason(stay_id=stay.id, reason=f.text("reason"), owner_agency_id=owner,
                           recorded_on=f.day("recorded"))

    form = RecordForm(tr("Add a delay reason"), tr(
        "Why %s is still in %s, and which agency owns clearing it: each reason is named on "
        "the discharge-delayed flag until the discharge.") % (
        ws.pf.person.name, d.agency_name(stay.hospital_id)), build, ws)
    form.add_text("reason", tr("&Why:"), hint=tr("e.g. Waiting for a package of care at home"),
                  also=("reason",))
    form.add_choice("owner", tr("&Agency that owns it:"),
                    [(tr("— choose —"), None)]
                    + sorted((a.name, a.id) for a in d.agencies.values()),
                    also=("owner agency",))
    form.add_date("recorded", tr("&Recorded on:"), ws.today)
    actor = ws.actor_id()
    return ws.ask(form, tr("Add a delay reason"),
                  lambda reason: lambda s: health_records.add_delay_reason(s, reason, actor))


# -- continuing healthcare -----------------------------------------------------------------


def record_checklist(ws: PersonWorkspace) -> bool:
    if not ws.require_actor():
        return False
    tr = ws.tr

    def build(f: RecordForm) -> ChcAssessment:
        return ChcAssessment(
            person_id=ws.person_id, checklist_on=f.day("checklist"),
            outcome=f.choice("outcome"), agency_id=f.choice("board"),
            received_on=f.day_or_none("received"),
            stay_id=f.choice("stay"), note=f.text("note"))

    form = RecordForm(tr("Record a continuing healthcare checklist"), tr(
        "The NHS Continuing Healthcare Checklist for %s. After a positive one the integrated "
        "care board should decide eligibility within 28 days of receiving it (National "
        "Framework).") % ws.pf.person.name, build, ws)
    form.add_date("checklist", tr("&Checklist completed:"), ws.today, also=("checklist on",))
    form.add_choice("outcome", tr("&Outcome:"),
                    [(tr("positive: full assessment of eligibility"), ChecklistOutcome.POSITIVE),
                     (tr("negative"), ChecklistOutcome.NEGATIVE)])
    form.add_choice("board", tr("Integrated care &board:"),
                    _agencies(ws, Sector.HEALTH, tr("— not recorded —")))
    form.add_date("received", tr("&Received by the board:"), None, optional=True,
                  also=("received on",))
    form.add_choice("stay", tr("During the &stay:"),
                    [(tr("— not in hospital —"), None)]
                    + [(stay_label(ws, s), s.id) for s in ws.pf.stays])
    form.add_text("note", tr("&Note:"), hint=tr("optional"))
    actor = ws.actor_id()
    return ws.ask(form, tr("Record a continuing healthcare checklist"),
                  lambda chc: lambda s: health_records.record_checklist(s, chc, actor))


def record_decision(ws: PersonWorkspace, chc: ChcAssessment | None) -> bool:
    tr = ws.tr
    if chc is None:
        ws.refused(tr("decision: choose the checklist it answers first"))
        return False
    if not ws.require_actor():
        return False

    def build(f: RecordForm) -> ChcAssessment:
        return chc.evolve(decision=f.choice("decision"), decided_on=f.day("decided"))

    form = RecordForm(tr("Record the eligibility decision"), tr(
        "The integrated care board's decision on the checklist of %s.")
        % text.fmt_date(chc.checklist_on), build, ws)
    form.add_choice("decision", tr("&Decision:"), [(d.value, d) for d in ChcDecision])
    form.add_date("decided", tr("Decided &on:"), ws.today)
    actor = ws.actor_id()
    return ws.ask(form, tr("Record the eligibility decision"),
                  lambda done: lambda s: health_records.record_decision(
                      s, chc, done.decision, done.decided_on, actor))


# -- section 117 aftercare -----------------------------------------------------------------


def record_aftercare(ws: PersonWorkspace, plan: AftercarePlan | None = None) -> bool:
    """A new section 117 aftercare plan (``plan`` None), or a change to one."""
    tr = ws.tr
    stays = [s for s in ws.pf.stays if s.mha_section and s.mha_section.brings_aftercare]
    if plan is None and not stays:
        ws.refused(tr("stay: no hospital stay of %s records detention under section 3, 37, "
                      "45A, 47 or 48; record the section on the stay first")
                   % ws.pf.person.name)
        return False
    if not ws.require_actor():
        return False

    def build(f: RecordForm) -> AftercarePlan:
        values: dict[str, Any] = {
            "stay_id": f.choice("stay"), "agreed_on": f.day("agreed"),
            "nhs_agency_id": f.choice("nhs"), "council_agency_id": f.choice("council"),
            "summary": f.text("summary")}
        if plan is None:
            return AftercarePlan(person_id=ws.person_id, **values)
        return plan.evolve(ended_on=f.day_or_none("ended"), **values)

    title = (tr("Record a section 117 aftercare plan") if plan is None
             else tr("Change the aftercare plan"))
    form = RecordForm(title, tr(
        "Aftercare after detention is the joint duty of the NHS body (the integrated care "
        "board) and the local authority (Mental Health Act 1983 s.117): name both."), build, ws)
    form.add_choice("stay", tr("After the &stay:"), [(stay_label(ws, s), s.id) for s in stays],
                    plan.stay_id if plan else None)
    form.add_date("agreed", tr("&Agreed on:"), plan.agreed_on if plan else ws.today)
    form.add_choice("nhs", tr("&NHS body:"), _agencies(ws, Sector.HEALTH, tr("— not named —")),
                    plan.nhs_agency_id if plan else None)
    form.add_choice("council", tr("&Local authority:"),
                    _agencies(ws, Sector.SOCIAL_CARE, tr("— not named —")),
                    plan.council_agency_id if plan else None)
    form.add_text("summary", tr("&Aftercare:"), plan.summary if plan else "",
                  hint=tr("e.g. Supported housing and depot clinic"))
    if plan is not None:
        ended = form.add_date("ended", tr("&Ended on:"), plan.ended_on, optional=True)
        ended.setToolTip(tr("Only when both bodies agree it is no longer needed"))
    actor = ws.actor_id()
    return ws.ask(form, title,
                  lambda built: lambda s: health_records.save_aftercare_plan(s, built, actor))
