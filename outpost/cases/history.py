"""A client's timeline: contacts (consultations among them), tests and referrals.

One union query orders the three kinds of record by date and time, newest
first, and pages them; each page then loads its rows by kind. A page takes
the same queries whether the client has ten records or ten thousand.
"""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import CharField, F, Prefetch, QuerySet, Value

from outpost.clients.models import Client
from outpost.contacts.models import Contact, ContactItem
from outpost.testing.models import Referral, Test

PAGE_SIZE = 25

CONTACT = "contact"
TEST = "test"
REFERRAL = "referral"

Key = tuple[str, int, datetime.date, datetime.datetime]


@dataclass(frozen=True)
class Entry:
    kind: str
    date: datetime.date
    contact: Contact | None = None
    test: Test | None = None
    referral: Referral | None = None


def timeline(client: Client, page_number: str | int | None) -> tuple[Page[Key], list[Entry]]:
    """One page of the client's timeline, and its entries in order."""
    page = Paginator(_keys(client), PAGE_SIZE).get_page(page_number)
    keys: list[Key] = list(page.object_list)
    ids = {kind: [pk for k, pk, _, _ in keys if k == kind] for kind in (CONTACT, TEST, REFERRAL)}
    contacts = _contacts(ids[CONTACT])
    tests = Test.objects.select_related("kit").in_bulk(ids[TEST])
    referrals = Referral.objects.in_bulk(ids[REFERRAL])
    entries = [
        Entry(
            kind=kind,
            date=date,
            contact=contacts.get(pk) if kind == CONTACT else None,
            test=tests.get(pk) if kind == TEST else None,
            referral=referrals.get(pk) if kind == REFERRAL else None,
        )
        for kind, pk, date, _ in keys
    ]
    return page, entries


def _keys(client: Client) -> "QuerySet[Contact, Key]":
    def kind(name: str) -> Value:
        return Value(name, output_field=CharField())

    contacts = (
        Contact.objects.filter(client=client)
        .annotate(kind=kind(CONTACT), on=F("date"), at=F("occurred_at"))
        .values_list("kind", "pk", "on", "at")
    )
    tests = (
        Test.objects.filter(client=client)
        .annotate(kind=kind(TEST), on=F("tested_on"), at=F("recorded_at"))
        .values_list("kind", "pk", "on", "at")
    )
    referrals = (
        Referral.objects.filter(client=client)
        .annotate(kind=kind(REFERRAL), on=F("issued_on"), at=F("recorded_at"))
        .values_list("kind", "pk", "on", "at")
    )
    return contacts.union(tests, referrals, all=True).order_by("-on", "-at", "kind", "-pk")


def _contacts(ids: list[int]) -> dict[int, Contact]:
    items = ContactItem.objects.select_related("item")
    return (
        Contact.objects.select_related("site", "consultation__topic")
        .prefetch_related(Prefetch("items", queryset=items), "services__service_type")
        .in_bulk(ids)
    )
