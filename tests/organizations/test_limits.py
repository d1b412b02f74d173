"""Issue 11, finding 11: making organizations must not multiply what one person may send.

Each organization has its own invitation limit, and invitation emails carry a name the inviter
chose; so a person creates a few organizations a day at most, and their invitations are limited
over all their organizations as well."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from core.models import Notification
from organizations import services
from organizations.models import Invitation, Organization
from tests.conftest import next_full_hour, signed_in

# The start of a day (UTC): the organization limit's window is a day, so "try again in" is
# exactly 24 hours whatever time the suite runs.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.frozen_at(next_full_hour().replace(hour=0) + timedelta(days=1)),
]


def test_creating_organizations_is_limited_per_person(dave: User, clock: Any) -> None:
    attempts, _window = settings.RATE_LIMITS["organization-create"]
    client = signed_in(dave)
    before = Organization.objects.count()
    for n in range(attempts):
        assert client.post("/orgs/new/", {"name": f"Relay {n}"}).status_code == 302

    response = client.post("/orgs/new/", {"name": "One too many"})

    assert response.status_code == 200
    assert "You created several organizations today." in response.content.decode()
    assert "You can create another one in 24 hours." in response.content.decode()
    assert Organization.objects.count() == before + attempts
    assert not Organization.objects.filter(name="One too many").exists()


def test_organization_limit_is_per_person(dave: User, alice: User, clock: Any) -> None:
    attempts, _window = settings.RATE_LIMITS["organization-create"]
    for n in range(attempts):
        services.do_create_organization(f"Relay {n}", creator=dave)
    with pytest.raises(services.TooManyOrganizations):
        services.do_create_organization("One too many", creator=dave)

    assert services.do_create_organization("Rossi Two", creator=alice).name == "Rossi Two"


def test_organization_limit_resets_after_a_day(dave: User, clock: Any) -> None:
    attempts, window = settings.RATE_LIMITS["organization-create"]
    for n in range(attempts):
        services.do_create_organization(f"Relay {n}", creator=dave)
    clock.move_to(timezone.now() + timedelta(seconds=window))

    assert services.do_create_organization("Next day", creator=dave).name == "Next day"


def test_invitations_are_limited_per_person_over_all_their_organizations(
    dave: User, clock: Any
) -> None:
    """The replay: a handful of fresh organizations, each under its own limit, together over the
    person's limit."""
    per_person, _window = settings.RATE_LIMITS["invite-person"]
    per_org, _window = settings.RATE_LIMITS["invite"]
    assert per_person < per_org  # one person sends less than an organization's team may
    client = signed_in(dave)
    orgs = [services.do_create_organization(f"Relay {n}", creator=dave) for n in range(2)]
    sent = 0
    for n in range(per_person):
        org = orgs[n % 2]
        response = client.post(
            f"/orgs/{org.slug}/members/invite/",
            {"email": f"target{n}@example.com", "role": "collaborator"},
        )
        assert response.status_code == 302
        sent += 1

    response = client.post(
        f"/orgs/{orgs[1].slug}/members/invite/",
        {"email": "one-more@example.com", "role": "collaborator"},
    )

    assert response.status_code == 200
    assert "Too many attempts. Try again in 60 minutes." in response.content.decode()
    assert Invitation.objects.count() == sent
    assert not Invitation.objects.filter(email="one-more@example.com").exists()


def test_invitation_limit_of_one_person_leaves_the_others_alone(
    alice: User, bob: User, clock: Any
) -> None:
    per_person, _window = settings.RATE_LIMITS["invite-person"]
    client = signed_in(alice)
    for n in range(per_person):
        client.post(
            "/orgs/acme/members/invite/", {"email": f"t{n}@example.com", "role": "external"}
        )
    assert Invitation.objects.count() == per_person
    refused = client.post(
        "/orgs/acme/members/invite/", {"email": "x@example.com", "role": "external"}
    )
    assert refused.status_code == 200

    # Acme's own limit is not reached yet (it is higher than one person's), so bob may invite.
    response = signed_in(bob).post(
        "/orgs/acme/members/invite/", {"email": "frank@example.com", "role": "external"}
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(email="frank@example.com").exists()


# --- Issue 12, finding 7: organization names and invitations are no phishing relay -------------

PHISHING_NAMES = [
    "Portal Security Team 1: log in at https://portal-login.evil.example/",
    "Security Team: log in at portal-login.evil.example",
    "Visit www.evil.example",
    "Write to help@evil.example",
    "acme.ch/login",
]


@pytest.mark.parametrize("name", PHISHING_NAMES)
def test_organization_name_with_a_link_is_refused_on_the_page(dave: User, name: str) -> None:
    response = signed_in(dave).post("/orgs/new/", {"name": name})

    assert response.status_code == 200
    assert "cannot contain a web or email address" in response.content.decode()
    assert not Organization.objects.filter(name=name).exists()


@pytest.mark.parametrize("name", PHISHING_NAMES)
def test_organization_name_with_a_link_is_refused_at_sign_up(client: Any, name: str) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "first_name": "Eve",
            "last_name": "Mallory",
            "email": "eve@example.com",
            "organization_name": name,
            "new_password1": "a long passphrase for eve",
            "new_password2": "a long passphrase for eve",
        },
    )

    assert response.status_code == 200
    assert "cannot contain a web or email address" in response.content.decode()
    assert not User.objects.filter(email="eve@example.com").exists()


def test_organization_service_refuses_a_link_in_the_name(dave: User) -> None:
    with pytest.raises(ValidationError):
        services.do_create_organization("Login at portal-login.evil.example", creator=dave)
    assert not Organization.objects.filter(name__contains="evil").exists()


@pytest.mark.parametrize("name", ["Acme SA", "Acme S.A.", "Rossi & Co.", "Dr. Rossi", "Müller AG"])
def test_ordinary_organization_names_pass(dave: User, name: str) -> None:
    assert services.do_create_organization(name, creator=dave).name == name


def test_invitation_subject_quotes_no_user_text(alice: User, acme: Organization) -> None:
    acme.name = "Approve now to keep your mailbox active"
    acme.save(update_fields=["name"])
    alice.first_name = "Portal IT"
    alice.save(update_fields=["first_name"])

    services.do_invite_member(acme, email="victim@example.com", role="external", actor=alice)

    mail = Notification.objects.get(kind="member_invited")
    assert mail.subject == "You are invited to join an organization"
