"""Reading second-factor state; writes live in ``actions``.

django-otp ships no type hints, so its imports here and in ``actions`` carry
an ignore.
"""

import base64
import io
import textwrap

import segno
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (set by OTPMiddleware)."""
    return getattr(request.user, "otp_device", None) is not None


def confirmed_device(user_id: int) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user_id, confirmed=True).order_by("pk").first()


def qr_data_uri(device: TOTPDevice) -> str:
    """The enrolment QR code as an SVG data URI, drawn on this server."""
    svg = io.BytesIO()
    # An SVG loaded as an image needs its namespace; svg_inline() leaves it
    # out, so write a whole document.
    segno.make(device.config_url, error="m").save(
        svg, kind="svg", scale=5, border=2, xmldecl=False, svgns=True
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode()


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four for typing into an app."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(textwrap.wrap(key, 4))


def reset_device(*, user_id: int, device_id: int) -> TOTPDevice | None:
    """The unconfirmed authenticator a reset in progress will switch to."""
    return TOTPDevice.objects.filter(pk=device_id, user_id=user_id, confirmed=False).first()
