"""The CSV export: the same filters, streamed, safe in a spreadsheet, audited."""

import csv
import io

from django.http import StreamingHttpResponse
from django.urls import reverse

from outpost.core.audit import audit
from outpost.core.models import AuditEvent
from outpost.core.roles import Role
from outpost.core.tests.base import BaseTestCase, make_staff

URL = reverse("audit:export")


class AuditExportTests(BaseTestCase):
    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def export(self, query: dict[str, str] | None = None) -> list[list[str]]:
        response = self.client.get(URL, query or {})
        self.assertEqual(response.status_code, 200)
        self.assertIsInstance(response, StreamingHttpResponse)
        assert isinstance(response, StreamingHttpResponse)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertRegex(
            response["Content-Disposition"], r'^attachment; filename="audit-[\d-]+\.csv"$'
        )
        body = b"".join(response.streaming_content).decode()
        return list(csv.reader(io.StringIO(body)))

    def test_exports_the_filtered_entries_of_the_organisation_only(self) -> None:
        viewed = audit(
            actor_id=self.worker.pk, org_id=self.org.pk, verb="client.viewed", target=self.anna
        )
        audit(actor_id=self.worker.pk, org_id=self.org.pk, verb="stock.received")
        audit(actor_id=self.outsider.pk, org_id=self.other_org.pk, verb="client.viewed")
        self.client.force_login(self.manager)
        rows = self.export({"verb": "client.viewed"})
        self.assertEqual(
            rows[0],
            [
                "Number",
                "Time (UTC)",
                "Staff member",
                "Action",
                "Record type",
                "Record id",
                "Request id",
            ],
        )
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[1][0], str(viewed.seq))
        self.assertEqual(
            rows[1][2:6], ["worker", "client.viewed", "clients.client", str(self.anna.pk)]
        )
        self.assertEqual(rows[1][1], viewed.at.strftime("%Y-%m-%d %H:%M:%S"))

    def test_every_export_is_itself_recorded_once(self) -> None:
        self.client.force_login(self.manager)
        before = AuditEvent.objects.filter(verb="audit.exported").count()
        self.export()
        exports = AuditEvent.objects.filter(verb="audit.exported")
        self.assertEqual(exports.count(), before + 1)
        entry = exports.order_by("-seq").first()
        assert entry is not None
        self.assertEqual((entry.actor_id, entry.org_id), (self.manager.pk, self.org.pk))

    def test_cells_a_spreadsheet_would_run_are_made_text(self) -> None:
        for username in ("=cmd", "+1+1", "-2+3", "@SUM(A1)"):
            user = make_staff(self.org, username, Role.SOCIAL_WORKER)
            audit(actor_id=user.pk, org_id=self.org.pk, verb="client.viewed")
        self.client.force_login(self.manager)
        rows = self.export({"verb": "client.viewed"})
        names = {row[2] for row in rows[1:]}
        self.assertEqual(names, {"'=cmd", "'+1+1", "'-2+3", "'@SUM(A1)"})

    def test_bad_filters_export_nothing_and_record_nothing(self) -> None:
        self.client.force_login(self.manager)
        before = AuditEvent.objects.filter(verb="audit.exported").count()
        response = self.client.get(URL, {"date_from": "not a date"})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(AuditEvent.objects.filter(verb="audit.exported").count(), before)

    def test_staff_without_the_permission_export_nothing_and_record_nothing(self) -> None:
        before = AuditEvent.objects.filter(verb="audit.exported").count()
        for user in (self.worker, self.outsider):
            with self.subTest(user=user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
        self.assertEqual(AuditEvent.objects.filter(verb="audit.exported").count(), before)
