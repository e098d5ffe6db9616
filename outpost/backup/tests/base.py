"""A throwaway "live" database for backup tests, on SQLite or PostgreSQL.

The test runner's SQLite database lives in memory, where there is no file
and no WAL to back up, and its PostgreSQL database is flushed after every
transactional test. So a backup test class clones the empty, migrated test
database once, into an SQLite file (WAL once Django connects) or a new
PostgreSQL database named after the test database, and points the
``default`` connection at the clone while each test runs. The commands read
``connections["default"].settings_dict`` and so back up exactly the clone.

The runner's own connection is set aside, not closed (closing it would
destroy the in-memory database), and is back in place before Django rolls
it back after each test; the clone is deleted after the class.
"""

import copy
import datetime
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend
from django.test import TestCase
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from outpost.backup.engines import Engine, engine_for
from outpost.catalogue.models import Item, ItemCategory, Kit, ServiceType
from outpost.clients.actions import register_client
from outpost.clients.models import Client
from outpost.clients.uic import build_parts
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact, ContactItem, ContactService
from outpost.core.choices import Channel
from outpost.core.roles import Role
from outpost.core.tests.base import TODAY, make_org, make_site, make_staff, stock
from outpost.orgs.models import Organisation, Site
from outpost.vault.testing import vault_in

CANARY = "CANARY-BK-7c1e"


def pg_connect(
    settings_dict: Mapping[str, object], dbname: str = "postgres"
) -> "psycopg.Connection[TupleRow]":
    """An autocommit connection to ``dbname`` on the test server."""
    password = settings_dict.get("PASSWORD")
    return psycopg.connect(
        make_conninfo(
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            dbname=dbname,
        ),
        password=str(password) if password else None,
        autocommit=True,
    )


@contextmanager
def cloned_test_database() -> Iterator[BaseDatabaseWrapper]:
    """Clone the empty test database; yield an unconnected wrapper for it."""
    runner = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(runner.settings_dict)
    tmp: Path | None = None
    if runner.vendor == "postgresql":
        source = str(runner.settings_dict["NAME"])
        # Only ever clone (and later drop) databases of the test run.
        assert source.startswith("test_"), f"{source} is not a test database"
        name = f"{source}_bk{secrets.token_hex(4)}"
        runner.close()  # a template database must have no other sessions
        with closing(pg_connect(runner.settings_dict)) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(source)
                )
            )
    else:
        assert "mode=memory" in str(runner.settings_dict["NAME"]), "not the test database"
        tmp = Path(tempfile.mkdtemp(prefix="outpost-backup-test-"))
        name = str(tmp / "live.sqlite3")
        runner.ensure_connection()
        with closing(sqlite3.connect(name)) as dst:
            runner.connection.backup(dst)
    settings_dict["NAME"] = name
    backend = load_backend(str(settings_dict["ENGINE"]))
    clone: BaseDatabaseWrapper = backend.DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
    try:
        yield clone
    finally:
        clone.close()
        if tmp is not None:
            shutil.rmtree(tmp)
        else:
            with closing(pg_connect(runner.settings_dict)) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@contextmanager
def using(wrapper: BaseDatabaseWrapper) -> Iterator[None]:
    """Make ``wrapper`` the ``default`` connection for the duration."""
    runner = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = wrapper
    # Content type ids are cached per alias and could differ between databases.
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        wrapper.close()
        connections[DEFAULT_DB_ALIAS] = runner
        ContentType.objects.clear_cache()


class LiveDatabaseTestCase(TestCase):
    """Each test runs against the class's clone, with a master key of its own.

    TestCase's per-test transaction wraps the runner's connection, which no
    test touches; it is there because a rollback is far cheaper than the
    flush a TransactionTestCase does after every test.
    """

    databases = {"default"}
    live: BaseDatabaseWrapper
    live_name: str
    work: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.work = Path(cls.enterClassContext(tempfile.TemporaryDirectory()))
        cls.enterClassContext(vault_in(cls.work / "keys"))
        # Before TestCase opens its transaction: cloning a PostgreSQL
        # database closes the runner's connection.
        cls.live = cls.enterClassContext(cloned_test_database())
        cls.live_name = str(cls.live.settings_dict["NAME"])
        with using(cls.live):
            cls.setUpLiveData()
        super().setUpClass()

    @classmethod
    def setUpLiveData(cls) -> None:
        """Fill the clone once for the class; the default adds nothing."""

    def setUp(self) -> None:
        super().setUp()
        # Cleanups run before Django's rollback, which is the runner's.
        self.enterContext(using(self.live))

    def engine(self) -> Engine:
        return engine_for(connections[DEFAULT_DB_ALIAS].settings_dict)


def build_reference_dataset(*, clients: int, contacts: int, recorded: int) -> Organisation:
    """Fill the database with one org's clients and contacts, and the canary.

    Clients and the first ``recorded`` contacts go through the real actions,
    so stock, ledger and audit rows are what production holds. The other
    contacts repeat those weeks later through bulk_create: a backup only
    sees rows, and each recorded contact costs about 10 ms of ORM work,
    which 2,000 of would take past the time budget of the test. One outer
    transaction keeps thousands of commits (and fsyncs) down to one.
    """
    with transaction.atomic():
        org = make_org("org-a")
        site = make_site(org, "Sumy room")
        worker = make_staff(org, "worker", Role.SOCIAL_WORKER, site)
        canary = Item.objects.create(
            org=org, name=CANARY, category=ItemCategory.objects.get(code="information")
        )
        for item in Item.objects.filter(org=org):
            stock(site, item, 20 * max(recorded, 1), worker)
        people: list[Client] = []
        first_birthday = datetime.date(1970, 1, 1)
        for n in range(clients):
            birthday = first_birthday + datetime.timedelta(days=n * 37)
            parts = build_parts("Olena", "Vasyl", "12"[n % 2], birthday, today=TODAY)
            client, _ = register_client(
                org=org, parts=parts, groups=["injects_opioids"], worker=worker
            )
            people.append(client)
        kit = Kit.objects.prefetch_related("components__item").get(org=org, name="Injecting kit")
        counselling = ServiceType.objects.get(org=org, code="counselling")
        start = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
        for n in range(min(recorded, contacts)):
            record_contact(
                site=site,
                worker=worker,
                channel=Channel.WINDOW,
                client=people[n % clients],
                handout=Handout(
                    kits=[(kit, 1 + n % 3)],
                    items=[(canary, 1)] if n % 10 == 0 else [],
                    services=[counselling] if n % 4 == 0 else [],
                ),
                syringes_returned=n % 7,
                occurred_at=start + datetime.timedelta(minutes=7 * n),
            )
        _repeat_contacts(site, contacts - recorded)
    return org


def _repeat_contacts(site: Site, count: int) -> None:
    originals = list(Contact.objects.prefetch_related("items", "services").order_by("pk"))
    copies: list[tuple[Contact, Contact]] = []
    for n in range(count):
        original = originals[n % len(originals)]
        moment = original.occurred_at + datetime.timedelta(weeks=1 + n // len(originals))
        repeat = Contact(
            org_id=original.org_id,
            site_id=original.site_id,
            client_id=original.client_id,
            channel=original.channel,
            occurred_at=moment,
            date=site.local_date(moment),
            worker_id=original.worker_id,
            syringes_returned=original.syringes_returned,
        )
        copies.append((original, repeat))
    Contact.objects.bulk_create([repeat for _, repeat in copies], batch_size=500)
    ContactItem.objects.bulk_create(
        [
            ContactItem(
                contact=repeat, item_id=line.item_id, kit_id=line.kit_id, quantity=line.quantity
            )
            for original, repeat in copies
            for line in original.items.all()
        ],
        batch_size=500,
    )
    ContactService.objects.bulk_create(
        [
            ContactService(contact=repeat, service_type_id=line.service_type_id)
            for original, repeat in copies
            for line in original.services.all()
        ],
        batch_size=500,
    )
