"""One test that knows every route (ARCHITECTURE.md rule 1; issue 11 section 3).

It walks the URL resolver and holds every route under /orgs/<slug>/, /partners/, /tokens/ and
/api/v1/ against the table `ROUTES`: what each role gets. A route missing from the table fails
the test — whoever adds a route decides, here, who may open it — and so does a row left behind
by a removed route.

The cast: Acme SA requires two-factor authentication and is a partner. Its legal representative
(alice), administrator (bob), collaborator (erin), collaborator with accounting rights (fay) and
external (xavier) have 2FA; an administrator without it (nina) is what the policy refuses; dave
is an outsider; and there is the anonymous visitor. A product is given to erin, fay and xavier.

Pages are opened with GET. Every role refused on GET is refused the same way on POST (an empty
form), and the routes that change things only on POST or another method list their refusals in
`write`. Allowed writes are not replayed here (each feature's tests do): `OK` skips them. The API
is called with a Bearer token of the route's scope made for Acme (before 2FA was required), the
outsider with an application password and `?organization=acme`, the anonymous with nothing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from billing.models import Invoice
from offers.models import Proposal
from organizations import services as organization_services
from organizations.models import Organization, Role
from security.app_passwords import do_create_app_password
from security.models import OrganizationSecurityPolicy
from tags.models import Tag
from tests.conftest import signed_in, with_authenticator
from tests.factories import MembershipFactory, ProductFactory, UserFactory
from tests.offers.conftest import make_offer, make_partner
from tokens.models import ApiToken, MailingList, Subscriber
from tokens.services import do_create_token

PREFIXES = ("orgs/<slug:slug>/", "partners/", "tokens/", "api/v1/")

ROLES = (
    "legal_representative",
    "administrator",
    "collaborator",
    "collaborator_with_billing",
    "external",
    "member_without_2fa",
    "outsider",
    "anonymous",
)

# Answers besides status codes: redirects to sign in and to set up 2FA, and a write that the
# role may make (not replayed here).
LOGIN = "login"
TWO_FA = "2fa"
OK = "ok"
REFUSALS = (LOGIN, TWO_FA, 401, 403, 404)

Answers = tuple[Any, ...]


@dataclass(frozen=True)
class Route:
    """What each role of `ROLES` gets on GET, and (`write`) on `method`."""

    get: Answers
    write: Answers | None = None
    method: str = "post"
    scope: str = ""  # the API token's scope

    def writes(self) -> Answers:
        """The write answers: given, or the GET refusals again (allowed writes skipped)."""
        if self.write is not None:
            return self.write
        return tuple(a if a in REFUSALS else OK for a in self.get)


#                    alice  bob   erin   fay    xavier nina    dave   anonymous
EVERY_MEMBER = (200, 200, 200, 200, 200, TWO_FA, 404, LOGIN)
NOT_EXTERNALS = (200, 200, 200, 200, 403, TWO_FA, 404, LOGIN)
MANAGERS = (200, 200, 403, 403, 403, TWO_FA, 404, LOGIN)
BILLING = (200, 200, 403, 200, 403, TWO_FA, 404, LOGIN)
LEGAL_REPRESENTATIVE = (200, 403, 403, 403, 403, TWO_FA, 404, LOGIN)
SIGNED_IN = (200, 200, 200, 200, 200, 200, 200, LOGIN)
POST_ONLY_SIGNED_IN = (405, 405, 405, 405, 405, 405, 405, LOGIN)
PARTNER_PAGE = (200, 200, 200, 200, 403, TWO_FA, 403, LOGIN)  # dave: not in a partner org
PARTNER_MANAGERS = (200, 200, 403, 403, 403, TWO_FA, 403, LOGIN)
PARTNER_POST_FORM = (302, 302, 302, 302, 403, TWO_FA, 403, LOGIN)  # GET goes back to the page
API_EVERY_MEMBER = (200, 200, 200, 200, 200, 403, 404, 401)
API_NOT_EXTERNALS = (200, 200, 200, 200, 403, 403, 404, 401)
API_MANAGERS_WRITE = (OK, OK, 403, 403, 403, 403, 404, 401)
API_NO_WRITE = (405, 405, 405, 405, 405, 403, 404, 401)
API_READ_ONLY_SCOPE = (403, 403, 403, 403, 403, 403, 404, 401)  # out_of_scope before anything
PUBLIC_POST_ONLY = (405,) * 8

ROUTES: dict[str, Route] = {
    # organizations
    "organizations:dashboard": Route(EVERY_MEMBER),
    "organizations:settings": Route(MANAGERS),
    "organizations:activity": Route(LEGAL_REPRESENTATIVE),
    "organizations:member-list": Route(EVERY_MEMBER),
    "organizations:member-invite": Route(MANAGERS),
    "organizations:member-role": Route(MANAGERS),
    "organizations:member-remove": Route(MANAGERS),
    # Leaving needs no second factor.
    "organizations:leave": Route((200, 200, 200, 200, 200, 200, 404, LOGIN)),
    "organizations:invitation-revoke": Route(
        (405, 405, 403, 403, 403, TWO_FA, 404, LOGIN),
        write=(OK, OK, 403, 403, 403, TWO_FA, 404, LOGIN),
    ),
    # security
    "security:organization": Route(MANAGERS),
    "security:app-password-verify": Route(PUBLIC_POST_ONLY, write=(OK,) * 8),
    # billing
    "billing:product-list": Route(EVERY_MEMBER),
    "billing:product-detail": Route(EVERY_MEMBER),
    # The page shows the forms; each form posts to its own route (405 on the other method).
    "billing:product-edit": Route(BILLING, write=(405, 405, 405, 405, 405, TWO_FA, 404, LOGIN)),
    "billing:product-auto-renew": Route(
        (405, 405, 403, 405, 403, TWO_FA, 404, LOGIN),
        write=(OK, OK, 403, OK, 403, TWO_FA, 404, LOGIN),
    ),
    "billing:product-assignees": Route(
        (405, 405, 403, 403, 403, TWO_FA, 404, LOGIN),
        write=(OK, OK, 403, 403, 403, TWO_FA, 404, LOGIN),
    ),
    "billing:contact-verify": Route(BILLING),
    "billing:contact-edit": Route(MANAGERS),
    "billing:overview": Route(BILLING),
    "billing:details-edit": Route(BILLING),
    "billing:invoice-detail": Route(BILLING),
    "billing:settings": Route(BILLING),
    # tags
    "tags:list": Route(EVERY_MEMBER),
    "tags:create": Route(MANAGERS),
    "tags:edit": Route(MANAGERS),
    "tags:merge": Route(MANAGERS),
    "tags:delete": Route(MANAGERS),
    "tags:product-tags": Route(EVERY_MEMBER),
    "tags:product-tag-cell": Route(EVERY_MEMBER),
    # offer requests (customers)
    "offers:request-list": Route(NOT_EXTERNALS),
    "offers:request-create": Route(NOT_EXTERNALS),
    "offers:request-detail": Route(NOT_EXTERNALS),
    "offers:request-close": Route(MANAGERS),  # alice posted it; erin and fay did not
    "offers:request-delete": Route(MANAGERS),
    "offers:proposal-choose": Route(MANAGERS),
    # partners
    "partners:offer-list": Route(PARTNER_PAGE),
    "partners:offer-detail": Route(PARTNER_PAGE),
    "partners:offer-propose": Route(PARTNER_POST_FORM),
    "partners:offer-report": Route(PARTNER_POST_FORM),
    "partners:settings": Route(PARTNER_MANAGERS),
    # API tokens (a person's own: no organization page)
    "tokens:list": Route(SIGNED_IN),
    "tokens:create": Route(SIGNED_IN),
    "tokens:revoke": Route(POST_ONLY_SIGNED_IN, write=(OK,) * 7 + (LOGIN,)),
    # alice's token: nobody else's to regenerate.
    "tokens:regenerate": Route(
        POST_ONLY_SIGNED_IN, write=(OK, 404, 404, 404, 404, 404, 404, LOGIN)
    ),
    # the API
    "tokens-api:revoke-leaked": Route(PUBLIC_POST_ONLY, write=(OK,) * 8),
    "tokens-api:mailing-lists": Route(
        API_NOT_EXTERNALS, write=API_MANAGERS_WRITE, scope="newsletter"
    ),
    "tokens-api:mailing-list": Route(
        API_NOT_EXTERNALS, write=API_MANAGERS_WRITE, method="delete", scope="newsletter"
    ),
    "tokens-api:subscribers": Route(
        API_NOT_EXTERNALS, write=API_MANAGERS_WRITE, scope="newsletter"
    ),
    "tokens-api:subscriber": Route(
        (405, 405, 405, 405, 403, 403, 404, 401),
        write=API_MANAGERS_WRITE,
        method="delete",
        scope="newsletter",
    ),
    "tags-api:tag-list": Route(API_EVERY_MEMBER, write=API_MANAGERS_WRITE, scope="products"),
    "tags-api:tag-detail": Route(
        API_EVERY_MEMBER, write=API_MANAGERS_WRITE, method="delete", scope="products"
    ),
    "tags-api:products": Route(API_EVERY_MEMBER, write=API_NO_WRITE, scope="products"),
    "offers-api:offer-list": Route(API_NOT_EXTERNALS, write=API_READ_ONLY_SCOPE, scope="offers"),
    "offers-api:offer-detail": Route(API_NOT_EXTERNALS, write=API_READ_ONLY_SCOPE, scope="offers"),
}


def routes() -> dict[str, tuple[str, list[str]]]:
    """URL name -> (route, its parameters) of every route under `PREFIXES`."""
    found: dict[str, tuple[str, list[str]]] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(PREFIXES):
                    name = f"{namespace}{p.name}" if p.name else route
                    found[name] = (route, list(p.pattern.regex.groupindex))

    walk(get_resolver().url_patterns, "", "")
    return found


@dataclass
class World:
    users: dict[str, User]
    values: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(alice: User, bob: User, erin: User, dave: User, carol: User, acme: Organization) -> World:
    fay = UserFactory.create(email="fay@example.com")
    MembershipFactory.create(
        organization=acme, user=fay, role=Role.COLLABORATOR, billing_rights=True
    )
    xavier = UserFactory.create(email="xavier@example.com")
    MembershipFactory.create(organization=acme, user=xavier, role=Role.EXTERNAL)
    nina = UserFactory.create(email="nina@example.com")
    MembershipFactory.create(organization=acme, user=nina, role=Role.ADMINISTRATOR)
    target = MembershipFactory.create(organization=acme, role=Role.EXTERNAL)  # whom roles change
    for user in (alice, bob, erin, fay, xavier):
        with_authenticator(user)

    product = ProductFactory.create(organization=acme)
    product.assignees.set([erin, fay, xavier])
    invoice = Invoice.objects.create(
        organization=acme, number="2026-0001", status="paid", total=Decimal("15.00")
    )
    tag = Tag.objects.create(organization=acme, name="Client A", key="clienta", slug="client-a")
    mailing_list = MailingList.objects.create(organization=acme, name="Customers")
    subscriber = Subscriber.objects.create(mailing_list=mailing_list, email="s@example.com")
    invitation = organization_services.do_invite_member(
        acme, email="new@example.com", role=Role.COLLABORATOR, actor=alice
    )
    make_partner(acme)
    studio = make_partner(Organization.objects.get(slug="studio-carol"))
    own_offer = make_offer(acme, created_by=alice)
    proposal = Proposal.objects.create(request=own_offer, partner=studio, message="Hi")
    keller_offer = make_offer(Organization.objects.get(slug="keller"), created_by=dave)

    users = {
        "legal_representative": alice,
        "administrator": bob,
        "collaborator": erin,
        "collaborator_with_billing": fay,
        "external": xavier,
        "member_without_2fa": nina,
        "outsider": dave,
    }
    # Tokens first: once 2FA is required, nina could not make one.
    tokens = {
        (role, scope): do_create_token(
            user, organization=acme, name=scope, scope=scope, expires_at=None, actor=user
        )
        for role, user in users.items()
        if role != "outsider"
        for scope in ("newsletter", "products", "offers")
    }
    alice_token, _secret = do_create_token(
        alice,
        organization=acme,
        name="Old script",
        scope="newsletter",
        expires_at=timezone.now() + timedelta(days=1),
        actor=alice,
    )
    ApiToken.objects.filter(pk=alice_token.pk).update(
        expires_at=timezone.now() - timedelta(days=1)  # expired: one to regenerate
    )
    _row, dave_password = do_create_app_password(dave, name="API", services=["api"], actor=dave)
    OrganizationSecurityPolicy.objects.create(organization=acme, require_two_factor=True)

    return World(
        users=users,
        values={
            "member": target.pk,
            "invitation": invitation.pk,
            "product": product.pk,
            "contact": product.owner_id,
            "invoice": invoice.number,
            "tag": tag,
            "list": mailing_list.pk,
            "subscriber": subscriber.pk,
            "own_offer": own_offer.pk,
            "proposal": proposal.pk,
            "keller_offer": keller_offer.pk,
            "token": alice_token.pk,
            "secrets": {key: secret for key, (_token, secret) in tokens.items()},
            "dave_password": dave_password,
        },
    )


def url_for(name: str, params: list[str], world: World) -> str:
    """The route's URL filled with the world's objects (a new parameter needs a line here)."""
    v = world.values
    kwargs: dict[str, Any] = {}
    for param in params:
        if param == "slug":
            kwargs[param] = v["tag"].slug if name.startswith("tags-api:") else "acme"
        elif param == "number":
            kwargs[param] = v["invoice"]
        elif param == "proposal_pk":
            kwargs[param] = v["proposal"]
        elif param == "list_pk":
            kwargs[param] = v["list"]
        elif param == "pk":
            kwargs[param] = _pk(name, v)
        else:
            raise LookupError(f"{name}: no value for {param!r}; add it to url_for()")
    return reverse(name, kwargs=kwargs)


def _pk(name: str, v: dict[str, Any]) -> int:
    by_prefix = [
        ("organizations:member-", "member"),
        ("organizations:invitation-", "invitation"),
        ("billing:contact-", "contact"),
        ("billing:product-", "product"),
        ("tags:product-", "product"),
        ("offers:", "own_offer"),
        ("partners:", "keller_offer"),
        ("offers-api:", "keller_offer"),
        ("tokens:", "token"),
        ("tokens-api:mailing-list", "list"),
        ("tokens-api:subscriber", "subscriber"),
    ]
    for prefix, key in by_prefix:
        if name.startswith(prefix):
            return int(v[key])
    if name.startswith("tags:"):
        return int(v["tag"].pk)
    raise LookupError(f"{name}: no value for 'pk'; add it to _pk()")


def clients(world: World) -> dict[tuple[str, str], Client]:
    """(role, API scope or "" for pages) -> the client that role uses, each signed in once."""
    found: dict[tuple[str, str], Client] = {}
    dave = world.users["outsider"]
    raw = base64.b64encode(f"{dave.email}:{world.values['dave_password']}".encode()).decode()
    for role in ROLES:
        for scope in ("", "newsletter", "products", "offers"):
            if role == "anonymous":
                found[role, scope] = Client()
            elif not scope:
                found[role, scope] = signed_in(world.users[role])
            elif role == "outsider":
                found[role, scope] = Client(HTTP_AUTHORIZATION=f"Basic {raw}")
            else:
                secret = world.values["secrets"][(role, scope)]
                found[role, scope] = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return found


LOGIN_URL = reverse("accounts:login")
TWO_FACTOR_URL = reverse("security:two-factor")


def answer_of(response: Any) -> Any:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(LOGIN_URL):
            return LOGIN
        if location == TWO_FACTOR_URL:
            return TWO_FA
    return response.status_code


def api_problem(role: str, response: Any) -> str:
    """What is wrong with an API refusal: it must be JSON with a code (2FA: its own)."""
    if not response["Content-Type"].startswith("application/json"):
        return f"not JSON ({response['Content-Type']})"
    error = response.json().get("error")
    if role == "member_without_2fa" and error != "two_factor_required":
        return f"error {error!r}, expected 'two_factor_required'"
    return ""


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def test_every_route_has_a_row() -> None:
    found = set(routes())

    missing = sorted(found - set(ROUTES))
    stale = sorted(set(ROUTES) - found)

    assert not missing, f"routes missing from ROUTES (say who may open them): {missing}"
    assert not stale, f"rows of ROUTES for routes that no longer exist: {stale}"
    assert all(len(r.get) == len(ROLES) == len(r.writes()) for r in ROUTES.values())


@pytest.mark.django_db
def test_every_route_answers_each_role_as_the_table_says(world: World) -> None:
    mismatches: list[str] = []
    client_of = clients(world)
    before = row_counts()

    for name, (_route, params) in sorted(routes().items()):
        route = ROUTES[name]
        url = url_for(name, params, world)
        query = "?organization=acme" if route.scope else ""
        for role, expected_get, expected_write in zip(
            ROLES, route.get, route.writes(), strict=True
        ):
            client = client_of[role, route.scope]
            response = client.get(url + query)
            got = answer_of(response)
            if got != expected_get:
                mismatches.append(f"{role:<26} GET {url}: {got}, expected {expected_get}")
            elif (
                route.scope and got in (401, 403, 404) and (problem := api_problem(role, response))
            ):
                mismatches.append(f"{role:<26} GET {url}: {problem}")
            if expected_write == OK:
                continue
            if route.scope:
                send = getattr(client, route.method)
                response = send(url + query, json.dumps({}), content_type="application/json")
            else:
                response = getattr(client, route.method)(url, {})
            got = answer_of(response)
            if got != expected_write:
                mismatches.append(
                    f"{role:<26} {route.method.upper()} {url}: {got}, expected {expected_write}"
                )

    assert not mismatches, "\n".join(["", *mismatches])
    assert row_counts() == before, "a refused write changed the database"
