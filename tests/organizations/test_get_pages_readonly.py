"""No state change on GET (ARCHITECTURE.md rule 6): every page of accounts and organizations,
visited by each person of the cast, leaves the database as it was and never answers 500.

The pages are read from the URL resolver, so a new page is visited as soon as it exists; a page
with a URL parameter this test cannot fill yet fails `test_every_page_parameter_can_be_filled`
until a value is added to `_values`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from accounts.models import Session, User
from organizations import services
from organizations.models import Membership, Organization, Role
from tests.conftest import signed_in
from tests.organizations.helpers import add_member

APPS = ("accounts.views", "organizations.views")


def _pages() -> list[tuple[str, list[str]]]:
    """(URL name, its parameters) of every page whose view lives in accounts or organizations."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[Any], namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif (
                isinstance(p, URLPattern)
                and p.name
                and getattr(p.callback, "__module__", "") in APPS
            ):
                found.append((namespace + p.name, list(p.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns, "")
    return sorted(found)


def _snapshot(own_session: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of every model (many-to-many tables included), ordered by primary key.

    The visitor's own session row is left out: a GET may keep its data (the idle timeout's "last
    seen", the organization worked on, a reset token moved out of the URL) as Django's own views
    do. Every other session, and whether sessions were added or removed, still counts.
    """
    dump: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models(include_auto_created=True):
        rows = model._base_manager.order_by("pk")
        if model is Session and own_session:
            rows = rows.exclude(session_key=own_session)
        dump[model._meta.label] = list(rows.values())
    return dump


def _session_key(client: Client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


@pytest.fixture
def world(alice: User, bob: User, erin: User, dave: User, acme: Organization) -> dict[str, Any]:
    """Acme (alice, bob, erin, an external and a pending invitation for dave) and Keller
    (dave, an external and a pending invitation for erin), and links for alice."""
    keller = Organization.objects.get(slug="keller")
    return {
        "acme": {
            "slug": "acme",
            "member": add_member(acme, Role.EXTERNAL).pk,
            "invitation": services.do_invite_member(
                acme, email="dave@example.com", role=Role.COLLABORATOR, actor=alice
            ),
        },
        "keller": {
            "slug": "keller",
            "member": add_member(keller, Role.EXTERNAL).pk,
            "invitation": services.do_invite_member(
                keller, email="erin@example.com", role=Role.EXTERNAL, actor=dave
            ),
        },
        "alice": alice,
    }


def _values(name: str, params: list[str], world: dict[str, Any]) -> list[dict[str, Any]]:
    """The URL parameters to visit `name` with: one set per organization for organization pages."""
    alice: User = world["alice"]
    if name == "accounts:verify-email":
        return [{"token": account_services.email_verification_token(alice)}]
    if name == "accounts:password-reset-confirm":
        token = account_services.reset_token_generator().make_token(alice)
        return [{"uidb64": urlsafe_base64_encode(force_bytes(alice.pk)), "token": token}]
    if name == "organizations:invitation-accept":
        return [
            {"token": services.invitation_token(world[org]["invitation"])}
            for org in ("acme", "keller")
        ]
    if not params:
        return [{}]
    if "slug" not in params:
        raise LookupError(f"{name}: no values for {params}; add them to _values()")
    sets = []
    for org in ("acme", "keller"):
        values: dict[str, Any] = {"slug": world[org]["slug"]}
        for param in params:
            if param == "slug":
                continue
            if param == "pk" and name.startswith("organizations:member-"):
                values["pk"] = world[org]["member"]
            elif param == "pk" and name.startswith("organizations:invitation-"):
                values["pk"] = world[org]["invitation"].pk
            else:
                raise LookupError(f"{name}: no value for {param!r}; add it to _values()")
        sets.append(values)
    return sets


def test_pages_found_in_resolver() -> None:
    names = {name for name, _params in _pages()}

    assert {
        "home",
        "accounts:login",
        "accounts:profile",
        "accounts:password-reset-confirm",
        "organizations:dashboard",
        "organizations:member-role",
        "organizations:invitation-accept",
    } <= names


def test_every_page_parameter_can_be_filled(world: dict[str, Any]) -> None:
    for name, params in _pages():
        for kwargs in _values(name, params, world):
            assert set(kwargs) == set(params), name
            reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("who", ["anonymous", "alice", "bob", "erin", "dave"])
def test_get_pages_change_nothing(world: dict[str, Any], who: str) -> None:
    # By address: a random member of the world may share a first name with the cast.
    client = (
        Client() if who == "anonymous" else signed_in(User.objects.get(email=f"{who}@example.com"))
    )
    visited = 0

    for name, params in _pages():
        for kwargs in _values(name, params, world):
            url = reverse(name, kwargs=kwargs)
            mine = _session_key(client)
            before = _snapshot(mine)
            response = client.get(url, follow=True)

            statuses = [status for _url, status in response.redirect_chain]
            assert response.status_code < 500, f"{who} GET {url}: {response.status_code}"
            assert all(s < 500 for s in statuses), f"{who} GET {url}: {statuses}"
            assert mine is None or _session_key(client) == mine, f"{who} GET {url}: new session"
            after = _snapshot(_session_key(client))
            changed = sorted(label for label in before if before[label] != after[label])
            assert not changed, f"{who} GET {url} changed {changed}"
            visited += 1

    assert visited >= len(_pages())


def test_snapshot_sees_a_change(world: dict[str, Any]) -> None:
    """The comparison above can fail: a change made between two snapshots is seen."""
    before = _snapshot()
    Membership.objects.filter(pk=world["acme"]["member"]).update(role=Role.COLLABORATOR)

    assert _snapshot() != before
