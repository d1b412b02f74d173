"""Signing in and out, and the limits on guessing (accounts/login.py, settings.RATE_LIMITS).

Rate-limit tests run with the clock stopped at the start of a window (`clock`), so every attempt
counts in the same window and the "try again" time is exact.
"""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.login import KNOWN_BROWSER_COOKIE
from accounts.models import Session, User
from core.models import AuditEvent
from tests.accounts.helpers import FIREFOX, OWNER_IP, STRANGER_IP, is_signed_in, sign_in
from tests.conftest import page_html
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GENERIC_ERROR = "The email address or the password is not right."


def fail_from(client: Client, email: str, ip: str, times: int) -> None:
    for _ in range(times):
        response = sign_in(client, email, "not the password at all", ip=ip)
        assert GENERIC_ERROR in page_html(response)


# --- Signing in ---------------------------------------------------------------------------------


def test_login_with_right_password_signs_in(client: Client, alice: User) -> None:
    response = sign_in(client, "alice@example.com", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    session = Session.objects.get(user=alice)
    assert (session.ip_address, session.user_agent) == (OWNER_IP, FIREFOX)
    assert is_signed_in(client)


def test_login_with_email_in_other_case_signs_in(client: Client, alice: User) -> None:
    response = sign_in(client, "  ALICE@Example.COM ", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_login_redirects_to_safe_next(client: Client, alice: User) -> None:
    response = sign_in(client, "alice@example.com", PASSWORD, next_url="/accounts/sessions/")
    assert response["Location"] == "/accounts/sessions/"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/path", "https:/\\evil.example/"]
)
def test_login_ignores_external_next(client: Client, alice: User, next_url: str) -> None:
    response = sign_in(client, "alice@example.com", PASSWORD, next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_page_keeps_next_for_the_form(client: Client) -> None:
    response = client.get(reverse("accounts:login"), {"next": "/accounts/sessions/"})
    assert 'name="next" value="/accounts/sessions/"' in page_html(response)


def test_login_page_when_signed_in_redirects(as_alice: Client) -> None:
    response = as_alice.get(reverse("accounts:login"), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_with_wrong_password_shows_generic_message(client: Client, alice: User) -> None:
    response = sign_in(client, "alice@example.com", "not the password at all")
    assert response.status_code == 200
    assert GENERIC_ERROR in page_html(response)
    assert not is_signed_in(client)


def test_login_with_unknown_email_shows_same_message(client: Client, alice: User) -> None:
    response = sign_in(client, "nobody@example.com", PASSWORD)
    assert GENERIC_ERROR in page_html(response)
    assert not is_signed_in(client)


def test_login_of_inactive_user_is_refused(client: Client) -> None:
    gone = UserFactory.create(email="gone@example.com", is_active=False)
    response = sign_in(client, "gone@example.com", PASSWORD)
    assert response.status_code == 200
    assert GENERIC_ERROR in page_html(response)
    assert not is_signed_in(client)
    assert not Session.objects.filter(user=gone).exists()


def test_login_failure_of_existing_account_is_audited(client: Client, alice: User) -> None:
    sign_in(client, "alice@example.com", "not the password at all", ip=STRANGER_IP)
    event = AuditEvent.objects.get(action="user.login_failed")
    assert event.subject_user == alice
    assert event.actor is None
    assert event.ip_address == STRANGER_IP


def test_login_failure_of_unknown_email_is_not_audited(client: Client, alice: User) -> None:
    sign_in(client, "nobody@example.com", "not the password at all")
    assert not AuditEvent.objects.filter(action="user.login_failed").exists()


def test_login_sets_known_browser_cookie(client: Client, alice: User) -> None:
    response = sign_in(client, "alice@example.com", PASSWORD)
    cookie = response.cookies[KNOWN_BROWSER_COOKIE]
    assert cookie["httponly"]
    assert cookie.value


# --- Signing out --------------------------------------------------------------------------------


def test_logout_by_get_is_not_allowed(as_alice: Client) -> None:
    response = as_alice.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert is_signed_in(as_alice)


def test_logout_by_post_signs_out_and_ends_session(client: Client, alice: User) -> None:
    sign_in(client, "alice@example.com", PASSWORD)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You are signed out." in page_html(response)
    assert not is_signed_in(client)
    assert not Session.objects.filter(user=alice).exists()


# --- Limits: account + IP -----------------------------------------------------------------------


def test_login_sixth_attempt_from_one_ip_is_refused_even_with_right_password(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    fail_from(client, "alice@example.com", STRANGER_IP, 5)
    response = sign_in(client, "alice@example.com", PASSWORD, ip=STRANGER_IP)
    assert response.status_code == 200
    assert "Too many attempts. Try again in 15 minutes." in page_html(response)
    assert not is_signed_in(client)


def test_login_lock_of_one_ip_lifts_after_the_window(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    fail_from(client, "alice@example.com", STRANGER_IP, 5)
    clock.shift(15 * 60)
    response = sign_in(client, "alice@example.com", PASSWORD, ip=STRANGER_IP)
    assert response.status_code == 302


def test_login_locked_from_stranger_ip_still_works_from_owner_ip(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    stranger = Client()
    fail_from(stranger, "alice@example.com", STRANGER_IP, 5)
    assert "Too many attempts" in page_html(
        sign_in(stranger, "alice@example.com", PASSWORD, ip=STRANGER_IP)
    )
    response = sign_in(client, "alice@example.com", PASSWORD, ip=OWNER_IP)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_login_lock_of_one_account_leaves_other_accounts_from_same_ip(
    client: Client, alice: User, bob: User, clock: time_machine.Traveller
) -> None:
    fail_from(client, "alice@example.com", OWNER_IP, 5)
    response = sign_in(client, "bob@example.com", PASSWORD, ip=OWNER_IP)
    assert response.status_code == 302


def test_login_success_resets_the_account_ip_counter(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    fail_from(client, "alice@example.com", OWNER_IP, 4)
    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    fail_from(client, "alice@example.com", OWNER_IP, 4)
    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 302


# --- Limits: account from anywhere, with the known-browser exemption ---------------------------


def spread_failures_over_ips(email: str, total: int) -> None:
    """A botnet: `total` wrong guesses, at most 4 per address (under the account+IP limit)."""
    for n in range(total):
        response = sign_in(Client(), email, "not the password at all", ip=f"192.0.2.{n // 4 + 1}")
        assert GENERIC_ERROR in page_html(response)


def test_login_account_limit_across_ips_blocks_a_new_ip(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    spread_failures_over_ips("alice@example.com", 30)
    response = sign_in(client, "alice@example.com", PASSWORD, ip="198.51.100.200")
    assert "Too many attempts. Try again in 60 minutes." in page_html(response)
    assert not is_signed_in(client)


def test_login_account_limit_across_ips_spares_a_known_browser(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    # Alice signed in from this browser last week, then signed out.
    assert sign_in(client, "alice@example.com", PASSWORD, ip=OWNER_IP).status_code == 302
    client.post(reverse("accounts:logout"))
    spread_failures_over_ips("alice@example.com", 30)
    # Her laptop, today on the hotel's network.
    response = sign_in(client, "alice@example.com", PASSWORD, ip="198.51.100.200")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_login_known_browser_of_another_account_is_not_exempt(
    client: Client, alice: User, bob: User, clock: time_machine.Traveller
) -> None:
    assert sign_in(client, "bob@example.com", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    spread_failures_over_ips("alice@example.com", 30)
    response = sign_in(client, "alice@example.com", PASSWORD, ip="198.51.100.200")
    assert "Too many attempts" in page_html(response)


def test_login_forged_known_browser_cookie_is_not_exempt(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    spread_failures_over_ips("alice@example.com", 30)
    client.cookies[KNOWN_BROWSER_COOKIE] = f"[{alice.pk}]"
    response = sign_in(client, "alice@example.com", PASSWORD, ip="198.51.100.200")
    assert "Too many attempts" in page_html(response)


# --- Limits: one IP over many accounts ----------------------------------------------------------


def test_login_ip_limit_over_many_accounts(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    # Credential stuffing: one address, a different account each time.
    for n in range(100):
        response = sign_in(client, f"victim{n}@example.com", "Summer2024!", ip=STRANGER_IP)
        assert GENERIC_ERROR in page_html(response)
    response = sign_in(client, "alice@example.com", PASSWORD, ip=STRANGER_IP)
    assert "Too many attempts. Try again in 60 minutes." in page_html(response)
    assert not is_signed_in(client)
    # Alice herself, elsewhere, is not concerned.
    assert sign_in(Client(), "alice@example.com", PASSWORD, ip=OWNER_IP).status_code == 302
