"""Input validation for the security pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
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


MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
# What a file starts with, whatever its name says.
SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"%PDF-": "PDF",
}


def sniff_document(upload: UploadedFile) -> str | None:
    """The kind of an uploaded file read from its first bytes (JPEG, PNG or PDF), or None."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), None)


class DocumentField(forms.FileField):
    # The file chooser offers the accepted kinds first; the content is still checked (`clean`).
    widget = forms.FileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload is None:
            return upload
        if upload.size > MAX_DOCUMENT_SIZE:
            raise forms.ValidationError(_("This file is larger than 10 MB."))
        if sniff_document(upload) is None:
            raise forms.ValidationError(_("This file is not a JPEG or PNG picture, nor a PDF."))
        return upload


class IdentityVerificationForm(forms.Form):
    document_front = DocumentField(
        label=_("Identity document, front"),
        help_text=_("Passport or identity card. JPEG, PNG or PDF, at most 10 MB."),
    )
    document_back = DocumentField(
        label=_("Identity document, back"), help_text=_("JPEG, PNG or PDF, at most 10 MB.")
    )
    selfie = DocumentField(
        label=_("A selfie holding the document"),
        help_text=_("Your face and the document, both readable. JPEG, PNG or PDF, at most 10 MB."),
    )
    contact_phone = forms.CharField(
        label=_("A phone number where we can reach you"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What happened to your phone, for example."),
    )


class IdentityDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject: the person receives it by email."),
    )
