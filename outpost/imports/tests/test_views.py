"""The import pages: upload, progress, errors, the real run, and who may see them."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outpost.contacts.models import Contact
from outpost.core.roles import Role
from outpost.core.tests.base import make_staff
from outpost.imports.models import ImportBatch
from outpost.imports.tests.base import DAY, HEADER, ImportTestCase, csv_bytes
from outpost.imports.tests.factories import route_samples

GOOD = f"{DAY},Sumy room,,OLVA110031985,counselling,3,1,2"
BAD = f"{DAY},Kyiv room,,,,,1,"


def upload(*lines: str, name: str = "contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(*lines), content_type="text/csv")


class ImportPageTests(ImportTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.manager)

    def post_file(self, file: SimpleUploadedFile, *, dry_run: bool) -> ImportBatch:
        data: dict[str, object] = {"file": file}
        if dry_run:
            data["dry_run"] = "on"
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("imports:index"), data)
        batch = ImportBatch.objects.latest("pk")
        self.assertRedirects(response, reverse("imports:detail", args=[batch.pk]))
        batch.refresh_from_db()
        return batch

    def test_a_clean_dry_run_then_import_for_real(self) -> None:
        dry = self.post_file(upload(HEADER, GOOD, GOOD), dry_run=True)
        self.assertEqual((dry.status, dry.uploaded_by), ("done", self.manager))
        page = self.client.get(reverse("imports:detail", args=[dry.pk]))
        self.assertContains(page, "Import for real")
        self.assertContains(page, "Contacts to add")
        self.assertFalse(Contact.objects.exists())
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("imports:detail", args=[dry.pk]))
        real = ImportBatch.objects.latest("pk")
        self.assertRedirects(response, reverse("imports:detail", args=[real.pk]))
        self.assertEqual(Contact.objects.count(), 2)
        page = self.client.get(reverse("imports:detail", args=[real.pk]))
        self.assertContains(page, "Contacts added")
        self.assertNotContains(page, "Import for real")
        # The dry run's file went with the real import: it cannot be imported twice.
        response = self.client.post(reverse("imports:detail", args=[dry.pk]), follow=True)
        self.assertContains(
            response, "Only a file that passed a dry run, and is still kept, can be imported."
        )
        self.assertEqual(Contact.objects.count(), 2)

    def test_a_dry_run_shows_each_bad_row_with_its_line_and_reason(self) -> None:
        batch = self.post_file(upload(HEADER, GOOD, BAD), dry_run=True)
        page = self.client.get(reverse("imports:detail", args=[batch.pk]))
        self.assertContains(page, '<td class="num">3</td>', html=False)
        self.assertContains(page, "There is no site “Kyiv room” here.")
        self.assertNotContains(page, "Import for real")
        self.assertFalse(Contact.objects.exists())

    def test_a_real_upload_saves_at_once(self) -> None:
        batch = self.post_file(upload(HEADER, GOOD), dry_run=False)
        self.assertEqual((batch.status, batch.contacts_added), ("done", 1))
        self.assertEqual(Contact.objects.get().worker, self.manager)
        listing = self.client.get(reverse("imports:index"))
        self.assertContains(listing, "contacts.csv")

    def test_a_file_of_another_kind_is_refused_with_a_message(self) -> None:
        response = self.client.post(
            reverse("imports:index"), {"file": upload("hello", name="notes.txt")}
        )
        self.assertEqual(response.status_code, 422)
        self.assertContains(
            response, "Only CSV and XLSX (Excel) files can be imported.", status_code=422
        )
        self.assertFalse(ImportBatch.objects.exists())

    def test_progress_is_polled_while_the_import_runs(self) -> None:
        batch = self.upload(csv_bytes(HEADER, GOOD))
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.VALIDATING, rows_total=20_000, rows_done=10_000
        )
        url = reverse("imports:detail", args=[batch.pk])
        page = self.client.get(url)
        self.assertContains(page, 'hx-trigger="every 2s"')
        self.assertContains(page, "10000 of 20000 rows checked.")
        self.assertContains(page, f'href="{url}"')  # reloading works without htmx
        partial = self.client.get(url, headers={"HX-Request": "true"})
        self.assertContains(partial, 'value="10000"')
        self.assertNotContains(partial, "<html")
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.DONE)
        self.assertNotContains(self.client.get(url, headers={"HX-Request": "true"}), "hx-trigger")

    def test_the_list_shows_only_this_organisations_imports(self) -> None:
        outsider_manager = make_staff(self.other_org, "manager-b", Role.MANAGER, self.other_site)
        route_samples(self.other_org, outsider_manager)
        response = self.client.get(reverse("imports:index"))
        self.assertEqual(list(response.context["batches"]), [])


class ImportAccessTests(ImportTestCase):
    def test_another_organisations_import_is_not_found(self) -> None:
        batch_id = route_samples(self.org, self.manager)["batch_id"]
        self.client.force_login(make_staff(self.other_org, "manager-b", Role.MANAGER))
        for method in ("get", "post"):
            response = getattr(self.client, method)(reverse("imports:detail", args=[batch_id]))
            self.assertEqual(response.status_code, 404)

    def test_a_social_worker_may_not_import(self) -> None:
        batch_id = route_samples(self.org, self.manager)["batch_id"]
        self.client.force_login(self.worker)
        self.assertEqual(self.client.get(reverse("imports:index")).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("imports:detail", args=[batch_id])).status_code, 403
        )

    def test_the_menu_shows_imports_to_managers_only(self) -> None:
        self.client.force_login(self.manager)
        self.assertContains(
            self.client.get(reverse("home"), follow=True), reverse("imports:index")
        )
        self.client.force_login(self.worker)
        self.assertNotContains(
            self.client.get(reverse("home"), follow=True), reverse("imports:index")
        )
