"""Adding a phone number for SMS codes: the number is verified by a code before it counts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from accounts.http import AuthenticatedHttpRequest
from accounts.reauth import require_recent_password
from security import activation, services
from security.forms import CodeForm
from security.models import SMSDevice
from security.sms import PhoneNotAccepted, normalize_phone, send_code


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"),
        max_length=32,
        help_text=gettext_lazy(
            "With the country code, for example +41 79 123 45 67. Numbers of Switzerland, "
            "France, Belgium and Germany."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except PhoneNotAccepted as exc:
            raise forms.ValidationError(str(exc)) from exc


@login_required
@require_recent_password
def sms_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.do_start_sms(request.user, phone=form.cleaned_data["phone"])
        except services.SmsNotSent as refused:
            form.add_error(None, str(refused))  # the form keeps what was typed, with why
        else:
            return redirect("security:sms-confirm", device.pk)
    return render(request, "security/sms_add.html", {"form": form})


@login_required
@require_recent_password
@never_cache
def sms_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(SMSDevice, pk=pk, user=request.user, confirmed=False)
    form = CodeForm(request.POST or None if request.POST.get("action") != "resend" else None)
    if request.method == "POST" and request.POST.get("action") == "resend":
        error = send_code(device)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("A new code is on its way."))
        return redirect("security:sms-confirm", device.pk)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.do_confirm_method(
                device,
                form.cleaned_data["code"],
                actor=request.user,
                keep_session_key=request.session.session_key,
            )
        except services.WrongCode:
            form.add_error("code", _("This code is not right, or it expired."))
        else:
            messages.success(request, _("Your phone number is verified."))
            return activation.after_method_added(request, device, codes)
    return render(request, "security/sms_confirm.html", {"form": form, "device": device})
