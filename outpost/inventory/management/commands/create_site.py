from argparse import ArgumentParser

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from outpost.core.choices import Channel
from outpost.inventory.actions import create_store
from outpost.orgs.models import Organisation, Site


class Command(BaseCommand):
    help = "Add a site (room, mobile unit, courier hub or online) with its own store."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=Site.Kind.values)
        parser.add_argument("--channel", required=True, choices=Channel.values)
        parser.add_argument("--timezone", default="Europe/Kyiv")

    def handle(
        self,
        *args: object,
        org: str,
        name: str,
        kind: str,
        channel: str,
        timezone: str,
        **options: object,
    ) -> None:
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {org!r}.")
        site = Site(
            org=organisation, name=name, kind=kind, default_channel=channel, timezone=timezone
        )
        try:
            site.full_clean()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            site.save()
            create_store(site=site)
        self.stdout.write(f"Created site {name} with its store.")
