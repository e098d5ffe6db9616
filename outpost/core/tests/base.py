"""Personas shared by every test: two staff of org A and an outsider.

``worker`` is a social worker and ``manager`` a manager at the Sumy-like
room of organisation A; ``outsider`` is a social worker of organisation B.
"""

import datetime

import django.test
from django.test import TestCase
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)

from outpost.catalogue.actions import install_default_catalogue
from outpost.catalogue.models import Item, Kit, ServiceType
from outpost.clients.actions import register_client
from outpost.clients.models import Client
from outpost.clients.uic import build_parts
from outpost.core.choices import Channel
from outpost.core.roles import Role
from outpost.inventory.actions import create_store, receive_stock
from outpost.inventory.models import Location
from outpost.orgs.models import Membership, Organisation, Site, User

TODAY = datetime.date(2026, 3, 2)


def make_org(slug: str) -> Organisation:
    org = Organisation.objects.create(name=slug.title(), slug=slug)
    install_default_catalogue(org=org)
    return org


def make_site(
    org: Organisation,
    name: str = "Room",
    *,
    kind: str = Site.Kind.ROOM,
    default_channel: str = Channel.WINDOW,
    timezone: str = "Europe/Kyiv",
) -> Site:
    site = Site.objects.create(
        org=org, name=name, kind=kind, default_channel=default_channel, timezone=timezone
    )
    create_store(site=site)
    return site


def make_staff(org: Organisation, username: str, role: str, site: Site | None = None) -> User:
    user = User.objects.create_user(username=username, password="correct horse battery")
    Membership.objects.create(user=user, org=org, role=role, site=site)
    return user


def make_client(
    org: Organisation, worker: User, mother: str = "Olena", birth_year: int = 1985
) -> Client:
    parts = build_parts(mother, "Vasyl", "1", datetime.date(birth_year, 3, 10), today=TODAY)
    client, _ = register_client(org=org, parts=parts, groups=["injects_opioids"], worker=worker)
    return client


def stock(site: Site, item: Item, quantity: int, worker: User) -> None:
    receive_stock(
        location=Location.objects.get(site=site, kind=Location.Kind.STORE),
        item=item,
        quantity=quantity,
        worker=worker,
        expires_on=datetime.date(2030, 1, 1) if item.category.needs_expiry else None,
        occurred_on=TODAY,
    )


class StaffClient(django.test.Client):
    """A test client whose ``force_login`` also passes the second factor.

    It gives the user a confirmed authenticator if they have none and marks
    the session verified as ``django_otp.login`` does. Signing in registers
    the StaffSession the session limits need (outpost.accounts.signals).
    Tests of the password-only state use a plain ``Client``.
    """

    def force_login(self, user: User, backend: str | None = None) -> None:
        super().force_login(user, backend)
        device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user_id=user.pk, name="Test phone", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


class WorkerTestCase(TestCase):
    """Organisation A, its room and one social worker, with Django's client.

    For tests of sign-in itself, which must not be signed in beforehand.
    """

    org: Organisation
    site: Site
    worker: User

    @classmethod
    def setUpTestData(cls) -> None:
        cls.org = make_org("org-a")
        cls.site = make_site(cls.org, "Sumy room")
        cls.worker = make_staff(cls.org, "worker", Role.SOCIAL_WORKER, cls.site)


class BaseTestCase(WorkerTestCase):
    client_class = StaffClient
    manager: User
    other_org: Organisation
    other_site: Site
    outsider: User
    anna: Client
    injecting_kit: Kit
    syringe: Item
    condom: Item
    counselling: ServiceType

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.manager = make_staff(cls.org, "manager", Role.MANAGER, cls.site)
        cls.other_org = make_org("org-b")
        cls.other_site = make_site(cls.other_org, "Other room")
        cls.outsider = make_staff(cls.other_org, "outsider", Role.SOCIAL_WORKER, cls.other_site)
        cls.anna = make_client(cls.org, cls.worker)
        cls.injecting_kit = Kit.objects.get(org=cls.org, name="Injecting kit")
        cls.syringe = Item.objects.get(org=cls.org, name="Syringe 2 ml")
        cls.condom = Item.objects.get(org=cls.org, name="Condom")
        cls.counselling = ServiceType.objects.get(org=cls.org, code="counselling")
        for item in Item.objects.filter(org=cls.org):
            stock(cls.site, item, 100, cls.manager)
