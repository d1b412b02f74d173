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
# The language of the person who proved the password and is still at the second step: from then
# on the pages speak their language, not the browser's (security.second_step forgets it).
SIGN_IN_LANGUAGE = "_portal_sign_in_language"
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


def speak_their_language(request: HttpRequest, user: Any) -> None:
    """The password identified `user`: the rest of this request (its messages, an SMS code) and
    the second step's pages are in their language. Before this, pages follow the browser's
    Accept-Language (or the language chosen in the menu): nobody is known yet."""
    _activate(request, user.language)
    request.session[SIGN_IN_LANGUAGE] = user.language


def _activate(request: HttpRequest, language: str) -> None:
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """A signed-in person sees pages in the language of their profile; so does one who is at the
    second step of signing in (`speak_their_language`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            _activate(request, user.language)
        else:
            _activate(request, str(request.session.get(SIGN_IN_LANGUAGE, "")))
        return self.get_response(request)
