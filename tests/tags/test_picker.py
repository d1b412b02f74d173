"""The Tag column of the products list: chips, the picker in place, and filtering by tags."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from billing.models import Product
from organizations.models import Organization
from tags import colours
from tags.models import Tag
from tags.services import do_create_tag
from tests.conftest import membership, signed_in, visible_text
from tests.factories import ContactFactory, ProductFactory

BLUE = "#0b5cad"
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _picker(product: Product) -> str:
    return reverse("tags:product-tags", args=["acme", product.pk])


@pytest.fixture
def domain(acme: Organization) -> Product:
    return ProductFactory.create(organization=acme, name="acme.ch")


@pytest.fixture
def client_a(alice: User, acme: Organization) -> Tag:
    return do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)


def test_the_list_shows_each_products_tags(
    as_alice: Client, domain: Product, client_a: Tag
) -> None:
    client_a.products.add(domain)

    page = as_alice.get(reverse("billing:product-list", args=["acme"]))

    html = page.content.decode()
    assert ">Tag</th>" in html
    assert f'id="product-tags-{domain.pk}"' in html
    assert "Client A" in visible_text(page)
    assert "Tags of acme.ch" in visible_text(page)


def test_filter_by_tags_keeps_products_with_every_tag(
    as_alice: Client, alice: User, acme: Organization, client_a: Tag
) -> None:
    urgent = do_create_tag(membership(alice, acme), "Urgent", BLUE, actor=alice)
    both = ProductFactory.create(organization=acme, name="both.ch")
    first = ProductFactory.create(organization=acme, name="first.ch")
    ProductFactory.create(organization=acme, name="none.ch")
    client_a.products.add(both, first)
    urgent.products.add(both)
    url = reverse("billing:product-list", args=["acme"])

    one = visible_text(as_alice.get(url, {"tag": ["client-a"]}))
    two = visible_text(as_alice.get(url, {"tag": ["client-a", "urgent"]}))
    unknown = visible_text(as_alice.get(url, {"tag": ["nope"]}))

    assert "both.ch" in one
    assert "first.ch" in one
    assert "none.ch" not in one
    assert "both.ch" in two
    assert "first.ch" not in two
    assert "No product matches these filters" in unknown


def test_the_list_makes_the_same_queries_with_2_and_with_50_tags_on_1000_products(
    as_alice: Client, alice: User, acme: Organization, django_assert_max_num_queries: Any
) -> None:
    owner = ContactFactory.create(organization=acme)
    template = ProductFactory.build(organization=acme, owner=owner, payer=acme)
    Product.objects.bulk_create(
        [
            Product(
                organization=acme,
                kind=template.kind,
                name=f"p{n:04d}.ch",
                owner=owner,
                payer=acme,
                expires_on=template.expires_on,
                price=template.price,
            )
            for n in range(1000)
        ]
    )
    products = list(Product.objects.all())
    links = Tag.products.through
    url = reverse("billing:product-list", args=["acme"])

    def add_tags(first: int, last: int) -> None:
        for n in range(first, last):
            tag = do_create_tag(membership(alice, acme), f"Tag {n}", BLUE, actor=alice)
            links.objects.bulk_create([links(tag=tag, product=p) for p in products[n::7]])

    add_tags(0, 2)
    with CaptureQueriesContext(connection) as two_tags:
        assert as_alice.get(url).status_code == 200
    add_tags(2, 50)

    with django_assert_max_num_queries(len(two_tags.captured_queries)):
        assert as_alice.get(url).status_code == 200


def test_the_picker_opens_in_place_and_without_javascript(
    as_alice: Client, domain: Product, client_a: Tag
) -> None:
    fragment = as_alice.get(_picker(domain), **HTMX)
    page = as_alice.get(_picker(domain))

    assert "<html" not in fragment.content.decode()
    assert "Find or create a tag" in visible_text(fragment)
    assert "Client A" in visible_text(fragment)
    assert "<h1>" in page.content.decode()


def test_typing_filters_and_offers_to_create_a_new_name(
    as_alice: Client, domain: Product, client_a: Tag
) -> None:
    found = visible_text(as_alice.get(_picker(domain), {"q": "client"}, **HTMX))
    new = visible_text(as_alice.get(_picker(domain), {"q": "Urgent"}, **HTMX))
    same = visible_text(as_alice.get(_picker(domain), {"q": "CLIENT a"}, **HTMX))

    assert "Client A" in found
    assert "Create “Urgent”" in new
    assert "Client A" not in new
    assert "Create" not in same


def test_ticking_assigns_and_unticking_removes_only_the_shown_tags(
    as_alice: Client, alice: User, acme: Organization, domain: Product, client_a: Tag
) -> None:
    hidden = do_create_tag(membership(alice, acme), "Urgent", BLUE, actor=alice)
    hidden.products.add(domain)

    as_alice.post(_picker(domain), {"shown": ["client-a"], "tag": ["client-a"]}, **HTMX)
    assert set(domain.tags.values_list("slug", flat=True)) == {"client-a", "urgent"}

    response = as_alice.post(_picker(domain), {"shown": ["client-a"]}, **HTMX)
    assert "“Client A” removed" in visible_text(response)
    assert list(domain.tags.values_list("slug", flat=True)) == ["urgent"]


def test_create_from_the_picker_assigns_the_new_tag(as_alice: Client, domain: Product) -> None:
    response = as_alice.post(
        _picker(domain), {"action": "create", "q": "Urgent", "colour": "#b3261e"}, **HTMX
    )

    assert response.status_code == 200
    assert "created and added" in visible_text(response)
    assert list(domain.tags.values_list("name", "colour")) == [("Urgent", "#b3261e")]


def test_create_a_twin_name_from_the_picker_says_why(
    as_alice: Client, domain: Product, client_a: Tag
) -> None:
    response = as_alice.post(
        _picker(domain), {"action": "create", "q": "client  A", "colour": BLUE}, **HTMX
    )
    assert "exists already" in visible_text(response)
    assert Tag.objects.count() == 1


def test_a_collaborator_applies_tags_but_cannot_create_them(
    erin: User, acme: Organization, domain: Product, client_a: Tag
) -> None:
    domain.assignees.add(erin)
    client = signed_in(erin)

    client.post(_picker(domain), {"shown": ["client-a"], "tag": ["client-a"]}, **HTMX)
    refused = client.post(_picker(domain), {"action": "create", "q": "Mine"}, **HTMX)

    assert list(domain.tags.values_list("slug", flat=True)) == ["client-a"]
    assert refused.status_code == 403
    assert Tag.objects.count() == 1


def test_products_not_visible_to_the_member_are_404(
    erin: User, dave: User, domain: Product, client_a: Tag
) -> None:
    for client in (signed_in(erin), signed_in(dave)):
        assert client.get(_picker(domain)).status_code == 404
        assert (
            client.post(_picker(domain), {"shown": ["client-a"], "tag": ["client-a"]}).status_code
            == 404
        )
    assert not domain.tags.exists()


def test_done_puts_the_cell_back(as_alice: Client, domain: Product, client_a: Tag) -> None:
    client_a.products.add(domain)

    cell = as_alice.get(reverse("tags:product-tag-cell", args=["acme", domain.pk]), **HTMX)

    assert "Client A" in visible_text(cell)
    assert "Tags of acme.ch" in visible_text(cell)


def test_without_javascript_a_post_redirects_back_to_the_picker(
    as_alice: Client, domain: Product, client_a: Tag
) -> None:
    response = as_alice.post(_picker(domain), {"shown": ["client-a"], "tag": ["client-a"]})

    assert response.status_code == 302
    assert response["Location"] == _picker(domain)
    assert domain.tags.count() == 1


def test_the_product_page_shows_its_tags_with_the_picker(
    as_alice: Client, domain: Product, client_a: Tag
) -> None:
    client_a.products.add(domain)

    page = visible_text(as_alice.get(reverse("billing:product-detail", args=["acme", domain.pk])))

    assert "Tag Client A" in page
    assert "Tags of acme.ch" in page


@pytest.mark.parametrize("typed", ["clientivip", "CLIENTI  vip", "tivi"])
def test_a_name_written_without_its_spaces_finds_the_existing_tag(
    as_alice: Client, alice: User, acme: Organization, domain: Product, typed: str
) -> None:
    """Issue 13, defect 4: "clientivip" said "no tag matches" for "Clienti VIP" and offered no
    way forward (creating it is refused as a twin)."""
    do_create_tag(membership(alice, acme), "Clienti VIP", BLUE, actor=alice)

    found = visible_text(as_alice.get(_picker(domain), {"q": typed}, **HTMX))

    assert "Clienti VIP" in found
    assert "No tag matches" not in found


def test_the_colours_to_choose_are_shown_as_swatches(as_alice: Client, domain: Product) -> None:
    """Issue 13, defect 4: the colours were names only ("Ardesia", "Menta")."""
    html = as_alice.get(_picker(domain), {"q": "Urgent"}, **HTMX).content.decode()

    for colour in colours.PALETTE:
        assert f'<rect width="100%" height="100%" fill="{colour.value}"/></svg> ' in html
