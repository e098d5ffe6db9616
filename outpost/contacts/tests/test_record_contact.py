import uuid

from django.db.models import Sum

from outpost.catalogue.models import Item
from outpost.clients.models import Client
from outpost.contacts.actions import Handout, record_contact
from outpost.contacts.models import Contact, ContactItem
from outpost.core.choices import Channel
from outpost.core.errors import DomainError
from outpost.core.models import AuditEvent
from outpost.core.tests.base import BaseTestCase
from outpost.inventory.actions import store_of
from outpost.inventory.errors import OutOfStock
from outpost.inventory.models import StockBalance, StockMovement


class RecordContactTests(BaseTestCase):
    def on_hand(self, item: Item) -> int:
        rows = StockBalance.objects.filter(location=store_of(self.site), item=item)
        return int(rows.aggregate(total=Sum("quantity"))["total"] or 0)

    def record(self, handout: Handout, **fields: object) -> Contact:
        fields.setdefault("client", self.anna)
        return record_contact(
            site=self.site,
            worker=self.worker,
            channel=Channel.WINDOW,
            handout=handout,
            **fields,  # type: ignore[arg-type]  # test helper
        )

    def test_a_kit_is_handed_out_as_its_components_and_stock_falls(self) -> None:
        contact = self.record(
            Handout(kits=[(self.injecting_kit, 1)], services=[self.counselling]),
            syringes_returned=7,
        )
        lines = {line.item.name: line.quantity for line in contact.items.all()}
        self.assertEqual(lines["Syringe 2 ml"], 5)
        self.assertEqual(self.on_hand(self.syringe), 95)
        self.assertEqual(contact.syringes_returned, 7)
        self.assertEqual(
            list(contact.services.values_list("service_type__code", flat=True)), ["counselling"]
        )
        self.assertEqual(contact.date, self.site.local_date(contact.occurred_at))

    def test_kit_and_loose_items_of_the_same_kind_are_taken_together(self) -> None:
        self.record(Handout(kits=[(self.injecting_kit, 1)], items=[(self.syringe, 10)]))
        self.assertEqual(self.on_hand(self.syringe), 85)

    def test_nothing_of_the_contact_is_saved_when_one_item_is_short(self) -> None:
        with self.assertRaisesMessage(OutOfStock, "Syringe 2 ml"):
            self.record(Handout(kits=[(self.injecting_kit, 1)], items=[(self.syringe, 96)]))
        self.assertFalse(Contact.objects.exists())
        self.assertFalse(ContactItem.objects.exists())
        self.assertFalse(StockMovement.objects.filter(kind="dispense").exists())
        self.assertEqual(self.on_hand(self.syringe), 100)

    def test_a_retried_request_records_once(self) -> None:
        key = uuid.uuid4()
        first = self.record(Handout(items=[(self.condom, 3)]), idempotency_key=key)
        again = self.record(Handout(items=[(self.condom, 3)]), idempotency_key=key)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Contact.objects.count(), 1)
        self.assertEqual(self.on_hand(self.condom), 97)

    def test_anonymous_contacts_have_no_client(self) -> None:
        contact = self.record(Handout(items=[(self.condom, 2)]), client=None)
        self.assertIsNone(contact.client_id)

    def test_first_contact_date_is_the_earliest_contact(self) -> None:
        contact = self.record(Handout())
        self.anna.refresh_from_db()
        self.assertEqual(self.anna.first_contact_date, contact.date)

    def test_refuses_clients_items_and_services_of_another_organisation(self) -> None:
        stranger = Client.objects.create(
            org=self.other_org,
            code="IRPE219900101"[:13],
            mother_part="IR",
            father_part="PE",
            sex="2",
            birth_date="1990-01-01",
            network_key="x",
        )
        foreign_item = self.other_org.items.get(name="Condom")
        foreign_service = self.other_org.service_types.get(code="counselling")
        for fields in (
            {"client": stranger, "handout": Handout()},
            {"handout": Handout(items=[(foreign_item, 1)])},
            {"handout": Handout(services=[foreign_service])},
        ):
            with self.subTest(fields=fields), self.assertRaises(DomainError):
                handout = fields.pop("handout")
                self.record(handout, **fields)  # type: ignore[arg-type]
        self.assertFalse(Contact.objects.exists())

    def test_refuses_zero_negative_and_huge_quantities(self) -> None:
        for quantity in (0, -1, 1001):
            with self.subTest(quantity=quantity), self.assertRaises(DomainError):
                self.record(Handout(items=[(self.condom, quantity)]))
        with self.assertRaises(DomainError):
            self.record(Handout(), syringes_returned=-1)
        self.assertFalse(Contact.objects.exists())

    def test_every_contact_is_in_the_audit_trail(self) -> None:
        contact = self.record(Handout())
        self.assertTrue(
            AuditEvent.objects.filter(
                verb="contact.recorded", target_id=contact.pk, actor=self.worker
            ).exists()
        )

    def test_a_key_from_another_organisation_is_refused_not_answered(self) -> None:
        """A form key never returns another organisation's contact."""
        key = uuid.uuid4()
        self.record(Handout(), idempotency_key=key)
        outsider_client = Client.objects.create(
            org=self.other_org,
            code="IRPE219900101",
            mother_part="IR",
            father_part="PE",
            sex="2",
            birth_date="1990-01-01",
            network_key="y",
        )
        with self.assertRaisesMessage(DomainError, "already used"):
            record_contact(
                site=self.other_site,
                worker=self.outsider,
                channel=Channel.WINDOW,
                client=outsider_client,
                handout=Handout(),
                idempotency_key=key,
            )
