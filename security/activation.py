"""What every "add a method" page does once the method works: the session is verified by it, and
the new emergency codes (when this turned 2FA on) are shown once.

The codes wait in the session, sealed (core.crypto), for the one page that shows them and takes
them out (security.views.emergency_codes_new): session data is only signed, and its row outlives
the page.
"""

from __future__ import annotations

import json

from cryptography.fernet import InvalidToken
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp import login as otp_login
from django_otp.models import Device

from core.crypto import seal, unseal

NEW_CODES_KEY = "_portal_new_emergency_codes"


def keep_new_codes(request: HttpRequest, codes: list[str]) -> None:
    request.session[NEW_CODES_KEY] = seal(json.dumps(codes).encode())


def new_codes(request: HttpRequest) -> list[str]:
    sealed = request.session.get(NEW_CODES_KEY)
    if not isinstance(sealed, str):
        return []
    try:
        codes = json.loads(unseal(sealed))
    except (InvalidToken, ValueError):
        return []
    return [str(c) for c in codes] if isinstance(codes, list) else []


def forget_new_codes(request: HttpRequest) -> None:
    request.session.pop(NEW_CODES_KEY, None)


def after_method_added(
    request: HttpRequest, device: Device, codes: list[str] | None
) -> HttpResponse:
    """The session that set up the method is verified by it from now on."""
    otp_login(request, device)
    if codes:
        keep_new_codes(request, codes)
        return redirect("security:emergency-codes-new")
    return redirect("security:two-factor")
