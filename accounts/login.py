"""Signing in with limits on guessing.

Three counters, each atomic (core.ratelimit), each counted *before* the password is checked:
- account + IP, tight (5 per 15 minutes): stops guessing from one place without touching the
  owner, who signs in from elsewhere;
- IP over all accounts (100 per hour): stops one address from trying many accounts;
- account from anywhere, slower (30 per hour): stops a botnet spreading guesses over many IPs.
  A browser that signed in to this account before is exempt (a "known browser"), so a stranger
  cannot lock the real owner out of their own computer.

The known browser (issue 12, finding 6) is a random token in the `portal_known` cookie, kept on the
server only as a digest (`accounts.models.KnownBrowser`), one row per account the browser signed in
to, bound to the account's password and valid for 180 days. A fresh token replaces the old one at
every sign-in, so a token planted in the browser, or an old copy of the cookie, is worth nothing
afterwards; a password change or reset revokes every known browser of the account.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.audit_actions import AccountAction
from accounts.models import KnownBrowser, User
from core import ratelimit
from core.audit import record_event
from core.crypto import digest
from core.request_context import client_ip

KNOWN_BROWSER_COOKIE = "portal_known"
KNOWN_BROWSER_MAX_AGE = 60 * 60 * 24 * 180
# The purpose of the password fingerprint a known browser is bound to.
KNOWN_BROWSER_PURPOSE = "known-browser"
# Accounts one browser is remembered for (a family computer); the oldest make room.
KNOWN_ACCOUNTS_PER_BROWSER = 10
# What `secrets.token_urlsafe(32)` gives: anything else was never issued here and is not looked up.
_TOKEN_FORM = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    retry_after: int = 0  # > 0: refused because of too many attempts

    @property
    def locked(self) -> bool:
        return self.retry_after > 0


def _browser_token_digest(request: HttpRequest) -> str | None:
    token = request.COOKIES.get(KNOWN_BROWSER_COOKIE, "")
    return digest(token) if _TOKEN_FORM.fullmatch(token) else None


def is_known_browser(request: HttpRequest, user: User) -> bool:
    """Whether this browser signed in to `user`'s account, under its current password, in the
    last 180 days."""
    token_digest = _browser_token_digest(request)
    if token_digest is None:
        return False
    fingerprint = (
        KnownBrowser.objects.filter(
            user=user, token_digest=token_digest, expires_at__gt=timezone.now()
        )
        .values_list("password_fingerprint", flat=True)
        .first()
    )
    return fingerprint is not None and constant_time_compare(
        fingerprint, user.password_fingerprint(KNOWN_BROWSER_PURPOSE)
    )


def remember_browser(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """After a completed sign-in: give the browser a fresh token and remember it for `user`.

    The accounts the browser was known for move to the new token and the old one stops counting,
    so whoever knew the old value (planted it, or copied the cookie) gains nothing from it."""
    previous = _browser_token_digest(request)
    token = secrets.token_urlsafe(32)
    token_digest = digest(token)
    now = timezone.now()
    with transaction.atomic():
        if previous is not None:
            KnownBrowser.objects.filter(token_digest=previous, expires_at__gt=now).exclude(
                user=user
            ).update(token_digest=token_digest)
            KnownBrowser.objects.filter(token_digest=previous).delete()
        KnownBrowser.objects.create(
            user=user,
            token_digest=token_digest,
            password_fingerprint=user.password_fingerprint(KNOWN_BROWSER_PURPOSE),
            created_at=now,
            expires_at=now + timedelta(seconds=KNOWN_BROWSER_MAX_AGE),
        )
        oldest = KnownBrowser.objects.filter(token_digest=token_digest).order_by("-created_at")
        KnownBrowser.objects.filter(
            pk__in=list(oldest.values_list("pk", flat=True)[KNOWN_ACCOUNTS_PER_BROWSER:])
        ).delete()
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        token,
        max_age=KNOWN_BROWSER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def forget_known_browsers(user: User) -> int:
    """Revoke every known browser of `user` (the password changed). Returns how many."""
    deleted, _ = KnownBrowser.objects.filter(user=user).delete()
    return deleted


def attempt_login(request: HttpRequest, email: str, password: str) -> LoginResult:
    email = User.objects.normalize_email(email)
    ip = client_ip(request) or "unknown"
    account_ip, account = f"{email}|{ip}", email
    known = User.objects.filter(email=email).first()
    exempt = known is not None and is_known_browser(request, known)

    checks = [("login-account-ip", account_ip), ("login-ip", ip)]
    if not exempt:
        checks.append(("login-account", account))
    # Counted before the password is checked, so parallel guesses can't all be tried.
    verdict = ratelimit.attempt_all(checks)
    if not verdict.allowed:
        return LoginResult(retry_after=verdict.retry_after)

    user = authenticate(request, username=email, password=password)
    if user is None:
        if known is not None:
            record_event(AccountAction.USER_LOGIN_FAILED, actor=None, subject_user=known)
        return LoginResult()
    # Only failures use up the limits: the owner's own sign-in gives its counts back.
    ratelimit.reset("login-account-ip", account_ip)
    for limit, ident in checks[1:]:
        ratelimit.release(limit, ident)
    return LoginResult(user=user)
