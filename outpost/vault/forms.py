from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import (
    TOTPDevice,
)

from outpost.orgs.models import User


class LockForm(forms.Form):
    """Re-authentication before locking: the password and a current TOTP code.

    A session left open on a shared laptop must not be enough to take the
    service down.
    """

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = user

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password, token = cleaned.get("password"), cleaned.get("otp_token")
        if password is None or token is None:
            return cleaned
        # One message for either failure: do not tell a guesser which part
        # was right. authenticate() lets django-axes count the failures.
        refused = forms.ValidationError(_("The password or the code is wrong."), code="refused")
        confirmed = authenticate(
            self.request, username=self.user.get_username(), password=password
        )
        if confirmed is None or confirmed.pk != self.user.pk:
            raise refused
        if not self._totp_matches(token):
            raise refused
        return cleaned

    def _totp_matches(self, token: str) -> bool:
        # Locked rows stop two requests from spending one code; the device
        # throttles repeated failures and refuses a code already used.
        with transaction.atomic():
            devices = TOTPDevice.objects.devices_for_user(self.user, confirmed=True)
            return any(device.verify_token(token) for device in devices.select_for_update())
