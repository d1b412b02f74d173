"""Invitations: signed, expiring, single-use links accepted by the invited address only, with a
page that changes nothing on GET."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from organizations import services
from organizations.models import Invitation, Membership, Organization, Role
from organizations.services import MembershipError
from tests.conftest import ClientResponse, membership, signed_in
from tests.factories import UserFactory


def _invite(org: Organization, email: str, actor: User, role: str = Role.COLLABORATOR) -> str:
    """Invite through the service; return the path of the link in the email."""
    invitation = services.do_invite_member(org, email=email, role=role, actor=actor)
    return _accept_path(invitation)


def _accept_path(invitation: Invitation) -> str:
    return f"/accounts/invitations/{services.invitation_token(invitation)}/"


def _link_in_email(to: str) -> str:
    email = Notification.objects.filter(kind="member_invited", to=to).latest("id")
    match = re.search(r"/accounts/invitations/[^/\s\"]+/", email.body_text)
    assert match, email.body_text
    return match.group(0)


@pytest.fixture
def frank(db: Any) -> User:
    """Someone with an account but no organization of Acme's: the person invited."""
    return UserFactory.create(email="frank@example.com", first_name="Frank", last_name="Huber")


def _main(response: ClientResponse) -> str:
    """The page's own content, without the frame's menus and forms."""
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def _is_member(user: User, org: Organization) -> bool:
    return Membership.objects.filter(organization=org, user=user).exists()


# --- Sending ------------------------------------------------------------------------------------


def test_invite_emails_signed_link(alice: User, bob: User, acme: Organization) -> None:
    invitation = services.do_invite_member(
        acme, email="  New.Person@Example.COM ", role=Role.COLLABORATOR, actor=bob
    )

    assert invitation.email == "new.person@example.com"
    assert invitation.invited_by == bob
    assert invitation.expires_at == invitation.created_at + timedelta(days=7)
    link = _link_in_email("new.person@example.com")
    token = link.split("/")[-2]
    assert services.invitation_from_token(token) == invitation
    assert "id" not in token  # signed and compressed, not a readable id
    event = AuditEvent.objects.get(action="member.invited")
    assert (event.actor, event.organization_id) == (bob, acme.pk)


def test_invite_existing_account_email_in_their_language(
    alice: User, frank: User, acme: Organization
) -> None:
    frank.language = "it"
    frank.save()

    services.do_invite_member(acme, email="FRANK@example.com", role=Role.EXTERNAL, actor=alice)

    email = Notification.objects.get(kind="member_invited")
    assert (email.recipient, email.language) == (frank, "it")


@pytest.mark.parametrize("email", ["bob@example.com", "BOB@Example.com"])
def test_invite_existing_member_refused(
    alice: User, bob: User, acme: Organization, email: str
) -> None:
    with pytest.raises(MembershipError, match="already a member"):
        services.do_invite_member(acme, email=email, role=Role.COLLABORATOR, actor=alice)

    assert not Invitation.objects.exists()
    assert not Notification.objects.exists()


def test_invite_page_refuses_existing_member_with_message(
    alice: User, bob: User, acme: Organization
) -> None:
    response = signed_in(alice).post(
        "/orgs/acme/members/invite/", {"email": "bob@example.com", "role": "collaborator"}
    )

    assert response.status_code == 200
    assert "This person is already a member." in response.content.decode()
    assert not Invitation.objects.exists()


def test_second_invitation_revokes_first(alice: User, frank: User, acme: Organization) -> None:
    first = _invite(acme, "frank@example.com", alice)
    second = _invite(acme, "Frank@Example.com", alice, role=Role.ADMINISTRATOR)
    client = signed_in(frank)

    assert "not valid" in client.get(first).content.decode()
    client.post(first)
    assert not _is_member(frank, acme)

    client.post(second)
    assert membership(frank, acme).role == Role.ADMINISTRATOR
    assert Invitation.objects.filter(revoked_at__isnull=False).count() == 1


def test_administrator_cannot_invite_legal_representative(
    alice: User, bob: User, acme: Organization
) -> None:
    with pytest.raises(PermissionDenied):
        services.do_invite_member(
            acme, email="x@example.com", role=Role.LEGAL_REPRESENTATIVE, actor=bob
        )

    response = signed_in(bob).post(
        "/orgs/acme/members/invite/", {"email": "x@example.com", "role": "legal_representative"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


def test_legal_representative_invites_legal_representative(
    alice: User, frank: User, acme: Organization
) -> None:
    link = _invite(acme, "frank@example.com", alice, role=Role.LEGAL_REPRESENTATIVE)

    signed_in(frank).post(link)

    assert membership(frank, acme).is_legal_representative


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.EXTERNAL])
def test_lower_roles_cannot_invite(alice: User, acme: Organization, role: str) -> None:
    from tests.organizations.helpers import add_member

    actor = add_member(acme, role).user

    with pytest.raises(PermissionDenied):
        services.do_invite_member(acme, email="x@example.com", role=Role.EXTERNAL, actor=actor)

    assert not Invitation.objects.exists()


def test_outsider_cannot_invite(alice: User, dave: User, acme: Organization) -> None:
    with pytest.raises(PermissionDenied):
        services.do_invite_member(acme, email="x@example.com", role=Role.EXTERNAL, actor=dave)

    assert not Invitation.objects.exists()


# --- Opening the link ---------------------------------------------------------------------------


def test_get_accept_link_changes_nothing(alice: User, frank: User, acme: Organization) -> None:
    link = _invite(acme, "frank@example.com", alice)
    events = AuditEvent.objects.count()

    response = signed_in(frank).get(link)

    page = _main(response)
    assert response.status_code == 200
    assert "Join Acme SA" in page
    assert page.count("<form") == 1
    assert page.count('type="submit"') == 1
    assert "Accept the invitation" in page
    assert not _is_member(frank, acme)
    assert Invitation.objects.get().accepted_at is None
    assert AuditEvent.objects.count() == events


def test_post_accept_link_joins(alice: User, frank: User, acme: Organization) -> None:
    link = _invite(acme, "frank@example.com", alice)

    response = signed_in(frank).post(link)

    assert response.status_code == 302
    assert response["Location"] == "/orgs/acme/"
    assert membership(frank, acme).role == Role.COLLABORATOR
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None
    event = AuditEvent.objects.get(action="member.joined")
    assert (event.actor, event.organization_id) == (frank, acme.pk)


def test_accept_link_from_email_works(alice: User, frank: User, acme: Organization) -> None:
    services.do_invite_member(acme, email="frank@example.com", role=Role.EXTERNAL, actor=alice)

    signed_in(frank).post(_link_in_email("frank@example.com"))

    assert membership(frank, acme).role == Role.EXTERNAL


def test_accept_twice_second_refused(alice: User, frank: User, acme: Organization) -> None:
    link = _invite(acme, "frank@example.com", alice)
    client = signed_in(frank)
    client.post(link)
    services.do_leave_organization(membership(frank, acme), actor=frank)

    response = client.post(link)

    assert "This invitation is not valid" in response.content.decode()
    assert not _is_member(frank, acme)
    with pytest.raises(MembershipError):
        services.do_accept_invitation(Invitation.objects.get(), user=frank)
    assert AuditEvent.objects.filter(action="member.joined").count() == 1


def test_accept_by_another_account_refused(
    alice: User, frank: User, dave: User, acme: Organization
) -> None:
    link = _invite(acme, "frank@example.com", alice)
    client = signed_in(dave)

    page = client.get(link).content.decode()
    assert "the invitation was sent to another address" in page
    assert "Accept the invitation" not in page

    response = client.post(link)
    assert "This invitation was sent to another email address" in response.content.decode()
    assert not _is_member(dave, acme)
    with pytest.raises(MembershipError):
        services.do_accept_invitation(Invitation.objects.get(), user=dave)
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize(
    ("invited", "account"),
    [
        ("FRANK@Example.COM", "frank@example.com"),
        ("frank@example.com", "Frank@Example.com"),
    ],
)
def test_accept_email_match_ignores_case(
    alice: User, acme: Organization, invited: str, account: str
) -> None:
    # The factory stores the address as given, as an account from before normalisation would.
    frank = UserFactory.create(email=account)
    invitation = Invitation.objects.create(
        organization=acme,
        email=invited,
        role=Role.COLLABORATOR,
        invited_by=alice,
        expires_at=timezone.now() + timedelta(days=7),
    )
    client = signed_in(frank)

    assert "Accept the invitation" in client.get(_accept_path(invitation)).content.decode()
    client.post(_accept_path(invitation))

    assert _is_member(frank, acme)


def test_anonymous_sees_sign_in_and_nothing_changes(
    alice: User, frank: User, acme: Organization
) -> None:
    link = _invite(acme, "frank@example.com", alice)
    client = Client()

    page = client.get(link).content.decode()
    assert f"/accounts/login/?next={quote(link)}" in page
    assert f"/accounts/signup/?next={quote(link)}" in page
    assert "Accept the invitation" not in page
    client.post(link)

    assert not _is_member(frank, acme)
    assert Invitation.objects.get().accepted_at is None


def _sign_up(client: Client, next_url: str) -> ClientResponse:
    return client.post(
        f"/accounts/signup/?next={quote(next_url)}",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "Grace@example.com",
            "organization_name": "Hopper GmbH",
            "new_password1": "a long passphrase for grace",
            "new_password2": "a long passphrase for grace",
            "next": next_url,
        },
    )


def test_invited_person_without_account_signs_up_verifies_then_accepts(
    alice: User, acme: Organization
) -> None:
    link = _invite(acme, "grace@example.com", alice)
    client = Client()

    response = _sign_up(client, link)
    assert response["Location"] == "/accounts/signup/sent/"
    grace = User.objects.get(email="grace@example.com")
    assert not _is_member(grace, acme)
    # "Check your inbox" leads back to the invitation through the sign-in.
    sent_page = client.get(response["Location"]).content.decode()
    assert f"/accounts/login/?next={quote(link)}" in sent_page

    verify = Notification.objects.get(kind="verify_email", to="grace@example.com")
    client.post(re.search(r"https?://[^/\s]+(/\S+)", verify.body_text).group(1))  # type: ignore[union-attr]
    signed = client.post(
        f"/accounts/login/?next={quote(link)}",
        {"email": "grace@example.com", "password": "a long passphrase for grace", "next": link},
    )
    assert signed["Location"] == link
    client.post(link)

    assert membership(grace, acme).role == Role.COLLABORATOR


def test_sign_up_ignores_next_to_another_site(db: Any) -> None:
    client = Client()
    response = _sign_up(client, "https://evil.example.net/")

    assert response["Location"] == "/accounts/signup/sent/"
    assert "evil.example.net" not in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: signing.dumps({"id": 1}),  # right shape, wrong salt
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "other-salt", "garbage"],
)
def test_tampered_token_shows_invalid_page(
    alice: User, frank: User, acme: Organization, tamper: Callable[[str], str]
) -> None:
    invitation = services.do_invite_member(
        acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice
    )
    token = tamper(services.invitation_token(invitation))
    client = signed_in(frank)

    response = client.get(f"/accounts/invitations/{token}/")
    assert response.status_code == 200
    assert "This invitation is not valid" in response.content.decode()
    client.post(f"/accounts/invitations/{token}/")

    assert not _is_member(frank, acme)


def test_token_with_foreign_payload_is_invalid(alice: User, acme: Organization) -> None:
    token = signing.dumps({"id": "1"}, salt="organizations.invitation", compress=True)

    assert services.invitation_from_token(token) is None


def test_invitation_valid_for_seven_days(alice: User, frank: User, acme: Organization) -> None:
    link = _invite(acme, "frank@example.com", alice)

    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        response = signed_in(frank).post(link)

    assert response.status_code == 302
    assert _is_member(frank, acme)


def test_invitation_expires_after_seven_days(alice: User, frank: User, acme: Organization) -> None:
    link = _invite(acme, "frank@example.com", alice)

    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        client = signed_in(frank)
        assert "This invitation is not valid" in client.get(link).content.decode()
        client.post(link)
        with pytest.raises(MembershipError):
            services.do_accept_invitation(Invitation.objects.get(), user=frank)

    assert not _is_member(frank, acme)


def test_expired_invitation_refused_even_with_fresh_signature(
    alice: User, frank: User, acme: Organization
) -> None:
    """The row's own expiry holds even if the signature's age were not checked."""
    invitation = services.do_invite_member(
        acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice
    )
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    signed_in(frank).post(_accept_path(invitation))

    assert not _is_member(frank, acme)


def test_revoked_invitation_cannot_be_accepted(
    alice: User, bob: User, frank: User, acme: Organization
) -> None:
    invitation = services.do_invite_member(
        acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice
    )

    response = signed_in(bob).post(f"/orgs/acme/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 302
    client = signed_in(frank)
    assert "This invitation is not valid" in client.get(_accept_path(invitation)).content.decode()
    client.post(_accept_path(invitation))

    assert not _is_member(frank, acme)
    event = AuditEvent.objects.get(action="member.invitation_revoked")
    assert (event.actor, event.organization_id) == (bob, acme.pk)


def test_accept_when_already_member_refused(alice: User, bob: User, acme: Organization) -> None:
    invitation = Invitation.objects.create(
        organization=acme,
        email="bob@example.com",
        role=Role.EXTERNAL,
        invited_by=alice,
        expires_at=timezone.now() + timedelta(days=7),
    )

    with pytest.raises(MembershipError, match="already a member"):
        services.do_accept_invitation(invitation, user=bob)

    assert membership(bob, acme).role == Role.ADMINISTRATOR
    assert Invitation.objects.get().accepted_at is None


def test_accepted_invitation_cannot_be_revoked(
    alice: User, frank: User, acme: Organization
) -> None:
    invitation = services.do_invite_member(
        acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice
    )
    services.do_accept_invitation(invitation, user=frank)

    services.do_revoke_invitation(invitation, actor=alice)

    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert not AuditEvent.objects.filter(action="member.invitation_revoked").exists()


def test_revoke_refused_for_collaborator(alice: User, erin: User, acme: Organization) -> None:
    invitation = services.do_invite_member(
        acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice
    )

    with pytest.raises(PermissionDenied):
        services.do_revoke_invitation(invitation, actor=erin)

    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_sign_up_from_an_invitation_is_prefilled_and_creates_no_organization(
    alice: User, acme: Organization
) -> None:
    """Issue 13, defect 5: the invited address was not pre-filled, and an organization name was
    required, so the invitee ended up with an organization of their own they never wanted."""
    link = _invite(acme, "grace@example.com", alice)
    client = Client()

    page = client.get(f"/accounts/signup/?next={quote(link)}").content.decode()
    assert 'value="grace@example.com"' in page
    assert 'name="organization_name"' not in page
    assert "Acme SA" in page  # says which organization the account joins

    response = client.post(
        f"/accounts/signup/?next={quote(link)}",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "new_password1": "a long passphrase for grace",
            "new_password2": "a long passphrase for grace",
            "next": link,
        },
    )

    assert response["Location"] == "/accounts/signup/sent/"
    grace = User.objects.get(email="grace@example.com")
    assert not Membership.objects.filter(user=grace).exists()  # none of her own
    assert Organization.objects.count() == 1


def test_the_invitation_email_says_what_to_do_without_an_account(
    alice: User, acme: Organization
) -> None:
    _invite(acme, "grace@example.com", alice)

    email = Notification.objects.get(kind="member_invited")

    assert "open the link again" not in email.body_text
    assert "Open the link to create your account and join" in email.body_text


def test_inviting_a_legal_representative_asks_for_the_password_first(
    alice: User, acme: Organization
) -> None:
    """Issue 13, defect 5: as changing a member's role to legal representative does."""
    client = signed_in(alice, recent_password=False)
    url = f"/orgs/{acme.slug}/members/invite/"
    data = {"email": "heidi@example.com", "role": Role.LEGAL_REPRESENTATIVE}

    response = client.post(url, data)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/confirm-password/")
    assert not Invitation.objects.exists()
    assert signed_in(alice).post(url, data).status_code == 302  # with a recent password: sent
    assert Invitation.objects.get().email == "heidi@example.com"


def test_inviting_a_collaborator_needs_no_password_again(alice: User, acme: Organization) -> None:
    client = signed_in(alice, recent_password=False)

    client.post(
        f"/orgs/{acme.slug}/members/invite/",
        {"email": "ivan@example.com", "role": Role.COLLABORATOR},
    )

    assert Invitation.objects.get().email == "ivan@example.com"
