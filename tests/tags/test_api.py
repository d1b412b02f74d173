"""Tags and tagged products over the REST API: scope, organization and role."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from core.api_schema import NOT_ONLY_SPACES
from organizations.models import Organization
from tags.models import Tag
from tags.services import do_create_tag
from tests.conftest import membership
from tests.factories import ProductFactory
from tokens.scopes import SCOPES
from tokens.services import do_create_token

TAGS = "/api/v1/tags/"
PRODUCTS = "/api/v1/products/"
BLUE = "#0b5cad"


def _client(user: User, org: Organization, scope: str = "products") -> Client:
    _row, secret = do_create_token(
        user, organization=org, name=scope, scope=scope, expires_at=None, actor=user
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_only_products_tokens_reach_the_tags_api(
    alice: User, acme: Organization, scope: str
) -> None:
    client = _client(alice, acme, scope)

    read = client.get(TAGS)
    write = _send(client, "post", TAGS, {"name": "Client A", "colour": BLUE})

    if scope == "products":
        assert (read.status_code, write.status_code) == (200, 201)
    elif scope == "products-read":
        assert (read.status_code, write.status_code) == (200, 403)
    else:
        assert (read.status_code, write.status_code) == (403, 403)
        assert read.json()["error"] == "out_of_scope"


def test_create_rename_and_delete_a_tag(alice: User, acme: Organization) -> None:
    client = _client(alice, acme)

    created = _send(client, "post", TAGS, {"name": " Client  A ", "colour": BLUE})
    assert created.json() == {"slug": "client-a", "name": "Client A", "colour": BLUE, "products": 0}
    renamed = _send(client, "patch", f"{TAGS}client-a/", {"name": "Key client"})
    assert renamed.status_code == 200
    assert renamed.json()["slug"] == "key-client"
    assert client.delete(f"{TAGS}key-client/").status_code == 204
    assert not Tag.objects.exists()


def test_a_duplicate_name_is_a_409_and_an_unreadable_colour_a_422_that_say_why(
    alice: User, acme: Organization
) -> None:
    client = _client(alice, acme)
    _send(client, "post", TAGS, {"name": "Client A"})

    twin = _send(client, "post", TAGS, {"name": "client a"})
    grey = _send(client, "post", TAGS, {"name": "Grey", "colour": "#7a7a7a"})

    assert twin.status_code == 409
    assert twin.json()["error"] == "already_exists"
    assert "exists already" in twin.json()["detail"]
    assert grey.status_code == 422
    assert grey.json()["error"] == "unreadable_colour"
    assert "hard to read" in grey.json()["detail"]
    assert Tag.objects.count() == 1


def test_a_collaborator_reads_tags_but_cannot_change_them(
    alice: User, erin: User, acme: Organization
) -> None:
    do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    client = _client(erin, acme)

    assert client.get(TAGS).status_code == 200
    assert _send(client, "post", TAGS, {"name": "Mine"}).status_code == 403
    assert _send(client, "patch", f"{TAGS}client-a/", {"colour": "#b3261e"}).status_code == 403
    assert client.delete(f"{TAGS}client-a/").status_code == 403
    assert Tag.objects.get().colour == BLUE


def test_another_organizations_tag_is_404(alice: User, dave: User, acme: Organization) -> None:
    keller = Organization.objects.get(slug="keller")
    do_create_tag(membership(dave, keller), "Theirs", BLUE, actor=dave)
    client = _client(alice, acme)

    assert client.get(f"{TAGS}theirs/").status_code == 404
    assert client.delete(f"{TAGS}theirs/").status_code == 404
    assert client.get(TAGS).json()["count"] == 0
    assert Tag.objects.filter(slug="theirs").exists()


def test_products_filtered_by_tags_must_carry_every_tag(alice: User, acme: Organization) -> None:
    first = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    second = do_create_tag(membership(alice, acme), "Urgent", BLUE, actor=alice)
    both, only_first, _none = (
        ProductFactory.create(organization=acme, name=n) for n in ("both.ch", "first.ch", "none.ch")
    )
    first.products.add(both, only_first)
    second.products.add(both)
    client = _client(alice, acme, "products-read")

    def names(query: str) -> list[str]:
        return [p["name"] for p in client.get(f"{PRODUCTS}{query}").json()["results"]]

    assert names("") == ["both.ch", "first.ch", "none.ch"]
    assert names("?tag=client-a") == ["both.ch", "first.ch"]
    assert names("?tag=client-a&tag=urgent") == ["both.ch"]
    assert names("?tag=nonexistent") == []
    assert client.get(f"{PRODUCTS}?tag=urgent").json()["results"][0]["tags"] == [
        "client-a",
        "urgent",
    ]


def test_a_collaborator_lists_only_the_products_given_to_them(
    alice: User, erin: User, acme: Organization
) -> None:
    given = ProductFactory.create(organization=acme, name="given.ch")
    ProductFactory.create(organization=acme, name="hidden.ch")
    given.assignees.add(erin)

    results = _client(erin, acme, "products-read").get(PRODUCTS).json()["results"]

    assert [p["name"] for p in results] == ["given.ch"]


def test_products_of_another_organization_never_appear(
    alice: User, dave: User, acme: Organization
) -> None:
    keller = Organization.objects.get(slug="keller")
    ProductFactory.create(organization=keller, name="keller.de")

    assert _client(alice, acme).get(PRODUCTS).json()["count"] == 0


def test_the_products_list_makes_the_same_queries_for_few_and_many(
    alice: User, acme: Organization, django_assert_max_num_queries: Any
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    client = _client(alice, acme, "products-read")
    tag.products.add(*ProductFactory.create_batch(2, organization=acme))
    client.get(PRODUCTS)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(f"{PRODUCTS}?tag=client-a")
    tag.products.add(*ProductFactory.create_batch(40, organization=acme))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"{PRODUCTS}?tag=client-a")


def _tags(alice: User, acme: Organization, count: int) -> list[Tag]:
    return [
        do_create_tag(membership(alice, acme), f"Tag {n}", BLUE, actor=alice) for n in range(count)
    ]


def test_more_tags_than_the_web_list_allows_is_a_400(alice: User, acme: Organization) -> None:
    """Issue 12, finding 1: every `tag` used to add a join; 300 made PostgreSQL work for minutes."""
    tags = _tags(alice, acme, 11)
    client = _client(alice, acme, "products-read")
    query = "&".join(f"tag={tag.slug}" for tag in tags)

    response = client.get(f"{PRODUCTS}?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid"
    assert "10" in body["fields"]["tag"][0]


def test_copies_of_one_tag_count_once_up_to_the_documented_maximum(
    alice: User, acme: Organization
) -> None:
    """The schema says `maxItems: 10`: ten copies are one filter, eleven are refused (issue 15:
    a generated client cannot know that copies would count once)."""
    (tag,) = _tags(alice, acme, 1)
    tag.products.add(ProductFactory.create(organization=acme, name="tagged.ch"))
    ProductFactory.create(organization=acme, name="untagged.ch")
    client = _client(alice, acme, "products-read")

    ten = client.get(f"{PRODUCTS}?" + "&".join([f"tag={tag.slug}"] * 10))
    eleven = client.get(f"{PRODUCTS}?" + "&".join([f"tag={tag.slug}"] * 11))

    assert ten.status_code == 200
    assert [p["name"] for p in ten.json()["results"]] == ["tagged.ch"]
    assert eleven.status_code == 400


def test_the_tag_filter_is_one_query_whatever_the_number_of_tags(
    alice: User, acme: Organization
) -> None:
    """The SQL of the list must not grow with the tags asked for: one join, not one per tag."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tags = _tags(alice, acme, 10)
    product = ProductFactory.create(organization=acme, name="all.ch")
    for tag in tags:
        tag.products.add(product)
    client = _client(alice, acme, "products-read")

    def captured(count: int) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{PRODUCTS}?" + "&".join(f"tag={t.slug}" for t in tags[:count]))
        assert [p["name"] for p in response.json()["results"]] == ["all.ch"]
        return [q["sql"] for q in queries.captured_queries]

    captured(1)  # the first request also looks the token up; the next ones find it cached
    one, ten = captured(1), captured(10)

    assert len(one) == len(ten)
    assert [sql.count("JOIN") for sql in one] == [sql.count("JOIN") for sql in ten]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        # U+001C..U+001F count as spaces for Python's strip(): a name of them alone is blank.
        ("\x1c", "This field may not be blank."),
        ("\u3000\x1f", "This field may not be blank."),
        # The schema's maxLength counts the text as sent, leading space included.
        (" " + "x" * 30, "Ensure this field has no more than 30 characters."),
    ],
)
def test_a_tag_name_is_judged_as_the_schema_says(
    alice: User, acme: Organization, name: str, error: str
) -> None:
    """Schemathesis found both (issue 15's contract): the schema allowed a blank name of
    separators, and DRF accepted 31 characters once trimmed to 30."""
    response = _send(_client(alice, acme), "post", "/api/v1/tags/", {"name": name})

    assert response.status_code == 400
    assert response.json()["fields"]["name"] == [error]
    assert not Tag.objects.exists()


def test_the_schema_calls_blank_what_the_api_calls_blank() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]

    assert all(re.fullmatch(NOT_ONLY_SPACES, space * 2) is None for space in spaces)
    assert re.fullmatch(NOT_ONLY_SPACES, "\x1c Website \u3000") is not None
