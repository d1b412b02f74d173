"""The renewal timeline of the billing page: the next twelve months of expiries, as an accessible
SVG chart and a table with the same data, built with one query."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from accounts.models import User
from billing.models import Product
from billing.timeline import BAR_MAX, BASELINE, SHOWN_PER_MONTH, build_timeline
from organizations.models import Membership, Organization, Role
from tests.conftest import signed_in
from tests.factories import MembershipFactory, ProductFactory, UserFactory

NOW = datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Europe/Zurich"))


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _static_root_exists(settings: Settings) -> None:
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def product(
    org: Organization, name: str, expires_on: date, price: str, **fields: object
) -> Product:
    return ProductFactory.create(
        organization=org, name=name, expires_on=expires_on, price=Decimal(price), **fields
    )


def membership_of(user: User, org: Organization) -> Membership:
    return Membership.objects.select_related("organization").get(user=user, organization=org)


@pytest.fixture
def expiries(acme: Organization, studio_carol: Organization) -> None:
    product(acme, "past.ch", date(2026, 3, 10), "99")  # expired already: not in the timeline
    product(acme, "march.ch", date(2026, 3, 20), "15")
    product(acme, "hosting.ch", date(2026, 3, 31), "120")
    product(acme, "may.ch", date(2026, 5, 1), "60.50")
    product(acme, "february.ch", date(2027, 2, 28), "15")  # the twelfth month
    product(acme, "too-late.ch", date(2027, 3, 1), "15")  # the thirteenth: not shown
    # Studio Carol pays for one of Acme's products; Studio Carol manages another of its own.
    product(acme, "bianchi-photo.ch", date(2026, 7, 10), "15", payer=studio_carol)
    product(studio_carol, "carol.ch", date(2026, 7, 20), "30")


def test_timeline_months_counts_and_totals(acme: Organization, alice: User, expiries: None) -> None:
    timeline = build_timeline(membership_of(alice, acme))

    months = [(m.start, m.count, m.total) for m in timeline.months]
    assert len(months) == 12
    assert months[0] == (date(2026, 3, 1), 2, Decimal("135.00"))
    assert months[1] == (date(2026, 4, 1), 0, Decimal("0.00"))
    assert months[2] == (date(2026, 5, 1), 1, Decimal("60.50"))
    assert months[4] == (date(2026, 7, 1), 1, Decimal("15.00"))  # bianchi-photo.ch: Acme manages it
    assert months[11] == (date(2027, 2, 1), 1, Decimal("15.00"))
    assert [m.count for m in timeline.months] == [2, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert (timeline.count, timeline.total) == (5, Decimal("225.50"))
    assert (timeline.first_day, timeline.last_day) == (date(2026, 3, 15), date(2027, 2, 28))
    assert timeline.busiest is not None
    assert timeline.busiest.start == date(2026, 3, 1)
    assert [p.name for p in timeline.months[0].products] == ["march.ch", "hosting.ch"]


def test_timeline_of_payer_includes_products_it_pays_for(
    studio_carol: Organization, carol: User, expiries: None
) -> None:
    timeline = build_timeline(membership_of(carol, studio_carol))

    july = timeline.months[4]
    assert july.start == date(2026, 7, 1)
    assert [p.name for p in july.products] == ["bianchi-photo.ch", "carol.ch"]
    assert (july.count, july.total) == (2, Decimal("45.00"))
    assert timeline.count == 2


def test_timeline_excludes_other_organizations(acme: Organization, alice: User, dave: User) -> None:
    keller = Organization.objects.get(slug="keller")
    product(keller, "keller.ch", date(2026, 4, 1), "15")

    timeline = build_timeline(membership_of(alice, acme))

    assert timeline.count == 0
    assert all(m.total == 0 for m in timeline.months)


def test_timeline_of_collaborator_with_accounting_shows_products_given_to_them(
    acme: Organization,
) -> None:
    accountant = UserFactory.create()
    MembershipFactory.create(
        organization=acme, user=accountant, role=Role.COLLABORATOR, billing_rights=True
    )
    given = product(acme, "given.ch", date(2026, 4, 1), "15")
    given.assignees.add(accountant)
    product(acme, "not-given.ch", date(2026, 4, 2), "15")

    timeline = build_timeline(membership_of(accountant, acme))

    assert [p.name for m in timeline.months for p in m.products] == ["given.ch"]


def test_timeline_lists_first_products_and_counts_the_rest(acme: Organization, alice: User) -> None:
    for day in range(1, 9):
        product(acme, f"p{day}.ch", date(2026, 6, day), "10")

    june = build_timeline(membership_of(alice, acme)).months[3]

    assert (june.count, june.total) == (8, Decimal("80.00"))
    assert [p.name for p in june.products] == [f"p{d}.ch" for d in range(1, SHOWN_PER_MONTH + 1)]
    assert june.more == 8 - SHOWN_PER_MONTH


def test_timeline_is_one_query_whatever_the_size(
    acme: Organization, alice: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    member = membership_of(alice, acme)
    for n in range(60):
        product(acme, f"bulk{n}.ch", date(2026, 4 + n % 9, 1 + n % 28), "12")

    with django_assert_num_queries(1):
        timeline = build_timeline(member)

    assert timeline.count == 60


def test_timeline_is_one_query_for_collaborator(
    acme: Organization, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    accountant = UserFactory.create()
    member = MembershipFactory.create(
        organization=acme, user=accountant, role=Role.COLLABORATOR, billing_rights=True
    )
    for n in range(10):
        product(acme, f"bulk{n}.ch", date(2026, 4, 1 + n), "12").assignees.add(accountant)

    with django_assert_num_queries(1):
        timeline = build_timeline(member)

    assert timeline.count == 10


def test_timeline_bars_scale_to_the_busiest_month(
    acme: Organization, alice: User, expiries: None
) -> None:
    months = build_timeline(membership_of(alice, acme)).months

    assert months[0].bar_height == BAR_MAX  # CHF 135, the most
    assert months[0].bar_y == BASELINE - BAR_MAX
    assert months[2].bar_height == int(Decimal("60.50") / Decimal("135") * BAR_MAX)
    assert months[1].bar_height == 0
    assert 0 < months[11].bar_height < months[2].bar_height


def test_timeline_free_products_still_show(acme: Organization, alice: User) -> None:
    product(acme, "free.ch", date(2026, 4, 1), "0")

    april = build_timeline(membership_of(alice, acme)).months[1]

    assert (april.count, april.total) == (1, Decimal("0.00"))
    assert april.bar_height > 0


def test_timeline_year_boundary(acme: Organization, alice: User) -> None:
    months = build_timeline(membership_of(alice, acme)).months

    assert [m.start.month for m in months] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2]
    assert [m.show_year for m in months] == [True] + [False] * 9 + [True, False]


# --- On the billing page -------------------------------------------------------------------------


def test_billing_page_renders_accessible_chart_and_table(
    as_alice: Client, acme: Organization, expiries: None
) -> None:
    page = as_alice.get("/orgs/acme/billing/").content.decode()

    start = page.index('<svg class="timeline__chart"')  # not the icons of the navigation
    svg = page[start : page.index("</svg>", start)]
    assert 'role="img"' in svg
    assert 'aria-labelledby="timeline-title timeline-desc"' in svg
    assert '<title id="timeline-title">Expiries in the next twelve months</title>' in svg
    desc = re.search(r'<desc id="timeline-desc">(.*?)</desc>', svg, re.S)
    assert desc is not None
    assert "5 products expire between 15 March 2026 and 28 February 2027, for CHF 225.50." in (
        desc.group(1)
    )
    assert "The most in March 2026: 2 products, CHF 135.00." in desc.group(1)
    assert svg.count('class="timeline__bar"') == 4
    assert 'style="' not in svg  # colours come from billing.css (the CSP allows no inline style)
    table = page[
        page.index('<table class="table--cards timeline__table">') : page.index(
            "</table>", page.index('<table class="table--cards timeline__table">')
        )
    ]
    assert table.count('<th scope="row">') == 12
    assert (
        '<th scope="row">March 2026</th>\n    <td data-label="Products">2</td>\n'
        '    <td data-label="Amount" class="amount">CHF 135.00</td>' in table
    )
    assert (
        '<th scope="row">April 2026</th>\n    <td data-label="Products">0</td>\n'
        '    <td data-label="Amount" class="amount">CHF 0.00</td>' in table
    )
    assert "hosting.ch" in table
    assert "too-late.ch" not in page
    # Acme's own products link to their page; a product of another organization would not.
    acme_product = Product.objects.get(name="march.ch")
    assert f'href="/orgs/acme/products/{acme_product.pk}/"' in table


def test_billing_page_links_to_products_when_month_has_more(
    as_alice: Client, acme: Organization
) -> None:
    for day in range(1, 8):
        product(acme, f"p{day}.ch", date(2026, 6, day), "10")

    page = as_alice.get("/orgs/acme/billing/").content.decode()

    assert '<a href="/orgs/acme/products/">and 2 more</a>' in page


def test_billing_page_of_partner_lists_paid_product_without_link(
    carol: User, studio_carol: Organization, expiries: None
) -> None:
    page = signed_in(carol).get("/orgs/studio-carol/billing/").content.decode()

    paid = Product.objects.get(name="bianchi-photo.ch")
    assert "bianchi-photo.ch" in page
    assert f"/products/{paid.pk}/" not in page


def test_billing_page_timeline_in_italian(acme: Organization, alice: User, expiries: None) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])

    response = signed_in(alice).get("/orgs/acme/billing/")

    assert response.status_code == 200
    assert 'role="img"' in response.content.decode()


def test_timeline_other_org_member_cannot_reach_it(as_dave: Client, acme: Organization) -> None:
    assert as_dave.get("/orgs/acme/billing/").status_code == 404


def test_timeline_hidden_from_member_without_accounting(
    as_erin: Client, acme: Organization
) -> None:
    assert as_erin.get("/orgs/acme/billing/").status_code == 403
