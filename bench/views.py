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
- `UncachedBearerTwin`: the endpoint's view class with the app's Bearer authentication, its
  per-process token cache emptied before each request (every request looks the token up).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request

from organizations.models import Organization
from tokens.api.views import MailingListViewSet
from tokens.authentication import BearerTokenAuthentication, recent_tokens
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


class UncachedBearerAuthentication(BearerTokenAuthentication):
    """The app's Bearer authentication with the per-process token cache emptied before every
    request: what each request costs when the token is not kept (the first request of a token
    in a process, or with `API_TOKEN_CACHE_SECONDS=0`)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        recent_tokens.clear()
        return super().authenticate(request)


class UncachedBearerTwin(MailingListViewSet):
    authentication_classes = [UncachedBearerAuthentication]
