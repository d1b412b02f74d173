"""An organization that requires 2FA sends members without it to set it up first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from security.methods import has_two_factor
from security.models import OrganizationSecurityPolicy

ORGANIZATION_ROUTE = "orgs/<slug:slug>/"
# Pages a member without 2FA may still open: leaving the organization needs no second factor.
EXEMPT = {("organizations", "leave")}


class OrganizationTwoFactorMiddleware:
    """Every page under /orgs/<slug>/, whichever app serves it (members, billing, tokens...), so
    that a new app's pages are covered without anyone remembering to list them."""

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
        slug = view_kwargs.get("slug")
        match = request.resolver_match
        if not slug or match is None or not request.user.is_authenticated:
            return None
        if not (match.route or "").startswith(ORGANIZATION_ROUTE):
            return None
        if (match.namespace, match.url_name) in EXEMPT:
            return None
        # Only a member's own organizations: an outsider gets the view's 404, which tells
        # nothing about the organization's rules.
        required = OrganizationSecurityPolicy.objects.filter(
            organization__slug=slug,
            organization__memberships__user=request.user,
            require_two_factor=True,
        ).exists()
        if not required or has_two_factor(request.user):
            return None
        messages.warning(
            request,
            _(
                "This organization requires two-factor authentication. Set it up to continue; "
                "it takes a minute."
            ),
        )
        return redirect("security:two-factor")
