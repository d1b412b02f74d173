"""Middleware of the cross-cutting layer."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.hashing import HashingBusy
from core.request_context import meta_from_request, reset_request_meta, set_request_meta


class RequestContextMiddleware:
    """Remember the client's IP and browser for the audit log while the request runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_request_meta(meta_from_request(request))
        try:
            return self.get_response(request)
        finally:
            reset_request_meta(token)


class HashingBusyMiddleware:
    """Every password-hashing slot of this process stayed taken (core/hashing.py): answer 429
    "try again in a moment" rather than queue more hashes than the memory bound allows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, HashingBusy):
            return None
        detail = _("Too many sign-ins are being checked right now. Try again in a moment.")
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"error": "busy", "detail": detail}, status=429)
        else:
            response = render(request, "busy.html", {"detail": detail}, status=429)
        response["Retry-After"] = "1"
        return response
