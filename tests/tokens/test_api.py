"""The REST API with API tokens: who gets in, what each refusal says, and what a token reaches."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.crypto import digest
from core.models import Notification
from organizations.models import Organization
from organizations.services import do_remove_member
from tests.conftest import membership
from tokens import format as token_format
from tokens.models import ApiToken, MailingList, Subscriber
from tokens.scopes import SCOPES
from tokens.services import do_create_token, do_revoke_tokens

LISTS = "/api/v1/newsletter/lists/"


def _token(user: User, org: Organization, scope: str = "newsletter") -> str:
    _token_row, secret = do_create_token(
        user, organization=org, name=scope, scope=scope, expires_at=None, actor=user
    )
    return secret


def _api(secret: str | None = None, header: str | None = None) -> Client:
    if header is None and secret is not None:
        header = f"Bearer {secret}"
    return Client(HTTP_AUTHORIZATION=header) if header is not None else Client()


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_no_credentials_is_401_with_a_code(db: Any) -> None:
    response = Client().get(LISTS)

    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_a_browser_session_does_not_open_the_api(as_alice: Client) -> None:
    assert as_alice.get(LISTS).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ptk_short",
        "Bearer a b",
        "Bearer ptk_" + "a" * 38,  # right length, wrong checksum
        "Bearer \u00e9\u00e9\u00e9",
    ],
)
def test_malformed_tokens_are_refused_before_any_lookup(db: Any, header: str) -> None:
    response = _api(header=header).get(LISTS)

    assert response.status_code == 401
    assert response.json()["error"] == "malformed_token"


def test_well_formed_unknown_token_is_unknown(db: Any) -> None:
    response = _api(token_format.generate()).get(LISTS)

    assert response.status_code == 401
    assert response.json()["error"] == "unknown_token"


def test_revoked_expired_and_deactivated_tokens_say_which(alice: User, acme: Organization) -> None:
    revoked, expired, deactivated = (_token(alice, acme) for _ in range(3))
    rows = {t.digest: t for t in ApiToken.objects.all()}
    do_revoke_tokens(alice, [rows[digest(revoked)].pk], actor=alice)
    ApiToken.objects.filter(digest=digest(expired)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    ApiToken.objects.filter(digest=digest(deactivated)).update(deactivated_at=timezone.now())

    for secret, code in [
        (revoked, "revoked_token"),
        (expired, "expired_token"),
        (deactivated, "deactivated_token"),
    ]:
        response = _api(secret).get(LISTS)
        assert response.status_code == 401, code
        assert response.json()["error"] == code


def test_a_token_of_someone_who_left_the_organization_stops_working(
    alice: User, bob: User, acme: Organization
) -> None:
    secret = _token(bob, acme)
    do_remove_member(membership(bob, acme), actor=alice)

    assert _api(secret).get(LISTS).json()["error"] == "unknown_token"


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_only_a_newsletter_token_reaches_the_newsletter_api(
    alice: User, acme: Organization, scope: str
) -> None:
    secret = _token(alice, acme, scope)
    client = _api(secret)

    responses = [client.get(LISTS), _post(client, LISTS, {"name": "News"})]

    if scope == "newsletter":
        assert [r.status_code for r in responses] == [200, 201]
    else:
        assert [r.status_code for r in responses] == [403, 403]
        assert {r.json()["error"] for r in responses} == {"out_of_scope"}
        assert not MailingList.objects.exists()


def test_another_organizations_lists_are_404(alice: User, dave: User, acme: Organization) -> None:
    keller = Organization.objects.get(slug="keller")
    theirs = MailingList.objects.create(organization=keller, name="Keller news")
    client = _api(_token(alice, acme))

    assert client.get(f"{LISTS}{theirs.pk}/").status_code == 404
    assert client.delete(f"{LISTS}{theirs.pk}/").status_code == 404
    assert client.get(f"{LISTS}{theirs.pk}/subscribers/").status_code == 404
    assert (
        _post(client, f"{LISTS}{theirs.pk}/subscribers/", {"email": "x@example.com"}).status_code
        == 404
    )
    assert client.get(LISTS).json()["count"] == 0
    assert MailingList.objects.filter(pk=theirs.pk).exists()


def test_newsletter_lists_and_subscribers(alice: User, acme: Organization) -> None:
    client = _api(_token(alice, acme))

    created = _post(client, LISTS, {"name": "Customers"})
    list_id = created.json()["id"]
    added = _post(client, f"{LISTS}{list_id}/subscribers/", {"email": "Ann@Example.com"})
    duplicate = _post(client, f"{LISTS}{list_id}/subscribers/", {"email": "ann@example.com"})
    bad = _post(client, f"{LISTS}{list_id}/subscribers/", {"email": "not an address"})

    assert added.status_code == 201
    assert added.json()["email"] == "ann@example.com"
    assert duplicate.status_code == 409  # the request is valid; what exists forbids it
    assert duplicate.json()["error"] == "already_exists"
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid"
    listed = client.get(f"{LISTS}{list_id}/subscribers/").json()
    assert [s["email"] for s in listed["results"]] == ["ann@example.com"]
    subscriber = Subscriber.objects.get()
    assert client.delete(f"{LISTS}{list_id}/subscribers/{subscriber.pk}/").status_code == 204
    assert client.delete(f"{LISTS}{list_id}/").status_code == 204
    assert not MailingList.objects.exists()


def test_last_use_is_written_at_most_once_a_minute(
    alice: User, acme: Organization, django_assert_max_num_queries: Any
) -> None:
    secret = _token(alice, acme)
    client = _api(secret)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(LISTS)
        first = ApiToken.objects.get().last_used_at
        with django_assert_max_num_queries(4):  # token, membership, lists (+count): no UPDATE
            client.get(LISTS)
    assert first == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(LISTS, REMOTE_ADDR="203.0.113.9")
    token = ApiToken.objects.get()
    assert token.last_used_at == start + timedelta(seconds=61)
    assert token.last_used_ip == "203.0.113.9"
    assert token.active_since == token.last_used_at


def test_schema_and_docs_are_served_by_the_portal(db: Any) -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    docs = Client().get("/api/docs/")

    assert schema.status_code == 200
    assert docs.status_code == 200
    body = json.loads(schema.content)
    assert "apiToken" in body["components"]["securitySchemes"]
    assert "/api/v1/newsletter/lists/" in body["paths"]


LEAKED = "/api/v1/tokens/revoke-leaked"


def test_revoke_leaked_answers_the_same_way_and_revokes_only_real_tokens(
    alice: User, acme: Organization
) -> None:
    real = _token(alice, acme)
    reports = [[real], [token_format.generate()], ["not a token"], [real]]

    answers = [_post(Client(), LEAKED, {"tokens": tokens}) for tokens in reports]

    assert {(a.status_code, a.content) for a in answers} == {(202, b'{"status":"received"}')}
    token = ApiToken.objects.get()
    assert token.status == ApiToken.Status.REVOKED
    assert _api(real).get(LISTS).json()["error"] == "revoked_token"
    assert Notification.objects.filter(kind="token_leaked", recipient=alice).count() == 1


def test_revoke_leaked_refuses_malformed_reports_without_revealing_anything(db: Any) -> None:
    assert _post(Client(), LEAKED, {"tokens": []}).status_code == 400
    assert _post(Client(), LEAKED, {"tokens": "ptk_x"}).status_code == 400
    assert _post(Client(), LEAKED, {"tokens": ["x"] * 101}).status_code == 400
