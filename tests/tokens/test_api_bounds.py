"""What one API request may cost (issue 12, finding 3): a page holds at most 200 objects whatever
`?limit=` asks, the schema says so, and mailing lists and subscribers have quotas."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from core.api import BoundedPagination
from organizations.models import Organization
from tokens.models import MailingList, Subscriber
from tokens.services import do_create_token

LISTS = "/api/v1/newsletter/lists/"


def _client(user: User, org: Organization) -> Client:
    _row, secret = do_create_token(
        user, organization=org, name="newsletter", scope="newsletter", expires_at=None, actor=user
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _subscribers(mailing_list: MailingList, count: int) -> None:
    Subscriber.objects.bulk_create(
        Subscriber(mailing_list=mailing_list, email=f"reader{n}@example.com") for n in range(count)
    )


def test_a_huge_limit_is_refused_and_200_is_a_page_of_200(alice: User, acme: Organization) -> None:
    """The attack: `?limit=100000000` on a list of 300,000 subscribers returned 38.7 MB. It is
    refused now, as the schema's maximum says (issue 15); the largest page holds 200."""
    mailing_list = MailingList.objects.create(organization=acme, name="News")
    _subscribers(mailing_list, 201)
    client = _client(alice, acme)

    huge = client.get(f"{LISTS}{mailing_list.pk}/subscribers/?limit=100000000")
    largest = client.get(f"{LISTS}{mailing_list.pk}/subscribers/?limit=200")

    assert huge.status_code == 400
    assert huge.json() == {
        "error": "invalid",
        "fields": {"limit": ["Enter a whole number from 1 to 200."]},
    }
    body = largest.json()
    assert (body["count"], len(body["results"])) == (201, BoundedPagination.max_limit) == (201, 200)
    assert "offset=200" in body["next"]


@pytest.mark.parametrize(
    "query",
    [
        "offset=null",
        "offset=null&offset=null",
        "offset=-1",
        "offset=%2B5",
        "limit=1_0",
        "limit=0",
        "limit=abc",
        "offset=1&offset=2",
    ],
)
def test_pagination_that_is_not_what_the_schema_says_is_refused(
    alice: User, acme: Organization, query: str
) -> None:
    response = _client(alice, acme).get(f"{LISTS}?{query}")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert set(response.json()["fields"]) <= {"limit", "offset"}


def test_the_same_offset_twice_is_still_one_offset(alice: User, acme: Organization) -> None:
    response = _client(alice, acme).get(f"{LISTS}?offset=0&offset=0")

    assert response.status_code == 200


def test_every_list_endpoint_documents_the_maximum_page_size(db: Any) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    limits = {
        path: parameter["schema"]
        for path, operations in schema["paths"].items()
        for parameter in operations.get("get", {}).get("parameters", [])
        if parameter["name"] == "limit"
    }

    assert {"/api/v1/newsletter/lists/", "/api/v1/products/", "/api/v1/tags/"} <= set(limits)
    assert all((schema["maximum"], schema["minimum"]) == (200, 1) for schema in limits.values()), (
        limits
    )


def test_an_organization_has_at_most_the_quota_of_lists(
    alice: User, acme: Organization, settings: Any
) -> None:
    settings.NEWSLETTER_MAX_LISTS = 2
    client = _client(alice, acme)
    first, second = (_post(client, LISTS, {"name": name}) for name in ("One", "Two"))

    third = _post(client, LISTS, {"name": "Three"})

    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 409)
    assert third.json()["error"] == "quota_exceeded"
    assert "2" in third.json()["detail"]
    assert MailingList.objects.filter(organization=acme).count() == 2


def test_a_list_has_at_most_the_quota_of_subscribers(
    alice: User, acme: Organization, settings: Any
) -> None:
    settings.NEWSLETTER_MAX_SUBSCRIBERS = 3
    mailing_list = MailingList.objects.create(organization=acme, name="News")
    _subscribers(mailing_list, 3)
    other = MailingList.objects.create(organization=acme, name="Other")
    client = _client(alice, acme)

    refused = _post(client, f"{LISTS}{mailing_list.pk}/subscribers/", {"email": "x@example.com"})
    elsewhere = _post(client, f"{LISTS}{other.pk}/subscribers/", {"email": "x@example.com"})

    assert refused.status_code == 409
    assert refused.json()["error"] == "quota_exceeded"
    assert mailing_list.subscribers.count() == 3
    assert elsewhere.status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers, so no race happens",
)
def test_parallel_subscriptions_stop_at_the_quota(
    alice: User, acme: Organization, settings: Any
) -> None:
    settings.NEWSLETTER_MAX_SUBSCRIBERS = 5
    mailing_list = MailingList.objects.create(organization=acme, name="News")
    _subscribers(mailing_list, 4)
    client = _client(alice, acme)
    barrier = threading.Barrier(8, timeout=30)
    statuses: list[int] = []

    def subscribe(n: int) -> None:
        try:
            barrier.wait()
            url = f"{LISTS}{mailing_list.pk}/subscribers/"
            statuses.append(_post(client, url, {"email": f"new{n}@example.com"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=subscribe, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * 7  # quota_exceeded: a conflict with what exists
    assert mailing_list.subscribers.count() == 5
