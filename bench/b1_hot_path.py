"""B1: the hot path at the window: find a client by code, open the card, save a contact.

Outpost is driven through its real views with Django's test client, in
this process, so the time is the server's: middleware, view, queries,
template. The save hands out four items from the store (stock, summaries,
client dates, audit all kept, as in ``record_contact``).

The peer is the raw SQL floor on the same connection: the same look-up,
the rows the card shows, and the same inserts and updates a save makes,
each written by hand.

Nothing is kept: the whole benchmark runs in one transaction that is
rolled back at the end (the sign-in included), and every save in a
savepoint rolled back after it, so the generated database stays as it was.
"""

import datetime
import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count

from django.db import connection, transaction
from django.db.models import F
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.context import Context
from bench.harness import OUTPOST, Case, measure, same_answer
from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.models import Contact, ContactDay, ContactItem
from outpost.contacts.summaries import UNIT_COLUMNS
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import StaffClient
from outpost.inventory.models import Location, StockBalance, StockMovement
from outpost.orgs.models import Membership, Site

SAMPLES = 20
ITEMS = 4
LOOKUP_P95, CARD_P95, SAVE_P95 = 0.030, 0.100, 0.100


class Window:
    """One worker at one site with codes to type and items on the shelf."""

    def __init__(
        self, site: Site, http: HttpClient, clients: list[Client], balances: list[StockBalance]
    ) -> None:
        self.site = site
        self.http = http
        self.clients = clients
        self.balances = balances
        self.worker_id = Membership.objects.filter(site=site, role=Role.SOCIAL_WORKER).values_list(
            "user_id", flat=True
        )[0]
        self.turn = count()

    def next_client(self) -> Client:
        return self.clients[next(self.turn) % len(self.clients)]


def run(ctx: Context) -> list[Case]:
    with transaction.atomic():
        cases = _run(ctx)
        transaction.set_rollback(True)
    return cases


def open_window(
    site: Site, samples: int = SAMPLES, http: HttpClient | None = None, least: int = 1
) -> Window:
    """Sign the site's worker in; pick clients seen before and four items with ``least`` units."""
    worker = (
        Membership.objects.filter(site=site, role=Role.SOCIAL_WORKER)
        .select_related("user")[0]
        .user
    )
    if http is None:
        http = StaffClient()
        http.force_login(worker)
    clients = list(
        Client.objects.filter(org_id=site.org_id, last_contact_date__isnull=False).order_by("pk")
    )
    step = max(1, len(clients) // samples)
    store = Location.objects.filter(site=site, kind=Location.Kind.STORE).first()
    items = Item.objects.filter(org_id=site.org_id, is_active=True).exclude(category__code="kit")
    usable = (
        StockBalance.objects.filter(location=store, quantity__gt=0, item__in=items)
        .exclude(expires_on__lt=site.local_today())
        .order_by("item_id", F("expires_on").asc(nulls_last=True), "lot")
    )
    totals: dict[int, int] = {}
    first_to_go: dict[int, StockBalance] = {}
    for balance in usable:
        totals[balance.item_id] = totals.get(balance.item_id, 0) + balance.quantity
        first_to_go.setdefault(balance.item_id, balance)
    chosen = sorted(
        (item for item, total in totals.items() if total >= least), key=lambda i: (-totals[i], i)
    )
    if len(chosen) < ITEMS:
        raise RuntimeError(f"{site} has fewer than {ITEMS} items with {least} units in stock")
    return Window(site, http, clients[::step][:samples], [first_to_go[i] for i in chosen[:ITEMS]])


def _run(ctx: Context) -> list[Case]:
    site = Site.objects.get(pk=ctx.busiest_site)
    window = open_window(site)
    samples = max(ctx.repeat, SAMPLES)
    cases = [
        _lookup(window, samples),
        _card(window, samples),
        _save(window, samples),
    ]
    for case in cases:
        case.notes.append(f"site {site.pk} of organisation {site.org_id}; {samples} samples")
    return cases


# Find a client by code -------------------------------------------------------


def lookup(window: Window, client: Client) -> int:
    url = reverse("contacts:find", args=[window.site.pk])
    response = window.http.post(url, {"code": client.code})
    if response.status_code != 302:
        raise AssertionError(f"find answered {response.status_code}")
    return int(response["Location"].rstrip("/").rsplit("/", 1)[-1])


def lookup_floor(window: Window, client: Client) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM clients_client WHERE org_id = %s AND code = %s",
            [window.site.org_id, client.code],
        )
        return int(cursor.fetchone()[0])


def _lookup(window: Window, samples: int) -> Case:
    case = Case("B1", "find a client by code (POST, redirect to the card)")
    measure(
        case,
        "outpost view",
        lambda: lookup(window, window.next_client()),
        repeat=samples,
        role=OUTPOST,
    )
    measure(
        case, "raw SQL floor", lambda: lookup_floor(window, window.next_client()), repeat=samples
    )
    expected = [lookup(window, client) for client in window.clients]
    got = [lookup_floor(window, client) for client in window.clients]
    same_answer(case, "raw SQL floor", expected, got)
    _count_queries(case, lambda: lookup(window, window.clients[0]))
    _targets(case, LOOKUP_P95)
    return case


# Open the client card ----------------------------------------------------------


def card(window: Window, client: Client) -> int:
    response = window.http.get(reverse("contacts:visit", args=[window.site.pk, client.pk]))
    if response.status_code != 200 or client.code not in response.content.decode():
        raise AssertionError(f"the card answered {response.status_code}")
    return len(response.content)


def card_floor(window: Window, client: Client) -> list[int]:
    """The rows the card shows: client, recent contacts and items, catalogue, lots."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, code, sex, birth_date, first_contact_date, last_contact_date "
            "FROM clients_client WHERE id = %s AND org_id = %s",
            [client.pk, window.site.org_id],
        )
        cursor.fetchone()
        cursor.execute(
            "SELECT c.id, c.date, c.channel, s.name FROM contacts_contact c "
            "JOIN orgs_site s ON s.id = c.site_id WHERE c.client_id = %s "
            "ORDER BY c.occurred_at DESC LIMIT 5",
            [client.pk],
        )
        recent = [row[0] for row in cursor.fetchall()]
        if recent:
            cursor.execute(
                "SELECT ci.contact_id, it.name, ci.quantity FROM contacts_contactitem ci "  # noqa: S608
                "JOIN catalogue_item it ON it.id = ci.item_id "
                f"WHERE ci.contact_id IN ({', '.join(['%s'] * len(recent))})",
                recent,
            )
            cursor.fetchall()
        cursor.execute(
            "SELECT it.id, it.name, cat.code FROM catalogue_item it "
            "JOIN catalogue_itemcategory cat ON cat.id = it.category_id "
            "WHERE it.org_id = %s AND it.is_active AND cat.code <> 'kit'",
            [window.site.org_id],
        )
        cursor.fetchall()
        cursor.execute(
            "SELECT item_id, lot, expires_on, quantity FROM inventory_stockbalance "
            "WHERE location_id = %s AND quantity > 0",
            [window.balances[0].location_id],
        )
        cursor.fetchall()
        # Every look at a client is logged.
        _audit_floor(
            cursor, window, ("clients.client", client.pk), "client.viewed", timezone.now()
        )
    return recent


def _card(window: Window, samples: int) -> Case:
    case = Case("B1", "open the client card (GET)")
    measure(
        case,
        "outpost view",
        lambda: card(window, window.next_client()),
        repeat=samples,
        role=OUTPOST,
        around=rolled_back,
    )
    measure(
        case,
        "raw SQL floor",
        lambda: card_floor(window, window.next_client()),
        repeat=samples,
        around=rolled_back,
    )
    _count_queries(case, lambda: card(window, window.clients[0]))
    _targets(case, CARD_P95)
    return case


# Save a contact with four items ------------------------------------------------


def save(window: Window, client: Client) -> None:
    data: dict[str, str | int] = {
        "channel": window.site.default_channel,
        "idempotency_key": str(uuid.uuid4()),
        "syringes_returned": 0,
    }
    for balance in window.balances:
        data[f"item_{balance.item_id}"] = 1
    response = window.http.post(reverse("contacts:visit", args=[window.site.pk, client.pk]), data)
    if response.status_code != 302:
        raise AssertionError(f"the save answered {response.status_code}")


def save_floor(window: Window, client: Client) -> None:
    """Write the contact, lines, stock movements, summary, client dates and audit entries."""
    site, day = window.site, window.site.local_today()
    ops = connection.ops
    moment = timezone.now()
    now, today = ops.adapt_datetimefield_value(moment), ops.adapt_datefield_value(day)
    first_of_month = ops.adapt_datefield_value(day.replace(day=1))
    key = Contact._meta.get_field("idempotency_key").get_db_prep_value(uuid.uuid4(), connection)
    categories = dict(
        Item.objects.filter(pk__in=[b.item_id for b in window.balances]).values_list(
            "pk", "category__code"
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_contact (org_id, site_id, client_id, channel, occurred_at, "
            "date, "
            "worker_id, syringes_returned, peers, units_for_peers, idempotency_key, recorded_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, 0, 0, 0, %s, %s) RETURNING id",
            [
                site.org_id,
                site.pk,
                client.pk,
                site.default_channel,
                now,
                today,
                window.worker_id,
                key,
                now,
            ],
        )
        contact_id = cursor.fetchone()[0]
        values = ", ".join(["(%s, %s, %s)"] * len(window.balances))
        cursor.execute(
            f"INSERT INTO contacts_contactitem (contact_id, item_id, quantity) VALUES {values}",  # noqa: S608
            [v for b in window.balances for v in (contact_id, b.item_id, 1)],
        )
        for balance in window.balances:
            cursor.execute(
                "UPDATE inventory_stockbalance SET quantity = quantity - 1 WHERE id = %s",
                [balance.pk],
            )
        rows = ", ".join(
            ["(%s, %s, %s, %s, %s, 'dispense', -1, %s, %s, '', '', '', %s, %s)"]
            * len(window.balances)
        )
        cursor.execute(
            "INSERT INTO inventory_stockmovement (org_id, location_id, item_id, lot, "  # noqa: S608
            "expires_on, kind, quantity, occurred_on, contact_id, supplier, reason, note, "
            "recorded_by_id, recorded_at) "
            f"VALUES {rows}",
            [
                v
                for b in window.balances
                for v in (
                    site.org_id,
                    b.location_id,
                    b.item_id,
                    b.lot,
                    ops.adapt_datefield_value(b.expires_on),
                    today,
                    contact_id,
                    window.worker_id,
                    now,
                )
            ],
        )
        units = {column: 0 for column in UNIT_COLUMNS.values()}
        for balance in window.balances:
            column = UNIT_COLUMNS.get(categories[balance.item_id])
            if column:
                units[column] += 1
        names = ", ".join(units)
        cursor.execute(
            f"INSERT INTO contacts_contactday (org_id, site_id, channel, client_id, date, month, "  # noqa: S608
            f"contacts, syringes_returned, {names}) VALUES (%s, %s, %s, %s, %s, %s, 1, 0, "
            f"{', '.join(['%s'] * len(units))}) "
            "ON CONFLICT (site_id, channel, client_id, date) WHERE client_id IS NOT NULL "
            "DO UPDATE SET "
            "contacts = contacts_contactday.contacts + 1, "
            + ", ".join(f"{c} = contacts_contactday.{c} + excluded.{c}" for c in units),
            [
                site.org_id,
                site.pk,
                site.default_channel,
                client.pk,
                today,
                first_of_month,
                *units.values(),
            ],
        )
        cursor.execute(
            "UPDATE clients_client SET first_contact_date = CASE WHEN first_contact_date IS NULL "
            "OR first_contact_date > %s THEN %s ELSE first_contact_date END, last_contact_date = "
            "CASE WHEN last_contact_date IS NULL OR last_contact_date < %s THEN %s ELSE "
            "last_contact_date END WHERE id = %s",
            [today, today, today, today, client.pk],
        )
        # The card's access-log entry, then the contact's.
        _audit_floor(cursor, window, ("clients.client", client.pk), "client.viewed", moment)
        _audit_floor(cursor, window, ("contacts.contact", contact_id), "contact.recorded", moment)


def _audit_floor(
    cursor: object, window: Window, target: tuple[str, int], verb: str, now: datetime.datetime
) -> None:
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    execute = cursor.execute  # type: ignore[attr-defined]  # a Django CursorWrapper
    execute(f"SELECT seq, hash FROM core_auditchainhead WHERE id = 1{lock}")  # noqa: S608
    seq, previous = cursor.fetchone()  # type: ignore[attr-defined]  # as above
    digest = hashlib.sha256(
        f"{previous}|{seq + 1}|{verb}|{target}|{now.isoformat()}".encode()
    ).hexdigest()
    execute(
        "INSERT INTO core_auditevent (seq, at, actor_id, org_id, verb, target_type, target_id, "
        "request_id, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, '', %s, %s)",
        [
            seq + 1,
            connection.ops.adapt_datetimefield_value(now),
            window.worker_id,
            window.site.org_id,
            verb,
            *target,
            previous,
            digest,
        ],
    )
    execute("UPDATE core_auditchainhead SET seq = %s, hash = %s WHERE id = 1", [seq + 1, digest])


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _what_a_save_wrote(work: Callable[[], None], client: Client) -> tuple[int, ...]:
    """Rows a save adds, counted inside a savepoint rolled back after it."""
    tables = (Contact, ContactItem, StockMovement, AuditEvent)
    with rolled_back():
        before = [model.objects.count() for model in tables]
        contacts_before = ContactDay.objects.filter(client=client).values_list(
            "contacts", flat=True
        )
        summed = sum(contacts_before)
        work()
        after = [model.objects.count() for model in tables]
        summed_after = sum(
            ContactDay.objects.filter(client=client).values_list("contacts", flat=True)
        )
    return (*(b - a for a, b in zip(before, after, strict=True)), summed_after - summed)


def _save(window: Window, samples: int) -> Case:
    case = Case("B1", "save a contact with 4 items (stock, summaries, audit)")
    measure(
        case,
        "outpost view",
        lambda: save(window, window.next_client()),
        repeat=samples,
        role=OUTPOST,
        around=rolled_back,
    )
    measure(
        case,
        "raw SQL floor",
        lambda: save_floor(window, window.next_client()),
        repeat=samples,
        around=rolled_back,
    )
    client = window.clients[0]
    expected = _what_a_save_wrote(lambda: save(window, client), client)
    got = _what_a_save_wrote(lambda: save_floor(window, client), client)
    case.check(
        "a save adds 1 contact, 4 lines, 4 movements, 2 audit entries (viewed, recorded), "
        "1 contact to the summary",
        expected == (1, ITEMS, ITEMS, 2, 1),
        str(expected),
    )
    same_answer(case, "raw SQL floor (rows written)", expected, got)
    _count_queries(case, lambda: save(window, client))
    _targets(case, SAVE_P95)
    return case


def _count_queries(case: Case, work: Callable[[], object]) -> None:
    with rolled_back(), CaptureQueriesContext(connection) as queries:
        work()
    case.notes.append(f"outpost: {len(queries)} queries per request")


def _targets(case: Case, p95: float) -> None:
    mine, floor = case.get("outpost view"), case.get("raw SQL floor")
    case.target(f"p95 ≤ {p95 * 1000:.0f} ms", mine.p95 <= p95, f"{mine.p95 * 1000:.1f} ms")
    case.target(
        "≤ 2 × the raw SQL floor (medians)",
        mine.median <= 2 * floor.median,
        f"{mine.median / floor.median:.1f} ×",
    )
