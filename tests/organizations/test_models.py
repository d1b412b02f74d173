"""Roles and their capabilities, who may change whom, and the scoped look-ups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from organizations.models import ROLE_ORDER, Invitation, Membership, Organization, Role
from tests.conftest import membership
from tests.organizations.helpers import add_legal_representative, add_member

LR, ADMIN, COLLAB, EXTERNAL = (
    Role.LEGAL_REPRESENTATIVE,
    Role.ADMINISTRATOR,
    Role.COLLABORATOR,
    Role.EXTERNAL,
)

# (role, billing_rights) -> the capabilities the guides give it.
CAPABILITIES: list[tuple[str, bool, dict[str, bool]]] = [
    (
        LR,
        False,
        {
            "is_legal_representative": True,
            "can_manage_members": True,
            "can_appoint_legal_representative": True,
            "can_edit_organization": True,
            "can_manage_billing": True,
            "can_see_all_products": True,
            "can_manage_tags": True,
            "can_read_audit_log": True,
            "can_see_member_emails": True,
            "can_see_offer_requests": True,
            "can_read_newsletter": True,
            "can_manage_newsletter": True,
        },
    ),
    (
        ADMIN,
        False,
        {
            "is_legal_representative": False,
            "can_manage_members": True,
            "can_appoint_legal_representative": False,
            "can_edit_organization": True,
            "can_manage_billing": True,
            "can_see_all_products": True,
            "can_manage_tags": True,
            "can_read_audit_log": False,
            "can_see_member_emails": True,
            "can_see_offer_requests": True,
            "can_read_newsletter": True,
            "can_manage_newsletter": True,
        },
    ),
    (
        COLLAB,
        False,
        {
            "is_legal_representative": False,
            "can_manage_members": False,
            "can_appoint_legal_representative": False,
            "can_edit_organization": False,
            "can_manage_billing": False,
            "can_see_all_products": False,
            "can_manage_tags": False,
            "can_read_audit_log": False,
            "can_see_member_emails": True,
            "can_see_offer_requests": True,
            "can_read_newsletter": True,
            "can_manage_newsletter": False,
        },
    ),
    (
        COLLAB,
        True,
        {
            "is_legal_representative": False,
            "can_manage_members": False,
            "can_appoint_legal_representative": False,
            "can_edit_organization": False,
            "can_manage_billing": True,
            "can_see_all_products": False,
            "can_manage_tags": False,
            "can_read_audit_log": False,
            "can_see_member_emails": True,
            "can_see_offer_requests": True,
            "can_read_newsletter": True,
            "can_manage_newsletter": False,
        },
    ),
    (
        EXTERNAL,
        False,
        {
            "is_legal_representative": False,
            "can_manage_members": False,
            "can_appoint_legal_representative": False,
            "can_edit_organization": False,
            "can_manage_billing": False,
            "can_see_all_products": False,
            "can_manage_tags": False,
            "can_read_audit_log": False,
            "can_see_member_emails": False,
            "can_see_offer_requests": False,
            "can_read_newsletter": False,
            "can_manage_newsletter": False,
        },
    ),
    # Accounting rights mean something only for collaborators.
    (
        EXTERNAL,
        True,
        {
            "is_legal_representative": False,
            "can_manage_members": False,
            "can_appoint_legal_representative": False,
            "can_edit_organization": False,
            "can_manage_billing": False,
            "can_see_all_products": False,
            "can_manage_tags": False,
            "can_read_audit_log": False,
            "can_see_member_emails": False,
            "can_see_offer_requests": False,
            "can_read_newsletter": False,
            "can_manage_newsletter": False,
        },
    ),
]


@pytest.mark.parametrize(("role", "billing_rights", "expected"), CAPABILITIES)
def test_capabilities_match_role(
    role: str, billing_rights: bool, expected: dict[str, bool]
) -> None:
    member = Membership(role=role, billing_rights=billing_rights)
    assert {name: getattr(member, name) for name in expected} == expected


def test_capabilities_cover_every_property() -> None:
    """A new capability property must be added to the table above."""
    properties = {
        name
        for name, value in vars(Membership).items()
        if isinstance(value, property) and (name.startswith(("can_", "is_")))
    }
    for _role, _billing, expected in CAPABILITIES:
        assert set(expected) == properties


def test_roles_cover_every_choice() -> None:
    assert {role for role, _b, _e in CAPABILITIES} == set(Role)
    assert set(ROLE_ORDER) == set(Role)


def _pair(actor_role: str, target_role: str) -> tuple[Membership, Membership]:
    org = Organization(pk=1, name="X", slug="x")
    return (
        Membership(pk=1, organization=org, role=actor_role),
        Membership(pk=2, organization=org, role=target_role),
    )


# Who may change or remove whom: rows are the actor, columns the target.
CHANGE_MATRIX = {
    LR: {LR: True, ADMIN: True, COLLAB: True, EXTERNAL: True},
    ADMIN: {LR: False, ADMIN: True, COLLAB: True, EXTERNAL: True},
    COLLAB: {LR: False, ADMIN: False, COLLAB: False, EXTERNAL: False},
    EXTERNAL: {LR: False, ADMIN: False, COLLAB: False, EXTERNAL: False},
}


@pytest.mark.parametrize(
    ("actor_role", "target_role", "allowed"),
    [(a, t, ok) for a, row in CHANGE_MATRIX.items() for t, ok in row.items()],
)
def test_can_change_membership_follows_matrix(
    actor_role: str, target_role: str, allowed: bool
) -> None:
    actor, target = _pair(actor_role, target_role)
    assert actor.can_change_membership(target) is allowed


@pytest.mark.parametrize("role", list(Role))
def test_can_change_membership_refuses_self(role: str) -> None:
    me = Membership(pk=7, role=role)
    assert me.can_change_membership(me) is False


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (LR, [LR, ADMIN, COLLAB, EXTERNAL]),
        (ADMIN, [ADMIN, COLLAB, EXTERNAL]),
        (COLLAB, []),
        (EXTERNAL, []),
    ],
)
def test_assignable_roles_by_role(role: str, expected: list[Role]) -> None:
    assert Membership(role=role).assignable_roles() == expected


def test_membership_unique_per_organization(alice: User, acme: Organization) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(organization=acme, user=alice, role=Role.ADMINISTRATOR)
    assert Membership.objects.filter(organization=acme, user=alice).count() == 1


def test_legal_representatives_ignore_inactive_users(alice: User, acme: Organization) -> None:
    inactive = add_legal_representative(acme, active=False)
    add_member(acme, ADMIN)

    found = list(Membership.objects.filter(organization=acme).legal_representatives())

    assert found == [membership(alice, acme)]
    assert inactive not in found


def test_for_user_lists_only_own_organizations(alice: User, dave: User, carol: User) -> None:
    assert [o.slug for o in Organization.objects.for_user(alice)] == ["acme"]
    assert [o.slug for o in Organization.objects.for_user(dave)] == ["keller"]
    assert {m.organization.slug for m in Membership.objects.for_user(carol)} == {"studio-carol"}


def test_for_user_is_empty_for_inactive_user(alice: User) -> None:
    alice.is_active = False
    alice.save()

    assert not Organization.objects.for_user(alice).exists()
    assert not Membership.objects.for_user(alice).exists()


def test_for_user_is_empty_for_anonymous(alice: User) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not Organization.objects.for_user(AnonymousUser()).exists()
    assert not Membership.objects.for_user(AnonymousUser()).exists()


def test_ordered_by_role_puts_legal_representatives_first(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    external = add_member(acme, EXTERNAL, email="aaron@example.com")

    ordered = list(Membership.objects.filter(organization=acme).ordered_by_role())

    assert [m.user.email for m in ordered] == [
        "alice@example.com",
        "bob@example.com",
        "erin@example.com",
        external.user.email,
    ]


def _invitation(acme: Organization, **fields: Any) -> Invitation:
    now = timezone.now()
    defaults: dict[str, Any] = {
        "organization": acme,
        "email": "new@example.com",
        "role": COLLAB,
        "expires_at": now + timedelta(days=7),
    }
    return Invitation(**(defaults | fields))


def test_invitation_pending_until_expiry(acme: Organization) -> None:
    assert _invitation(acme).is_pending
    assert not _invitation(acme).is_expired


def test_invitation_not_pending_when_expired(acme: Organization) -> None:
    invitation = _invitation(acme, expires_at=timezone.now() - timedelta(seconds=1))
    assert invitation.is_expired
    assert not invitation.is_pending


def test_invitation_not_pending_when_accepted_or_revoked(acme: Organization) -> None:
    assert not _invitation(acme, accepted_at=timezone.now()).is_pending
    assert not _invitation(acme, revoked_at=timezone.now()).is_pending


def test_organization_url_is_dashboard(acme: Organization) -> None:
    assert acme.get_absolute_url() == "/orgs/acme/"
