from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase

from outpost.clients.models import Client, ContactDetails
from outpost.vault import registry


class RegistryTests(SimpleTestCase):
    def test_the_clients_app_registers_its_contact_details(self) -> None:
        entries = {entry.label: entry for entry in registry.registered()}
        phone = entries["clients.contactdetails.phone"]
        self.assertEqual((phone.index_field, phone.index_kind), ("phone_index", "phone"))
        self.assertEqual(
            phone.context(ContactDetails(client_id=42)), "clients.contactdetails.phone:42"
        )

    def test_refuses_a_field_that_cannot_hold_ciphertext(self) -> None:
        with self.assertRaisesMessage(ImproperlyConfigured, "BinaryField"):
            registry.register(Client, "code", context=lambda row: "x")

    def test_needs_both_index_field_and_kind(self) -> None:
        with self.assertRaisesMessage(ImproperlyConfigured, "both"):
            registry.register(
                ContactDetails, "phone", context=lambda row: "x", index_field="phone_index"
            )

    def test_refuses_an_unknown_index_kind(self) -> None:
        with self.assertRaisesMessage(ImproperlyConfigured, "index_kind"):
            registry.register(
                ContactDetails,
                "phone",
                context=lambda row: "x",
                index_field="phone_index",
                index_kind="email",
            )

    def test_the_context_refuses_a_row_of_another_model(self) -> None:
        entry = next(e for e in registry.registered() if e.field == "phone")
        with self.assertRaises(TypeError):
            entry.context(Client(pk=1))
