"""Small HTTP helpers that pages of several apps use (the bottom layer: it imports no app)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str = "home") -> str:
    """`next` when it is an address on this site, else `default` (a URL name, a path or "")."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default if default == "" or default.startswith("/") else reverse(default)
