"""Bench-only views: the floor, and twins of the Newsletter list endpoint that differ from it only
in how a request is authenticated.

- `floor`: a bare Django view returning a small JSON, through the portal's whole middleware stack.
- `UnauthenticatedTwin`: the endpoint's own view class with no authentication and no permission;
  the organization is fixed (resolved once per process), so the twin does exactly the endpoint's
  work minus everything authentication and authorization add.
- `StockTokenTwin`: the endpoint's view class with DRF's stock `TokenAuthentication` (keys kept in
  clear) and the portal's permission class; a stock token carries no organization, so the
  organization comes from `?organization=<slug>` among the person's own, as with HTTP Basic.
- `StockTokenFixedTwin`: DRF's stock `TokenAuthentication` and `IsAuthenticated` only, with the
  twin's fixed organization: the bare cost of a stock token look-up, without any organization
  check.
- `ProposedBearerTwin` and `CachedBearerTwin`: the endpoint's view class with prototypes (here
  only, not in the app) of changes to `tokens.authentication.BearerTokenAuthentication` that the
  benchmark's report proposes, to measure what they would gain: one query instead of three, and
  then a 5-second cache in front of it.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request

from organizations.models import Membership, Organization
from portal.crypto import digest
from tokens import format as token_format
from tokens.api.views import MailingListViewSet
from tokens.authentication import LAST_USE_RESOLUTION, BearerTokenAuthentication, _refuse
from tokens.models import ApiToken


def floor(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@cache
def fixed_organization() -> Organization:
    """The seeded organization, read once per process: the twins pay no query to find it."""
    return Organization.objects.get(slug=settings.BENCH_ORGANIZATION)


class UnauthenticatedTwin(MailingListViewSet):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @property
    def organization(self) -> Any:
        return fixed_organization()


class StockTokenTwin(MailingListViewSet):
    authentication_classes = [TokenAuthentication]


class StockTokenFixedTwin(MailingListViewSet):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @property
    def organization(self) -> Any:
        return fixed_organization()


class ProposedBearerAuthentication(BearerTokenAuthentication):
    """The app's Bearer authentication with two changes, for comparison only:

    1. the membership check is part of the token look-up (an `EXISTS` subquery), not a second
       query;
    2. the last use is compared in memory with the row just read, and the conditional `UPDATE`
       runs only when it is older than a minute (at most once a minute per token, as now),
       instead of being sent on every request.

    Same answers otherwise (codes, order of the checks).
    """

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
        token = self.find(digest(secret))
        if token is None:
            raise _refuse("unknown_token", _("This token is not valid."))
        status = token.status
        if status != ApiToken.Status.ACTIVE:
            raise _refuse(
                f"{status}_token",
                _("This token is no longer valid: %(status)s.") % {"status": status.label},
            )
        if not token.user.is_active or not token.is_member:  # type: ignore[attr-defined]
            raise _refuse("unknown_token", _("This token is not valid."))
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USE_RESOLUTION:
            self._record_use(token, request)
            token.last_used_at = now
        return token.user, token

    def find(self, token_digest: str) -> ApiToken | None:
        member = Membership.objects.filter(
            user=OuterRef("user"), organization=OuterRef("organization")
        )
        return (
            ApiToken.objects.select_related("user", "organization")
            .annotate(is_member=Exists(member))
            .filter(digest=token_digest)
            .first()
        )


CACHE_SECONDS = 5.0


class CachedBearerAuthentication(ProposedBearerAuthentication):
    """The changes above plus a cache in front of the look-up, for comparison only: each process
    keeps a token it found for 5 seconds, so a revocation, a deactivation or a removed membership
    takes effect everywhere within 5 seconds (DESIGN rule 3); expiry is still checked on every
    request. Unknown digests are not kept."""

    _found: dict[str, tuple[float, ApiToken]] = {}

    def find(self, token_digest: str) -> ApiToken | None:
        now = time.monotonic()
        kept = self._found.get(token_digest)
        if kept is not None and now - kept[0] < CACHE_SECONDS:
            return kept[1]
        token = super().find(token_digest)
        if token is not None:
            self._found[token_digest] = (now, token)
        return token


class ProposedBearerTwin(MailingListViewSet):
    authentication_classes = [ProposedBearerAuthentication]


class CachedBearerTwin(MailingListViewSet):
    authentication_classes = [CachedBearerAuthentication]
