"""The one access layer for organizations (ARCHITECTURE.md rule 1).

Whoever acts for an organization — a page under /orgs/<slug>/, a partner page, an API token, an
application password with `?organization=`, a service minting a credential — comes through here:

- **who**: `membership_of(user, organization)` resolves the person's membership (None for anyone
  else, so callers answer 404 and say nothing about the organization);
- **the organization's policies**: `refusal_for(membership)` asks each policy named in
  `settings.ORGANIZATION_POLICIES` (the 2FA requirement is `security`'s: this app imports no app
  above it, so policies are plugged in like `settings.LOGIN_SECOND_STEP`); the first refusal wins;
- **the role**: `require(membership, capability)` with a capability property of `Membership`
  (`can_manage_members`, ...): 403 for a lower role.

`org_member_required` is the web guard that applies all three to a page; the partner pages, the
API authentication and the token service call the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, overload

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from organizations.models import Membership, Organization


@dataclass(frozen=True)
class Refusal:
    """Why an organization's policy refuses a member for now, and how to get through.

    `code` is stable (the API's `error`), `message` is what a person reads, `remedy_url` the page
    where they fix it (pages send them there) and `remedy_label` the words of a link to it."""

    code: str
    message: str
    remedy_url: str
    remedy_label: str


class PolicyRefused(PermissionDenied):
    """A service refused to act for an organization because of one of its policies."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


Policy = Callable[[Membership], "Refusal | None"]


def policies() -> list[Policy]:
    return [import_string(path) for path in settings.ORGANIZATION_POLICIES]


def refusal_for(membership: Membership) -> Refusal | None:
    """The first of the organization's policies that refuses this member, or None."""
    for policy in policies():
        refusal = policy(membership)
        if refusal is not None:
            return refusal
    return None


def membership_of(user: Any, organization: Organization | str) -> Membership | None:
    """The user's membership of `organization` (an instance or a slug), with the organization;
    None for an outsider, an anonymous or a deactivated person."""
    lookup: dict[str, Any] = (
        {"organization__slug": organization}
        if isinstance(organization, str)
        else {"organization_id": organization.pk}
    )
    return (
        Membership.objects.for_user(user)
        .select_related("organization", "user")
        .filter(**lookup)
        .first()
    )


def memberships_of_request(request: HttpRequest) -> list[Membership]:
    """The signed-in person's memberships (with their organizations), read once per request:
    a page's guard takes the page's organization from them, and the top bar's organization
    switcher lists them (organizations.context_processors), one query for both. The same rule
    as `membership_of`: none for an anonymous or deactivated person."""
    cached: list[Membership] | None = getattr(request, "_portal_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.for_user(request.user)
            # The partner profile: the side navigation shows partners their offer requests.
            .select_related("organization__partner_profile", "user")
            .order_by("organization__name", "organization_id")
        )
        request._portal_memberships = cached  # type: ignore[attr-defined]
    return cached


def acting_membership(user: Any, organization: Organization) -> Membership:
    """For services that act for `organization` on the user's behalf (minting a token...): the
    membership, or PermissionDenied for an outsider and PolicyRefused when a policy refuses."""
    membership = membership_of(user, organization)
    if membership is None:
        raise PermissionDenied
    refusal = refusal_for(membership)
    if refusal is not None:
        raise PolicyRefused(refusal)
    return membership


def _check_capability(capability: str) -> None:
    """A typo in a capability name must fail when the module is imported, not let everyone in."""
    if not isinstance(getattr(Membership, capability), property):
        raise AttributeError(f"Membership.{capability} is not a capability property")


def allows(membership: Membership, capability: str) -> bool:
    _check_capability(capability)
    return bool(getattr(membership, capability))


def require(membership: Membership, capability: str, message: str | None = None) -> None:
    """403 (with `message`, if given) unless the member's role has `capability`."""
    if not allows(membership, capability):
        raise PermissionDenied(message) if message else PermissionDenied


def refuse_page(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """How a page answers a policy's refusal: the reason as a message, then the remedy."""
    messages.warning(request, refusal.message)
    return redirect(refusal.remedy_url)


def admit(
    request: HttpRequest, membership: Membership, *, capability: str | None, policies: bool
) -> HttpResponse | None:
    """What every page guard does once it has the membership: the organization's policies (a
    redirect to their remedy), then the role (403). None when the member may go on."""
    if policies:
        refusal = refusal_for(membership)
        if refusal is not None:
            return refuse_page(request, refusal)
    if capability is not None:
        require(membership, capability)
    return None


OrgView = Callable[..., HttpResponse]


@overload
def org_member_required(view: OrgView) -> OrgView: ...
@overload
def org_member_required(
    view: None = None, *, capability: str | None = None, policies: bool = True
) -> Callable[[OrgView], OrgView]: ...
def org_member_required(
    view: OrgView | None = None, *, capability: str | None = None, policies: bool = True
) -> OrgView | Callable[[OrgView], OrgView]:
    """The guard of every page under /orgs/<slug>/: signed in, a member of `slug` (404 for anyone
    else), admitted by the organization's policies (`policies=False` only where a refused member
    must still get through, such as leaving), and with `capability` when given (403). The view
    gets the membership; its organization is `membership.organization`.

        @org_member_required
        @org_member_required(capability="can_manage_members")
    """
    if capability is not None:
        _check_capability(capability)

    def decorate(view: OrgView) -> OrgView:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = next(
                (m for m in memberships_of_request(request) if m.organization.slug == slug), None
            )
            if membership is None:
                raise Http404
            refused = admit(request, membership, capability=capability, policies=policies)
            if refused is not None:
                return refused
            if request.session.get("current_org") != slug:
                # Written only when it changes: a session written on every page costs a query
                # and a commit per page.
                request.session["current_org"] = slug
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


# --- The REST API ------------------------------------------------------------------------------


class RoleNotAllowed(exceptions.PermissionDenied):
    default_detail = _("Your role in this organization does not allow this.")
    default_code = "role_not_allowed"


def api_error(refusal: Refusal) -> exceptions.PermissionDenied:
    """How the API answers a policy's refusal: 403 with the policy's stable code."""
    return exceptions.PermissionDenied(detail=refusal.message, code=refusal.code)
