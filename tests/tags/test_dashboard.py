"""The dashboard groups the products a member may see by tag."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from organizations.models import Organization
from tags.services import do_create_tag
from tests.conftest import membership, signed_in, visible_text
from tests.factories import ProductFactory

BLUE = "#0b5cad"


def test_the_dashboard_groups_products_by_tag(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    tag.products.add(ProductFactory.create(organization=acme, name="client-a.ch"))
    ProductFactory.create(organization=acme, name="loose.ch")

    page = visible_text(as_alice.get(reverse("organizations:dashboard", args=["acme"])))

    assert "Products by tag" in page
    assert "Client A 1 product : client-a.ch" in page.replace("  ", " ")
    assert "1 product without a tag" in page


def test_a_collaborator_sees_only_the_products_given_to_them(
    alice: User, erin: User, acme: Organization
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    given = ProductFactory.create(organization=acme, name="given.ch")
    given.assignees.add(erin)
    tag.products.add(given, ProductFactory.create(organization=acme, name="secret.ch"))

    page = visible_text(signed_in(erin).get(reverse("organizations:dashboard", args=["acme"])))

    assert "given.ch" in page
    assert "secret.ch" not in page


def test_the_dashboard_makes_the_same_queries_for_2_and_for_50_tags(
    as_alice: Client, alice: User, acme: Organization, django_assert_max_num_queries: Any
) -> None:
    products = ProductFactory.create_batch(20, organization=acme)
    url = reverse("organizations:dashboard", args=["acme"])
    for n in range(2):
        do_create_tag(membership(alice, acme), f"Tag {n}", BLUE, actor=alice).products.add(
            *products
        )
    with CaptureQueriesContext(connection) as few:
        as_alice.get(url)
    for n in range(2, 50):
        do_create_tag(membership(alice, acme), f"Tag {n}", BLUE, actor=alice).products.add(
            *products
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        as_alice.get(url)
