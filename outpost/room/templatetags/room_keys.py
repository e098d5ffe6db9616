import uuid

from django import template

register = template.Library()


@register.simple_tag
def new_key() -> str:
    """A fresh idempotency key for a one-tap form shown on any page."""
    return str(uuid.uuid4())
