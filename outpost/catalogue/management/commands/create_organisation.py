import getpass
import os
from argparse import ArgumentParser

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from outpost.cases.actions import install_case_lists
from outpost.catalogue.actions import install_default_catalogue
from outpost.core.roles import Role
from outpost.orgs.models import Membership, Organisation, User


class Command(BaseCommand):
    help = (
        "Create an organisation with the default catalogue, case goals and topics, and its "
        "first administrator. "
        "The password is read from ADMIN_PASSWORD or asked for; it is never an argument, "
        "so it stays out of shell history."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", required=True, help="Username of the first administrator.")

    def handle(self, *args: object, slug: str, name: str, admin: str, **options: object) -> None:
        if Organisation.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with the slug {slug!r} already exists.")
        if User.objects.filter(username=admin).exists():
            raise CommandError(f"The username {admin!r} is taken.")
        password = os.environ.get("ADMIN_PASSWORD") or getpass.getpass("Password: ")
        user = User(username=admin)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            org = Organisation.objects.create(slug=slug, name=name)
            install_default_catalogue(org=org)
            install_case_lists(org=org)
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, org=org, role=Role.ADMIN)
        self.stdout.write(f"Created {name} ({slug}) with administrator {admin}.")
