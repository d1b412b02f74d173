"""Signing in with limits on guessing.

Three counters, each atomic (portal.ratelimit), each counted *before* the password is checked:
- account + IP, tight (5 per 15 minutes): stops guessing from one place without touching the
  owner, who signs in from elsewhere;
- IP over all accounts (100 per hour): stops one address from trying many accounts;
- account from anywhere, slower (30 per hour): stops a botnet spreading guesses over many IPs.
  A browser that signed in to this account before carries a signed "known browser" cookie and is
  exempt, so a stranger cannot lock the real owner out of their own computer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.core import signing
from django.http import HttpRequest, HttpResponse

from accounts.models import User
from portal import ratelimit
from portal.audit import record_event
from portal.request_context import client_ip

KNOWN_BROWSER_COOKIE = "portal_known"
KNOWN_BROWSER_SALT = "accounts.known-browser"
KNOWN_BROWSER_MAX_AGE = 60 * 60 * 24 * 180


@dataclass(frozen=True)
class LoginResult:
    user: User | None = None
    retry_after: int = 0  # > 0: refused because of too many attempts

    @property
    def locked(self) -> bool:
        return self.retry_after > 0


def _known_user_ids(request: HttpRequest) -> set[int]:
    raw = request.COOKIES.get(KNOWN_BROWSER_COOKIE)
    if not raw:
        return set()
    try:
        ids = signing.loads(raw, salt=KNOWN_BROWSER_SALT, max_age=KNOWN_BROWSER_MAX_AGE)
    except signing.BadSignature:
        return set()
    return {i for i in ids if isinstance(i, int)} if isinstance(ids, list) else set()


def remember_browser(request: HttpRequest, response: HttpResponse, user: User) -> None:
    ids = sorted(_known_user_ids(request) | {user.pk})[-10:]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        signing.dumps(ids, salt=KNOWN_BROWSER_SALT),
        max_age=KNOWN_BROWSER_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def attempt_login(request: HttpRequest, email: str, password: str) -> LoginResult:
    email = User.objects.normalize_email(email)
    ip = client_ip(request) or "unknown"
    account_ip, account = f"{email}|{ip}", email
    known = User.objects.filter(email=email).values_list("pk", flat=True).first()
    exempt = known is not None and known in _known_user_ids(request)

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
            record_event("user.login_failed", actor=None, subject_user=User.objects.get(pk=known))
        return LoginResult()
    # Only failures use up the limits: the owner's own sign-in gives its counts back.
    ratelimit.reset("login-account-ip", account_ip)
    for limit, ident in checks[1:]:
        ratelimit.release(limit, ident)
    return LoginResult(user=user)
