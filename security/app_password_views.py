"""Application password pages, and the login check for mail, CalDAV and CardDAV servers."""

from __future__ import annotations

import hmac
import ipaddress

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.reauth import require_recent_password
from accounts.services import EmailNotVerified
from core.crypto import seal, unseal
from core.json_body import MalformedJSON, json_object_body
from core.request_context import client_ip
from security import app_passwords
from security.models import ApplicationPassword, AppService

NEW_PASSWORD_KEY = "_portal_new_app_password"  # noqa: S105 - a session key name


class AppPasswordForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=64,
        help_text=gettext_lazy("Where you will use it, for example “Thunderbird at home”."),
    )
    services = forms.MultipleChoiceField(
        label=gettext_lazy("It may be used for"),
        choices=AppService.choices,
        # What a mail, calendar or contacts app needs; the REST API only when the person asks
        # for it, so a password typed into a mail client does not open the API too.
        initial=[AppService.MAIL, AppService.CALENDAR, AppService.CONTACTS],
        widget=forms.CheckboxSelectMultiple,
    )


@login_required
@never_cache
def app_password_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    sealed = request.session.pop(NEW_PASSWORD_KEY, None)
    new_password = unseal(sealed["secret"]).decode() if isinstance(sealed, dict) else None
    rows = ApplicationPassword.objects.filter(user=user, revoked_at=None)
    response = render(
        request,
        "security/app_passwords.html",
        {
            "rows": rows,
            "new_password": new_password,
            "new_name": sealed.get("name") if isinstance(sealed, dict) else "",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_recent_password
def app_password_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AppPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user: User = request.user
        try:
            created, secret = app_passwords.do_create_app_password(
                user,
                name=form.cleaned_data["name"],
                services=form.cleaned_data["services"],
                actor=user,
            )
        except EmailNotVerified as exc:
            messages.error(request, str(exc))
            return redirect("security:app-passwords")
        # Shown once, on the next page (a reload no longer shows it).
        request.session[NEW_PASSWORD_KEY] = {"secret": seal(secret.encode()), "name": created.name}
        return redirect("security:app-passwords")
    return render(request, "security/app_password_new.html", {"form": form})


@login_required
def app_password_revoke(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """Revoke one (pk) or all, after a confirmation that says what stops working."""
    user: User = request.user
    active = ApplicationPassword.objects.filter(user=user, revoked_at=None)
    target = get_object_or_404(active, pk=pk) if pk is not None else None
    count = 1 if target else active.count()
    if count == 0:
        return redirect("security:app-passwords")
    if request.method == "POST":
        revoked = app_passwords.do_revoke_app_passwords(
            user, [target.pk] if target else None, actor=user
        )
        messages.success(
            request,
            ngettext(
                "%(n)d application password is revoked.",
                "%(n)d application passwords are revoked.",
                revoked,
            )
            % {"n": revoked},
        )
        return redirect("security:app-passwords")
    return render(request, "security/app_password_revoke.html", {"target": target, "count": count})


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


@csrf_exempt
@require_POST
def service_login_check(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/auth/app-password/verify {email, password, service[, client_ip]}, for mail,
    CalDAV and CardDAV servers holding a key of settings.APP_PASSWORD_SERVICE_KEYS."""
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "service" or not any(
        hmac.compare_digest(key.strip().encode(), k.encode())
        for k in settings.APP_PASSWORD_SERVICE_KEYS
    ):
        return JsonResponse({"error": "invalid_service_key"}, status=401)
    try:
        data = json_object_body(request)
    except MalformedJSON:
        data = {}  # the same "allow": false as any wrong login

    def text(name: str) -> str:
        value = data.get(name)
        return value if isinstance(value, str) else ""

    allowed = app_passwords.check_service_login(
        text("email"),
        text("password"),
        text("service"),
        # The end user's address as the mail server saw it, when it says; its own otherwise.
        ip=_valid_ip(text("client_ip")) or client_ip(request),
    )
    return JsonResponse({"allow": allowed})
