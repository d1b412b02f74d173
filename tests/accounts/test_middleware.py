"""Session limits (accounts/middleware.py): an idle timeout and an absolute lifetime.

The clock is stopped (`clock`) and moved by hand; the session row would outlive both limits on
its own (SESSION_COOKIE_AGE is refreshed by activity), so it is the middleware that ends them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Session, User
from tests.accounts.helpers import is_signed_in, sign_in
from tests.conftest import page_html
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"
ENDED = "Your session has ended. Please sign in again."


@pytest.fixture
def alice_browser(alice: User, clock: time_machine.Traveller) -> Client:
    client = Client()
    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 302
    return client


def assert_session_ended(client: Client, alice: User) -> None:
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={PROFILE}"
    assert not Session.objects.filter(user=alice).exists()
    assert ENDED in page_html(client.get(response["Location"]))
    assert not is_signed_in(client)


def test_session_survives_activity_within_idle_timeout(
    alice_browser: Client, alice: User, clock: time_machine.Traveller
) -> None:
    idle = settings.SESSION_IDLE_TIMEOUT
    for _ in range(4):
        clock.shift(idle - timedelta(minutes=1))
        assert alice_browser.get(PROFILE).status_code == 200


def test_session_ends_after_idle_timeout(
    alice_browser: Client, alice: User, clock: time_machine.Traveller
) -> None:
    assert alice_browser.get(PROFILE).status_code == 200
    clock.shift(settings.SESSION_IDLE_TIMEOUT + timedelta(seconds=1))
    assert_session_ended(alice_browser, alice)


def test_session_ends_when_idle_right_after_sign_in(
    alice_browser: Client, alice: User, clock: time_machine.Traveller
) -> None:
    # No page after the sign-in: the idle time counts from the sign-in itself.
    clock.shift(settings.SESSION_IDLE_TIMEOUT + timedelta(seconds=1))
    assert_session_ended(alice_browser, alice)


def test_session_ends_after_absolute_lifetime_despite_activity(
    alice_browser: Client, alice: User, clock: time_machine.Traveller
) -> None:
    lifetime = settings.SESSION_ABSOLUTE_LIFETIME
    step = settings.SESSION_IDLE_TIMEOUT - timedelta(minutes=5)
    elapsed = timedelta(0)
    while elapsed + step < lifetime:
        clock.shift(step)
        elapsed += step
        assert alice_browser.get(PROFILE).status_code == 200, elapsed
    clock.shift(lifetime - elapsed + timedelta(seconds=1))
    assert_session_ended(alice_browser, alice)


def test_session_limits_do_not_touch_anonymous_visitors(
    client: Client, clock: time_machine.Traveller
) -> None:
    assert client.get(reverse("accounts:login")).status_code == 200
    clock.shift(settings.SESSION_ABSOLUTE_LIFETIME * 2)
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert ENDED not in page_html(response)


def test_user_language_middleware_uses_profile_language(client: Client) -> None:
    UserFactory.create(email="giulia@example.com", language="it")
    sign_in(client, "giulia@example.com", PASSWORD)
    response = client.get(PROFILE, headers={"accept-language": "de"})
    assert '<html lang="it">' in page_html(response)
