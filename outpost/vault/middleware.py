"""Serve a neutral page while the server is locked: fail closed.

The page says only that the service is temporarily unavailable. It does
not mention keys or locking, so whoever opens it, a client or someone
who has taken the server, learns nothing from it.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from outpost.vault.keys import is_locked

# Long enough that monitoring does not hammer a locked server.
RETRY_AFTER_SECONDS = 3600


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The neutral "temporarily unavailable" page, in the visitor's language."""
    # LocaleMiddleware has not run yet: pick the language here, from the
    # cookie or the browser, without touching the session.
    language = translation.get_language_from_request(request)
    with translation.override(language):
        body = render_to_string("vault/unavailable.html", {"language": language})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    # An expected answer, not a server error: keep it out of the error log,
    # which would otherwise record (and may mail) every request while locked.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag
    return response


class LockedMiddleware:
    """Answer every request with the neutral page while the vault is locked.

    Only static files pass, so the page can be styled alike everywhere;
    WhiteNoise normally serves them before this runs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        static_path = urlsplit(settings.STATIC_URL or "").path
        self.static_prefix = "/" + static_path.strip("/") + "/" if static_path.strip("/") else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # is_locked() is one stat() of the key file per request, and it
        # also makes this process forget its keys once another has locked.
        if is_locked() and not self._is_static(request.path_info):
            return unavailable_response(request)
        return self.get_response(request)

    def _is_static(self, path: str) -> bool:
        return self.static_prefix is not None and path.startswith(self.static_prefix)
