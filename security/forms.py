"""Input validation for the security pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EmergencyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Emergency code"),
        max_length=20,
        help_text=_("One of the ten codes you saved when you turned on two-factor authentication."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class AuthenticatorNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        initial=_("Authenticator app"),
        help_text=_("To recognise it in the list, for example the app and the phone."),
    )


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)


class RequireTwoFactorForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor authentication for every member"),
        required=False,
        help_text=_(
            "Members without it are asked to set it up before they can use this organization's "
            "pages, and cannot remove their last method."
        ),
    )
