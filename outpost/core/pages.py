"""What every form page does the same way."""

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse


def form_page(request: HttpRequest, template: str, context: Mapping[str, object]) -> HttpResponse:
    """A form's page: 200 when shown, 422 when a POST comes back to it refused."""
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, template, dict(context), status=status)


def posted(request: HttpRequest) -> QueryDict | None:
    """The POST data, even empty, so an empty POST is a bound form with its errors."""
    return request.POST if request.method == "POST" else None
