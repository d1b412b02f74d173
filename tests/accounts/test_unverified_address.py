"""Issue 11, finding 4: an unverified address keeps no way in.

The attack: someone signs up as victim@corp.example without verifying the address and mints an
application password. The real owner later resets the password and accepts an invitation; the
attacker's application password must not reach the organization. So minting credentials and
joining an organization need a verified address, and a reset (which proves the address) revokes
what was minted before the address was verified."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.reauth import SESSION_KEY as REAUTH_SESSION_KEY
from accounts.services import EmailNotVerified
from core.crypto import digest
from core.models import Notification
from organizations import services as org_services
from organizations.models import Membership, Organization, Role
from security import app_passwords
from security.models import ApplicationPassword, AppService
from tests.accounts.helpers import link_in, sign_in
from tests.conftest import page_html, signed_in
from tests.factories import UserFactory
from tokens import format as token_format
from tokens import services as token_services
from tokens.models import ApiToken

pytestmark = pytest.mark.django_db

VICTIM = "victim@corp.example"
ATTACKER_PASSWORD = "the attacker chose this password"
OWNER_PASSWORD = "the real owner took it back today"
LISTS = "/api/v1/newsletter/lists/"


def _basic(email: str, password: str) -> Client:
    raw = base64.b64encode(f"{email}:{password}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {raw}")


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def squatter(db: Any) -> User:
    """The attacker's account under the victim's address, never verified."""
    return UserFactory.create(email=VICTIM, email_verified_at=None, password=ATTACKER_PASSWORD)


def _legacy_credentials(user: User, org: Organization) -> tuple[str, str]:
    """An application password and an API token minted before minting needed a verified address
    (the way the old code let anyone do it): the rows as the old services wrote them."""
    app_secret = app_passwords.generate()
    ApplicationPassword.objects.create(
        user=user,
        name="Attacker's script",
        digest=digest(app_passwords.normalize(app_secret)),
        services=[AppService.API],
    )
    token_secret = token_format.generate()
    ApiToken.objects.create(
        user=user,
        organization=org,
        name="Attacker's token",
        scope="newsletter",
        digest=digest(token_secret),
        hint=token_secret[-4:],
    )
    return app_secret, token_secret


def _reset_password(client: Client, email: str, new_password: str) -> Any:
    client.post(reverse("accounts:password-reset"), {"email": email})
    link = link_in(Notification.objects.filter(kind="password_reset").latest("created_at"))
    response = client.get(link)
    return client.post(
        response["Location"], {"new_password1": new_password, "new_password2": new_password}
    )


# --- Minting needs a verified address ---------------------------------------------------------


def test_create_app_password_while_unverified_is_refused(squatter: User) -> None:
    with pytest.raises(EmailNotVerified):
        app_passwords.do_create_app_password(
            squatter, name="Mail", services=["api"], actor=squatter
        )
    assert not ApplicationPassword.objects.exists()


def test_create_token_while_unverified_is_refused(squatter: User) -> None:
    org = org_services.do_create_organization("Squat SA", creator=squatter)
    with pytest.raises(EmailNotVerified):
        token_services.do_create_token(
            squatter,
            organization=org,
            name="Script",
            scope="newsletter",
            expires_at=None,
            actor=squatter,
        )
    assert not ApiToken.objects.exists()


def test_regenerate_token_while_unverified_is_refused_and_keeps_the_old_one(
    squatter: User,
) -> None:
    org = org_services.do_create_organization("Squat SA", creator=squatter)
    _app, _secret = _legacy_credentials(squatter, org)
    old = ApiToken.objects.get()
    ApiToken.objects.filter(pk=old.pk).update(deactivated_at=timezone.now())
    old.refresh_from_db()

    with pytest.raises(EmailNotVerified):
        token_services.do_regenerate_token(old, actor=squatter)

    assert ApiToken.objects.count() == 1
    old.refresh_from_db()
    assert old.revoked_at is None


def test_attacker_signs_up_unverified_and_cannot_mint_an_application_password(
    client: Client,
) -> None:
    client.post(
        reverse("organizations:signup"),
        {
            "first_name": "Mallory",
            "last_name": "Attacker",
            "email": VICTIM,
            "organization_name": "Squat SA",
            "new_password1": ATTACKER_PASSWORD,
            "new_password2": ATTACKER_PASSWORD,
        },
    )
    sign_in(client, VICTIM, ATTACKER_PASSWORD)
    session = client.session
    session[REAUTH_SESSION_KEY] = time.time()  # the password was just typed
    session.save()

    page = client.get(reverse("security:app-passwords"))
    assert "Verify your email address first" in page_html(page)
    assert 'href="/security/app-passwords/new/"' not in page_html(page)
    form_page = client.get(reverse("security:app-password-new"), follow=True)
    assert "Verify your email address first" in page_html(form_page)
    response = client.post(
        reverse("security:app-password-new"), {"name": "Mail", "services": ["api"]}, follow=True
    )

    assert "Verify your email address first" in page_html(response)
    assert not ApplicationPassword.objects.exists()


def test_token_page_says_up_front_and_refuses_while_unverified(squatter: User) -> None:
    org = org_services.do_create_organization("Squat SA", creator=squatter)
    client = signed_in(squatter)

    assert "Verify your email address first" in page_html(client.get(reverse("tokens:list")))
    assert "Verify your email address first" in page_html(client.get(reverse("tokens:create")))
    response = client.post(
        reverse("tokens:create"),
        {"name": "Script", "organization": org.pk, "scope": "newsletter"},
        follow=True,
    )

    assert "Verify your email address first" in page_html(response)
    assert not ApiToken.objects.exists()


def test_verified_person_still_mints_credentials(alice: User, acme: Organization) -> None:
    _row, secret = app_passwords.do_create_app_password(
        alice, name="Mail", services=["api"], actor=alice
    )
    token, _token_secret = token_services.do_create_token(
        alice, organization=acme, name="Script", scope="newsletter", expires_at=None, actor=alice
    )
    assert app_passwords.looks_like_app_password(secret)
    assert token.is_active


# --- Joining an organization needs a verified address -----------------------------------------


def _invite(org: Organization, inviter: User, email: str) -> str:
    org_services.do_invite_member(org, email=email, role=Role.ADMINISTRATOR, actor=inviter)
    return link_in(Notification.objects.get(kind="member_invited", to=email))


def test_invitation_accept_while_unverified_is_refused(
    squatter: User, acme: Organization, alice: User
) -> None:
    link = _invite(acme, alice, VICTIM)
    client = signed_in(squatter)

    page = client.get(link)
    assert "Verify your email address first" in page_html(page)
    assert "Accept the invitation" not in page_html(page)
    response = client.post(link, follow=True)

    assert "Verify your email address first" in page_html(response)
    assert not Membership.objects.filter(organization=acme, user=squatter).exists()
    invitation = acme.invitations.get()
    assert invitation.accepted_at is None  # still there for the real owner


def test_accept_invitation_service_refuses_an_unverified_address(
    squatter: User, acme: Organization, alice: User
) -> None:
    _invite(acme, alice, VICTIM)
    with pytest.raises(EmailNotVerified):
        org_services.do_accept_invitation(acme.invitations.get(), user=squatter)
    assert not Membership.objects.filter(organization=acme, user=squatter).exists()


# --- A reset proves the address and revokes what was minted before ---------------------------


def test_owner_reset_revokes_credentials_minted_before_verification(
    squatter: User, acme: Organization, alice: User
) -> None:
    """The whole attack: legacy credentials of the squatter, the owner's reset, the invitation,
    and the application password that must no longer reach Acme."""
    squat_org = org_services.do_create_organization("Squat SA", creator=squatter)
    app_secret, token_secret = _legacy_credentials(squatter, squat_org)
    assert _basic(VICTIM, app_secret).get(f"{LISTS}?organization={squat_org.slug}").status_code == (
        200
    )

    owner = Client()
    response = _reset_password(owner, VICTIM, OWNER_PASSWORD)
    assert response.status_code == 302

    squatter.refresh_from_db()
    assert squatter.is_email_verified  # following the reset link proved the address
    assert squatter.check_password(OWNER_PASSWORD)
    assert not ApplicationPassword.objects.filter(revoked_at=None).exists()
    assert not ApiToken.objects.filter(revoked_at=None).exists()
    email = Notification.objects.get(kind="password_changed", to=VICTIM)
    assert re.search(r"\b2 application passwords or API tokens\b", email.body_text), email.body_text

    # The owner accepts an invitation to Acme; the old application password stays dead.
    link = _invite(acme, alice, VICTIM)
    sign_in(owner, VICTIM, OWNER_PASSWORD)
    owner.post(link)
    assert Membership.objects.filter(organization=acme, user=squatter).exists()
    assert _basic(VICTIM, app_secret).get(f"{LISTS}?organization=acme").status_code == 401
    assert _bearer(token_secret).get(f"{LISTS}?organization=acme").status_code == 401


def test_reset_keeps_credentials_made_after_verification(alice: User, acme: Organization) -> None:
    User.objects.filter(pk=alice.pk).update(email_verified_at=timezone.now() - timedelta(days=30))
    legacy = ApplicationPassword.objects.create(
        user=alice, name="Before", digest="a" * 64, created_at=timezone.now() - timedelta(days=60)
    )
    kept, _secret = app_passwords.do_create_app_password(
        alice, name="After", services=["mail"], actor=alice
    )

    _reset_password(Client(), alice.email, OWNER_PASSWORD)

    legacy.refresh_from_db()
    kept.refresh_from_db()
    assert legacy.revoked_at is not None
    assert kept.revoked_at is None
    assert "1 application password or API token" in (
        Notification.objects.get(kind="password_changed").body_text
    )


def test_reset_without_legacy_credentials_says_nothing_about_revoking(alice: User) -> None:
    _reset_password(Client(), alice.email, OWNER_PASSWORD)
    body = Notification.objects.get(kind="password_changed").body_text
    assert "were created before" not in body
    assert "was created before" not in body


def test_password_change_while_signed_in_revokes_nothing(squatter: User) -> None:
    """Only the reset link proves the address: the attacker changing the password does not."""
    org = org_services.do_create_organization("Squat SA", creator=squatter)
    _legacy_credentials(squatter, org)
    client = signed_in(squatter)

    client.post(
        reverse("accounts:password-change"),
        {
            "old_password": ATTACKER_PASSWORD,
            "new_password1": OWNER_PASSWORD,
            "new_password2": OWNER_PASSWORD,
        },
    )

    squatter.refresh_from_db()
    assert squatter.check_password(OWNER_PASSWORD)
    assert not squatter.is_email_verified
    assert ApplicationPassword.objects.filter(revoked_at=None).count() == 1
