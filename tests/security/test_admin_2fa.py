"""The admin (portal/admin_site.py) opens only to staff whose session passed a second factor."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import signed_in, with_authenticator
from tests.factories import PASSWORD, UserFactory
from tests.security.helpers import (
    TWO_FACTOR_URL,
    VERIFY_URL,
    code_for,
    is_signed_in,
    sign_in,
    text,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
USERS = "/admin/accounts/user/"


@pytest.fixture
def staff(db: Any) -> User:
    return UserFactory(email="support@example.com", is_staff=True, is_superuser=True)


def test_admin_for_staff_with_verified_second_factor_opens(staff: User) -> None:
    client = signed_in(staff, verified=True)
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert "Portal support" in text(response)
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
    assert "Portal support" not in text(response)


def test_admin_after_signing_in_with_the_second_factor_opens(
    clock: time_machine.Traveller, client: Client, staff: User
) -> None:
    device = with_authenticator(staff)
    assert sign_in(client, staff, next_url=USERS)["Location"] == VERIFY_URL
    assert client.get(USERS).status_code == 302
    response = client.post(VERIFY_URL, {"code": code_for(device)})
    assert response["Location"] == USERS
    assert client.get(USERS).status_code == 200
