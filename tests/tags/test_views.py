"""The tag management page: who sees it, who changes it, and what each page says."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from billing.models import Product
from organizations.models import Organization
from tags.models import Tag
from tags.services import do_create_tag
from tests.conftest import membership, signed_in, visible_text
from tests.factories import ProductFactory

BLUE = "#0b5cad"


@pytest.fixture
def client_tag(alice: User, acme: Organization) -> Tag:
    return do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)


def _urls(tag: Tag) -> list[str]:
    return [
        reverse("tags:create", args=["acme"]),
        reverse("tags:edit", args=["acme", tag.pk]),
        reverse("tags:merge", args=["acme", tag.pk]),
        reverse("tags:delete", args=["acme", tag.pk]),
    ]


def test_an_outsider_gets_404_everywhere(dave: User, client_tag: Tag) -> None:
    client = signed_in(dave)
    for url in [reverse("tags:list", args=["acme"]), *_urls(client_tag)]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "colour": BLUE}).status_code == 404, url
    assert Tag.objects.get().name == "Client A"


def test_a_collaborator_sees_the_tags_but_cannot_change_them(erin: User, client_tag: Tag) -> None:
    client = signed_in(erin)
    page = client.get(reverse("tags:list", args=["acme"]))
    assert page.status_code == 200
    assert "Client A" in visible_text(page)
    assert "Add a tag" not in visible_text(page)
    for url in _urls(client_tag):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "Mine", "colour": BLUE}).status_code == 403, url
    assert Tag.objects.get().name == "Client A"


def test_another_organizations_tag_is_404(alice: User, dave: User, acme: Organization) -> None:
    keller = Organization.objects.get(slug="keller")
    theirs = do_create_tag(membership(dave, keller), "Theirs", BLUE, actor=dave)
    client = signed_in(alice)

    for url in [
        reverse("tags:edit", args=["acme", theirs.pk]),
        reverse("tags:delete", args=["acme", theirs.pk]),
        reverse("tags:merge", args=["acme", theirs.pk]),
    ]:
        assert client.post(url, {"name": "Mine", "colour": BLUE}).status_code == 404
    assert Tag.objects.get(pk=theirs.pk).name == "Theirs"


def test_the_list_counts_products_and_says_what_to_do_when_empty(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    empty = visible_text(as_alice.get(reverse("tags:list", args=["acme"])))
    assert "No tag yet" in empty
    assert "blue button" in empty
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    tag.products.add(*ProductFactory.create_batch(2, organization=acme))

    page = visible_text(as_alice.get(reverse("tags:list", args=["acme"])))
    assert "2 products" in page


def test_a_collaborator_counts_only_the_products_given_to_them(
    erin: User, client_tag: Tag, acme: Organization
) -> None:
    given, hidden = ProductFactory.create_batch(2, organization=acme)
    given.assignees.add(erin)
    client_tag.products.add(given, hidden)

    page = visible_text(signed_in(erin).get(reverse("tags:list", args=["acme"])))
    assert "1 product" in page
    assert "2 products" not in page


def test_create_a_tag(as_alice: Client) -> None:
    response = as_alice.post(
        reverse("tags:create", args=["acme"]), {"name": " Client  B ", "colour": "#0e7a5f"}
    )
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert (tag.name, tag.colour, tag.slug) == ("Client B", "#0e7a5f", "client-b")


def test_create_with_a_name_that_exists_keeps_the_input_and_says_why(
    as_alice: Client, client_tag: Tag
) -> None:
    response = as_alice.post(
        reverse("tags:create", args=["acme"]), {"name": "CLIENT  a", "colour": BLUE}
    )

    assert response.status_code == 400
    page = visible_text(response)
    assert "exists already" in page
    assert 'value="CLIENT  a"' in response.content.decode()
    assert Tag.objects.count() == 1


def test_create_with_an_unreadable_custom_colour_is_refused(as_alice: Client) -> None:
    response = as_alice.post(
        reverse("tags:create", args=["acme"]),
        {"name": "Grey", "colour": "custom", "custom_colour": "#7a7a7a"},
    )
    assert response.status_code == 400
    assert "hard to read" in visible_text(response)
    assert not Tag.objects.exists()


def test_create_with_a_readable_custom_colour(as_alice: Client) -> None:
    as_alice.post(
        reverse("tags:create", args=["acme"]),
        {"name": "Night", "colour": "custom", "custom_colour": "#101040"},
    )
    assert Tag.objects.get().colour == "#101040"


def test_rename_and_recolour(as_alice: Client, client_tag: Tag) -> None:
    response = as_alice.post(
        reverse("tags:edit", args=["acme", client_tag.pk]),
        {"name": "Key client", "colour": "#b3261e"},
    )
    assert response.status_code == 302
    client_tag.refresh_from_db()
    assert (client_tag.name, client_tag.colour) == ("Key client", "#b3261e")


def test_delete_asks_first_naming_how_many_products_lose_it(
    as_alice: Client, client_tag: Tag, acme: Organization
) -> None:
    client_tag.products.add(*ProductFactory.create_batch(3, organization=acme))
    url = reverse("tags:delete", args=["acme", client_tag.pk])

    confirm = as_alice.get(url)
    assert "3 products will lose this tag" in visible_text(confirm)
    assert Tag.objects.exists()

    done = as_alice.post(url, follow=True)
    assert "3 products lost it" in visible_text(done)
    assert not Tag.objects.exists()
    assert Product.objects.count() == 3


def test_merge_into_another_tag(
    as_alice: Client, alice: User, client_tag: Tag, acme: Organization
) -> None:
    target = do_create_tag(membership(alice, acme), "Customers", BLUE, actor=alice)
    client_tag.products.add(*ProductFactory.create_batch(2, organization=acme))

    response = as_alice.post(
        reverse("tags:merge", args=["acme", client_tag.pk]), {"target": target.pk}, follow=True
    )

    assert "2 products got it" in visible_text(response)
    assert list(Tag.objects.all()) == [target]
    assert target.products.count() == 2


def test_merge_into_a_tag_of_another_organization_is_refused(
    as_alice: Client, dave: User, client_tag: Tag
) -> None:
    keller = Organization.objects.get(slug="keller")
    theirs = do_create_tag(membership(dave, keller), "Theirs", BLUE, actor=dave)

    response = as_alice.post(
        reverse("tags:merge", args=["acme", client_tag.pk]), {"target": theirs.pk}
    )

    assert response.status_code == 400
    assert Tag.objects.filter(pk=client_tag.pk).exists()


def test_pages_change_nothing_on_get(as_alice: Client, client_tag: Tag) -> None:
    for url in _urls(client_tag):
        assert as_alice.get(url).status_code == 200
    client_tag.refresh_from_db()
    assert client_tag.name == "Client A"
