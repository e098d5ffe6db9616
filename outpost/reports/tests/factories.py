"""Rows for report tests, written through the real actions.

Reports read the day summaries the actions keep, so a dataset for them is
built the way staff build it: contacts recorded (backdated with
``occurred_at``), tests, referrals and overdoses recorded with the clock
set to the day they happened.
"""

import datetime
import zoneinfo
from collections.abc import Sequence

import time_machine

from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.actions import register_client
from outpost.clients.models import Client
from outpost.clients.uic import build_parts
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact, ContactItem
from outpost.inventory.actions import receive_stock, store_of
from outpost.orgs.models import Organisation, Site, User
from outpost.room.actions import Response, record_response, start_incident
from outpost.room.models import OverdoseIncident
from outpost.testing.actions import (
    complete_referral,
    record_rapid_test,
    record_self_test_result,
    refer_client,
)
from outpost.testing.models import Referral, Test

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
REGISTERED_ON = datetime.date(2025, 1, 1)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    """A moment of ``day`` at a site in Kyiv's time zone."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=KYIV)


def item(org: Organisation, name: str) -> Item:
    return Item.objects.get(org=org, name=name)


def kit(org: Organisation, name: str) -> Kit:
    return Kit.objects.get(org=org, name=name)


def service(org: Organisation, code: str) -> ServiceType:
    return ServiceType.objects.get(org=org, code=code)


def stock_everything(site: Site, worker: User, quantity: int = 500) -> None:
    """Put ``quantity`` of every item of the organisation in the site's store."""
    for thing in Item.objects.filter(org_id=site.org_id).select_related("category"):
        receive_stock(
            location=store_of(site),
            item=thing,
            quantity=quantity,
            worker=worker,
            expires_on=datetime.date(2030, 1, 1) if thing.category.needs_expiry else None,
            occurred_on=REGISTERED_ON,
        )


def make_person(
    org: Organisation,
    worker: User,
    name: str,
    *,
    sex: str,
    born: datetime.date,
    groups: Sequence[str] = (),
) -> Client:
    """A client whose code starts with the first letters of ``name``."""
    parts = build_parts(name, "Petro", sex, born, today=REGISTERED_ON)
    client, _ = register_client(org=org, parts=parts, groups=groups, worker=worker)
    return client


def visit(
    site: Site,
    worker: User,
    client: Client | None,
    day: datetime.date,
    channel: str,
    *,
    items: Sequence[tuple[Item, int]] = (),
    kits: Sequence[tuple[Kit, int]] = (),
    services: Sequence[ServiceType] = (),
    returned: int = 0,
    hour: int = 12,
) -> Contact:
    """A contact typed in after the fact, at noon of ``day`` unless told."""
    return record_contact(
        site=site,
        worker=worker,
        channel=channel,
        client=client,
        handout=Handout(kits=kits, items=items, services=services),
        syringes_returned=returned,
        occurred_at=at(day, hour),
    )


def rapid_test(
    site: Site,
    worker: User,
    client: Client,
    day: datetime.date,
    *,
    result: str,
    given: bool = True,
    category: str = "rapid_test_hiv",
) -> Test:
    """A rapid test done in the afternoon; it joins the client's visit of ``day``."""
    kit_item = Item.objects.get(org_id=site.org_id, category__code=category)
    with time_machine.travel(at(day, 15), tick=False):
        return record_rapid_test(
            site=site,
            worker=worker,
            client=client,
            kit=kit_item,
            result=result,
            result_given=given,
            pre_counselling=False,
            post_counselling=False,
        )


def report_self_test(
    site: Site, worker: User, client: Client, day: datetime.date, *, result: str
) -> Test:
    """The result a client reports for the HIV self-test handed out to them."""
    handout = ContactItem.objects.get(contact__client=client, item__category__code="hiv_self_test")
    with time_machine.travel(at(day, 15), tick=False):
        return record_self_test_result(
            site=site,
            worker=worker,
            client=client,
            handout=handout,
            result=result,
            reported_on=day,
        )


def refer(
    site: Site,
    worker: User,
    client: Client,
    day: datetime.date,
    target: str,
    *,
    test: Test | None = None,
    completed_on: datetime.date | None = None,
) -> Referral:
    """A referral issued on ``day``, and completed on ``completed_on`` if given."""
    with time_machine.travel(at(day, 16), tick=False):
        referral = refer_client(
            site=site,
            worker=worker,
            client=client,
            target=target,
            due_on=day + datetime.timedelta(days=14),
            test=test,
        )
    if completed_on is None:
        return referral
    with time_machine.travel(at(completed_on, 16), tick=False):
        return complete_referral(
            referral=referral,
            worker=worker,
            completed_on=completed_on,
            confirmation=Referral.Confirmation.CLIENT,
        )


def overdose(
    site: Site, worker: User, day: datetime.date, outcome: str, *, doses: int = 0
) -> OverdoseIncident:
    """An overdose opened with one tap in the evening of ``day``, then described."""
    moment = at(day, 20)
    with time_machine.travel(moment, tick=False):
        incident = start_incident(site=site, worker=worker)
        if outcome == OverdoseIncident.Outcome.PENDING and not doses:
            return incident
        naloxone = Item.objects.get(org_id=site.org_id, category__code="naloxone")
        return record_response(
            incident=incident,
            worker=worker,
            response=Response(
                occurred_at=moment,
                naloxone_item=naloxone if doses else None,
                naloxone_doses=doses,
                outcome=outcome,
            ),
        )
