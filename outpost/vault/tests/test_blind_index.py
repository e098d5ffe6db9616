"""T13: look-ups by phone or Telegram name through the blind index."""

import hashlib
import hmac
import random

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from outpost.clients.models import ContactDetails
from outpost.orgs.models import Organisation
from outpost.vault.crypto import (
    blind_index,
    blind_index_candidates,
    decrypt,
    normalise_phone,
    normalise_telegram,
)
from outpost.vault.keys import create_data_keys, current_data_key, master_key
from outpost.vault.tests.factories import (
    make_clients,
    make_contact_details,
    phone_of,
    telegram_of,
)

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SUBSCRIBER = st.integers(0, 9_999_999)  # seven digits after a three-digit code
RUSSIAN_CODE = st.integers(900, 999)
UKRAINIAN_CODE = st.sampled_from(["50", "63", "66", "67", "68", "73", "93", "95", "96", "97"])


def russian_spellings(code: int, number: int) -> list[str]:
    digits = f"{number:07d}"
    a, b, c = digits[:3], digits[3:5], digits[5:]
    return [
        f"+7 ({code}) {a}-{b}-{c}",
        f"8 {code} {a} {b}{c}",
        f"7{code}{digits}",
        f"8({code}){digits}",
        f"+7{code}{digits}",
        f"{code} {a} {b} {c}",
    ]


def ukrainian_spellings(code: str, number: int) -> list[str]:
    digits = f"{number:07d}"
    return [
        f"+380 {code} {digits[:3]} {digits[3:5]} {digits[5:]}",
        f"0{code}{digits}",
        f"(0{code}) {digits[:3]}-{digits[3:]}",
        f"380{code}{digits}",
        f"8 0{code} {digits}",
        f"00380{code}{digits}",
    ]


def spellings_of_handle(handle: str) -> list[str]:
    return [handle, f"@{handle}", handle.upper(), f"https://t.me/{handle}", f" t.me/{handle}/ "]


class NormalisationTests(TestCase):
    def test_the_three_russian_spellings_of_the_canary_are_one_number(self) -> None:
        spellings = ["+7 (999) 000-00-01", "8 999 000 0001", "79990000001"]
        self.assertEqual({normalise_phone(s) for s in spellings}, {"79990000001"})

    def test_a_ukrainian_national_number_gains_its_country_code(self) -> None:
        self.assertEqual(normalise_phone("050 123 4567"), "380501234567")
        self.assertEqual(normalise_phone("+380 (50) 123-45-67"), "380501234567")
        self.assertEqual(normalise_phone("8 050 123 45 67"), "380501234567")

    def test_telegram_names_lose_at_sign_link_and_case(self) -> None:
        for spelling in spellings_of_handle("canary_f3a9"):
            self.assertEqual(normalise_telegram(spelling), "canary_f3a9")
        self.assertEqual(normalise_telegram("@Canary_F3A9"), "canary_f3a9")


@PROPERTY
@given(RUSSIAN_CODE, SUBSCRIBER)
def test_every_russian_spelling_normalises_alike(code: int, number: int) -> None:
    assert {normalise_phone(s) for s in russian_spellings(code, number)} == {
        f"7{code}{number:07d}"
    }


@PROPERTY
@given(UKRAINIAN_CODE, SUBSCRIBER)
def test_every_ukrainian_spelling_normalises_alike(code: str, number: int) -> None:
    assert {normalise_phone(s) for s in ukrainian_spellings(code, number)} == {
        f"380{code}{number:07d}"
    }


@PROPERTY
@given(st.text())
@example("0000123")
@example("@ @x")
def test_normalising_twice_changes_nothing(value: str) -> None:
    assert normalise_phone(normalise_phone(value)) == normalise_phone(value)
    assert normalise_telegram(normalise_telegram(value)) == normalise_telegram(value)


@pytest.mark.django_db
@PROPERTY
@given(RUSSIAN_CODE, SUBSCRIBER, UKRAINIAN_CODE)
def test_every_spelling_gives_one_blind_index(code: int, number: int, ua_code: str) -> None:
    assert len({blind_index("phone", s) for s in russian_spellings(code, number)}) == 1
    assert len({blind_index("phone", s) for s in ukrainian_spellings(ua_code, number)}) == 1


class BlindIndexTests(TestCase):
    def test_1000_lookups_by_phone_or_telegram_find_exactly_their_client(self) -> None:
        org = Organisation.objects.create(name="Org", slug="org")
        clients = make_clients(org, 1000)
        make_contact_details(clients)
        rng = random.Random(13)  # noqa: S311 - test data, not a secret
        hits = 0
        for client in rng.sample(clients, 1000):
            subscriber = phone_of(client.pk)[4:]
            if rng.random() < 0.5:
                kind, value = "phone", rng.choice(russian_spellings(999, int(subscriber)))
                expected = phone_of(client.pk)
            else:
                kind = "telegram"
                value = rng.choice(spellings_of_handle(telegram_of(client.pk)))
                expected = telegram_of(client.pk)
            candidates = ContactDetails.objects.filter(
                **{f"{kind}_index": blind_index(kind, value)}
            )
            # Re-check every candidate after decryption, as callers must.
            found = [
                row.pk
                for row in candidates
                if decrypt(getattr(row, kind), context=ContactDetails.context(row, kind))
                == expected
            ]
            hits += found == [client.pk]
        self.assertEqual(hits, 1000)

    def test_the_index_key_is_neither_the_field_key_nor_the_master_key(self) -> None:
        index, fields = current_data_key("index"), current_data_key("fields")
        self.assertNotEqual(index.secret, fields.secret)
        self.assertNotEqual(index.secret, master_key())
        self.assertNotEqual(index.key_id, fields.key_id)

    def test_the_index_is_never_a_plain_hash_or_a_field_key_hmac(self) -> None:
        index = blind_index("phone", "+7 (999) 000-00-01")
        for message in (b"79990000001", b"phone\x0079990000001", b"+7 (999) 000-00-01"):
            self.assertNotEqual(index, hashlib.sha256(message).hexdigest())
            fields_key = current_data_key("fields").secret
            self.assertNotEqual(index, hmac.new(fields_key, message, "sha256").hexdigest())
        expected = hmac.new(
            current_data_key("index").secret, b"phone\x0079990000001", "sha256"
        ).hexdigest()
        self.assertEqual(index, expected)

    def test_a_phone_and_a_telegram_name_of_the_same_text_index_differently(self) -> None:
        self.assertNotEqual(blind_index("phone", "12345678"), blind_index("telegram", "12345678"))

    def test_refuses_to_index_nothing_or_an_unknown_kind(self) -> None:
        with self.assertRaisesMessage(ValueError, "nothing to index"):
            blind_index("phone", "no digits")
        with self.assertRaisesMessage(ValueError, "unknown"):
            blind_index("email", "a@example.org")

    def test_candidates_cover_the_old_index_key_during_a_rotation(self) -> None:
        old = blind_index("telegram", "@canary_f3a9")
        create_data_keys(["index"])
        new = blind_index("telegram", "@canary_f3a9")
        self.assertNotEqual(old, new)
        self.assertEqual(blind_index_candidates("telegram", "canary_f3a9"), [new, old])
