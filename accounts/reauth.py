"""The "confirm your password" guard (ARCHITECTURE.md rule 2) for sensitive actions.

    @require_recent_password
    def app_password_create(request): ...

    class TokenCreateView(RecentPasswordRequiredMixin, FormView): ...

A person who confirmed their password in the last settings.REAUTH_MAX_AGE is let through;
anyone else is sent to the confirmation page and brought back to where they were going.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

SESSION_KEY = "_portal_reauth_at"


def mark_recently_authenticated(request: HttpRequest) -> None:
    """Call after the person proved their password (sign-in or the confirmation page)."""
    request.session[SESSION_KEY] = time.time()


def is_recently_authenticated(request: HttpRequest) -> bool:
    at = request.session.get(SESSION_KEY)
    if not isinstance(at, (int, float)):
        return False
    return 0 <= time.time() - at <= settings.REAUTH_MAX_AGE.total_seconds()


def reauth_redirect(request: HttpRequest, next_url: str | None = None) -> HttpResponse:
    # The person confirms, then comes back to the page (GET) of the action: anything they typed
    # into a POST that arrived here late is not replayed, so nothing happens without them seeing.
    url = reverse("accounts:confirm-password")
    return redirect(f"{url}?{urlencode({'next': next_url or request.get_full_path()})}")


def require_recent_password(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_recently_authenticated(request):
            return reauth_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper


class RecentPasswordRequiredMixin:
    """Class-based twin of `require_recent_password`."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_recently_authenticated(request):
            return reauth_redirect(request)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
