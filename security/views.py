"""Two-factor pages: the second step of signing in, and managing one's methods."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.reauth import require_recent_password
from core.http import safe_next
from organizations.access import org_member_required
from organizations.models import Membership
from security import activation, kauth_views, second_step, services
from security import recovery as recovery_services
from security.forms import (
    AuthenticatorNameForm,
    CodeForm,
    EmergencyCodeForm,
    IdentityVerificationForm,
    RenameForm,
    RequireTwoFactorForm,
)
from security.methods import (
    emergency_device,
    find_method,
    kind_label,
    methods_for,
    preferred_method,
    public_id,
    users_with_two_factor,
)
from security.models import (
    EmergencyCodesDevice,
    IdentityVerificationRequest,
    KAuthDevice,
    OrganizationSecurityPolicy,
    SMSDevice,
    TOTPDevice,
    WebAuthnCredential,
)
from security.sms import send_code

ISSUER = "Portal"


def _no_store(response: HttpResponse) -> HttpResponse:
    """Pages showing a secret must not be kept by the browser or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


# --- Signing in: the second step ----------------------------------------------------------------


@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    user = second_step.pending_user(request)
    if user is None:
        messages.info(request, _("Please sign in again."))
        return redirect("accounts:login")
    methods = methods_for(user)
    use_emergency = request.GET.get("method") == "emergency" or request.POST.get("method") == (
        "emergency"
    )
    device: Device | None
    if use_emergency:
        device = emergency_device(user)
        form: CodeForm | EmergencyCodeForm = EmergencyCodeForm(request.POST or None)
    else:
        chosen = request.GET.get("method") or request.POST.get("method") or ""
        device = (find_method(user, chosen) if chosen else None) or preferred_method(user)
        form = CodeForm(request.POST or None)
    if device is None:
        raise Http404
    method_message = ""
    if request.method == "POST" and isinstance(device, SMSDevice) and "action" in request.POST:
        method_message = send_code(device) or _("We sent a new code to %(number)s.") % {
            "number": device.masked_number
        }
        form = CodeForm()
    if request.method == "POST" and isinstance(device, KAuthDevice):
        handled = kauth_views.handle_verify_post(request, user, device)
        if isinstance(handled, HttpResponse):
            return handled
        if handled is not None:
            method_message = handled
            form = CodeForm()
    if request.method == "POST" and form.is_bound and form.is_valid():
        outcome = second_step.do_verify_second_factor(
            request, user, device, form.cleaned_data["code"]
        )
        if outcome.restart:
            messages.error(request, _("Too many wrong codes. Enter your password again."))
            return redirect("accounts:login")
        if outcome.accepted:
            return second_step.complete(request, user, device)
        form.add_error(outcome.field, outcome.error)
    others = [m for m in methods if m.persistent_id != device.persistent_id]
    return render(
        request,
        "security/verify.html",
        {
            "form": form,
            "device": device,
            "device_kind": kind_label(device),
            "use_emergency": use_emergency,
            "others": [(m, kind_label(m)) for m in others],
            "has_emergency": emergency_device(user) is not None and not use_emergency,
            "is_kauth": isinstance(device, KAuthDevice),
            "is_sms": isinstance(device, SMSDevice),
            "is_security_key": isinstance(device, WebAuthnCredential),
            "method_message": method_message,
            **(kauth_views.verify_context(request) if isinstance(device, KAuthDevice) else {}),
        },
    )


@require_POST
def verify_cancel(request: HttpRequest) -> HttpResponse:
    """The top bar's "Cancel sign-in" during the second step: the half-finished sign-in ends
    here, so a shared computer is not left one code away from the account."""
    second_step.end_attempt(request)
    messages.info(request, _("Sign-in cancelled."))
    return redirect("accounts:login")


@never_cache
def recovery(request: HttpRequest) -> HttpResponse:
    """ "Request assistance": after the right password, send identity documents for review."""
    user = second_step.pending_user(request)
    if user is None:
        messages.info(request, _("Sign in with your password first, then ask for assistance."))
        return redirect("accounts:login")
    open_request = IdentityVerificationRequest.objects.filter(
        user=user, status=IdentityVerificationRequest.Status.PENDING
    ).first()
    form = IdentityVerificationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and open_request is None and form.is_valid():
        try:
            recovery_services.do_request_identity_verification(user, **form.cleaned_data)
        except recovery_services.RequestRefused:
            form.add_error(
                None, _("You sent several requests already. Please wait for our answer by email.")
            )
        else:
            return redirect("security:recovery-sent")
    return render(request, "security/recovery.html", {"form": form, "open_request": open_request})


def recovery_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "security/recovery_sent.html")


# --- Managing methods ---------------------------------------------------------------------------


@login_required
def two_factor(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    methods = methods_for(user)
    preferred = preferred_method(user)
    codes = emergency_device(user)
    return render(
        request,
        "security/two_factor.html",
        {
            "methods": [(m, kind_label(m), public_id(m.persistent_id)) for m in methods],
            "preferred": preferred,
            "emergency": codes,
            "emergency_remaining": codes.remaining if codes else 0,
            "requiring": services.organizations_requiring_two_factor(user),
        },
    )


@login_required
@require_recent_password
def totp_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Name the app, then a POST creates the (unconfirmed) device: no state change on GET."""
    form = AuthenticatorNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.do_start_totp(request.user, name=form.cleaned_data["name"])
        return redirect("security:totp-confirm", device.pk)
    return render(request, "security/totp_add.html", {"form": form})


@login_required
@require_recent_password
@never_cache
def totp_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(TOTPDevice, pk=pk, user=request.user, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.do_confirm_method(
                device,
                form.cleaned_data["code"],
                actor=request.user,
                keep_session_key=request.session.session_key,
            )
        except services.WrongCode:
            form.add_error(
                "code", _("This code is not right. Check the phone's time and try the new code.")
            )
        else:
            messages.success(request, _("Your authenticator app is ready."))
            return activation.after_method_added(request, device, codes)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    uri = _otpauth_uri(request.user.email, secret)
    qr = segno.make(uri, error="m")
    return _no_store(
        render(
            request,
            "security/totp_confirm.html",
            {
                "form": form,
                "device": device,
                "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
                "uri": uri,
                "qr_svg": qr.svg_inline(scale=5, dark="#1b1b1f", light="#ffffff"),
            },
        )
    )


def _otpauth_uri(email: str, secret: str) -> str:
    label = quote(f"{ISSUER}:{email}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": 6, "period": 30})
    return f"otpauth://totp/{label}?{query}"


@login_required
@never_cache
def emergency_codes_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The new codes, shown exactly once: this page takes them out of the session as it shows
    them, with their download inside the page, so no copy waits anywhere for a reload, a second
    tab or someone at the same computer later. A reload says they were shown and offers new
    ones. The button after them only leads on."""
    if request.method == "POST":
        activation.forget_new_codes(request)
        return redirect("security:two-factor")
    user: User = request.user
    codes = activation.new_codes(request)
    activation.forget_new_codes(request)
    if not codes and emergency_device(user) is None:
        return redirect("security:two-factor")  # 2FA is off: there are no codes to speak of
    download_url = _codes_file_url(user, codes) if codes else ""
    return _no_store(
        render(
            request,
            "security/emergency_codes_new.html",
            {"codes": codes, "download_url": download_url},
        )
    )


def _codes_file_url(user: User, codes: list[str]) -> str:
    """The codes as a text file in a data: link, which the browser saves without asking the
    server again."""
    lines = [
        _("Emergency codes for %(email)s") % {"email": user.email},
        _("Each code works once, when you cannot use your usual method."),
        "",
        *codes,
        "",
    ]
    return "data:text/plain;charset=utf-8," + quote("\n".join(lines))


@login_required
@require_recent_password
def emergency_codes_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        codes = services.do_regenerate_emergency_codes(request.user, actor=request.user)
        activation.keep_new_codes(request, codes)
        return redirect("security:emergency-codes-new")
    return render(request, "security/emergency_codes_regenerate.html")


def _own_method(request: AuthenticatedHttpRequest, persistent_id: str) -> Device:
    device = find_method(request.user, persistent_id)
    if device is None or isinstance(device, EmergencyCodesDevice):
        raise Http404
    return device


@login_required
def method_rename(request: AuthenticatedHttpRequest, method: str) -> HttpResponse:
    device = _own_method(request, method)
    form = RenameForm(request.POST or None, initial={"name": device.name})
    if request.method == "POST" and form.is_valid():
        services.do_rename_method(device, form.cleaned_data["name"], actor=request.user)
        messages.success(request, _("The method is renamed."))
        return redirect("security:two-factor")
    return render(request, "security/method_rename.html", {"form": form, "device": device})


@login_required
@require_POST
def method_preferred(request: AuthenticatedHttpRequest, method: str) -> HttpResponse:
    device = _own_method(request, method)
    services.do_set_preferred_method(request.user, device, actor=request.user)
    messages.success(
        request, _("%(name)s is now offered first when you sign in.") % {"name": device.name}
    )
    return redirect("security:two-factor")


@login_required
@require_recent_password
def method_remove(request: AuthenticatedHttpRequest, method: str) -> HttpResponse:
    """The one confirmation of removing a method, for the 2FA page and the "password
    compromised?" wizard alike: `next` (on this site) is where Cancel and the removal go back."""
    device = _own_method(request, method)
    user: User = request.user
    back = safe_next(request, default="security:two-factor")
    remaining = [m for m in methods_for(user) if m.persistent_id != device.persistent_id]
    is_last = not remaining
    requiring = services.organizations_requiring_two_factor(user) if is_last else []
    if request.method == "POST" and not requiring:
        verified_by_it = request.session.get(DEVICE_ID_SESSION_KEY) == device.persistent_id
        turned_off = services.do_remove_method(device, actor=user)
        if turned_off:
            messages.warning(
                request,
                _(
                    "Two-factor authentication is now off. We strongly recommend protecting "
                    "your account again with a new method."
                ),
            )
        else:
            # This session passed a second factor when it signed in; removing the device that
            # did it must not leave the session unverified (the admin and the sensitive actions
            # need a verified one), so it now counts under a remaining method.
            if verified_by_it:
                otp_login(request, methods_for(user)[0])
            messages.success(request, _("The method is removed."))
        return redirect(back)
    return render(
        request,
        "security/method_remove.html",
        {
            "device": device,
            "device_kind": kind_label(device),
            "is_kauth": isinstance(device, KAuthDevice),
            "remaining": [(m, kind_label(m)) for m in remaining],
            "is_last": is_last,
            "requiring": requiring,
            "back": back,
        },
        status=409 if requiring and request.method == "POST" else 200,
    )


# --- Organization security ----------------------------------------------------------------------


@org_member_required
def organization_security(
    request: AuthenticatedHttpRequest, membership: Membership
) -> HttpResponse:
    """Legal representatives and administrators see who has 2FA and can require it."""
    if not membership.can_manage_members:
        raise PermissionDenied
    org = membership.organization
    policy = OrganizationSecurityPolicy.objects.filter(organization=org).first()
    form = RequireTwoFactorForm(
        request.POST if request.method == "POST" else None,
        initial={"require_two_factor": bool(policy and policy.require_two_factor)},
    )
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["require_two_factor"]
        services.do_set_organization_requirement(org, required, actor=request.user)
        messages.success(
            request,
            _("Two-factor authentication is now required for every member.")
            if required
            else _("Two-factor authentication is no longer required."),
        )
        return redirect("security:organization", org.slug)
    members = Membership.objects.for_org(org).select_related("user").ordered_by_role()
    with_two_factor = users_with_two_factor([m.user_id for m in members])
    rows: list[dict[str, Any]] = [
        {"membership": m, "has_two_factor": m.user_id in with_two_factor} for m in members
    ]
    return render(
        request,
        "security/organization_security.html",
        {"membership": membership, "org": org, "form": form, "rows": rows},
    )
