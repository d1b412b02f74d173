"""The dashboard shows what needs attention (issue 13, section 2): products expiring soon, the
security status, open offer requests, the balance; each card links to its page, shows only what
the person's role may see, never counts another organization's things, and costs a fixed number
of queries whatever the numbers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from billing.models import BillingAccount
from offers.models import OfferRequest
from organizations.models import Organization
from security.models import OrganizationSecurityPolicy
from tests.conftest import signed_in, with_authenticator
from tests.factories import ProductFactory
from tests.offers.test_services import make_request

DASHBOARD = "/orgs/acme/"


def main_of(client: Client) -> str:
    html = client.get(DASHBOARD).content.decode()
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def card(main: str, heading_id: str) -> str:
    """The card whose heading has this id ("" when the dashboard shows none)."""
    marker = f'aria-labelledby="{heading_id}"'
    if marker not in main:
        return ""
    return main.split(marker, 1)[1].split("</section>", 1)[0]


def in_days(n: int) -> Any:
    return timezone.localdate() + timedelta(days=n)


# --- Products expiring soon --------------------------------------------------------------------


def test_products_expiring_in_the_next_30_days_nearest_first(
    as_alice: Client, acme: Organization, dave: User
) -> None:
    ProductFactory.create(
        organization=acme, name="later.ch", expires_on=in_days(25), auto_renew=True
    )
    ProductFactory.create(organization=acme, name="sooner.ch", expires_on=in_days(3))
    ProductFactory.create(organization=acme, name="far.ch", expires_on=in_days(45))
    ProductFactory.create(organization=acme, name="gone.ch", expires_on=in_days(-1))
    keller = Organization.objects.get(slug="keller")
    ProductFactory.create(organization=keller, name="keller.de", expires_on=in_days(2))

    expiring = card(main_of(as_alice), "expiring-heading")

    assert "2 products expire in the next 30 days." in expiring
    assert expiring.index("sooner.ch") < expiring.index("later.ch")
    assert "far.ch" not in expiring
    assert "gone.ch" not in expiring
    assert "keller.de" not in expiring
    assert "Renew by hand" in expiring
    assert "Renews automatically" in expiring
    assert 'href="/orgs/acme/products/"' in expiring


def test_a_collaborator_sees_only_the_products_given_to_them(
    as_erin: Client, acme: Organization, erin: User
) -> None:
    ProductFactory.create(organization=acme, name="not-erins.ch", expires_on=in_days(5))
    given = ProductFactory.create(organization=acme, name="erins.ch", expires_on=in_days(6))
    given.assignees.add(erin)

    expiring = card(main_of(as_erin), "expiring-heading")

    assert "erins.ch" in expiring
    assert "not-erins.ch" not in expiring


def test_nothing_expiring_says_so(as_alice: Client) -> None:
    assert "No product expires in the next 30 days." in card(main_of(as_alice), "expiring-heading")


# --- The security status -----------------------------------------------------------------------


def test_my_two_factor_off_asks_to_set_it_up(as_alice: Client) -> None:
    security = card(main_of(as_alice), "security-card-heading")
    assert "Your account has no two-factor authentication" in security
    assert 'href="/security/two-factor/"' in security


def test_my_two_factor_on_says_so(alice: User) -> None:
    with_authenticator(alice)
    security = card(main_of(signed_in(alice, verified=True)), "security-card-heading")
    assert "Your account is protected by two-factor authentication." in security


def test_those_who_manage_members_see_who_lacks_two_factor(
    as_alice: Client, acme: Organization, alice: User, bob: User, erin: User, dave: User
) -> None:
    with_authenticator(bob)
    with_authenticator(dave)  # another organization's member: never counted
    OrganizationSecurityPolicy.objects.create(organization=acme, require_two_factor=False)

    security = card(main_of(as_alice), "security-card-heading")

    assert "2 members have no two-factor authentication." in security  # alice and erin
    assert "requires" not in security
    assert 'href="/orgs/acme/security/"' in security


def test_an_organization_that_requires_two_factor_says_so(
    alice: User, bob: User, acme: Organization
) -> None:
    with_authenticator(alice)
    with_authenticator(bob)
    OrganizationSecurityPolicy.objects.create(organization=acme, require_two_factor=True)

    security = card(main_of(signed_in(alice, verified=True)), "security-card-heading")

    assert "This organization requires two-factor authentication." in security
    assert "Every member has two-factor authentication." in security


def test_a_collaborator_is_not_told_about_other_members(as_erin: Client, alice: User) -> None:
    security = card(main_of(as_erin), "security-card-heading")
    assert "Your account has no two-factor authentication" in security
    assert "member" not in security


# --- Open offer requests -----------------------------------------------------------------------


def test_open_requests_with_their_proposals(
    as_alice: Client, acme: Organization, alice: User, dave: User
) -> None:
    make_request(acme, alice, title="Move our mail", valid_until=in_days(9))
    make_request(acme, alice, title="Closed one", status=OfferRequest.Status.CLOSED)
    make_request(acme, alice, title="Overdue one", valid_until=in_days(-1))
    make_request(Organization.objects.get(slug="keller"), dave, title="Keller's own")

    offers = card(main_of(as_alice), "offers-card-heading")

    assert "1 open request." in offers
    assert "Move our mail" in offers
    assert "0 proposals" in offers
    assert "Closed one" not in offers
    assert "Overdue one" not in offers
    assert "Keller" not in offers
    assert 'href="/orgs/acme/offers/"' in offers


def test_no_open_request_says_what_to_do(as_alice: Client) -> None:
    assert "No open request. Post one" in card(main_of(as_alice), "offers-card-heading")


# --- The balance -------------------------------------------------------------------------------


def test_the_balance_for_those_who_manage_billing(as_alice: Client, acme: Organization) -> None:
    BillingAccount.objects.create(organization=acme, balance=Decimal("120.50"))
    balance = card(main_of(as_alice), "balance-card-heading")
    assert "CHF 120.50" in balance
    assert 'href="/orgs/acme/billing/"' in balance


def test_no_balance_card_for_a_collaborator_without_accounting_rights(
    as_erin: Client, acme: Organization
) -> None:
    BillingAccount.objects.create(organization=acme, balance=Decimal("120.50"))
    main = main_of(as_erin)
    assert card(main, "balance-card-heading") == ""
    assert "120.50" not in main


# --- Cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [6, 30])
def test_the_dashboard_costs_the_same_queries_whatever_the_numbers(
    alice: User, acme: Organization, django_assert_num_queries: Any, n: int
) -> None:
    """More than each card shows, then five times as many: the same queries (each card lists a
    few and counts the rest in the database)."""
    client = signed_in(alice)
    for i in range(n):
        ProductFactory.create(organization=acme, expires_on=in_days(1 + i))
        make_request(acme, alice, title=f"Request {i}")
    client.get(DASHBOARD)  # warm the session and caches

    with django_assert_num_queries(QUERIES):
        client.get(DASHBOARD)


QUERIES = 19
