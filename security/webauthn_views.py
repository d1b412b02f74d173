"""Security keys in the browser: registering one, and signing in with it.

The ceremonies need JavaScript (navigator.credentials, in core/static/portal/webauthn.js); the
other methods keep working without it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.reauth import require_recent_password
from core.json_body import MalformedJSON, json_object_body
from security import activation, second_step, services, webauthn
from security.forms import RenameForm


def _json_body(request: HttpRequest) -> dict[str, Any]:
    """The browser's answer; {} (a failed ceremony) when it is not a JSON object."""
    try:
        return json_object_body(request)
    except MalformedJSON:
        return {}


def _options_response(options_json: str) -> HttpResponse:
    return HttpResponse(options_json, content_type="application/json")


@login_required
@require_recent_password
def security_key_add(request: HttpRequest) -> HttpResponse:
    form = RenameForm(initial={"name": _("Security key")})
    return render(request, "security/security_key_add.html", {"form": form})


@login_required
@require_recent_password
@require_POST
def security_key_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _options_response(webauthn.registration_options(request, request.user))


@login_required
@require_recent_password
@require_POST
def security_key_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = _json_body(request)
    try:
        device = webauthn.register(
            request,
            request.user,
            data.get("credential"),
            str(data.get("name") or ""),
        )
    except webauthn.AlreadyRegistered:
        return JsonResponse({"message": _("This security key is already registered.")}, status=400)
    except webauthn.WebAuthnFailed:
        return JsonResponse(
            {"message": _("The security key could not be registered. Try again.")}, status=400
        )
    codes = services.do_activate_method(
        device,
        actor=request.user,
        keep_session_key=request.session.session_key,
    )
    done = activation.after_method_added(request, device, codes)
    return JsonResponse({"redirect": done["Location"]})


@require_POST
def verify_options(request: HttpRequest) -> HttpResponse:
    user = second_step.pending_user(request)
    if user is None:
        return JsonResponse({"message": _("Please sign in again.")}, status=403)
    return _options_response(webauthn.authentication_options(request, user))


@require_POST
def verify_security_key(request: HttpRequest) -> HttpResponse:
    user = second_step.pending_user(request)
    if user is None:
        return JsonResponse({"message": _("Please sign in again.")}, status=403)
    try:
        device = webauthn.authenticate(request, user, _json_body(request).get("credential"))
    except webauthn.WebAuthnFailed:
        return JsonResponse(
            {"message": _("The security key was not accepted. Try again.")}, status=400
        )
    response = second_step.complete(request, user, device)
    return JsonResponse({"redirect": response["Location"]})
