"""The "confirm your password" guard (accounts/reauth.py), as decorator and as mixin."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.helpers import is_signed_in, sign_in
from tests.conftest import ClientResponse, page_html, signed_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls_reauth")]

GUARDED = ["/test/guarded-function/", "/test/guarded-class/"]
CONFIRM = "/accounts/confirm-password/"


def confirm_url(next_url: str) -> str:
    return f"{CONFIRM}?{urlencode({'next': next_url})}"


def confirm(client: Client, password: str, next_url: str) -> ClientResponse:
    return client.post(confirm_url(next_url), {"password": password, "next": next_url})


@pytest.fixture
def as_alice_unconfirmed(alice: User) -> Client:
    """Alice signed in a while ago (say, yesterday): her password is not fresh."""
    return signed_in(alice, recent_password=False)


@pytest.mark.parametrize("url", GUARDED)
def test_guard_sends_anonymous_to_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize("url", GUARDED)
def test_guard_sends_unconfirmed_user_to_confirm_page(
    as_alice_unconfirmed: Client, url: str
) -> None:
    response = as_alice_unconfirmed.get(f"{url}?tab=tokens")
    assert response.status_code == 302
    assert response["Location"] == confirm_url(f"{url}?tab=tokens")


@pytest.mark.parametrize("url", GUARDED)
def test_guard_does_not_run_a_post_before_confirmation(
    as_alice_unconfirmed: Client, url: str
) -> None:
    response = as_alice_unconfirmed.post(url)
    assert response.status_code == 302
    assert response["Location"] == confirm_url(url)


@pytest.mark.parametrize("url", GUARDED)
def test_guard_lets_through_after_confirming(as_alice_unconfirmed: Client, url: str) -> None:
    page = as_alice_unconfirmed.get(confirm_url(url))
    assert page.status_code == 200
    assert "Confirm your password" in page_html(page)
    assert f'name="next" value="{url}"' in page_html(page)
    response = confirm(as_alice_unconfirmed, PASSWORD, url)
    assert response.status_code == 302
    assert response["Location"] == url
    assert page_html(as_alice_unconfirmed.get(url)) == "Sensitive page (GET)"
    assert page_html(as_alice_unconfirmed.post(url)) == "Sensitive page (POST)"


@pytest.mark.parametrize("url", GUARDED)
def test_guard_lets_through_right_after_sign_in(client: Client, alice: User, url: str) -> None:
    sign_in(client, "alice@example.com", PASSWORD)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", GUARDED)
def test_guard_confirmation_expires_after_reauth_max_age(
    alice: User, clock: time_machine.Traveller, url: str
) -> None:
    client = signed_in(alice, recent_password=False)
    confirm(client, PASSWORD, url)
    max_age = settings.REAUTH_MAX_AGE.total_seconds()
    clock.shift(max_age - 5)
    assert client.get(url).status_code == 200
    clock.shift(10)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == confirm_url(url)
    # Still signed in: only the confirmation has expired.
    assert is_signed_in(client)


@pytest.mark.parametrize("url", GUARDED)
def test_guard_confirmation_with_wrong_password_is_refused(
    as_alice_unconfirmed: Client, url: str
) -> None:
    response = confirm(as_alice_unconfirmed, "not the password at all", url)
    assert response.status_code == 200
    assert "This is not your password." in page_html(response)
    assert as_alice_unconfirmed.get(url).status_code == 302


def test_guard_confirmation_of_one_session_does_not_confirm_another(alice: User) -> None:
    laptop, phone = (signed_in(alice, recent_password=False) for _ in range(2))
    confirm(laptop, PASSWORD, GUARDED[0])
    assert laptop.get(GUARDED[0]).status_code == 200
    assert phone.get(GUARDED[0]).status_code == 302


def test_confirm_password_guesses_are_rate_limited(
    as_alice_unconfirmed: Client, clock: time_machine.Traveller
) -> None:
    url = GUARDED[0]
    for _ in range(5):
        assert "This is not your password." in page_html(
            confirm(as_alice_unconfirmed, "not the password at all", url)
        )
    response = confirm(as_alice_unconfirmed, PASSWORD, url)
    assert response.status_code == 200
    assert "Too many attempts. Try again in 15 minutes." in page_html(response)
    assert as_alice_unconfirmed.get(url).status_code == 302
    # After the window, the right password works again.
    clock.shift(15 * 60)
    assert confirm(as_alice_unconfirmed, PASSWORD, url)["Location"] == url


def test_confirm_password_limit_is_per_user(
    alice: User, bob: User, clock: time_machine.Traveller
) -> None:
    as_alice = signed_in(alice, recent_password=False)
    for _ in range(6):
        confirm(as_alice, "not the password at all", GUARDED[0])
    as_bob = signed_in(bob, recent_password=False)
    assert confirm(as_bob, PASSWORD, GUARDED[0])["Location"] == GUARDED[0]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_confirm_password_ignores_unsafe_next(as_alice_unconfirmed: Client, next_url: str) -> None:
    response = confirm(as_alice_unconfirmed, PASSWORD, next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")


def test_confirm_password_page_needs_sign_in(client: Client) -> None:
    response = client.get(confirm_url(GUARDED[0]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
