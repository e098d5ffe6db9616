import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from outpost.core.audit import request_id


class RequestIdMiddleware:
    """Give each request an id, so audit entries and logs can be joined up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_id.set(uuid.uuid4().hex)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        return response
