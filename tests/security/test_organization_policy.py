"""An organization's 2FA requirement: who may set it (/orgs/<slug>/security/), and members
without 2FA sent to set it up before they use that organization's pages (the policy
`security.policies.two_factor_required`, applied by the access layer `organizations.access`; the
other channels are in tests/organizations/test_access.py, every route in tests/test_routes.py)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.models import AuditEvent
from organizations.models import Organization, Role
from security.models import OrganizationSecurityPolicy
from tests.conftest import signed_in, unescaped_html, with_authenticator
from tests.factories import MembershipFactory
from tests.security.helpers import TWO_FACTOR_URL

pytestmark = pytest.mark.django_db

SETUP_MESSAGE = "Acme SA requires two-factor authentication."


def security_url(org: Organization) -> str:
    return reverse("security:organization", args=[org.slug])


def require_two_factor(org: Organization) -> None:
    OrganizationSecurityPolicy.objects.update_or_create(
        organization=org, defaults={"require_two_factor": True}
    )


def is_required(org: Organization) -> bool:
    return OrganizationSecurityPolicy.objects.filter(
        organization=org, require_two_factor=True
    ).exists()


# --- Who may see and change the requirement -----------------------------------------------------


def test_security_page_for_outsider_is_not_found(as_dave: Client, acme: Organization) -> None:
    assert as_dave.get(security_url(acme)).status_code == 404
    assert as_dave.post(security_url(acme), {"require_two_factor": "on"}).status_code == 404
    assert not is_required(acme)


def test_security_page_for_collaborator_is_forbidden(as_erin: Client, acme: Organization) -> None:
    assert as_erin.get(security_url(acme)).status_code == 403
    assert as_erin.post(security_url(acme), {"require_two_factor": "on"}).status_code == 403
    assert not is_required(acme)


def test_security_page_for_outsider_of_requiring_organization_is_still_not_found(
    as_dave: Client, acme: Organization
) -> None:
    """The access layer does not tell an outsider that the organization requires 2FA."""
    require_two_factor(acme)
    assert as_dave.get(security_url(acme)).status_code == 404
    assert as_dave.get(reverse("organizations:dashboard", args=["acme"])).status_code == 404


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_security_page_lets_managers_require_and_release(
    request: pytest.FixtureRequest, acme: Organization, who: str
) -> None:
    user: User = request.getfixturevalue(who)
    with_authenticator(user)
    client = signed_in(user)
    assert client.get(security_url(acme)).status_code == 200
    response = client.post(security_url(acme), {"require_two_factor": "on"}, follow=True)
    assert "Two-factor authentication is now required for every member." in unescaped_html(response)
    assert is_required(acme)
    assert AuditEvent.objects.filter(
        action="organization.two_factor_required", actor=user, organization_id=acme.pk
    ).exists()
    # An unticked box sends nothing; the browser still sends the form's CSRF token.
    response = client.post(security_url(acme), {"csrfmiddlewaretoken": "x"}, follow=True)
    assert "Two-factor authentication is no longer required." in unescaped_html(response)
    assert not is_required(acme)


def test_security_page_lists_who_has_two_factor(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    with_authenticator(alice)
    with_authenticator(bob)
    page = unescaped_html(signed_in(alice).get(security_url(acme)))
    rows = {
        email: row
        for row in page.split("<tr>")[1:]
        for email in ("alice@example.com", "bob@example.com", "erin@example.com")
        if email in row
    }
    assert set(rows) == {"alice@example.com", "bob@example.com", "erin@example.com"}
    assert ">On<" in rows["alice@example.com"]
    assert ">On<" in rows["bob@example.com"]
    assert ">Off<" in rows["erin@example.com"]


def test_security_page_lists_no_one_from_other_organizations(
    alice: User, carol: User, acme: Organization
) -> None:
    with_authenticator(alice)
    assert "carol@example.com" not in unescaped_html(signed_in(alice).get(security_url(acme)))


def test_manager_without_two_factor_who_requires_it_is_sent_to_set_it_up(
    as_bob: Client, acme: Organization
) -> None:
    response = as_bob.post(security_url(acme), {"require_two_factor": "on"}, follow=True)
    assert is_required(acme)
    assert response.redirect_chain[-1][0] == TWO_FACTOR_URL


# --- Members without 2FA ------------------------------------------------------------------------


def test_member_without_two_factor_is_sent_to_set_it_up(
    as_erin: Client, acme: Organization
) -> None:
    require_two_factor(acme)
    for name in ("dashboard", "member-list", "activity"):
        response = as_erin.get(reverse(f"organizations:{name}", args=["acme"]))
        assert response.status_code == 302, name
        assert response["Location"] == TWO_FACTOR_URL, name
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(SETUP_MESSAGE in m for m in messages)


def test_member_without_two_factor_cannot_change_anything_either(
    as_bob: Client, erin: User, acme: Organization
) -> None:
    require_two_factor(acme)
    url = reverse("organizations:member-role", args=["acme", erin.memberships.get().pk])
    response = as_bob.post(url, {"role": Role.ADMINISTRATOR})
    assert response["Location"] == TWO_FACTOR_URL
    assert erin.memberships.get().role == Role.COLLABORATOR


def test_member_without_two_factor_may_still_leave(as_erin: Client, acme: Organization) -> None:
    require_two_factor(acme)
    response = as_erin.get(reverse("organizations:leave", args=["acme"]))
    assert response.status_code == 200


def test_member_without_two_factor_may_use_other_organizations(
    erin: User, acme: Organization, studio_carol: Organization
) -> None:
    MembershipFactory.create(organization=studio_carol, user=erin, role=Role.COLLABORATOR)
    require_two_factor(acme)
    client = signed_in(erin)
    assert client.get(reverse("organizations:dashboard", args=["studio-carol"])).status_code == 200
    assert client.get(reverse("organizations:dashboard", args=["acme"])).status_code == 302


def test_member_without_two_factor_may_use_account_pages(
    as_erin: Client, acme: Organization
) -> None:
    require_two_factor(acme)
    assert as_erin.get(reverse("accounts:profile")).status_code == 200
    assert as_erin.get(TWO_FACTOR_URL).status_code == 200
    assert as_erin.get(reverse("security:totp-add")).status_code == 200


def test_member_with_two_factor_is_let_through(erin: User, acme: Organization) -> None:
    require_two_factor(acme)
    with_authenticator(erin)
    client = signed_in(erin)
    assert client.get(reverse("organizations:dashboard", args=["acme"])).status_code == 200


def test_member_is_let_through_when_no_longer_required(as_erin: Client, acme: Organization) -> None:
    require_two_factor(acme)
    OrganizationSecurityPolicy.objects.filter(organization=acme).update(require_two_factor=False)
    assert as_erin.get(reverse("organizations:dashboard", args=["acme"])).status_code == 200
