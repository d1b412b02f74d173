"""The access layer (`organizations/access.py`): an organization's policies hold on every channel
that acts for it, and the role capabilities hold wherever a member acts (issue 11, findings 5 and
10). Each test replays an attack of the security review."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from offers.models import OfferRequest
from organizations import access
from organizations.models import Membership, Organization, Role
from security.app_passwords import do_create_app_password
from security.models import OrganizationSecurityPolicy
from tests.conftest import membership, signed_in, with_authenticator
from tests.offers.conftest import CONTACT, make_offer, make_partner
from tests.organizations.helpers import add_member
from tokens.models import ApiToken, MailingList, Subscriber
from tokens.services import do_create_token

pytestmark = pytest.mark.django_db

TWO_FACTOR_URL = reverse("security:two-factor")
LISTS = "/api/v1/newsletter/lists/"


def require_two_factor(org: Organization) -> None:
    OrganizationSecurityPolicy.objects.update_or_create(
        organization=org, defaults={"require_two_factor": True}
    )


def bearer(user: User, org: Organization, scope: str = "newsletter") -> Client:
    _token, secret = do_create_token(
        user, organization=org, name=scope, scope=scope, expires_at=None, actor=user
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def basic(user: User) -> Client:
    _row, secret = do_create_app_password(user, name="Script", services=["api"], actor=user)
    raw = base64.b64encode(f"{user.email}:{secret}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {raw}")


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


# --- Finding 5: "require 2FA" on every channel --------------------------------------------------


def test_token_for_a_two_factor_organization_needs_two_factor(
    as_erin: Client, erin: User, acme: Organization
) -> None:
    require_two_factor(acme)

    page = as_erin.get(reverse("tokens:create"))
    response = as_erin.post(
        reverse("tokens:create"),
        {"name": "Import", "organization": acme.pk, "scope": "newsletter", "validity": "unlimited"},
    )

    assert "Acme SA requires two-factor authentication" in page.content.decode()
    assert response.status_code == 200
    assert not ApiToken.objects.filter(user=erin).exists()


def test_token_service_refuses_a_member_without_two_factor(erin: User, acme: Organization) -> None:
    require_two_factor(acme)

    with pytest.raises(access.PolicyRefused):
        do_create_token(
            erin, organization=acme, name="x", scope="newsletter", expires_at=None, actor=erin
        )


def test_regenerating_a_token_for_a_two_factor_organization_needs_two_factor(
    as_erin: Client, erin: User, acme: Organization
) -> None:
    token, _secret = do_create_token(
        erin, organization=acme, name="x", scope="newsletter", expires_at=None, actor=erin
    )
    ApiToken.objects.filter(pk=token.pk).update(deactivated_at=timezone.now())
    require_two_factor(acme)

    response = as_erin.post(reverse("tokens:regenerate", args=[token.pk]))

    assert response["Location"] == TWO_FACTOR_URL
    assert ApiToken.objects.filter(user=erin).count() == 1
    assert ApiToken.objects.get(user=erin).revoked_at is None  # the old one is left as it was


def test_token_made_before_the_requirement_stops_working(erin: User, acme: Organization) -> None:
    client = bearer(erin, acme)
    assert client.get(LISTS).status_code == 200
    require_two_factor(acme)
    from tokens.authentication import recent_tokens

    recent_tokens.clear()  # another process, or 5 seconds later

    response = client.get(LISTS)

    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_required"


def test_token_works_again_once_the_member_has_two_factor(erin: User, acme: Organization) -> None:
    require_two_factor(acme)
    with_authenticator(erin)

    assert bearer(erin, acme).get(LISTS).status_code == 200


def test_basic_with_organization_needs_two_factor(erin: User, acme: Organization) -> None:
    require_two_factor(acme)

    response = basic(erin).get(f"{LISTS}?organization=acme")

    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_required"


def test_basic_for_another_organization_is_still_404(dave: User, acme: Organization) -> None:
    """The refusal tells an outsider nothing about the organization's rules."""
    require_two_factor(acme)

    assert basic(dave).get(f"{LISTS}?organization=acme").status_code == 404


@pytest.mark.parametrize("name", ["offer-list", "settings"])
def test_partner_pages_need_two_factor(carol: User, studio_carol: Organization, name: str) -> None:
    make_partner(studio_carol)
    require_two_factor(studio_carol)

    response = signed_in(carol).get(reverse(f"partners:{name}"))

    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR_URL


def test_partner_api_needs_two_factor(carol: User, studio_carol: Organization) -> None:
    make_partner(studio_carol)
    client = bearer(carol, studio_carol, "offers")  # made before the requirement
    require_two_factor(studio_carol)

    response = client.get("/api/v1/offers/")

    assert response.status_code == 403
    assert response.json()["error"] == "two_factor_required"


def test_leaving_needs_no_second_factor(as_erin: Client, acme: Organization) -> None:
    require_two_factor(acme)

    assert as_erin.get(reverse("organizations:leave", args=["acme"])).status_code == 200


# --- Finding 10: roles --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.EXTERNAL])
def test_lower_roles_cannot_change_the_newsletter(
    acme: Organization, alice: User, role: str
) -> None:
    member = add_member(acme, role).user
    existing = MailingList.objects.create(organization=acme, name="Customers")
    client = bearer(member, acme)

    created = post_json(client, LISTS, {"name": "Mine"})
    deleted = client.delete(f"{LISTS}{existing.pk}/")
    subscribed = post_json(client, f"{LISTS}{existing.pk}/subscribers/", {"email": "x@example.com"})

    assert (created.status_code, deleted.status_code, subscribed.status_code) == (403, 403, 403)
    assert created.json()["error"] == "role_not_allowed"
    assert list(MailingList.objects.values_list("name", flat=True)) == ["Customers"]
    assert not Subscriber.objects.exists()


def test_lower_roles_cannot_change_the_newsletter_over_basic(acme: Organization) -> None:
    external = add_member(acme, Role.EXTERNAL).user

    response = post_json(basic(external), f"{LISTS}?organization=acme", {"name": "Mine"})

    assert response.status_code == 403
    assert not MailingList.objects.exists()


def test_collaborator_reads_and_external_does_not_read_the_newsletter(acme: Organization) -> None:
    collaborator = add_member(acme, Role.COLLABORATOR).user
    external = add_member(acme, Role.EXTERNAL).user

    assert bearer(collaborator, acme).get(LISTS).status_code == 200
    assert bearer(external, acme).get(LISTS).status_code == 403


def test_administrator_manages_the_newsletter(bob: User, acme: Organization) -> None:
    client = bearer(bob, acme)

    created = post_json(client, LISTS, {"name": "Customers"})
    pk = created.json()["id"]
    subscribed = post_json(client, f"{LISTS}{pk}/subscribers/", {"email": "x@example.com"})

    assert (created.status_code, subscribed.status_code) == (201, 201)


def test_external_sees_no_member_emails(alice: User, bob: User, acme: Organization) -> None:
    external = add_member(acme, Role.EXTERNAL).user

    page = signed_in(external).get(reverse("organizations:member-list", args=["acme"]))

    assert page.status_code == 200
    assert "Alice" in page.content.decode()
    assert "alice@example.com" not in page.content.decode()
    assert "bob@example.com" not in page.content.decode()


def test_collaborator_sees_member_emails(as_erin: Client, alice: User) -> None:
    page = as_erin.get(reverse("organizations:member-list", args=["acme"]))

    assert "alice@example.com" in page.content.decode()


def test_external_sees_no_offer_requests(alice: User, acme: Organization) -> None:
    offer = make_offer(acme, created_by=alice)
    client = signed_in(add_member(acme, Role.EXTERNAL).user)

    for url in (
        reverse("offers:request-list", args=["acme"]),
        reverse("offers:request-detail", args=["acme", offer.pk]),
        reverse("offers:request-create", args=["acme"]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert CONTACT["contact_email"] not in response.content.decode(), url
    assert OfferRequest.objects.count() == 1


def test_partners_external_sees_no_offer_requests(
    carol: User, studio_carol: Organization, alice: User, acme: Organization
) -> None:
    make_partner(studio_carol)
    offer = make_offer(acme, created_by=alice)
    client = signed_in(add_member(studio_carol, Role.EXTERNAL).user)

    response = client.get(reverse("partners:offer-detail", args=[offer.pk]))

    assert response.status_code == 403
    assert CONTACT["contact_email"] not in response.content.decode()


def test_collaborator_cannot_withdraw_an_invitation(
    as_erin: Client, alice: User, acme: Organization
) -> None:
    from organizations.services import do_invite_member

    invitation = do_invite_member(acme, email="x@example.com", role=Role.EXTERNAL, actor=alice)

    response = as_erin.post(
        reverse("organizations:invitation-revoke", args=["acme", invitation.pk])
    )

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- The layer itself ---------------------------------------------------------------------------


def test_an_unknown_capability_fails_at_import() -> None:
    with pytest.raises(AttributeError):
        access.org_member_required(capability="can_fly")


def test_policies_come_from_the_settings(settings: Any, erin: User, acme: Organization) -> None:
    settings.ORGANIZATION_POLICIES = []
    require_two_factor(acme)

    assert access.refusal_for(membership(erin, acme)) is None


def test_membership_of_is_none_for_outsiders_and_inactive_people(
    dave: User, erin: User, acme: Organization
) -> None:
    assert access.membership_of(dave, "acme") is None
    User.objects.filter(pk=erin.pk).update(is_active=False)
    erin.refresh_from_db()
    assert access.membership_of(erin, "acme") is None
    assert Membership.objects.filter(user=erin).exists()
