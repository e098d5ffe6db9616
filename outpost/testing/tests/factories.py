"""Small factories for testing rows, written straight to the tables.

They skip the actions (no stock, no audit) so that a dataset worked out by
hand reads as a list of facts. Tests of the actions call the actions.
"""

import datetime

from django.utils import timezone

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.models import Contact
from outpost.orgs.models import Site, User
from outpost.testing.models import (
    KIT_CATEGORY,
    ArtCourse,
    Disease,
    Milestone,
    Referral,
    Result,
    Test,
)


def make_contact(site: Site, client: Client, worker: User, date: datetime.date) -> Contact:
    moment = timezone.make_aware(datetime.datetime.combine(date, datetime.time(12)))
    return Contact.objects.create(
        org_id=site.org_id,
        site=site,
        client=client,
        channel="window",
        occurred_at=moment,
        date=date,
        worker=worker,
    )


def make_test(
    site: Site,
    client: Client,
    worker: User,
    date: datetime.date,
    *,
    disease: str = Disease.HIV,
    result: str = Result.NON_REACTIVE,
    given: bool = True,
) -> Test:
    kit = Item.objects.filter(org_id=site.org_id, category__code=KIT_CATEGORY[disease]).first()
    assert kit is not None
    return Test.objects.create(
        org_id=site.org_id,
        site=site,
        client=client,
        contact=make_contact(site, client, worker, date),
        disease=disease,
        method=Test.Method.RAPID,
        kit=kit,
        result=result,
        result_given=given,
        tested_on=date,
        recorded_by=worker,
    )


def make_referral(
    site: Site,
    client: Client,
    worker: User,
    issued_on: datetime.date,
    *,
    target: str = Referral.Target.CONFIRMATORY,
    disease: str = Disease.HIV,
    completed_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
) -> Referral:
    return Referral.objects.create(
        org_id=site.org_id,
        site=site,
        client=client,
        target=target,
        disease=disease if target == Referral.Target.CONFIRMATORY else "",
        issued_on=issued_on,
        due_on=due_on or issued_on + datetime.timedelta(7),
        status=Referral.Status.COMPLETED if completed_on else Referral.Status.ISSUED,
        completed_on=completed_on,
        confirmation=Referral.Confirmation.CLIENT if completed_on else "",
        issued_by=worker,
    )


def make_outcome(
    site: Site, client: Client, worker: User, kind: str, date: datetime.date
) -> Milestone:
    return Milestone.objects.create(
        org_id=site.org_id,
        site=site,
        client=client,
        kind=kind,
        occurred_on=date,
        recorded_by=worker,
    )


def make_art_course(
    site: Site,
    client: Client,
    worker: User,
    started_on: datetime.date,
    *,
    next_due_on: datetime.date | None = None,
) -> ArtCourse:
    return ArtCourse.objects.create(
        org_id=site.org_id,
        site=site,
        client=client,
        started_on=started_on,
        regimen="TDF/3TC/DTG",
        days_per_supply=30,
        next_due_on=next_due_on or started_on + datetime.timedelta(30),
        recorded_by=worker,
    )
