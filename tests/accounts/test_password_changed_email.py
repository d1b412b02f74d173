"""A new password leaves application passwords and API tokens working (issue 12, finding 10:
the decision and why are in SECURITY.md), so the "password changed" email, sent after a change
and after a reset, says which still work and links to the "Password compromised?" wizard, which
revokes them in one step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.inventory import CredentialInventory, credential_inventories
from accounts.models import User
from core.models import Notification
from organizations.models import Organization
from security.app_passwords import do_create_app_password
from tokens.services import do_create_token

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "seven purple owls read the morning paper"
WIZARD = reverse("compromised:password")


def with_credentials(user: User, organization: Organization) -> None:
    for name in ("Thunderbird", "Phone mail"):
        do_create_app_password(user, name=name, services=["mail"], actor=user)
    do_create_token(
        user,
        organization=organization,
        name="Deploy",
        scope="products",
        expires_at=None,
        actor=user,
    )


def changed_email(user: User) -> Notification:
    return Notification.objects.filter(kind="password_changed", recipient=user).latest("pk")


def test_reset_email_lists_the_credentials_that_still_work(alice: User, acme: Organization) -> None:
    with_credentials(alice, acme)

    services.do_reset_password(alice, NEW_PASSWORD)

    body = changed_email(alice).body_text
    assert "still work with the new password" in body
    assert "2 application passwords" in body
    assert "1 API token" in body
    assert WIZARD in body
    assert WIZARD in changed_email(alice).body_html


def test_change_email_lists_the_credentials_that_still_work(
    alice: User, acme: Organization
) -> None:
    with_credentials(alice, acme)

    services.do_change_password(alice, NEW_PASSWORD, actor=alice, keep_session_key=None)

    body = changed_email(alice).body_text
    assert "2 application passwords" in body
    assert "1 API token" in body


def test_email_without_credentials_lists_none(alice: User) -> None:
    services.do_reset_password(alice, NEW_PASSWORD)

    body = changed_email(alice).body_text
    assert "still work with the new password" not in body
    assert WIZARD not in body


def test_revoked_credentials_are_not_listed(alice: User, acme: Organization) -> None:
    with_credentials(alice, acme)
    for inventory in credential_inventories():
        if isinstance(inventory, CredentialInventory) and inventory.outlives_the_password:
            inventory.revoke_all(alice, actor=alice, request=None)  # type: ignore[arg-type]

    services.do_reset_password(alice, NEW_PASSWORD)

    assert "still work with the new password" not in changed_email(alice).body_text


def test_every_credential_category_says_whether_it_outlives_the_password(alice: User) -> None:
    """A new kind of credential must say whether a new password ends it; if not, the email
    counts it (and the count must work)."""
    for inventory in credential_inventories():
        if isinstance(inventory, CredentialInventory) and inventory.outlives_the_password:
            assert inventory.still_working(alice) == 0
