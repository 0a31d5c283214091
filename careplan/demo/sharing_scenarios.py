"""The named demo persons of sharing and consent: a refusal to share with one agency,
and a record opened in an emergency ("break glass")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from careplan.demo.case import Case, add_working_days, at
from careplan.demo.world import Ids, World
from careplan.models.emergency import EmergencyAccess
from careplan.models.enums import ConsentStatus, HandoffSubject, NeedDomain, Role
from careplan.models.handoffs import Handoff
from careplan.models.people import Consent, Person

NhsSource = Callable[[], str]


def _born(today: date, years: int, days: int) -> date:
    try:
        base = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        base = date(today.year - years, 3, 1)
    return base - timedelta(days=days)


def _case(ids: Ids, nhs: NhsSource, w: World, given: str, family: str, born: date, gp: str,
          address: str, matters: str) -> Case:
    return Case(ids, Person(
        id=ids(), given_name=given, family_name=family, birth_date=born, nhs_number=nhs(),
        gp_practice_id=w.agencies[gp].id, address=address, neighbourhood="Riverside",
        what_matters=matters, local_authority_id=f"NB{born.year % 100:02d}{family[:3].upper()}"))


def consent_refused(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Niamh, 38: asked three weeks ago that Northbridge Homes be told nothing more about
    her care (consent refused). Its two actions are still in her plan, and her social
    worker proposed yesterday (a working day) to hand it a third."""
    c = _case(ids, nhs, w, "Niamh", "Byrne", _born(today, 38, 40), "gp1",
              "Flat 3, 22 Mill Road, Northbridge NB2 6TE",
              "I want to keep my flat and get back to work at the bakery.")
    sw = w.pro("asc", Role.SOCIAL_WORKER, 2)
    ho = w.pro("housing", Role.HOUSING_OFFICER)
    c.member(sw, today - timedelta(days=300), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp1", Role.GP), today - timedelta(days=3000))
    c.member(ho, today - timedelta(days=250))
    c.consents(today - timedelta(days=300), sw)
    c.add(Consent(id=c.ids(), person_id=c.person.id, agency_id=ho.agency_id,
                  status=ConsentStatus.REFUSED, recorded_on=today - timedelta(days=21),
                  recorded_by=sw.id))
    c.condition("Recurrent depressive disorder", today - timedelta(days=900))
    c.care_plan(today - timedelta(days=280), review=today + timedelta(days=90))
    home = c.need(NeedDomain.HOUSING, "Keeping her tenancy")
    c.outcome(home, "I want to stay in my flat.", today + timedelta(days=120))
    c.action(home, "Tenancy sustainment visits", ho, today + timedelta(days=30))
    c.action(home, "Rent arrears repayment plan", ho, today + timedelta(days=14))
    money = c.need(NeedDomain.SOCIAL_CARE, "Support to manage money")
    c.outcome(money, "I want to know where my money goes each month.",
              today + timedelta(days=90))
    check = c.action(money, "Welfare benefits check", sw, today + timedelta(days=21))
    c.sign(today - timedelta(days=270))
    proposed = add_working_days(today, -1)  # a working day; not yet due an answer
    c.add(Handoff(id=c.ids(), person_id=c.person.id, subject=HandoffSubject.ACTION,
                  action_id=check.id, from_professional_id=sw.id,
                  from_agency_id=sw.agency_id, to_professional_id=ho.id,
                  to_agency_id=ho.agency_id, proposed_at=at(proposed, 11),
                  answer_by=add_working_days(proposed, 2),
                  reason="Housing could do this with the arrears plan."))
    return c


def opened_in_emergency(ids: Ids, nhs: NhsSource, w: World, today: date) -> Case:
    """Arthur, 79: brought to Northbridge General Hospital's emergency department in the
    night, confused and alone; the hospital has no sharing basis for him, so its
    discharge coordinator opened his record in an emergency. His lead professional has
    not yet reviewed that access."""
    c = _case(ids, nhs, w, "Arthur", "Jenkins", _born(today, 79, 200), "gp2",
              "9 Orchard Close, Northbridge NB3 1LP",
              "I want to stay in my own home with my cat.")
    dn = w.pro("dn", Role.COMMUNITY_NURSE, 1)
    c.member(dn, today - timedelta(days=400), role=Role.CARE_COORDINATOR, lead=True)
    c.member(w.pro("gp2", Role.GP), today - timedelta(days=5000))
    c.member(w.pro("asc", Role.SOCIAL_WORKER, 1), today - timedelta(days=200))
    c.consents(today - timedelta(days=400), dn)
    c.condition("Heart failure", today - timedelta(days=1500))
    c.care_plan(today - timedelta(days=380), review=today + timedelta(days=40))
    heart = c.need(NeedDomain.PHYSICAL_HEALTH, "Heart failure: weight and fluid checks")
    c.outcome(heart, "I want to stay out of hospital this winter.", today + timedelta(days=90))
    c.action(heart, "Weekly weight and fluid check", dn, today + timedelta(days=5))
    c.sign(today - timedelta(days=360))
    hosp = w.pro("hosp", Role.DISCHARGE_COORDINATOR)
    opened = datetime.combine(today - timedelta(days=1), datetime.min.time()).replace(
        hour=2, minute=15)
    c.add(EmergencyAccess(id=c.ids(), person_id=c.person.id, professional_id=hosp.id,
                          agency_id=hosp.agency_id, opened_at=opened,
                          reason="Brought to the emergency department confused and alone; "
                                 "needed his medicines and who looks after him."))
    return c


SHARING_SCENARIOS = [consent_refused, opened_in_emergency]
