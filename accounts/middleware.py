"""Session lifetime limits and the user's own language."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

SESSION_STARTED = "_portal_started"
SESSION_SEEN = "_portal_seen"
# Refresh "last seen" at most this often, so a page view is not a session write every time.
SEEN_RESOLUTION = 60


def start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Receiver of `user_logged_in`: both limits count from the sign-in itself, not from the
    next page view (which may come hours later, or never, on a stolen session cookie)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[SESSION_STARTED] = now
    session[SESSION_SEEN] = now


class SessionLimitsMiddleware:
    """End a signed-in session after SESSION_IDLE_TIMEOUT without activity, and in any case
    SESSION_ABSOLUTE_LIFETIME after sign-in.

    The check runs in `process_view`, once every middleware has seen the request: the message
    that explains the sign-out needs the messages middleware, whatever the order of MIDDLEWARE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        now = time.time()
        started = request.session.get(SESSION_STARTED, now)
        seen = request.session.get(SESSION_SEEN, now)
        idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
        lifetime = settings.SESSION_ABSOLUTE_LIFETIME.total_seconds()
        if now - seen > idle or now - started > lifetime:
            logout(request)
            messages.info(request, _("Your session has ended. Please sign in again."))
            return redirect_to_login(request.get_full_path())
        if SESSION_STARTED not in request.session:
            request.session[SESSION_STARTED] = now
        if now - seen >= SEEN_RESOLUTION or SESSION_SEEN not in request.session:
            request.session[SESSION_SEEN] = now
        return None


class UserLanguageMiddleware:
    """A signed-in person sees pages in the language of their profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
