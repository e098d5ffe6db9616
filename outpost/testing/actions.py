"""Writes for tests, referrals, care outcomes and ART (SPEC §4).

A test done on site belongs to the client's visit: it joins the client's
latest contact at the site that day, or records one (channel: the site's
default, service: testing), so a client who takes a kit and two tests is one
contact, not three.
"""

import datetime
import re
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from outpost.catalogue.models import Item, ServiceType
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact, ContactItem, ContactService
from outpost.contacts.summaries import add_services_to_summaries
from outpost.core.audit import audit
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.idempotency import Row, earlier_row, save_once
from outpost.inventory.actions import dispense_stock, store_of
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import Site, User
from outpost.testing.models import (
    KIT_CATEGORY,
    LOST_AFTER_DAYS,
    SELF_TEST_CATEGORY,
    ArtCourse,
    ArtDelivery,
    Disease,
    Milestone,
    Referral,
    Result,
    Test,
)

MAX_SUPPLY_DAYS = 180
MAX_REGIMEN_LENGTH = 40
# A regimen is drug abbreviations joined by "/" or "+" (TDF/3TC/DTG,
# AZT/3TC/LPV/r): short tokens, each with a letter. Names, sentences and
# phone numbers do not fit, so the field cannot carry contact details.
REGIMEN_TOKEN = re.compile(r"(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,6}")
DISEASE_OF_KIT = {category: disease for disease, category in KIT_CATEGORY.items()}
# Which reported outcome may close which referral: (target, disease) → kinds.
OUTCOMES: dict[tuple[str, str], set[str]] = {
    (Referral.Target.CONFIRMATORY, Disease.HIV): {
        Milestone.Kind.HIV_CONFIRMED,
        Milestone.Kind.HIV_NOT_CONFIRMED,
    },
    (Referral.Target.CONFIRMATORY, Disease.HCV): {
        Milestone.Kind.HCV_VIRAEMIC,
        Milestone.Kind.HCV_NOT_VIRAEMIC,
    },
    (Referral.Target.HCV_TREATMENT, ""): {Milestone.Kind.HCV_TREATMENT_STARTED},
}


@transaction.atomic
def record_rapid_test(
    *,
    site: Site,
    worker: User,
    client: Client,
    kit: Item,
    result: str,
    result_given: bool,
    pre_counselling: bool,
    post_counselling: bool,
    idempotency_key: uuid.UUID | None = None,
) -> Test:
    """Record a rapid test done on site and take its kit from the site's store.

    An expired or missing kit refuses the whole test: no contact, no result.
    """
    earlier = earlier_row(Test, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    _check_client(site, client)
    disease = _disease_of_kit(site, kit)
    if result not in Result.values:
        raise DomainError(gettext("Choose the result the test showed."))
    store = store_of(site)
    _lock_kit_stock(store, kit)
    contact = _visit_for(
        site, worker, client, counselled=pre_counselling or post_counselling, key=idempotency_key
    )
    test = Test(
        org_id=site.org_id,
        site=site,
        client=client,
        contact=contact,
        disease=disease,
        method=Test.Method.RAPID,
        kit=kit,
        pre_counselling=pre_counselling,
        result=result,
        result_given=result_given,
        post_counselling=post_counselling,
        tested_on=contact.date,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    saved = save_once(test)
    if saved is not test:
        return saved
    movements = dispense_stock(
        location=store,
        lines=[(kit, 1)],
        worker=worker,
        occurred_on=contact.date,
        contact_id=contact.pk,
    )
    test.lot = movements[0].lot
    test.save(update_fields=["lot"])
    audit(actor_id=worker.pk, org_id=site.org_id, verb="test.recorded", target=test)
    return test


@transaction.atomic
def record_self_test_result(
    *,
    site: Site,
    worker: User,
    client: Client,
    handout: ContactItem,
    result: str,
    reported_on: datetime.date,
    idempotency_key: uuid.UUID | None = None,
) -> Test:
    """Record the result a client reports for a self-test handed out to them."""
    earlier = earlier_row(Test, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    _check_client(site, client)
    locked = (
        ContactItem.objects.select_for_update()
        .select_related("contact", "item__category")
        .filter(
            pk=handout.pk,
            contact__client=client,
            contact__org_id=site.org_id,
            item__category__code=SELF_TEST_CATEGORY,
        )
        .first()
    )
    if locked is None:
        raise DomainError(gettext("No self-test was handed out to this client for that result."))
    if Test.objects.filter(handout=locked).count() >= locked.quantity:
        raise DomainError(
            gettext("Every self-test of that hand-out already has a result; nothing was saved.")
        )
    if result not in Result.values:
        raise DomainError(gettext("Choose the result the client reported."))
    _check_not_future(reported_on, site)
    if reported_on < locked.contact.date:
        raise DomainError(
            gettext("That date is before %(date)s, when the test was handed out.")
            % {"date": locked.contact.date.isoformat()}
        )
    test = Test(
        org_id=site.org_id,
        site_id=locked.contact.site_id,
        client=client,
        contact=locked.contact,
        disease=Disease.HIV,
        method=Test.Method.SELF_TEST,
        kit=locked.item,
        lot=_lot_handed_out(locked),
        handout=locked,
        result=result,
        result_given=True,
        tested_on=reported_on,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    return _save_once_audited(test, site=site, worker=worker, verb="test.self_test_reported")


@transaction.atomic
def refer_client(
    *,
    site: Site,
    worker: User,
    client: Client,
    target: str,
    due_on: datetime.date,
    test: Test | None = None,
    disease: str = "",
    idempotency_key: uuid.UUID | None = None,
) -> Referral:
    """Refer a client to a service, from a reactive result or from any contact."""
    earlier = earlier_row(Referral, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    _check_client(site, client)
    if target not in Referral.Target.values:
        raise DomainError(gettext("Choose where the client is referred to."))
    if test is not None and (test.client_id != client.pk or not test.is_reactive):
        raise DomainError(
            gettext("A referral from a test needs a reactive result of this client.")
        )
    disease = _confirmation_of(target, test, disease)
    today = site.local_today()
    if not today <= due_on <= today + datetime.timedelta(LOST_AFTER_DAYS):
        raise DomainError(
            gettext("The due date must be between today and %(days)d days from now.")
            % {"days": LOST_AFTER_DAYS}
        )
    referral = Referral(
        org_id=site.org_id,
        site=site,
        client=client,
        test=test,
        target=target,
        disease=disease,
        issued_on=today,
        due_on=due_on,
        issued_by=worker,
        idempotency_key=idempotency_key,
    )
    return _save_once_audited(referral, site=site, worker=worker, verb="referral.issued")


@transaction.atomic
def complete_referral(
    *,
    referral: Referral,
    worker: User,
    completed_on: datetime.date,
    confirmation: str,
    outcome: str = "",
) -> Referral:
    """Record that the client reached the service, how that is known, and any result.

    A lost referral can still be completed: the date shows how late.
    """
    locked = Referral.objects.select_for_update().select_related("site").get(pk=referral.pk)
    if locked.status == Referral.Status.COMPLETED:
        raise DomainError(gettext("This referral is already completed."))
    if completed_on < locked.issued_on:
        raise DomainError(
            gettext(
                "The client cannot have reached the service before the referral was issued "
                "on %(date)s."
            )
            % {"date": locked.issued_on.isoformat()}
        )
    if completed_on > locked.site.local_today():
        raise DomainError(
            gettext("The date the client reached the service cannot be later than today.")
        )
    if confirmation not in Referral.Confirmation.values:
        raise DomainError(gettext("Say how you know the client reached the service."))
    if outcome and outcome not in OUTCOMES.get((locked.target, locked.disease), set()):
        raise DomainError(gettext("That outcome does not fit this referral."))
    locked.status = Referral.Status.COMPLETED
    locked.completed_on = completed_on
    locked.confirmation = confirmation
    locked.save(update_fields=["status", "completed_on", "confirmation"])
    if outcome:
        Milestone.objects.create(
            org_id=locked.org_id,
            site_id=locked.site_id,
            client_id=locked.client_id,
            referral=locked,
            kind=outcome,
            occurred_on=completed_on,
            recorded_by=worker,
        )
    audit(actor_id=worker.pk, org_id=locked.org_id, verb="referral.completed", target=locked)
    return locked


@transaction.atomic
def mark_lost_referrals(*, today: datetime.date, org_id: int | None = None) -> int:
    """Mark referrals still open 90 days after issue as lost; safe to run again."""
    overdue = Referral.objects.past_lost_limit(today).select_for_update()
    if org_id is not None:
        overdue = overdue.filter(org_id=org_id)
    lost = list(overdue)
    for referral in lost:
        referral.status = Referral.Status.LOST
    Referral.objects.bulk_update(lost, ["status"])
    for referral in lost:
        audit(actor_id=None, org_id=referral.org_id, verb="referral.lost", target=referral)
    return len(lost)


@transaction.atomic
def record_outcome(
    *,
    site: Site,
    worker: User,
    client: Client,
    kind: str,
    occurred_on: datetime.date,
    idempotency_key: uuid.UUID | None = None,
) -> Milestone:
    """Record a step of care a service reported: a confirmation, a treatment, a cure."""
    earlier = earlier_row(Milestone, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    _check_client(site, client)
    if kind not in Milestone.Kind.values:
        raise DomainError(gettext("Choose the outcome to record."))
    _check_not_future(occurred_on, site)
    milestone = Milestone(
        org_id=site.org_id,
        site=site,
        client=client,
        kind=kind,
        occurred_on=occurred_on,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    return _save_once_audited(milestone, site=site, worker=worker, verb="outcome.recorded")


@transaction.atomic
def start_art(
    *,
    site: Site,
    worker: User,
    client: Client,
    started_on: datetime.date,
    regimen: str,
    days_per_supply: int,
    next_due_on: datetime.date,
    idempotency_key: uuid.UUID | None = None,
) -> ArtCourse:
    """Put a client on the list of clients on ART, with their supply rhythm."""
    earlier = earlier_row(ArtCourse, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    _check_client(site, client)
    regimen = _clean_regimen(regimen)
    _check_supply_days(days_per_supply)
    _check_not_future(started_on, site)
    if next_due_on < started_on:
        raise DomainError(gettext("The next supply cannot be due before ART started."))
    if ArtCourse.objects.active().filter(client=client).exists():
        raise DomainError(gettext("This client is already on the list of clients on ART."))
    course = ArtCourse(
        org_id=site.org_id,
        site=site,
        client=client,
        started_on=started_on,
        regimen=regimen,
        days_per_supply=days_per_supply,
        next_due_on=next_due_on,
        recorded_by=worker,
        idempotency_key=idempotency_key,
    )
    return _save_once_audited(course, site=site, worker=worker, verb="art.started")


@transaction.atomic
def record_art_delivery(
    *,
    site: Site,
    worker: User,
    course: ArtCourse,
    days_supplied: int,
    idempotency_key: uuid.UUID | None = None,
    contact: Contact | None = None,
) -> ArtDelivery:
    """Record a supply of ART delivered as a courier contact; move the next due date.

    ``contact`` is the courier's contact of a delivery order that carried the
    supply; without it, one is recorded here.
    """
    earlier = earlier_row(ArtDelivery, idempotency_key, org_id=site.org_id)
    if earlier is not None:
        return earlier
    locked = ArtCourse.objects.select_for_update().select_related("client").get(pk=course.pk)
    if locked.org_id != site.org_id or locked.stopped_on is not None:
        raise DomainError(gettext("This client is not on the list of clients on ART."))
    _check_supply_days(days_supplied)
    contact = contact or record_contact(
        site=site,
        worker=worker,
        channel=Channel.COURIER,
        client=locked.client,
        handout=Handout(),
        idempotency_key=idempotency_key,
    )
    delivery = ArtDelivery(
        org_id=site.org_id,
        course=locked,
        contact=contact,
        days_supplied=days_supplied,
        delivered_on=contact.date,
        idempotency_key=idempotency_key,
    )
    saved = save_once(delivery)
    if saved is not delivery:
        return saved
    locked.next_due_on = contact.date + datetime.timedelta(days_supplied)
    locked.save(update_fields=["next_due_on"])
    audit(actor_id=worker.pk, org_id=site.org_id, verb="art.delivered", target=delivery)
    return delivery


@transaction.atomic
def purge_health_records(*, today: datetime.date) -> int:
    """Remove tests, referrals, outcomes and ART of clients long out of contact."""
    cutoff = today - datetime.timedelta(days=settings.HEALTH_RECORDS_RETENTION_DAYS)
    gone = Q(client__last_contact_date__lt=cutoff)
    removed = 0
    # Children first: each model protects the rows the next one points at.
    querysets: list[QuerySet[Milestone] | QuerySet[Referral] | QuerySet[Test]] = [
        Milestone.objects.filter(gone),
        Referral.objects.filter(gone),
        Test.objects.filter(gone),
    ]
    for queryset in querysets:
        removed += queryset.delete()[0]
    removed += ArtDelivery.objects.filter(course__client__last_contact_date__lt=cutoff).delete()[0]
    removed += ArtCourse.objects.filter(gone).delete()[0]
    return removed


def _save_once_audited(row: Row, *, site: Site, worker: User, verb: str) -> Row:
    """Save ``row`` and audit it, or return the row a retry with its key saved."""
    saved = save_once(row)
    if saved is row:
        audit(actor_id=worker.pk, org_id=site.org_id, verb=verb, target=row)
    return saved


def todays_contact(site: Site, client: Client) -> Contact | None:
    """The client's latest contact at the site today, which a test joins."""
    return (
        Contact.objects.filter(site=site, client=client, date=site.local_today())
        .order_by("-occurred_at", "-pk")
        .first()
    )


def _visit_for(
    site: Site, worker: User, client: Client, *, counselled: bool, key: uuid.UUID | None
) -> Contact:
    codes = ["testing", "counselling"] if counselled else ["testing"]
    services = list(ServiceType.objects.filter(org_id=site.org_id, code__in=codes, is_active=True))
    contact = todays_contact(site, client)
    if contact is not None:
        # The visit's services then count the testing and counselling given
        # (the defined package, SPEC §3.2, asks for counselling).
        # The lock keeps two tests joining one visit from adding a service twice.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        given = set(
            ContactService.objects.filter(contact=contact).values_list(
                "service_type_id", flat=True
            )
        )
        new = [service for service in services if service.pk not in given]
        ContactService.objects.bulk_create(
            [ContactService(contact=contact, service_type=service) for service in new]
        )
        add_services_to_summaries(contact.pk, [service.pk for service in new], anonymous=False)
        return contact
    return record_contact(
        site=site,
        worker=worker,
        channel=site.default_channel,
        client=client,
        handout=Handout(services=services),
        idempotency_key=key,
    )


def _lock_kit_stock(store: Location, kit: Item) -> None:
    # The kit's balance rows are locked before record_contact writes its
    # audit entry, so this action locks in the order every dispensing does:
    # stock rows, then the audit chain. dispense_stock then refuses a kit
    # out of stock or expired with its own message.
    list(StockBalance.objects.select_for_update().filter(location=store, item=kit).values("pk"))


def _lot_handed_out(handout: ContactItem) -> str:
    lot = (
        StockMovement.objects.filter(contact_id=handout.contact_id, item_id=handout.item_id)
        .values_list("lot", flat=True)
        .first()
    )
    return lot or ""


def _disease_of_kit(site: Site, kit: Item) -> str:
    disease = DISEASE_OF_KIT.get(kit.category.code)
    if kit.org_id != site.org_id or not kit.is_active or disease is None:
        raise DomainError(gettext("Choose a rapid test kit from this organisation's catalogue."))
    return disease


# Services that treat one infection: a referral from a test goes there only
# from a test for that infection.
TREATS: dict[str, str] = {
    Referral.Target.HIV_CARE: Disease.HIV,
    Referral.Target.HCV_TREATMENT: Disease.HCV,
}


def _confirmation_of(target: str, test: Test | None, disease: str) -> str:
    """The infection a referral confirms: refuse a combination that does not fit.

    Only a referral to confirmatory testing names one; from a test, it is
    the test's own.
    """
    if target != Referral.Target.CONFIRMATORY:
        if disease:
            raise DomainError(
                gettext(
                    "An infection to confirm is only for a referral to confirmatory testing; "
                    "for other services leave “Confirmation of” empty."
                )
            )
        treated = TREATS.get(target)
        if test is not None and treated is not None and test.disease != treated:
            raise DomainError(
                gettext(
                    "This test was for %(disease)s, so it cannot lead to a referral to "
                    "%(service)s. To refer for another reason, use “Refer” at the top of "
                    "the client's page."
                )
                % {
                    "disease": test.get_disease_display(),
                    "service": Referral.Target(target).label,
                }
            )
        return ""
    if test is not None:
        if disease and disease != test.disease:
            raise DomainError(
                gettext(
                    "The test this referral comes from was for %(disease)s, so the "
                    "confirmation must be of %(disease)s too."
                )
                % {"disease": test.get_disease_display()}
            )
        return test.disease
    if disease not in Disease.values:
        raise DomainError(gettext("Say which infection the confirmatory test is for."))
    return disease


def _check_client(site: Site, client: Client) -> None:
    if client.org_id != site.org_id:
        raise DomainError(gettext("That client is not known here."))


def _check_not_future(value: datetime.date, site: Site) -> None:
    if value > site.local_today():
        raise DomainError(gettext("That date is later than today."))


def _clean_regimen(raw: str) -> str:
    tokens = [token.strip() for token in re.split(r"([/+])", raw)]
    drugs = tokens[::2]
    cleaned = "".join(tokens)
    if len(cleaned) > MAX_REGIMEN_LENGTH or not all(REGIMEN_TOKEN.fullmatch(d) for d in drugs):
        raise DomainError(
            gettext("Write the regimen in drug abbreviations, for example TDF/3TC/DTG.")
        )
    return cleaned


def _check_supply_days(days: int) -> None:
    if not 1 <= days <= MAX_SUPPLY_DAYS:
        raise DomainError(
            gettext("Days supplied must be between 1 and %(max)d.") % {"max": MAX_SUPPLY_DAYS}
        )
