"""The links of the side navigations and of the account menu, made once and kept.

Every page shows one of the side navigations and, signed in, the account menu: some twenty links.
Written in the templates, each link cost a URL reversal, a translation and an icon on every page,
a good part of a page's rendering time. Here each list is made once per process for what it
depends on (the language, the organization's address, the person's rights in it) and kept; only
which link is the current page is decided per request.

A key holds everything a list depends on, so nothing has to be forgotten when something changes:
another role, another language or a new address of the organization is another key. The lists
hold no person's data, so two people with the same rights in the same organization share one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import get_language, gettext

from core.icons import icon

if TYPE_CHECKING:
    from django.http import HttpRequest

    from organizations.models import Membership

# Lists (one per organization, set of rights and language) a process keeps; the least recently
# used ones go first.
KEPT_LISTS = 2048


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str
    icon: str  # safe HTML (core.icons)
    # The current page is this address exactly, or anything under it (the products list and a
    # product's page). Of several links the path is under, the longest is the current one.
    exact: bool = True
    # Appended to the address in the link, not part of the comparison with the current page.
    query: str = ""

    @property
    def href(self) -> str:
        return self.url + self.query


@dataclass(frozen=True)
class ShownLink:
    link: NavLink
    current: bool

    @property
    def href(self) -> str:
        return self.link.href

    @property
    def label(self) -> str:
        return self.link.label

    @property
    def icon(self) -> str:
        return self.link.icon


def _link(url_name: str, label: str, icon_name: str, *args: str, exact: bool = True) -> NavLink:
    return NavLink(reverse(url_name, args=args), label, icon(icon_name), exact=exact)


@lru_cache(maxsize=16)
def _account_links(language: str) -> tuple[NavLink, ...]:
    # `language` is the cache key: gettext() below follows the active language, which is it.
    return (
        _link("accounts:profile", gettext("Profile"), "user-circle"),
        _link("accounts:password-change", gettext("Password"), "key"),
        _link("review:index", gettext("Security"), "shield-check"),
        _link("security:two-factor", gettext("Two-factor authentication"), "device-phone-mobile"),
        _link("security:app-passwords", gettext("Application passwords"), "lock-closed"),
        _link("tokens:list", gettext("API tokens"), "code-bracket"),
        _link("accounts:sessions", gettext("Sessions"), "computer-desktop"),
        _link("accounts:activity", gettext("Activity"), "clock"),
        _link("organizations:list", gettext("Organizations"), "building-office-2"),
    )


@lru_cache(maxsize=KEPT_LISTS)
def _organization_links(
    language: str,
    slug: str,
    *,
    billing: bool,
    offers: bool,
    partner: bool,
    audit_log: bool,
    security: bool,
    settings: bool,
) -> tuple[NavLink, ...]:
    links = [
        _link("organizations:dashboard", gettext("Dashboard"), "home", slug),
        _link("billing:product-list", gettext("Products"), "cube", slug, exact=False),
        _link("tags:list", gettext("Tags"), "tag", slug, exact=False),
        _link("organizations:member-list", gettext("Members"), "users", slug),
    ]
    if billing:
        links += [
            _link("billing:overview", gettext("Billing"), "banknotes", slug, exact=False),
            _link("billing:settings", gettext("Billing notifications"), "bell", slug),
        ]
    if offers:
        links.append(
            _link(
                "offers:request-list", gettext("Offer requests"), "inbox-stack", slug, exact=False
            )
        )
        if partner:
            partners = _link(
                "partners:offer-list",
                gettext("Offer requests for partners"),
                "briefcase",
                exact=False,
            )
            links.append(replace(partners, query=f"?org={slug}"))
    if audit_log:
        links.append(_link("organizations:activity", gettext("Activity"), "clock", slug))
    if security:
        links.append(_link("security:organization", gettext("Security"), "shield-check", slug))
    if settings:
        links.append(
            _link(
                "organizations:settings", gettext("Organization details"), "building-office", slug
            )
        )
    return tuple(links)


def _shown(links: tuple[NavLink, ...], path: str) -> list[ShownLink]:
    matching = [
        link for link in links if path == link.url or (not link.exact and path.startswith(link.url))
    ]
    current = max(matching, key=lambda link: len(link.url), default=None)
    return [ShownLink(link, link is current) for link in links]


def account_links(request: HttpRequest) -> list[ShownLink]:
    """The account's pages, for the account menu and the account pages' side navigation."""
    return _shown(_account_links(get_language()), request.path)


def organization_links(request: HttpRequest, membership: Membership) -> list[ShownLink]:
    """The organization's pages this member may open, for its pages' side navigation."""
    org = membership.organization
    offers = membership.can_see_offer_requests
    links = _organization_links(
        get_language(),
        org.slug,
        billing=membership.can_manage_billing,
        offers=offers,
        # The partner profile comes with the membership (organizations.access).
        partner=offers and _is_active_partner(membership),
        audit_log=membership.can_read_audit_log,
        security=membership.can_manage_members,
        settings=membership.can_edit_organization,
    )
    return _shown(links, request.path)


def _is_active_partner(membership: Membership) -> bool:
    profile = getattr(membership.organization, "partner_profile", None)
    return bool(profile and profile.is_active)
