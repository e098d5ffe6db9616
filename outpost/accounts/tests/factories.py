"""Authenticators and sign-ins for tests."""

from typing import TYPE_CHECKING

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)

from outpost.orgs.models import User

if TYPE_CHECKING:
    # The test client's response type exists only in django-stubs.
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

PASSWORD = "correct horse battery"  # make_staff's password


def make_device(user: User, *, confirmed: bool = True) -> TOTPDevice:
    """An authenticator app for ``user``, confirmed unless asked otherwise."""
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=confirmed)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the person's app shows now, as a six-digit string."""
    device.refresh_from_db()
    value: int = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A well-formed code that no step within the tolerance accepts."""
    accepted = {code_for(device, steps_ahead=step) for step in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def sign_in_with_password(
    client: Client, username: str, password: str = PASSWORD, **extra: str
) -> "TestResponse":
    return client.post("/accounts/login/", {"username": username, "password": password, **extra})


def sign_in(client: Client, user: User, device: TOTPDevice) -> "TestResponse":
    """Sign in through the pages with the password and a code."""
    sign_in_with_password(client, user.get_username())
    return client.post("/account/two-factor/", {"code": code_for(device)})
