"""Refusals and missing pages say what happened, in the reader's language."""

from django.urls import reverse

from outpost.core.tests.base import BaseTestCase


class ErrorPageTests(BaseTestCase):
    def test_a_refused_page_explains_and_leads_back(self) -> None:
        self.client.force_login(self.worker)
        response = self.client.get(reverse("catalogue:index"))
        self.assertContains(response, "Your role does not include this page.", status_code=403)
        self.assertContains(response, reverse("home"), status_code=403)

    def test_another_organisations_record_is_not_found(self) -> None:
        self.client.force_login(self.outsider)
        response = self.client.get(reverse("contacts:today", args=[self.site.pk]))
        self.assertContains(response, "belongs to another organisation", status_code=404)

    def test_the_refusal_is_in_ukrainian_for_a_ukrainian_reader(self) -> None:
        self.client.force_login(self.worker)
        self.client.post(reverse("set_language"), {"language": "uk", "next": "/"})
        response = self.client.get(reverse("catalogue:index"))
        self.assertEqual(response.status_code, 403)
        self.assertNotContains(response, "Your role does not include", status_code=403)
