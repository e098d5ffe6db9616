from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from outpost.core.errors import DomainError
from outpost.core.roles import Perm, Role, role_can
from outpost.imports.actions import earlier_import, new_batch, run_import, store_file
from outpost.imports.models import ImportBatch
from outpost.orgs.models import Membership, Organisation, User

READ_SIZE = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import contacts from a CSV or XLSX file (docs/import.md): all rows or none. "
        "--batch ID runs again an import that a stopped process left unfinished."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", nargs="?", help="The CSV or XLSX file.")
        parser.add_argument("--org", help="The organisation's slug.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row, save none.")
        parser.add_argument(
            "--user", help="Who imports; default: the organisation's first manager or admin."
        )
        parser.add_argument("--batch", type=int, help="Run this unfinished import again.")

    def handle(
        self,
        *args: object,
        file: str | None,
        org: str | None,
        dry_run: bool,
        user: str | None,
        batch: int | None,
        **options: object,
    ) -> None:
        if batch is not None:
            batch_id = _unfinished(batch)
        else:
            batch_id = self._new_batch(file, org, user, dry_run)
        result = run_import(batch_id, progress=self._progress)
        self._report(result)

    def _new_batch(
        self, file: str | None, slug: str | None, username: str | None, dry_run: bool
    ) -> int:
        if file is None or slug is None:
            raise CommandError("Give a FILE and --org, or --batch ID.")
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation has the slug {slug!r}.")
        importer = _importer(org, username)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file!r}.")
        with path.open("rb") as handle:
            head = handle.read(8)
            handle.seek(0)
            try:
                stored_name, sha256 = store_file(
                    path.name, path.stat().st_size, head, iter(lambda: handle.read(READ_SIZE), b"")
                )
            except DomainError as error:
                raise CommandError(error.message) from None
        batch = new_batch(
            org_id=org.pk,
            user=importer,
            file_name=path.name,
            stored_name=stored_name,
            sha256=sha256,
            dry_run=dry_run,
        )
        return batch.pk

    def _progress(self, phase: str, done: int, total: int) -> None:
        numbers = {"done": f"{done:,}", "total": f"{total:,}"}
        if phase == "checked":
            self.stdout.write(gettext("Checked %(done)s of %(total)s rows") % numbers)
        else:
            self.stdout.write(gettext("Saved %(done)s of %(total)s rows") % numbers)

    def _report(self, batch: ImportBatch) -> None:
        for error in batch.errors:
            self.stdout.write(gettext("line %(line)s: %(message)s") % error)
        if batch.more_errors:
            self.stdout.write(
                gettext("… and %(count)d more errors.") % {"count": batch.more_errors}
            )
        if batch.status != ImportBatch.Status.DONE:
            raise CommandError(
                gettext("Import %(id)d: errors: %(count)d. Nothing was saved.")
                % {"id": batch.pk, "count": batch.error_count}
            )
        earlier = earlier_import(batch)
        if earlier is not None:
            self.stdout.write(
                gettext("The same file was imported before (import %(id)d).") % {"id": earlier.pk}
            )
        counts = {
            "id": batch.pk,
            "contacts": batch.contacts_added,
            "clients": batch.clients_added,
            "before": batch.contacts_already_imported,
        }
        if batch.dry_run:
            message = gettext(
                "Dry run %(id)d: every row is correct. Contacts to add: %(contacts)d; new "
                "clients: %(clients)d; rows imported before: %(before)d. Nothing was saved."
            )
        else:
            message = gettext(
                "Import %(id)d done. Contacts added: %(contacts)d; new clients: %(clients)d; "
                "rows imported before, not added again: %(before)d."
            )
        self.stdout.write(message % counts)


def _unfinished(batch_id: int) -> int:
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise CommandError(f"There is no import {batch_id}.")
    if batch.status == ImportBatch.Status.DONE:
        raise CommandError(f"Import {batch_id} is done already.")
    return batch.pk


def _importer(org: Organisation, username: str | None) -> User:
    """The member who imports: the one named, or the first manager or administrator."""
    members = Membership.objects.filter(org=org, user__is_active=True).select_related("user")
    if username is not None:
        membership = members.filter(user__username=username).first()
        if membership is None or not role_can(membership.role, Perm.IMPORT_DATA):
            raise CommandError(
                f"{username!r} is not an active manager or administrator of {org.slug}."
            )
        return membership.user
    membership = members.filter(role__in=[Role.MANAGER, Role.ADMIN]).order_by("pk").first()
    if membership is None:
        raise CommandError(f"{org.slug} has no active manager or administrator; give --user.")
    return membership.user
