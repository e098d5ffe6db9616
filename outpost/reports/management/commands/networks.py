from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from outpost.orgs.models import Organisation
from outpost.reports.actions import add_network_members, create_network, remove_network_members
from outpost.reports.models import Network


class Command(BaseCommand):
    help = (
        "Set up the networks whose members report reach together (SPEC §1.3). "
        "Without a network, list the networks and their members. With one, create it "
        "if needed and add or remove member organisations by their short names. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("network", nargs="?", help="The network's short name, e.g. east.")
        parser.add_argument("--name", help="The network's name; needed to create it.")
        parser.add_argument(
            "--add", nargs="+", default=[], metavar="ORG", help="Organisations to add."
        )
        parser.add_argument(
            "--remove", nargs="+", default=[], metavar="ORG", help="Organisations to take out."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change, then roll it back."
        )

    def handle(
        self,
        *args: object,
        network: str | None,
        name: str | None,
        add: list[str],
        remove: list[str],
        dry_run: bool,
        **options: object,
    ) -> None:
        if network is None:
            if name or add or remove:
                raise CommandError("Name the network to change.")
            self._list()
            return
        if slugify(network) != network:
            raise CommandError(f"{network!r} is not a short name: use letters, digits, hyphens.")
        if set(add) & set(remove):
            raise CommandError("An organisation cannot be both added and removed.")
        with transaction.atomic():
            self._change(network, name, _orgs(add), _orgs(remove))
            if dry_run:
                transaction.set_rollback(True)
                self.stdout.write("Dry run: nothing was saved.")

    def _change(
        self,
        slug: str,
        name: str | None,
        to_add: list[Organisation],
        to_remove: list[Organisation],
    ) -> None:
        existing = Network.objects.filter(slug=slug).first()
        if existing is None and not name:
            raise CommandError(f"There is no network {slug!r}; give --name to create it.")
        name = name or (existing.name if existing is not None else "")
        found, created = create_network(name=name, slug=slug)
        self.stdout.write(f"{'Created' if created else 'Network'} {found.slug} ({found.name}).")
        for org in add_network_members(network=found, orgs=to_add):
            self.stdout.write(f"Added {org.slug}.")
        for org in remove_network_members(network=found, orgs=to_remove):
            self.stdout.write(f"Removed {org.slug}.")
        members = ", ".join(found.members.order_by("slug").values_list("slug", flat=True))
        self.stdout.write(f"Members: {members or 'none'}.")

    def _list(self) -> None:
        rows = Network.objects.order_by("slug").prefetch_related("members")
        for found in rows:
            members = ", ".join(sorted(org.slug for org in found.members.all()))
            self.stdout.write(f"{found.slug} ({found.name}): {members or 'no members'}")
        if not rows:
            self.stdout.write("No networks.")


def _orgs(slugs: list[str]) -> list[Organisation]:
    found = {org.slug: org for org in Organisation.objects.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise CommandError(f"No organisation {', '.join(repr(slug) for slug in missing)}.")
    return [found[slug] for slug in dict.fromkeys(slugs)]
