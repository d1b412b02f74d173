"""Middleware of the cross-cutting layer."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal.request_context import meta_from_request, reset_request_meta, set_request_meta


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
