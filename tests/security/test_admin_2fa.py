"""The admin (portal/admin_site.py) opens only to staff whose session passed a second factor."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import User
from tests.conftest import signed_in, unescaped_html, with_authenticator
from tests.factories import PASSWORD, UserFactory
from tests.security.helpers import (
    TWO_FACTOR_URL,
    VERIFY_URL,
    code_for,
    is_signed_in,
    sign_in,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
USERS = "/admin/accounts/user/"


@pytest.fixture
def staff(db: Any) -> User:
    return UserFactory.create(email="support@example.com", is_staff=True, is_superuser=True)


def test_admin_for_staff_with_verified_second_factor_opens(staff: User) -> None:
    client = signed_in(staff, verified=True)
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert "Portal support" in unescaped_html(response)
    assert client.get(USERS).status_code == 200


def test_admin_for_staff_without_second_factor_sends_to_set_it_up(staff: User) -> None:
    client = signed_in(staff, verified=False)
    for url in (ADMIN, USERS):
        response = client.get(url, follow=True)
        assert response.redirect_chain, url
        assert response.redirect_chain[-1][0] == TWO_FACTOR_URL
        assert response.wsgi_request.path == TWO_FACTOR_URL


def test_admin_for_staff_with_method_but_unverified_session_does_not_open(staff: User) -> None:
    with_authenticator(staff)
    client = signed_in(staff, verified=False)
    response = client.get(USERS)
    assert response.status_code == 302
    assert not response["Location"].startswith(USERS)
    assert client.get(USERS, follow=True).wsgi_request.path != USERS


def test_admin_change_by_unverified_staff_changes_nothing(staff: User, bob: User) -> None:
    client = signed_in(staff, verified=False)
    response = client.post(f"{USERS}{bob.pk}/change/", {"email": "evil@example.com"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def test_admin_anonymous_is_sent_to_the_portal_sign_in(client: Client) -> None:
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "next=/admin/" in response.redirect_chain[-1][0]


def test_admin_login_form_never_signs_in_with_password_alone(client: Client, staff: User) -> None:
    with_authenticator(staff)
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert not is_signed_in(client)
    assert client.get(USERS).status_code == 302


def test_admin_for_signed_in_person_who_is_not_staff_is_refused(as_alice: Client) -> None:
    response = as_alice.get(ADMIN, follow=True)  # a redirect loop would raise here
    assert response.status_code == 403
    assert "Portal support" not in unescaped_html(response)


def test_admin_after_signing_in_with_the_second_factor_opens(
    clock: time_machine.Traveller, client: Client, staff: User
) -> None:
    device = with_authenticator(staff)
    assert sign_in(client, staff, next_url=USERS)["Location"] == VERIFY_URL
    assert client.get(USERS).status_code == 302
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert response["Location"] == USERS
    assert client.get(USERS).status_code == 200


# --- Issue 11, finding 6: a method added in this session does not open the admin ---------------


def test_admin_refuses_a_session_verified_only_by_a_method_it_just_added(
    clock: time_machine.Traveller, client: Client, staff: User
) -> None:
    """The attack: a staff password without 2FA signs in, adds an authenticator, and the session
    the new device verified walks into the admin."""
    from tests.security.test_views import enrol

    assert sign_in(client, staff, next_url="/")["Location"] == "/"  # no second factor yet
    enrol(client)
    assert client.session.get(DEVICE_ID_SESSION_KEY)  # django-otp counts the session verified

    response = client.get(USERS, follow=True)

    assert response.status_code == 403
    assert "Sign in again with your second factor" in unescaped_html(response)
    assert response.wsgi_request.path == reverse("admin:login")  # not the list of users


def test_admin_opens_after_signing_in_again_with_the_added_method(
    clock: time_machine.Traveller, client: Client, staff: User
) -> None:
    device = with_authenticator(staff)
    sign_in(client, staff, next_url=USERS)
    client.post(VERIFY_URL, {"code": code_for(device)})
    assert client.get(USERS).status_code == 200


def test_admin_index_lists_staff_without_second_factor_to_superusers(staff: User) -> None:
    UserFactory.create(email="new-agent@example.com", is_staff=True)
    UserFactory.create(email="customer@example.com")

    page = unescaped_html(signed_in(staff).get(ADMIN))

    assert "Staff accounts without two-factor authentication" in page
    assert "new-agent@example.com" in page
    assert "customer@example.com" not in page
    assert "support@example.com" not in page.split("without two-factor")[1].split("</ul>")[0]


def test_admin_index_does_not_list_them_to_support_agents(staff: User) -> None:
    UserFactory.create(email="new-agent@example.com", is_staff=True)
    agent = UserFactory.create(email="agent@example.com", is_staff=True)
    agent.user_permissions.add(*Permission.objects.filter(codename="view_user"))

    page = unescaped_html(signed_in(agent).get(ADMIN))

    assert "new-agent@example.com" not in page
