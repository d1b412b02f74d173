"""`Authorization: Bearer <API token>` for the REST API (DRF).

The token is checked offline first (prefix, length, checksum), then looked up by its digest with
its person, its organization and the person's membership, in one query. Each refusal is a 401
with a JSON code that says which: malformed_token, unknown_token, expired_token, revoked_token,
deactivated_token. The token acts for its organization, so the access layer
(`organizations.access`) admits it like any other channel: a policy's refusal (2FA required) is a
403 with the policy's code, such as two_factor_required.

Speed (see the README's benchmarks): each process keeps a token it found for at most
`API_TOKEN_CACHE_SECONDS` (5 at most, ARCHITECTURE.md rule 3), with the policies' verdict, so a
revocation, a deactivation, a removed membership, a changed role, a deactivated person or a policy
switched on takes effect everywhere within that time; expiry is checked on every request. The
last use is written at most once a minute per token, and only when the last use read is older
than that, so most requests write nothing.
"""

from __future__ import annotations

import copy
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from core.crypto import digest
from core.request_context import client_ip
from organizations import access
from organizations.models import Membership
from tokens import format as token_format
from tokens.models import ApiToken

LAST_USE_RESOLUTION = timedelta(minutes=1)


class TokenRefused(exceptions.AuthenticationFailed):
    pass


def _refuse(code: str, message: Any) -> TokenRefused:
    return TokenRefused(detail=message, code=code)


class RecentTokens:
    """Tokens found in the last few seconds, by digest, in this process (thread-safe).

    Unknown digests are never kept, so guessing gains nothing. What is handed out is a copy, so a
    request never shares a model instance with another thread. At most `size` entries: when full,
    the oldest half is dropped.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._found: dict[str, tuple[float, ApiToken]] = {}
        self._lock = threading.Lock()

    def get(self, token_digest: str) -> ApiToken | None:
        seconds = settings.API_TOKEN_CACHE_SECONDS
        with self._lock:
            kept = self._found.get(token_digest)
        if kept is None or time.monotonic() - kept[0] >= seconds:
            return None
        return _copy(kept[1])

    def keep(self, token_digest: str, token: ApiToken) -> None:
        if settings.API_TOKEN_CACHE_SECONDS <= 0:
            return
        with self._lock:
            if len(self._found) >= self.size:
                by_age = sorted(self._found, key=lambda key: self._found[key][0])
                for key in by_age[: self.size // 2]:
                    del self._found[key]
            self._found[token_digest] = (time.monotonic(), _copy(token))

    def mark_used(self, token_digest: str, when: datetime) -> None:
        """Record a last use on the kept copy, without making it live longer."""
        with self._lock:
            kept = self._found.get(token_digest)
            if kept is not None:
                kept[1].last_used_at = when

    def clear(self) -> None:
        """Forget every token (this process only; the others forget within seconds)."""
        with self._lock:
            self._found.clear()


def _copy(token: ApiToken) -> ApiToken:
    kept = copy.copy(token)
    kept.user = copy.copy(token.user)
    kept.organization = copy.copy(token.organization)
    if token.membership is not None:
        kept.membership = copy.copy(token.membership)
        kept.membership.user = kept.user
        kept.membership.organization = kept.organization
    return kept


recent_tokens = RecentTokens()


def find_token(token_digest: str) -> ApiToken | None:
    """The token with this digest, its person, organization and `membership` (one query: the
    membership's columns come as subqueries), and `refusal`, the organization's policies'
    verdict on that membership (`organizations.access`)."""
    token = recent_tokens.get(token_digest)
    if token is not None:
        return token
    member = Membership.objects.filter(user=OuterRef("user"), organization=OuterRef("organization"))
    token = (
        ApiToken.objects.select_related("user", "organization")
        .annotate(
            membership_pk=Subquery(member.values("pk")[:1]),
            membership_role=Subquery(member.values("role")[:1]),
            membership_billing_rights=Subquery(member.values("billing_rights")[:1]),
        )
        .filter(digest=token_digest)
        .first()
    )
    if token is None:
        return None
    token.membership = None
    token.refusal = None
    if token.membership_pk is not None:
        token.membership = Membership(
            pk=token.membership_pk,
            user=token.user,
            organization=token.organization,
            role=token.membership_role,
            billing_rights=token.membership_billing_rights,
        )
        token.refusal = access.refusal_for(token.membership)
    recent_tokens.keep(token_digest, token)
    return token


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise _refuse("malformed_token", _("The Authorization header is malformed."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise _refuse("malformed_token", _("The token is malformed.")) from exc
        if not token_format.is_well_formed(secret):
            raise _refuse("malformed_token", _("The token is malformed."))
        token = find_token(digest(secret))
        if token is None:
            raise _refuse("unknown_token", _("This token is not valid."))
        status = token.status
        if status != ApiToken.Status.ACTIVE:
            raise _refuse(
                f"{status}_token",
                _("This token is no longer valid: %(status)s.") % {"status": status.label},
            )
        if not token.user.is_active or token.membership is None:
            raise _refuse("unknown_token", _("This token is not valid."))
        if token.refusal is not None:
            raise access.api_error(token.refusal)
        self._record_use(token, request)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    @staticmethod
    def _record_use(token: ApiToken, request: Request) -> None:
        """Write the last use when the one read is older than a minute; the `UPDATE` is
        conditional too, so processes holding an older copy of the token write it once."""
        now = timezone.now()
        if token.last_used_at is not None and token.last_used_at >= now - LAST_USE_RESOLUTION:
            return
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION),
            pk=token.pk,
        ).update(
            last_used_at=now, last_used_ip=client_ip(request), active_since=now, warned_at=None
        )
        # Written now, by this request or by another process within the minute: the cached copy
        # says so, and the next requests here skip the write.
        recent_tokens.mark_used(token.digest, now)
