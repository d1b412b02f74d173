"""Every page makes the same number of queries whatever the amounts behind it: "at 10 and 10,000
products, and at 3 and 300 members" (the issue), and at 3 and 300 of a person's credentials.

Alice, legal representative of Acme (she sees everything), opens each page at the small size,
then at the large size; the page answers 200, lists the rows, and makes exactly the queries it
made at the small size. When it does not, the test prints the queries the large size added.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import cycle, islice
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.fixtures import DjangoAssertNumQueries

from accounts.models import Session, User
from billing.models import Contact, Product, ProductKind
from billing.views.invoices import PAID_FOR_OTHERS_SHOWN
from core.models import AuditEvent
from organizations.models import Membership, Organization, Role
from security.models import ApplicationPassword, AppService
from tags import colours
from tags.models import Tag
from tags.services import do_create_tag
from tests.conftest import membership, signed_in
from tokens.models import ApiToken
from tokens.scopes import SCOPES

# --- The pages, and what grows behind each -----------------------------------------------------

PRODUCTS = "products"  # Acme's products, each with two of its tags
PAID_FOR_OTHERS = "paid for others"  # products of Studio Carol that Acme pays for
MEMBERS = "members"  # Acme's members, of every role
SESSIONS = "sessions"  # Alice's other signed-in browsers
APP_PASSWORDS = "application passwords"  # Alice's
TOKENS = "API tokens"  # Alice's, for Acme
EVENTS = "security events"  # Alice's
CREDENTIALS = (SESSIONS, APP_PASSWORDS, TOKENS, EVENTS)

ORG, PERSON = "organization", "person"  # /orgs/acme/...; the person's own pages


@dataclass(frozen=True)
class Page:
    name: str
    url_name: str
    of: str  # ORG or PERSON
    grows: tuple[str, ...]


# fmt: off
PAGES = [
    #    page                     url name                     of      grows with
    Page("products list",         "billing:product-list",      ORG,    (PRODUCTS,)),
    Page("dashboard",             "organizations:dashboard",   ORG,    (PRODUCTS, MEMBERS)),
    Page("security review",       "review:index",              PERSON, CREDENTIALS),
    Page("members",               "organizations:member-list", ORG,    (MEMBERS,)),
    Page("tags",                  "tags:list",                 ORG,    (PRODUCTS,)),
    Page("application passwords", "security:app-passwords",    PERSON, (APP_PASSWORDS,)),
    Page("API tokens",            "tokens:list",               PERSON, (TOKENS,)),
    Page("billing overview",      "billing:overview",          ORG,    (PRODUCTS, PAID_FOR_OTHERS)),
]
# fmt: on


@dataclass(frozen=True)
class Size:
    products: int
    paid_for_others: int
    members: int  # Alice included
    credentials: int  # of each kind: sessions, application passwords, tokens, events


SMALL = Size(
    products=10,
    # The overview lists the first PAID_FOR_OTHERS_SHOWN products Acme pays for others and counts
    # them all only when that list is full: the small size fills it, as 10 products fill the
    # dashboard's "expiring soon" card (more than each card shows, then many more).
    paid_for_others=PAID_FOR_OTHERS_SHOWN + 1,
    members=3,
    credentials=3,
)
# All made with bulk_create, and no password hashing anywhere (the application passwords and the
# tokens are stored as digests, made up here), so 300 of each cost next to nothing.
LARGE = Size(products=10_000, paid_for_others=1_000, members=300, credentials=300)

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Europe/Zurich"))


@pytest.fixture(autouse=True)
def _clock_stands_still() -> Iterator[None]:
    """The session middleware writes "last seen" at most once a minute: a minute boundary between
    the two measures (growing takes seconds) would add a query that has nothing to do with the
    size."""
    with time_machine.travel(NOW, tick=False):
        yield


# --- The cast and the growth helpers ------------------------------------------------------------


@dataclass
class World:
    acme: Organization
    alice: User
    # Studio Carol: pays for some of Acme's products, and Acme for some of its.
    partner: Organization
    acme_owners: list[Contact]
    partner_owner: Contact
    tags: list[Tag]

    @property
    def today(self) -> date:
        return NOW.date()


def _contact(org: Organization, name: str, **fields: object) -> Contact:
    return Contact.objects.create(
        organization=org,
        name=name,
        email=f"{name.split()[0].lower()}@example.com",
        address="Rue du Lac 1",
        postal_code="1200",
        city="Genève",
        country="CH",
        **fields,
    )


@pytest.fixture
def world(alice: User, acme: Organization, studio_carol: Organization) -> World:
    tags = [
        do_create_tag(membership(alice, acme), name, colour.value, actor=alice)
        for name, colour in zip(
            ["Client A", "Client B", "Internal", "Urgent"], colours.PALETTE, strict=False
        )
    ]
    return World(
        acme=acme,
        alice=alice,
        partner=studio_carol,
        acme_owners=[
            _contact(acme, "Anna Acme", kind=Contact.Kind.COMPANY, company="Acme SA"),
            _contact(acme, "Alice Rossi", user=alice),  # a member: owns, is not "outside"
        ],
        partner_owner=_contact(studio_carol, "Carol Dubois"),
        tags=tags,
    )


def grow_products(world: World, size: Size) -> None:
    """Acme's products up to `size.products`, each with two of the four tags: every kind, one in
    five paid by Studio Carol, expiring from ten days ago to over a year from now (6 of the first
    10 in the next 30 days, so the dashboard's card is full at the small size too)."""
    start = Product.objects.filter(organization=world.acme).count()
    kinds = list(ProductKind)
    products = Product.objects.bulk_create(
        Product(
            organization=world.acme,
            kind=kinds[n % len(kinds)],
            name=f"acme-{n:05d}.ch",
            owner=world.acme_owners[n % 2],
            payer=world.partner if n % 5 == 4 else world.acme,
            expires_on=world.today + timedelta(days=(n * 3) % 400 - 10),
            auto_renew=n % 2 == 1,
            price=Decimal("15.00") + n % 7,
            created_at=NOW,
        )
        for n in range(start, size.products)
    )
    links = Tag.products.through
    tags = world.tags
    links.objects.bulk_create(
        links(tag=tags[(n + k) % len(tags)], product=product)
        for n, product in enumerate(products, start)
        for k in (0, 1)
    )


def grow_paid_for_others(world: World, size: Size) -> None:
    """Products that Studio Carol manages and Acme pays for, expiring in 100 to 300 days."""
    start = Product.objects.filter(organization=world.partner, payer=world.acme).count()
    Product.objects.bulk_create(
        Product(
            organization=world.partner,
            kind=ProductKind.WEB_HOSTING,
            name=f"carol-{n:04d}.ch",
            owner=world.partner_owner,
            payer=world.acme,
            expires_on=world.today + timedelta(days=100 + n % 200),
            price=Decimal("120.00"),
            created_at=NOW,
        )
        for n in range(start, size.paid_for_others)
    )


MEMBER_ROLES = [
    (Role.ADMINISTRATOR, False),
    (Role.COLLABORATOR, False),
    (Role.EXTERNAL, False),
    (Role.COLLABORATOR, True),  # with accounting rights
    (Role.LEGAL_REPRESENTATIVE, False),
]


def grow_members(world: World, size: Size) -> None:
    """Acme's members up to `size.members` (Alice is the first): every role, one in fifty
    deactivated. Their passwords are unusable: nobody signs in as them."""
    start = Membership.objects.filter(organization=world.acme).count()
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"member{n:03d}@example.com",
            first_name="Member",
            last_name=f"{n:03d}",
            password=unusable,
            email_verified_at=NOW,
            is_active=n % 50 != 49,
        )
        for n in range(start, size.members)
    )
    Membership.objects.bulk_create(
        Membership(organization=world.acme, user=user, role=role, billing_rights=rights)
        for user, (role, rights) in zip(
            users, islice(cycle(MEMBER_ROLES), start, None), strict=False
        )
    )


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def grow_sessions(world: World, size: Size) -> None:
    """Alice's other sessions (her own browser's comes on top), some unused for months."""
    start = Session.objects.filter(user=world.alice, user_agent=FIREFOX).count()
    Session.objects.bulk_create(
        Session(
            session_key=f"other{n:035d}",
            session_data="",
            expire_date=NOW + timedelta(hours=12),
            user=world.alice,
            ip_address=f"192.0.2.{n % 250}",
            user_agent=FIREFOX,
            created_at=NOW - timedelta(hours=n),
            last_activity=NOW - timedelta(hours=n),
        )
        for n in range(start, size.credentials)
    )


def grow_app_passwords(world: World, size: Size) -> None:
    """Alice's application passwords, newest first; one in three never used, made 100 days ago
    (the security review names those)."""
    start = ApplicationPassword.objects.filter(user=world.alice).count()
    ApplicationPassword.objects.bulk_create(
        ApplicationPassword(
            user=world.alice,
            name=f"Mail app {n:03d}",
            digest=f"{n:064x}",
            services=[AppService.MAIL, AppService.CALENDAR],
            created_at=NOW - timedelta(days=100 if n % 3 == 2 else 1, minutes=n),
            last_used_at=None if n % 3 == 2 else NOW - timedelta(hours=n),
            last_used_ip=None if n % 3 == 2 else "192.0.2.7",
            last_used_service="" if n % 3 == 2 else AppService.MAIL,
        )
        for n in range(start, size.credentials)
    )


def grow_tokens(world: World, size: Size) -> None:
    """Alice's API tokens for Acme, newest first: every scope; active, expired, deactivated,
    with and without an end date."""
    start = ApiToken.objects.filter(user=world.alice).count()
    scopes = list(SCOPES)
    ApiToken.objects.bulk_create(
        ApiToken(
            user=world.alice,
            organization=world.acme,
            name=f"Script {n:03d}",
            scope=scopes[n % len(scopes)],
            digest=f"{n:064x}",
            hint=f"{n:04d}",
            created_at=NOW - timedelta(hours=n),
            active_since=NOW - timedelta(hours=n),
            expires_at=[None, NOW + timedelta(days=30), NOW - timedelta(days=1)][n % 3],
            last_used_at=None if n % 2 else NOW - timedelta(hours=n),
            deactivated_at=NOW - timedelta(days=1) if n % 10 == 9 else None,
        )
        for n in range(start, size.credentials)
    )


def grow_events(world: World, size: Size) -> None:
    """Alice's security events, newest first."""
    start = AuditEvent.objects.filter(subject_user=world.alice).count()
    actions = ["app_password.created", "token.created", "token.revoked"]
    AuditEvent.objects.bulk_create(
        AuditEvent(
            created_at=NOW - timedelta(minutes=n),
            actor=world.alice,
            actor_email=world.alice.email,
            action=actions[n % len(actions)],
            subject_user=world.alice,
            target_repr=f"Event {n:03d}",
            ip_address="192.0.2.7",
        )
        for n in range(start, size.credentials)
    )


GROWTH: dict[str, Callable[[World, Size], None]] = {
    PRODUCTS: grow_products,
    PAID_FOR_OTHERS: grow_paid_for_others,
    MEMBERS: grow_members,
    SESSIONS: grow_sessions,
    APP_PASSWORDS: grow_app_passwords,
    TOKENS: grow_tokens,
    EVENTS: grow_events,
}


# --- What each page must show: its rows, so that an empty page cannot pass ---------------------


def _soonest_product(world: World) -> Product:
    """The first product of the dashboard's card and of the billing timeline."""
    products = Product.objects.filter(organization=world.acme, expires_on__gte=world.today)
    return products.order_by("expires_on", "pk")[0]


def _first_and_last_of_page_one(world: World) -> list[str]:
    """The members page lists 50 a page (every member at the small size)."""
    members = Membership.objects.for_org(world.acme).select_related("user").ordered_by_role()
    page = list(members[:50])
    return [page[0].user.email, page[-1].user.email]


def _tag_counts(world: World) -> list[str]:
    return [f"{Tag.products.through.objects.filter(tag=tag).count()} product" for tag in world.tags]


SHOWS: dict[str, Callable[[World, Size], list[str]]] = {
    "billing:product-list": lambda world, size: [
        Product.objects.filter(organization=world.acme).order_by("expires_on", "name", "pk")[0].name
    ],
    "organizations:dashboard": lambda world, size: [
        _soonest_product(world).name,
        world.tags[0].name,
    ],
    # The checklist counts the application passwords and names the unused ones (the last made
    # is one); the newest event is listed.
    "review:index": lambda world, size: [
        f"{size.credentials} application passwords",
        f"Mail app {max(n for n in range(size.credentials) if n % 3 == 2):03d}",
        "Event 000",
    ],
    "organizations:member-list": lambda world, size: _first_and_last_of_page_one(world),
    "tags:list": lambda world, size: [tag.name for tag in world.tags] + _tag_counts(world),
    # Not paginated: all of them, the oldest last.
    "security:app-passwords": lambda world, size: [f"Mail app {size.credentials - 1:03d}"],
    # 50 a page, the newest first.
    "tokens:list": lambda world, size: [
        "Script 000",
        f"Script {min(size.credentials, 50) - 1:03d}",
    ],
    "billing:overview": lambda world, size: [
        _soonest_product(world).name,  # the timeline
        "carol-0000.ch",  # the products Acme pays for others, and how many
        f"{size.paid_for_others} products",
    ],
}


# --- The test ----------------------------------------------------------------------------------


def grow(page: Page, world: World, size: Size) -> None:
    for kind in page.grows:
        GROWTH[kind](world, size)


def _assert_shows(page: Page, world: World, size: Size, html: str) -> None:
    missing = [text for text in SHOWS[page.url_name](world, size) if text not in html]
    assert not missing, f"{page.name} does not show {missing}"


def _normalized(sql: str) -> str:
    """The query without its values (and IN lists of any length), so the same query for another
    row counts as a repeat."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"IN \((?:\?, )*\?\)", "IN (...)", sql)


def _report(name: str, small: CaptureQueriesContext, large: CaptureQueriesContext) -> None:
    """Printed (pytest shows it when the test fails): the queries of the large size that the
    small size did not make as often, with how many times each."""
    before = Counter(_normalized(q["sql"]) for q in small.captured_queries)
    after = Counter(_normalized(q["sql"]) for q in large.captured_queries)
    print(
        f"{name}: {len(small.captured_queries)} queries small, {len(large.captured_queries)} large"
    )
    for sql, count in (after - before).items():
        print(f"  +{count} (small {before[sql]}, large {after[sql]}): {sql}")
    for sql, count in (before - after).items():
        print(f"  -{count} (small {before[sql]}, large {after[sql]}): {sql}")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_page_makes_the_same_queries_at_the_small_and_the_large_size(
    page: Page, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = signed_in(world.alice)
    url = reverse(page.url_name, args=[world.acme.slug] if page.of == ORG else [])
    grow(page, world, SMALL)
    # Warm-up, not measured: the first request of an organization's page writes the session (4
    # queries more), and a first request may fill per-process caches.
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    _assert_shows(page, world, SMALL, response.content.decode())

    grow(page, world, LARGE)
    with django_assert_num_queries(len(small.captured_queries)) as large:
        response = client.get(url)
        _report(page.name, small, large)
    assert response.status_code == 200
    _assert_shows(page, world, LARGE, response.content.decode())
