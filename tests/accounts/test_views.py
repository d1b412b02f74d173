"""Account pages as a person uses them: sign up, verify the address, reset and change the
password, profile and language, sessions, activity."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.audit_actions import AccountAction
from accounts.models import Session, User
from core.audit import record_event
from core.audit_actions import action_label
from core.models import AuditEvent, Notification
from organizations.models import Membership, Organization, Role
from tests.accounts.helpers import (
    FIREFOX,
    OWNER_IP,
    SAFARI,
    STRANGER_IP,
    is_signed_in,
    link_in,
    sign_in,
)
from tests.conftest import next_full_hour, page_html, signed_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "seven purple owls read the morning paper"


# --- Sign up ------------------------------------------------------------------------------------


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "first_name": "Fabio",
        "last_name": "Bianchi",
        "email": "fabio@example.com",
        "organization_name": "Bianchi Sagl",
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        **overrides,
    }


def sign_up(client: Client, ip: str = OWNER_IP, **overrides: str) -> Any:
    return client.post(reverse("organizations:signup"), signup_data(**overrides), REMOTE_ADDR=ip)


def test_signup_creates_user_and_organization_with_legal_representative(client: Client) -> None:
    response = sign_up(client, email="Fabio@Example.com")
    assert response.status_code == 302
    user = User.objects.get(email="fabio@example.com")
    assert (user.first_name, user.last_name, user.is_email_verified) == ("Fabio", "Bianchi", False)
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert membership.organization.name == "Bianchi Sagl"
    assert membership.role == Role.LEGAL_REPRESENTATIVE


def test_signup_says_check_your_inbox_and_signs_nobody_in(client: Client) -> None:
    response = sign_up(client)
    assert response["Location"] == reverse("organizations:signup-sent")
    page = page_html(client.get(response["Location"]))
    assert "Check your inbox" in page
    assert "We sent an email to fabio@example.com." in page
    assert not is_signed_in(client)


def test_signup_then_verify_then_sign_in_lands_on_the_new_organization(client: Client) -> None:
    sign_up(client)
    client.post(link_in(Notification.objects.get(kind="verify_email")))
    response = sign_in(client, "fabio@example.com", NEW_PASSWORD)
    org = Organization.objects.get(name="Bianchi Sagl")
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == (
        f"/orgs/{org.slug}/"
    )
    assert User.objects.get(email="fabio@example.com").is_email_verified


def test_signup_queues_verification_email_that_verifies(client: Client) -> None:
    sign_up(client)
    user = User.objects.get(email="fabio@example.com")
    notification = Notification.objects.get(kind="verify_email")
    assert (notification.to, notification.recipient) == ("fabio@example.com", user)
    response = client.post(link_in(notification))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_email_verified


def test_signup_in_italian_saves_language(client: Client) -> None:
    client.post(reverse("accounts:language"), {"language": "it"})
    sign_up(client)
    user = User.objects.get(email="fabio@example.com")
    assert user.language == "it"
    assert Notification.objects.get(kind="verify_email").language == "it"


def test_signup_with_existing_email_creates_nothing_and_tells_the_owner(
    client: Client, alice: User
) -> None:
    users, orgs = User.objects.count(), Organization.objects.count()
    password_before = User.objects.get(pk=alice.pk).password
    response = sign_up(client, email="ALICE@example.com")
    assert response["Location"] == reverse("organizations:signup-sent")
    assert "exists already" not in page_html(client.get(response["Location"]))
    assert (User.objects.count(), Organization.objects.count()) == (users, orgs)
    assert User.objects.get(pk=alice.pk).password == password_before
    email = Notification.objects.get()
    assert (email.kind, email.recipient) == ("sign_up_attempt", alice)
    assert "Someone tried to create an account with your address alice@example.com" in (
        email.body_text
    )
    assert "/accounts/password/reset/" in email.body_text
    assert not is_signed_in(client)


def test_signup_answers_a_taken_address_exactly_like_a_new_one(alice: User) -> None:
    """The enumeration test: same status, same redirect, same page, same cookies (only the typed
    address differs), and nobody signed in either way."""
    answers = []
    for email in ("alice@example.com", "newcomer@example.com"):
        client = Client()
        response = sign_up(client, email=email)
        page = page_html(client.get(response["Location"])).replace(email, "<email>")
        # The CSRF token of the page is random per visitor.
        page = re.sub(r"[A-Za-z0-9]{64}", "<csrf token>", page)
        answers.append((response.status_code, response["Location"], sorted(response.cookies), page))
        assert not is_signed_in(client)
    assert answers[0] == answers[1]


def test_sign_up_attempt_emails_the_owner_at_most_once_an_hour(
    alice: User, clock: time_machine.Traveller
) -> None:
    for _ in range(3):
        sign_up(Client(), email="alice@example.com")
    assert Notification.objects.filter(kind="sign_up_attempt").count() == 1
    clock.shift(timedelta(hours=1))
    sign_up(Client(), email="alice@example.com")
    assert Notification.objects.filter(kind="sign_up_attempt").count() == 2


def test_signup_with_weak_password_is_refused(client: Client) -> None:
    response = sign_up(
        client, new_password1="hosting-portal-2026", new_password2="hosting-portal-2026"
    )
    assert response.status_code == 200
    assert "This password is made only of words that are easy to guess here." in page_html(response)
    assert not User.objects.exists()


def test_signup_with_different_passwords_is_refused(client: Client) -> None:
    response = sign_up(client, new_password2=NEW_PASSWORD + " again")
    assert "The two passwords are not the same." in page_html(response)
    assert not User.objects.exists()


def test_signup_is_rate_limited_per_ip(client: Client, clock: time_machine.Traveller) -> None:
    attempts, _window = settings.RATE_LIMITS["signup-ip"]
    for n in range(attempts):
        sign_up(Client(), ip=STRANGER_IP, email=f"bot{n}@example.com", new_password2="x")
    response = sign_up(client, ip=STRANGER_IP)
    assert response.status_code == 200
    assert "Too many attempts. Try again in 60 minutes." in page_html(response)
    assert not User.objects.exists()
    # Someone else, from another address, can still sign up.
    assert sign_up(Client(), ip=OWNER_IP).status_code == 302
    assert User.objects.filter(email="fabio@example.com").exists()


def test_signup_page_when_signed_in_redirects(as_alice: Client) -> None:
    response = as_alice.get(reverse("organizations:signup"))
    assert response.status_code == 302


# --- Email verification -------------------------------------------------------------------------


@pytest.fixture
def unverified() -> User:
    return UserFactory.create(email="nina@example.com", email_verified_at=None)


def verify_url(token: str) -> str:
    return reverse("accounts:verify-email", args=[token])


def test_verify_email_get_shows_button_and_changes_nothing(
    client: Client, unverified: User
) -> None:
    response = client.get(verify_url(services.email_verification_token(unverified)))
    assert response.status_code == 200
    assert "Verify my email address" in page_html(response)
    assert '<form method="post">' in page_html(response)
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None


def test_verify_email_get_when_signed_in_as_someone_else_changes_nothing(
    as_alice: Client, unverified: User
) -> None:
    response = as_alice.get(verify_url(services.email_verification_token(unverified)))
    assert response.status_code == 200
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None


def test_verify_email_post_verifies(client: Client, unverified: User) -> None:
    response = client.post(verify_url(services.email_verification_token(unverified)), follow=True)
    assert "Your email address is verified. Thank you." in page_html(response)
    unverified.refresh_from_db()
    assert unverified.is_email_verified


def test_verify_email_with_tampered_token_is_refused(client: Client, unverified: User) -> None:
    token = services.email_verification_token(unverified)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.post(verify_url(tampered))
    assert response.status_code == 400
    assert "This link is not valid any more" in page_html(response)
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None


def test_verify_email_with_token_of_previous_address_is_refused(
    client: Client, unverified: User
) -> None:
    token = services.email_verification_token(unverified)
    services.do_update_profile(unverified, actor=unverified, email="nina.new@example.com")
    response = client.post(verify_url(token))
    assert response.status_code == 400
    unverified.refresh_from_db()
    assert unverified.email_verified_at is None


def test_verify_email_link_expires_after_three_days(
    client: Client, unverified: User, clock: time_machine.Traveller
) -> None:
    token = services.email_verification_token(unverified)
    clock.shift(timedelta(days=3, seconds=1))
    assert client.post(verify_url(token)).status_code == 400


def test_verify_email_resend_queues_new_link(unverified: User) -> None:
    client = signed_in(unverified)
    response = client.post(reverse("accounts:verify-email-resend"), follow=True)
    assert "We sent a new link to nina@example.com." in page_html(response)
    notification = Notification.objects.get(kind="verify_email", recipient=unverified)
    assert client.post(link_in(notification)).status_code == 302
    unverified.refresh_from_db()
    assert unverified.is_email_verified


def test_verify_email_resend_when_verified_sends_nothing(as_alice: Client) -> None:
    response = as_alice.post(reverse("accounts:verify-email-resend"), follow=True)
    assert "Your email address is already verified." in page_html(response)
    assert not Notification.objects.exists()


def test_verify_email_resend_is_rate_limited(
    unverified: User, clock: time_machine.Traveller
) -> None:
    client = signed_in(unverified)
    for _ in range(6):
        response = client.post(reverse("accounts:verify-email-resend"), follow=True)
        clock.shift(1)
    assert "We sent several links already. Please check your inbox." in page_html(response)
    assert Notification.objects.filter(kind="verify_email").count() == 5


def test_verify_email_resend_by_get_is_not_allowed(unverified: User) -> None:
    response = signed_in(unverified).get(reverse("accounts:verify-email-resend"))
    assert response.status_code == 405
    assert not Notification.objects.exists()


# --- Password reset -----------------------------------------------------------------------------


def request_reset(client: Client, email: str) -> Any:
    return client.post(reverse("accounts:password-reset"), {"email": email})


def reset_link(client: Client) -> str:
    request_reset(client, "alice@example.com")
    return link_in(Notification.objects.get(kind="password_reset"))


def test_password_reset_answers_the_same_for_known_and_unknown_email(
    client: Client, alice: User
) -> None:
    known = request_reset(client, "alice@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password-reset-sent")
    notification = Notification.objects.get()
    assert (notification.kind, notification.to) == ("password_reset", "alice@example.com")


def test_password_reset_link_moves_token_out_of_the_url(client: Client, alice: User) -> None:
    link = reset_link(client)
    token = link.rstrip("/").rsplit("/", 1)[1]
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"].endswith("/set-password/")
    assert token not in response["Location"]
    page = client.get(response["Location"])
    assert "Choose a new password" in page_html(page)
    assert token not in page_html(page)


def test_password_reset_sets_password_and_does_not_sign_in(client: Client, alice: User) -> None:
    form_url = client.get(reset_link(client))["Location"]
    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Your password is changed. You can sign in with it now." in page_html(response)
    assert not is_signed_in(client)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_changed", subject_user=alice).exists()


def test_password_reset_signs_out_every_session(alice: User) -> None:
    laptop, phone = signed_in(alice), signed_in(alice)
    reset_link_url = reset_link(Client())
    visitor = Client()
    form_url = visitor.get(reset_link_url)["Location"]
    visitor.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not Session.objects.filter(user=alice).exists()
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_password_reset_from_a_signed_in_browser_signs_it_out(
    as_alice: Client, alice: User
) -> None:
    form_url = as_alice.get(reset_link(as_alice))["Location"]
    response = as_alice.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in(as_alice)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_reset_link_works_once(client: Client, alice: User) -> None:
    link = reset_link(client)
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    again = Client()
    response = again.get(link)
    assert response.status_code == 200
    assert "This link is not valid any more" in page_html(response)
    assert "new_password1" not in page_html(response)


def test_password_reset_link_is_invalid_after_one_hour(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    link = reset_link(client)
    clock.shift(settings.PASSWORD_RESET_TIMEOUT - 60)
    assert client.get(link).status_code == 302
    clock.shift(61)
    response = Client().get(link)
    assert "This link is not valid any more" in page_html(response)


def test_password_reset_form_left_open_past_one_hour_is_refused(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    form_url = client.get(reset_link(client))["Location"]
    clock.shift(settings.PASSWORD_RESET_TIMEOUT + 1)
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "This link is not valid any more" in page_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_reset_with_tampered_token_is_refused(client: Client, alice: User) -> None:
    link = reset_link(client)
    response = client.get(re.sub(r"/[^/]+/$", "/0abc-0123456789abcdef/", link))
    assert "This link is not valid any more" in page_html(response)


def test_password_reset_set_password_without_token_is_refused(client: Client, alice: User) -> None:
    link = reset_link(client)
    form_url = re.sub(r"/[^/]+/$", "/set-password/", link)
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "This link is not valid any more" in page_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_reset_refuses_weak_new_password(client: Client, alice: User) -> None:
    form_url = client.get(reset_link(client))["Location"]
    response = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "This password is too short." in page_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_reset_requests_are_rate_limited_per_ip(
    client: Client, alice: User, clock: time_machine.Traveller
) -> None:
    attempts, _window = settings.RATE_LIMITS["password-reset"]
    for n in range(attempts):
        request_reset(client, f"someone{n}@example.com")
    response = request_reset(client, "alice@example.com")
    assert response.status_code == 200
    assert "Too many attempts. Try again in 60 minutes." in page_html(response)
    assert not Notification.objects.exists()


# --- Password change ----------------------------------------------------------------------------


def change_password(client: Client, current: str, new: str = NEW_PASSWORD) -> Any:
    return client.post(
        reverse("accounts:password-change"),
        {"old_password": current, "new_password1": new, "new_password2": new},
    )


def test_password_change_with_wrong_current_password_is_refused(
    as_alice: Client, alice: User
) -> None:
    response = change_password(as_alice, "not the password at all")
    assert response.status_code == 200
    assert "This is not your current password." in page_html(response)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not Notification.objects.exists()


def test_password_change_refuses_the_current_password_as_the_new_one(
    as_alice: Client, alice: User
) -> None:
    response = change_password(as_alice, PASSWORD, new=PASSWORD)
    assert response.status_code == 200
    assert "The new password must be different from your current one." in page_html(response)
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action="user.password_changed").exists()


def test_password_change_refuses_129_characters(as_alice: Client, alice: User) -> None:
    too_long = ("velvet otters " * 10)[:129]
    response = change_password(as_alice, PASSWORD, new=too_long)
    assert "This password is too long. It must contain at most 128 characters." in page_html(
        response
    )
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_keeps_this_session_and_ends_the_others(alice: User, dave: User) -> None:
    here, elsewhere, daves = signed_in(alice), signed_in(alice), signed_in(dave)
    response = change_password(here, PASSWORD)
    assert response.status_code == 302
    page = page_html(here.get(response["Location"]))
    assert "Your password is changed. 1 other session was signed out." in page
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert is_signed_in(daves)
    assert Session.objects.filter(user=alice).count() == 1
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_change_is_audited_and_emailed(as_alice: Client, alice: User) -> None:
    change_password(as_alice, PASSWORD)
    event = AuditEvent.objects.get(action="user.password_changed")
    assert (event.actor, event.subject_user) == (alice, alice)
    assert NEW_PASSWORD not in str(event.data)
    notification = Notification.objects.get(kind="password_changed")
    assert (notification.to, notification.language) == ("alice@example.com", "en")


def test_password_change_email_is_in_the_users_language() -> None:
    giulia = UserFactory.create(email="giulia@example.com", language="it")
    change_password(signed_in(giulia), PASSWORD)
    assert Notification.objects.get(kind="password_changed").language == "it"


def test_password_change_page_needs_sign_in(client: Client) -> None:
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- Profile and language -----------------------------------------------------------------------


def profile_data(**overrides: str) -> dict[str, str]:
    return {
        "first_name": "Alice",
        "last_name": "Rossi",
        "phone": "",
        "language": "en",
        **overrides,
    }


def test_profile_update_saves_names_and_phone(as_alice: Client, alice: User) -> None:
    response = as_alice.post(
        reverse("accounts:profile"),
        profile_data(first_name="Alicia", phone="+41 21 000 00 00"),
        follow=True,
    )
    assert "Your profile is saved." in page_html(response)
    alice.refresh_from_db()
    assert (alice.first_name, alice.phone) == ("Alicia", "+41210000000")
    event = AuditEvent.objects.get(action="user.profile_updated")
    assert event.data == {"fields": ["first_name", "phone"]}


@pytest.mark.parametrize("phone", ["021 000 00 00", "+41 abc", "+123", "+1234567890123456789"])
def test_profile_update_with_bad_phone_is_refused_and_saves_nothing(
    as_alice: Client, alice: User, phone: str
) -> None:
    response = as_alice.post(
        reverse("accounts:profile"), profile_data(first_name="Alicia", phone=phone)
    )
    assert response.status_code == 200
    assert "Enter the number with its country code, for example +41 21 000 00 00." in page_html(
        response
    )
    alice.refresh_from_db()
    assert (alice.first_name, alice.phone) == ("Alice", "")
    assert not AuditEvent.objects.exists()


def test_profile_language_change_shows_pages_in_that_language(
    as_alice: Client, alice: User
) -> None:
    as_alice.post(reverse("accounts:profile"), profile_data(language="it"))
    alice.refresh_from_db()
    assert alice.language == "it"
    assert '<html lang="it">' in page_html(as_alice.get(reverse("accounts:profile")))


def test_language_switch_when_signed_in_saves_the_profile(as_alice: Client, alice: User) -> None:
    response = as_alice.post(
        reverse("accounts:language"), {"language": "it", "next": "/accounts/sessions/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sessions/"
    alice.refresh_from_db()
    assert alice.language == "it"


def test_language_switch_when_anonymous_sets_a_cookie(client: Client) -> None:
    response = client.post(reverse("accounts:language"), {"language": "it"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"
    assert '<html lang="it">' in page_html(client.get(reverse("accounts:login")))


def test_language_switch_ignores_unknown_language_and_unsafe_next(
    as_alice: Client, alice: User
) -> None:
    response = as_alice.post(
        reverse("accounts:language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    alice.refresh_from_db()
    assert alice.language == "en"


def test_language_switch_by_get_is_not_allowed(as_alice: Client, alice: User) -> None:
    response = as_alice.get(reverse("accounts:language"), {"language": "it"})
    assert response.status_code == 405
    alice.refresh_from_db()
    assert alice.language == "en"


# --- Sessions -----------------------------------------------------------------------------------


@pytest.fixture
def alice_laptop(alice: User) -> Client:
    client = Client()
    response = sign_in(client, "alice@example.com", PASSWORD, ip=OWNER_IP, user_agent=FIREFOX)
    assert response.status_code == 302
    return client


@pytest.fixture
def alice_phone(alice: User) -> Client:
    client = Client()
    response = sign_in(client, "alice@example.com", PASSWORD, ip="192.0.2.44", user_agent=SAFARI)
    assert response.status_code == 302
    return client


def sessions_page(client: Client, ip: str = OWNER_IP, user_agent: str = FIREFOX) -> Any:
    return client.get(
        reverse("accounts:sessions"), REMOTE_ADDR=ip, headers={"user-agent": user_agent}
    )


def test_sessions_page_lists_sessions_with_ip_and_browser(
    alice_laptop: Client, alice_phone: Client, dave: User
) -> None:
    signed_in(dave)
    page = page_html(sessions_page(alice_laptop))
    assert OWNER_IP in page
    assert "192.0.2.44" in page
    assert "Firefox · Linux" in page
    assert "Safari · iOS" in page
    assert page.count("This session") == 1
    assert page.count('name="session"') == 1  # only the other session can be signed out
    assert "Sign out of all other sessions" in page


def test_sessions_sign_out_all_others_keeps_this_one(
    alice_laptop: Client, alice_phone: Client, alice: User
) -> None:
    signed_in(alice)
    response = alice_laptop.post(reverse("accounts:sessions"), {"all": "1"}, follow=True)
    assert "2 other sessions were signed out." in page_html(response)
    assert is_signed_in(alice_laptop)
    assert not is_signed_in(alice_phone)
    assert Session.objects.filter(user=alice).count() == 1
    assert AuditEvent.objects.filter(action="user.sessions_ended", subject_user=alice).exists()


def test_sessions_sign_out_one_session(
    alice_laptop: Client, alice_phone: Client, alice: User
) -> None:
    phone = Session.objects.get(session_key=alice_phone.session.session_key)
    page = sessions_page(alice_laptop).content.decode()
    assert phone.public_id in page
    assert phone.session_key not in page  # a session key is a credential: never in the page

    response = alice_laptop.post(
        reverse("accounts:sessions"), {"session": phone.public_id}, follow=True
    )
    assert "That session was signed out." in page_html(response)
    assert not is_signed_in(alice_phone)
    assert is_signed_in(alice_laptop)


def test_sessions_a_raw_session_key_signs_nothing_out(
    alice_laptop: Client, alice_phone: Client
) -> None:
    phone_key = alice_phone.session.session_key
    response = alice_laptop.post(reverse("accounts:sessions"), {"session": phone_key}, follow=True)
    assert "That session was signed out." not in page_html(response)
    assert is_signed_in(alice_phone)


def test_sessions_cannot_sign_out_another_users_session(alice_laptop: Client, dave: User) -> None:
    daves_browser = signed_in(dave)
    dave_key = daves_browser.session.session_key
    dave_id = Session.objects.get(session_key=dave_key).public_id
    response = alice_laptop.post(reverse("accounts:sessions"), {"session": dave_id}, follow=True)
    assert "That session was signed out." not in page_html(response)
    assert Session.objects.filter(session_key=dave_key, user=dave).exists()
    assert is_signed_in(daves_browser)


def test_sessions_page_needs_sign_in(client: Client) -> None:
    response = client.get(reverse("accounts:sessions"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/accounts/sessions/"


# --- Activity -----------------------------------------------------------------------------------


def test_activity_shows_own_events_and_not_other_users(
    as_alice: Client, alice: User, dave: User
) -> None:
    record_event(AccountAction.USER_PROFILE_UPDATED, actor=alice, target=alice, subject_user=alice)
    record_event(AccountAction.USER_LOGIN_FAILED, actor=None, subject_user=alice)
    record_event(AccountAction.USER_PASSWORD_CHANGED, actor=dave, target=dave, subject_user=dave)
    page = page_html(as_alice.get(reverse("accounts:activity")))
    assert action_label("user.profile_updated") in page
    assert action_label("user.login_failed") in page
    assert action_label("user.password_changed") not in page
    assert "dave@example.com" not in page


def test_activity_when_empty_says_so(as_alice: Client) -> None:
    assert "Nothing recorded yet" in page_html(as_alice.get(reverse("accounts:activity")))


# --- Every GET page -----------------------------------------------------------------------------

SIGNED_IN_PAGES = [
    "accounts:profile",
    "accounts:password-change",
    "accounts:confirm-password",
    "accounts:sessions",
    "accounts:activity",
]
PUBLIC_PAGES = ["accounts:login", "accounts:password-reset", "accounts:password-reset-sent"]


def database_state() -> tuple[Any, ...]:
    return (
        list(User.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_account_page_get_when_signed_in_is_200_and_changes_nothing(
    as_alice: Client, name: str
) -> None:
    before = database_state()
    response = as_alice.get(reverse(name))
    assert response.status_code == 200
    assert page_html(response).count("<h1>") == 1
    assert database_state() == before


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_account_page_get_when_anonymous_redirects_to_login(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={reverse(name)}"


@pytest.mark.parametrize("name", [*PUBLIC_PAGES, "organizations:signup"])
def test_public_page_get_when_anonymous_is_200(client: Client, alice: User, name: str) -> None:
    before = database_state()
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert page_html(response).count("<h1>") == 1
    assert database_state() == before


@pytest.mark.parametrize("name", ["accounts:password-reset", "accounts:password-reset-sent"])
def test_public_page_get_when_signed_in_is_200(as_alice: Client, name: str) -> None:
    assert as_alice.get(reverse(name)).status_code == 200


def test_reset_confirm_page_with_bad_link_is_200_with_explanation(client: Client) -> None:
    response = client.get(reverse("accounts:password-reset-confirm", args=["MQ", "bad-token"]))
    assert response.status_code == 200
    assert "Ask for a new link" in page_html(response)


@pytest.mark.parametrize("name", ["accounts:logout", "accounts:language"])
def test_post_only_pages_refuse_get(as_alice: Client, name: str) -> None:
    assert as_alice.get(reverse(name)).status_code == 405


def test_password_change_counts_wrong_current_passwords_against_the_reauth_limit(
    alice: User,
) -> None:
    """Issue 11, finding 7: the current-password check of /accounts/password/ had no limit."""
    client = signed_in(alice)
    attempts, _window = settings.RATE_LIMITS["reauth"]
    new = {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"}
    url = reverse("accounts:password-change")
    with time_machine.travel(next_full_hour(), tick=False):  # one window for every attempt
        for _ in range(attempts):
            response = client.post(url, {"old_password": "wrong guess 123", **new})
            assert "This is not your current password." in response.content.decode()

        response = client.post(url, {"old_password": PASSWORD, **new})

    assert response.status_code == 200
    assert "Too many attempts" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
