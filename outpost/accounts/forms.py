"""Input for the sign-in, second-factor and staff pages.

The templates write their inputs out by hand; these forms parse them.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from outpost.core.roles import Role


class CodeForm(forms.Form):
    """A code from the authenticator app, or a recovery code."""

    code = forms.CharField(label=_("Code"), max_length=32)


class ResetAuthenticatorForm(forms.Form):
    password = forms.CharField(label=_("Password"), strip=False, max_length=4096)
    code = forms.CharField(label=_("Code"), max_length=32)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
