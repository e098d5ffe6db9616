import io
import os
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from outpost.inventory.models import Location
from outpost.orgs.models import Membership, Organisation, Site


class SetupCommandTests(TestCase):
    def test_an_organisation_starts_with_its_catalogue_an_admin_and_a_site(self) -> None:
        with mock.patch.dict(os.environ, {"ADMIN_PASSWORD": "a long passphrase for 2026"}):
            call_command(
                "create_organisation",
                "--slug",
                "kyiv",
                "--name",
                "Kyiv NGO",
                "--admin",
                "boss",
                stdout=io.StringIO(),
            )
        org = Organisation.objects.get(slug="kyiv")
        self.assertTrue(org.items.exists())
        self.assertEqual(Membership.objects.get(org=org).role, "admin")
        call_command(
            "create_site",
            "--org",
            "kyiv",
            "--name",
            "Podil room",
            "--kind",
            "room",
            "--channel",
            "window",
            stdout=io.StringIO(),
        )
        site = Site.objects.get(org=org)
        self.assertTrue(Location.objects.filter(site=site, kind="store").exists())

    def test_weak_passwords_and_unknown_time_zones_are_refused(self) -> None:
        with (
            mock.patch.dict(os.environ, {"ADMIN_PASSWORD": "12345"}),
            self.assertRaises(CommandError),
        ):
            call_command(
                "create_organisation",
                "--slug",
                "weak",
                "--name",
                "Weak",
                "--admin",
                "weak",
                stdout=io.StringIO(),
            )
        self.assertFalse(Organisation.objects.filter(slug="weak").exists())
        Organisation.objects.create(slug="tz", name="Tz")
        with self.assertRaises(CommandError):
            call_command(
                "create_site",
                "--org",
                "tz",
                "--name",
                "X",
                "--kind",
                "room",
                "--channel",
                "window",
                "--timezone",
                "Mars/Olympus",
                stdout=io.StringIO(),
            )
        self.assertFalse(Site.objects.exists())
