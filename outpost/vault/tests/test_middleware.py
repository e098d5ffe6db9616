from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.utils import translation

from outpost.vault import custody
from outpost.vault.middleware import LockedMiddleware


def passed_on(request: HttpRequest) -> HttpResponse:
    return HttpResponse("the application answered")


class LockedMiddlewareTests(SimpleTestCase):
    def setUp(self) -> None:
        self.middleware = LockedMiddleware(passed_on)
        self.requests = RequestFactory()

    def lock(self) -> None:
        custody.master_key_path().unlink()

    def test_passes_requests_on_while_unlocked(self) -> None:
        response = self.middleware(self.requests.get("/clients/"))
        self.assertContains(response, "the application answered")

    def test_answers_every_request_with_the_neutral_page_while_locked(self) -> None:
        self.lock()
        for method in ("get", "post", "head", "put", "delete"):
            with self.subTest(method=method):
                response = self.middleware(getattr(self.requests, method)("/api/v1/clients/"))
                self.assertEqual(response.status_code, 503)
                self.assertEqual(response["Cache-Control"], "no-store")
                self.assertIn("Retry-After", response)
        body = self.middleware(self.requests.get("/")).content.decode()
        self.assertIn("Service temporarily unavailable", body)
        self.assertNotIn("application answered", body)

    def test_static_files_still_pass_while_locked(self) -> None:
        self.lock()
        response = self.middleware(self.requests.get("/static/outpost/outpost.css"))
        self.assertContains(response, "the application answered")
        self.assertEqual(self.middleware(self.requests.get("/staticfoo")).status_code, 503)

    @override_settings(STATIC_URL="https://cdn.example.org/")
    def test_nothing_is_exempt_when_static_files_live_elsewhere(self) -> None:
        self.lock()
        response = LockedMiddleware(passed_on)(self.requests.get("/"))
        self.assertEqual(response.status_code, 503)

    def test_speaks_the_visitors_language(self) -> None:
        self.lock()
        request = self.requests.get("/", HTTP_ACCEPT_LANGUAGE="uk")
        response = self.middleware(request)
        self.assertEqual(response["Content-Language"], "uk")
        with translation.override("uk"):
            expected = translation.gettext("Service temporarily unavailable")
        self.assertContains(response, expected, status_code=503)
        self.assertContains(response, '<html lang="uk">', status_code=503)
