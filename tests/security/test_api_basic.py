"""HTTP Basic with an application password on the REST API."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from organizations.models import Organization
from security.app_passwords import do_create_app_password
from security.models import ApplicationPassword
from tests.factories import PASSWORD

LISTS = "/api/v1/newsletter/lists/"


def _basic(email: str, password: str) -> Client:
    raw = base64.b64encode(f"{email}:{password}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {raw}")


def _app_password(user: User, services: list[str]) -> str:
    _row, secret = do_create_app_password(user, name="Script", services=services, actor=user)
    return secret


def test_an_api_application_password_reaches_the_named_organization(
    alice: User, acme: Organization
) -> None:
    client = _basic(alice.email, _app_password(alice, ["api"]))

    response = client.get(f"{LISTS}?organization=acme")

    assert response.status_code == 200
    row = ApplicationPassword.objects.get()
    assert row.last_used_service == "api"
    assert row.last_used_at is not None


def test_another_organization_or_none_is_404(alice: User, dave: User, acme: Organization) -> None:
    client = _basic(alice.email, _app_password(alice, ["api"]))

    assert client.get(f"{LISTS}?organization=keller").status_code == 404
    assert client.get(LISTS).status_code == 404


@pytest.mark.parametrize(
    ("services", "password_kind"),
    [(["mail"], "app"), (["api"], "account"), (["api"], "other user")],
)
def test_other_credentials_are_refused(
    alice: User, bob: User, acme: Organization, services: list[str], password_kind: str
) -> None:
    secret = _app_password(alice, services)
    email, password = {
        "app": (alice.email, secret),
        "account": (alice.email, PASSWORD),
        "other user": (bob.email, secret),
    }[password_kind]

    response = _basic(email, password).get(f"{LISTS}?organization=acme")

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


@pytest.mark.parametrize("header", ["Basic", "Basic !!!", "Basic a b", "Basic " + "w" * 7])
def test_malformed_basic_headers_are_401_not_500(db: Any, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get(LISTS)

    assert response.status_code == 401
    assert response.json()["error"] in {"malformed_credentials", "invalid_credentials"}
