"""Each process keeps a token it found for at most API_TOKEN_CACHE_SECONDS (ARCHITECTURE.md rule 3:
a revocation takes effect everywhere within 5 seconds), and writes its last use at most once a
minute."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.crypto import digest
from organizations.models import Organization
from organizations.services import do_remove_member
from tests.conftest import membership
from tokens.authentication import RecentTokens, find_token, recent_tokens
from tokens.models import ApiToken
from tokens.services import do_create_token, do_revoke_tokens

LISTS = "/api/v1/newsletter/lists/"


def _token(user: User, org: Organization) -> str:
    _row, secret = do_create_token(
        user, organization=org, name="news", scope="newsletter", expires_at=None, actor=user
    )
    return secret


class Clock:
    """A stand-in for time.monotonic that the test moves forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic_clock() -> Any:
    """The clock the token cache reads (time.monotonic), not the wall clock of `clock`."""
    fake = Clock()
    with mock.patch("tokens.authentication.time.monotonic", fake):
        yield fake


def test_a_token_used_again_within_seconds_costs_no_query(
    alice: User, acme: Organization, monotonic_clock: Clock, django_assert_num_queries: Any
) -> None:
    token_digest = digest(_token(alice, acme))
    with django_assert_num_queries(2):  # the token with its membership, the org's policies
        first = find_token(token_digest)
    monotonic_clock.now += 4.9
    with django_assert_num_queries(0):
        again = find_token(token_digest)

    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert again is not first  # each request gets its own copy
    assert again.user is not first.user


def test_a_request_with_a_kept_token_only_runs_the_endpoints_queries(
    alice: User, acme: Organization, monotonic_clock: Clock, django_assert_num_queries: Any
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(alice, acme)}")
    assert client.get(LISTS).status_code == 200

    with django_assert_num_queries(1):  # the lists (no count query on an empty page), no token
        assert client.get(LISTS).status_code == 200


def test_a_revocation_by_another_process_takes_effect_within_five_seconds(
    alice: User, acme: Organization, monotonic_clock: Clock
) -> None:
    secret = _token(alice, acme)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(LISTS).status_code == 200
    # Another process revokes it: nothing tells this one.
    ApiToken.objects.filter(digest=digest(secret)).update(revoked_at=timezone.now())

    monotonic_clock.now += 4.9
    assert client.get(LISTS).status_code == 200
    monotonic_clock.now += 0.1
    response = client.get(LISTS)

    assert response.status_code == 401
    assert response.json()["error"] == "revoked_token"


def test_a_revocation_in_this_process_takes_effect_at_once(
    alice: User, acme: Organization, monotonic_clock: Clock
) -> None:
    secret = _token(alice, acme)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(LISTS).status_code == 200

    do_revoke_tokens(alice, [ApiToken.objects.get().pk], actor=alice)

    assert client.get(LISTS).json()["error"] == "revoked_token"


def test_a_removed_member_is_refused_within_five_seconds(
    alice: User, bob: User, acme: Organization, monotonic_clock: Clock
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(bob, acme)}")
    assert client.get(LISTS).status_code == 200
    do_remove_member(membership(bob, acme), actor=alice)

    monotonic_clock.now += 5
    assert client.get(LISTS).json()["error"] == "unknown_token"


def test_expiry_is_checked_on_every_request_even_for_a_kept_token(
    alice: User, acme: Organization, monotonic_clock: Clock
) -> None:
    secret = _token(alice, acme)
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(seconds=1))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(LISTS).status_code == 200

    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(2)):
        response = client.get(LISTS)

    assert response.json()["error"] == "expired_token"


def test_unknown_tokens_are_not_kept(
    alice: User, acme: Organization, monotonic_clock: Clock
) -> None:
    assert find_token(digest("ptk_unknown")) is None
    assert recent_tokens._found == {}


def test_nothing_is_kept_when_turned_off(
    alice: User, acme: Organization, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.API_TOKEN_CACHE_SECONDS = 0
    token_digest = digest(_token(alice, acme))
    find_token(token_digest)

    with django_assert_num_queries(2):  # looked up again: the token, the org's policies
        assert find_token(token_digest) is not None


def test_a_full_cache_drops_its_oldest_half(
    alice: User, acme: Organization, monotonic_clock: Clock
) -> None:
    cache = RecentTokens(size=4)
    token = ApiToken.objects.select_related("user", "organization").get(
        digest=digest(_token(alice, acme))
    )
    for number in range(5):
        monotonic_clock.now += 1
        cache.keep(f"d{number}", token)

    assert sorted(cache._found) == ["d2", "d3", "d4"]
    assert cache.get("d0") is None
    assert cache.get("d4") is not None


def test_the_last_use_is_written_once_a_minute_with_a_kept_token(
    alice: User, acme: Organization, monotonic_clock: Clock, django_assert_num_queries: Any
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(alice, acme)}")
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        client.get(LISTS)  # look-up + UPDATE of the last use
    later = start + timedelta(seconds=30)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        django_assert_num_queries(1),  # the lists only
    ):
        client.get(LISTS)
    assert ApiToken.objects.get().last_used_at == start
