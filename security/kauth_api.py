"""The HTTP API the kAuth app talks to. JSON in and out; the device authenticates with its own
credential (`Authorization: KAuth <credential>`), never with cookies, so CSRF does not apply.

Refused requests (unknown credential, foreign or answered challenge) answer with a stable JSON
error code and are logged without the credential. Each device's requests are limited
("kauth-device"): past the limit, 429 `rate_limited` with Retry-After.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import describe_user_agent
from core import ratelimit
from core.json_body import MalformedJSON, json_object_body
from core.request_context import client_ip
from security import kauth
from security.models.kauth import KAuthDevice

logger = logging.getLogger(__name__)


def _error(code: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": code, **extra}, status=status)


def _rate_limited(verdict: ratelimit.Verdict) -> JsonResponse:
    response = _error("rate_limited", 429, retry_after=verdict.retry_after)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def json_body(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pass the request's JSON object to the view as `body`; 400 "malformed_json" when the body is
    not JSON or is nested too deeply (never a 500)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            body = json_object_body(request)
        except MalformedJSON:
            return _error("malformed_json", 400)
        return view(request, *args, body=body, **kwargs)

    return wrapper


def device_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        credential = credential.strip()
        if scheme != "KAuth" or not credential:
            return _error("missing_credential", 401)
        device = kauth.device_for_credential(credential)
        if device is None:
            notice = kauth.notice_for_credential(credential)
            if notice:
                return _error("account_removed", 410, message=notice)
            logger.warning("kAuth request with an unknown credential from %s", client_ip(request))
            return _error("unknown_credential", 401)
        # Counted first, per device: a phone polling every second stays well under the limit,
        # a stolen credential cannot flood the database and the audit log with answers.
        verdict = ratelimit.attempt("kauth-device", f"device:{device.pk}")
        if not verdict.allowed:
            logger.warning("kAuth requests of device %s refused by the rate limit", device.pk)
            return _rate_limited(verdict)
        return view(request, device, *args, **kwargs)

    return wrapper


@csrf_exempt
@require_POST
@json_body
def enroll(request: HttpRequest, body: dict[str, Any]) -> HttpResponse:
    verdict = ratelimit.attempt("kauth-enroll", client_ip(request) or "unknown")
    if not verdict.allowed:
        return _rate_limited(verdict)
    code = str(body.get("code", ""))
    enrolled = kauth.do_enroll_device(code) if 0 < len(code) <= 100 else None
    if enrolled is None:
        return _error("invalid_enrollment_code", 400)
    device, credential, seed = enrolled
    return JsonResponse(
        {
            "credential": credential,
            "seed": base64.b32encode(seed).decode(),
            "account": device.user.email,
            "name": device.name,
        },
        status=201,
    )


@csrf_exempt
@require_GET
@device_required
def challenges(request: HttpRequest, device: KAuthDevice) -> HttpResponse:
    return JsonResponse(
        {
            "account": device.user.email,
            "challenges": [
                {
                    "id": str(c.public_id),
                    "ip": c.ip_address,
                    # A parsed name ("Firefox · Linux"), never the header's own text: whoever
                    # has the password chooses the User-Agent, and the phone must not show
                    # "approve now to keep your mailbox active" as if the portal said it.
                    "browser": describe_user_agent(c.user_agent) or "Unknown browser",
                    "time": c.created_at.isoformat(),
                    "expires": c.expires_at.isoformat(),
                }
                for c in kauth.pending_for_device(device)
            ],
        }
    )


@csrf_exempt
@require_POST
@device_required
@json_body
def answer(
    request: HttpRequest, device: KAuthDevice, public_id: str, verb: str, body: dict[str, Any]
) -> HttpResponse:
    if verb not in {"approve", "deny"}:
        return _error("unknown_action", 404)
    number = body.get("number")
    if verb == "approve" and not isinstance(number, int):
        return _error("number_required", 400)
    status = kauth.do_answer_challenge(
        device, public_id, approve=verb == "approve", number=number if verb == "approve" else None
    )
    if status == "refused":
        return _error("challenge_not_pending", 409)
    return JsonResponse({"status": status})
