"""Helpers of the organizations tests: extra members beside the fixed cast."""

from __future__ import annotations

from accounts.models import User
from organizations.models import Membership, Organization, Role
from tests.factories import MembershipFactory, UserFactory


def add_member(
    org: Organization,
    role: str,
    *,
    email: str | None = None,
    active: bool = True,
    language: str = "en",
    billing_rights: bool = False,
) -> Membership:
    """A new person with `role` in `org` (inactive when `active` is False)."""
    fields: dict[str, object] = {"is_active": active, "language": language}
    if email is not None:
        fields["email"] = email
    user: User = UserFactory.create(**fields)
    return MembershipFactory.create(
        organization=org, user=user, role=role, billing_rights=billing_rights
    )


def add_legal_representative(org: Organization, *, active: bool = True) -> Membership:
    return add_member(org, Role.LEGAL_REPRESENTATIVE, active=active)
