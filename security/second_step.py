"""The second step of signing in, for people with two-factor authentication.

accounts' sign-in view calls `begin` (settings.LOGIN_SECOND_STEP) once the password is right.
For a person with 2FA, nobody is signed in yet: the session only remembers, for a few minutes, who
proved the password. `complete` signs them in once a method accepted a code, and marks the session
verified (django-otp), which the admin and sensitive actions require.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import login as otp_login
from django_otp.models import Device

from accounts.login import is_known_browser, remember_browser
from accounts.middleware import SIGN_IN_LANGUAGE
from accounts.models import User
from accounts.reauth import mark_recently_authenticated
from core import ratelimit
from core.audit import record_event
from core.outbox import send_email
from core.request_context import client_ip
from security import kauth, services
from security.audit_actions import SecurityAction
from security.methods import has_two_factor, preferred_method
from security.models import (
    EmergencyCodesDevice,
    IdentityVerificationRequest,
    KAuthDevice,
    SMSDevice,
)
from security.sms import send_code

# Set by `complete`, after the second factor of a sign-in: the admin site asks for it
# (portal/admin_site.py), which only a method that existed before the session can leave.
SECOND_FACTOR_AT_SIGN_IN = "_portal_second_factor_at_sign_in"
PENDING_KEY = "_portal_two_factor_pending"
# Long enough to photograph an identity document on the recovery page.
PENDING_MAX_AGE = 15 * 60
KAUTH_ATTEMPT_KEY = "_portal_kauth_attempt"
PENDING_PURPOSE = "second-step"
LIMITS_PURPOSE = "second-step-limits"
# The limits that count for the person from anywhere; reaching one tells the owner by email.
PERSON_LIMITS = ("two-factor", "two-factor-day")


def begin(request: HttpRequest, user: User, next_url: str) -> HttpResponse | None:
    """None when the person has no second factor (the caller signs them in)."""
    if not has_two_factor(user):
        if _recovered_since_last_sign_in(user):
            messages.warning(
                request,
                _(
                    "Your identity check was approved and your lost two-factor methods were "
                    "removed. Set up two-factor authentication again now, under Security."
                ),
            )
        return None
    # A new session key: whatever the session held before belongs to nobody now.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "password": user.password_fingerprint(PENDING_PURPOSE),
        # Names this sign-in attempt for its own limit on codes (`attempt_code`).
        "attempt": secrets.token_urlsafe(16),
        "at": time.time(),
        "next": next_url,
    }
    preferred = preferred_method(user)
    if isinstance(preferred, KAuthDevice):
        # The request reaches the phone while the browser shows the number to type there.
        refused = push_for_attempt(request, preferred)
        if refused:
            messages.warning(request, refused)
    elif isinstance(preferred, SMSDevice):
        send_code(preferred)
    return redirect("security:verify")


def _recovered_since_last_sign_in(user: User) -> bool:
    """Support approved an identity check (which removed the methods) since the person last
    signed in: this sign-in is the first without them (issue 13, defect 7)."""
    approved = IdentityVerificationRequest.objects.filter(
        user=user, status=IdentityVerificationRequest.Status.APPROVED
    )
    if user.last_login is not None:
        approved = approved.filter(decided_at__gt=user.last_login)
    return approved.exists()


def push_for_attempt(request: HttpRequest, device: KAuthDevice) -> str | None:
    """Push a kAuth sign-in request bound to this browser's attempt; a message when refused.

    The attempt keeps its secret across "send a new request", so each new request retires the
    earlier ones: the phone never collects several waiting requests (push fatigue)."""
    current: Any = request.session.get(KAUTH_ATTEMPT_KEY) or {}
    attempt = str(current.get("secret") or kauth.new_attempt_secret())
    try:
        challenge = kauth.do_push_challenge(
            device,
            attempt_secret=attempt,
            known_browser=is_known_browser(request, device.user),
        )
    except kauth.PushRefused as exc:
        return push_refused_message(exc)
    request.session[KAUTH_ATTEMPT_KEY] = {"secret": attempt, "challenge": str(challenge.public_id)}
    return None


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def push_refused_message(refused: kauth.PushRefused) -> str:
    """Say what was limited: the requests from this address, or to the phone altogether."""
    minutes = _minutes(refused.retry_after)
    if refused.per_address:
        return ngettext(
            "Too many sign-in requests were sent to your phone from this address. "
            "Try again in %(n)d minute, or use another way.",
            "Too many sign-in requests were sent to your phone from this address. "
            "Try again in %(n)d minutes, or use another way.",
            minutes,
        ) % {"n": minutes}
    return ngettext(
        "Too many sign-in requests were sent to your phone. "
        "Try again in %(n)d minute, or use another way.",
        "Too many sign-in requests were sent to your phone. "
        "Try again in %(n)d minutes, or use another way.",
        minutes,
    ) % {"n": minutes}


def code_refused_message(verdict: ratelimit.Verdict) -> str:
    """Say what was limited: wrong codes from this address, or for the account altogether."""
    minutes = _minutes(verdict.retry_after)
    if verdict.limit == "two-factor-address":
        return ngettext(
            "Too many wrong codes from this address. Try again in %(n)d minute.",
            "Too many wrong codes from this address. Try again in %(n)d minutes.",
            minutes,
        ) % {"n": minutes}
    return ngettext(
        "Too many wrong codes for this account. Try again in %(n)d minute.",
        "Too many wrong codes for this account. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


def attempt_code(request: HttpRequest, user: User) -> ratelimit.Verdict:
    """Count a second-factor code before it is checked, narrowest first: this sign-in attempt
    (past its limit the caller ends it: the password again), this address, then the person from
    anywhere (looser). A browser the person signed in with before, under the current password,
    is spared the person's ceilings, and those are keyed by the password too: whoever knows the
    password can use up their own attempts and address, not the owner's sign-in, and once the
    owner changes the password the thief's count is left behind (issue 12, finding 5).

    Each refusal by a person's ceiling tells the owner once per window (`_tell_the_owner`)."""
    pending: Any = request.session.get(PENDING_KEY) or {}
    attempt = str(pending.get("attempt") or request.session.session_key or "")
    person = f"user:{user.pk}:{user.password_fingerprint(LIMITS_PURPOSE)}"
    checks = [
        ("two-factor-attempt", f"attempt:{attempt}"),
        ("two-factor-address", f"{person}|{client_ip(request) or 'unknown'}"),
    ]
    if not is_known_browser(request, user):
        checks += [(limit, person) for limit in PERSON_LIMITS]
    verdict = ratelimit.attempt_all(checks)
    if not verdict.allowed and verdict.limit in PERSON_LIMITS:
        _tell_the_owner(user, verdict)
    return verdict


@dataclass(frozen=True)
class CodeVerdict:
    """What a code typed at the second step led to: `accepted`, or `restart` (this sign-in
    attempt used up its codes: the password again), or the `error` to show on the form (on the
    `field` it names; None: the whole form)."""

    accepted: bool = False
    restart: bool = False
    error: str = ""
    field: str | None = None


class CodeMethod:
    """How a kind of method takes a code at sign-in; the adapters differ only where a method
    does something more (`CODE_METHODS`)."""

    def verify(self, device: Device, code: str) -> bool:
        return bool(device.verify_token(code))

    def accepted(self, user: User, device: Device) -> None:
        """After the code was right (nothing by default)."""


class EmergencyCode(CodeMethod):
    def accepted(self, user: User, device: Device) -> None:
        # Used up: the review and the 2FA page count what is left, and the person is told.
        services.record_emergency_code_used(user)


CODE_METHODS: dict[type[Device], CodeMethod] = {EmergencyCodesDevice: EmergencyCode()}


def do_verify_second_factor(
    request: HttpRequest, user: User, device: Device, code: str
) -> CodeVerdict:
    """Check a code typed at the second step: counted first (`attempt_code`), then django-otp's
    growing delay after wrong codes, then the method itself. A wrong code is an audit event."""
    verdict = attempt_code(request, user)
    if verdict.limit == "two-factor-attempt" and not verdict.allowed:
        # This attempt had its share: whoever goes on must prove the password again.
        end_attempt(request)
        return CodeVerdict(restart=True)
    if not verdict.allowed:
        return CodeVerdict(error=code_refused_message(verdict))
    locked_for = throttled_seconds(device)
    if locked_for:
        # django-otp's growing delay after a wrong code: say so, rather than "not right".
        return CodeVerdict(
            error=ngettext(
                "Too many wrong codes. Wait %(n)d second, then enter the current code.",
                "Too many wrong codes. Wait %(n)d seconds, then enter the current code.",
                locked_for,
            )
            % {"n": locked_for},
            field="code",
        )
    method = CODE_METHODS.get(type(device), CodeMethod())
    if method.verify(device, code):
        method.accepted(user, device)
        return CodeVerdict(accepted=True)
    record_event(SecurityAction.TWO_FACTOR_FAILED, actor=None, subject_user=user, target=device)
    return CodeVerdict(error=_("This code is not right, or it was already used."), field="code")


def throttled_seconds(device: Device) -> int:
    """Seconds until the device accepts a code again after wrong ones (0: it does now)."""
    allowed, info = device.verify_is_allowed()
    if allowed or not info or "locked_until" not in info:
        return 0
    return max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1)


def _tell_the_owner(user: User, verdict: ratelimit.Verdict) -> None:
    """Wrong codes reached the person's ceiling: someone who knows the password is guessing.
    One audit event and one email per window, however many refusals follow."""
    _attempts, window = settings.RATE_LIMITS[verdict.limit]
    key = f"two-factor-codes-refused:{user.pk}:{verdict.limit}:{int(time.time() // window)}"
    if not cache.add(key, 1, timeout=window + 1):
        return
    event = record_event(
        SecurityAction.TWO_FACTOR_CODES_LIMITED,
        actor=None,
        subject_user=user,
        data={"limit": verdict.limit},
    )
    send_email(
        "two_factor_codes_refused",
        to_user=user,
        key=f"{key}:{event.pk}",
        context={"name": user.get_short_name(), "url": reverse("compromised:password")},
    )


def end_attempt(request: HttpRequest) -> None:
    """Forget the sign-in attempt: the person starts again from the password (and the pages
    follow the browser's language again)."""
    request.session.pop(PENDING_KEY, None)
    request.session.pop(KAUTH_ATTEMPT_KEY, None)
    request.session.pop(SIGN_IN_LANGUAGE, None)


def pending_user(request: HttpRequest) -> User | None:
    """Who proved the password in this session, while that password is still theirs.

    Every step of the second step (codes, kAuth, security keys, asking for assistance) starts
    here. The pending state carries a fingerprint of the password hash it was proved against, so
    a change or reset of the password voids every half-finished sign-in at once: whoever stole
    the old password and stopped at this step gets nothing from it (issue 12, finding 4)."""
    pending: Any = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_MAX_AGE:
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not constant_time_compare(
        str(pending.get("password", "")), user.password_fingerprint(PENDING_PURPOSE)
    ):
        return None
    return user


def pending_next(request: HttpRequest) -> str:
    pending: Any = request.session.get(PENDING_KEY) or {}
    return str(pending.get("next") or "/")


def complete(request: HttpRequest, user: User, device: Device) -> HttpResponse:
    next_url = pending_next(request)
    request.session.pop(PENDING_KEY, None)
    request.session.pop(KAUTH_ATTEMPT_KEY, None)
    request.session.pop(SIGN_IN_LANGUAGE, None)  # signed in: the profile's language from now on
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    # The admin admits staff only with this mark: a method that existed before the session.
    request.session[SECOND_FACTOR_AT_SIGN_IN] = True
    mark_recently_authenticated(request)
    response = redirect(next_url)
    remember_browser(request, response, user)
    return response
