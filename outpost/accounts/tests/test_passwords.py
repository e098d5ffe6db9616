"""The password policy and the hasher (T5, ASVS 6.2, 11.4.2)."""

import gzip
import importlib
import itertools

from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.contrib.auth.password_validation import (
    CommonPasswordValidator,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from outpost.accounts.passwords import ContextWordsValidator
from outpost.accounts.tests.factories import sign_in_with_password
from outpost.core.roles import Role
from outpost.core.tests.base import make_org, make_site, make_staff
from outpost.orgs.models import Organisation, Site, User

COMMON_SAMPLE_SIZE = 3000
# Long passphrases with none of the context words in them.
WORDS = ["lantern", "meadow", "copper", "thistle", "harbour", "violet", "ember", "quartz"]


def passphrase(length: int) -> str:
    words = itertools.cycle(WORDS)
    text = ""
    while len(text) < length:
        text += next(words) + " "
    return text[:length]


class PasswordPolicyTests(TestCase):
    org: Organisation
    site: Site
    worker: User

    @classmethod
    def setUpTestData(cls) -> None:
        cls.org = make_org("hope-centre")
        cls.site = make_site(cls.org, "Sumy room")
        cls.worker = make_staff(cls.org, "worker", Role.SOCIAL_WORKER, cls.site)

    def assertRefused(self, password: str, code: str) -> None:
        with self.assertRaises(ValidationError) as caught:
            validate_password(password, user=self.worker)
        self.assertIn(code, [error.code for error in caught.exception.error_list])

    def test_refuses_every_password_of_a_common_password_sample(self) -> None:
        """3,000 of the most common passwords are all refused."""
        path = CommonPasswordValidator().DEFAULT_PASSWORD_LIST_PATH
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            sample = [line.strip() for line in itertools.islice(lines, COMMON_SAMPLE_SIZE)]
        self.assertEqual(len(sample), COMMON_SAMPLE_SIZE)
        accepted = []
        for password in sample:
            try:
                validate_password(password)
            except ValidationError:
                continue
            accepted.append(password)
        self.assertEqual(accepted, [])

    def test_refuses_words_of_the_work_in_three_languages(self) -> None:
        for password in (
            "my Outpost login for spring",
            "Harm-Reduction works 2026!",
            "зменшення шкоди щодня і всюди",
            "Снижение вреда каждый день",
            "naloxone saves many lives",
        ):
            with self.subTest(password=password):
                self.assertRefused(password, "password_context_word")

    def test_refuses_the_username_and_the_names_of_the_organisation_and_its_sites(self) -> None:
        for password in (
            "the busy worker bee of june",
            "Hope Centre forever and ever",
            "hope-centre forever and ever",
            "sumy room lantern meadow",
        ):
            with self.subTest(password=password):
                self.assertRefused(password, "password_context_word")

    def test_names_of_other_organisations_are_not_context_words(self) -> None:
        """Only the person's own organisations count."""
        make_org("lantern-trust")
        validate_password(passphrase(40), user=self.worker)

    def test_the_context_check_works_without_a_user(self) -> None:
        with self.assertRaises(ValidationError):
            ContextWordsValidator().validate("outpost outpost outpost")
        ContextWordsValidator().validate(passphrase(40))

    def test_refuses_short_and_numeric_passwords(self) -> None:
        self.assertRefused("lantern meg", "password_too_short")
        self.assertRefused("739184620573", "password_entirely_numeric")

    def test_the_refusal_is_translated(self) -> None:
        from django.utils import translation

        with translation.override("uk"), self.assertRaises(ValidationError) as caught:
            ContextWordsValidator().validate("naloxone saves many lives")
        self.assertIn("naloxone", caught.exception.messages[0])

    def test_accepts_64_and_128_character_passphrases_and_signs_in_with_them(self) -> None:
        """Long passphrases pass the policy and work at the sign-in page (ASVS 6.2.9)."""
        for length in (64, 128):
            with self.subTest(length=length):
                password = passphrase(length)
                self.assertEqual(len(password), length)
                validate_password(password, user=self.worker)
                self.worker.set_password(password)
                self.worker.save(update_fields=["password"])
                response = sign_in_with_password(Client(), "worker", password)
                self.assertEqual(response.status_code, 302)

    def test_the_password_field_allows_pasting_and_any_length(self) -> None:
        """No maxlength and no paste blocking on the sign-in form (ASVS 6.2.7)."""
        page = Client().get(reverse("login")).content.decode()
        field = page[page.index('id="id_password"') :].split(">", 1)[0]
        self.assertNotIn("maxlength", field)
        self.assertNotIn("onpaste", page)


class HasherTests(TestCase):
    def test_production_hashes_passwords_with_argon2id_first(self) -> None:
        """The settings module lists Argon2 first; the suite swaps in MD5 for speed."""
        production = importlib.import_module("config.settings").PASSWORD_HASHERS
        self.assertEqual(production[0], "django.contrib.auth.hashers.Argon2PasswordHasher")
        with override_settings(PASSWORD_HASHERS=production):
            encoded = make_password("lantern meadow copper thistle")
            self.assertEqual(identify_hasher(encoded).algorithm, "argon2")
        self.assertTrue(encoded.startswith("argon2$argon2id$"))

    def test_argon2_hashes_carry_the_argon2id_prefix(self) -> None:
        encoded = make_password("lantern meadow copper thistle", hasher=Argon2PasswordHasher())
        self.assertTrue(encoded.startswith("argon2$argon2id$"))
