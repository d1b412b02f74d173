"""Scoped look-ups: every organization query starts from the user's memberships, and every
object an organization owns is fetched through `for_org(org)` / `for_member(membership)`
(ARCHITECTURE.md rule 1: another organization's object is a 404 because the query never finds
it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models

if TYPE_CHECKING:
    from organizations.models import Invitation, Membership, Organization  # noqa: F401

_Model = TypeVar("_Model", bound=models.Model)


class OrganizationOwnedQuerySet(models.QuerySet[_Model]):
    """Objects owned by an organization. `organization_field` is the path to the owner (for
    example "mailing_list__organization" for a subscriber)."""

    organization_field = "organization"

    def for_org(self, organization: Organization | int) -> Self:
        """The objects of this organization (an instance or its pk), and nothing else."""
        return self.filter(**{self.organization_field: organization})

    def for_member(self, membership: Membership) -> Self:
        """What this member may see of the organization's objects: all of them, unless the
        model's queryset narrows it by role (products given to collaborators)."""
        return self.for_org(membership.organization_id)


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def for_user(self, user: Any) -> OrganizationQuerySet:
        """Organizations the user belongs to (none for an anonymous or inactive user)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(memberships__user=user)


class MembershipQuerySet(OrganizationOwnedQuerySet["Membership"]):
    def legal_representatives(self) -> MembershipQuerySet:
        from organizations.models import Role

        return self.filter(role=Role.LEGAL_REPRESENTATIVE, user__is_active=True)

    def for_user(self, user: Any) -> MembershipQuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(user=user)

    def ordered_by_role(self) -> MembershipQuerySet:
        from organizations.models import ROLE_ORDER

        order = models.Case(
            *[models.When(role=r, then=models.Value(i)) for i, r in enumerate(ROLE_ORDER)],
            output_field=models.IntegerField(),
        )
        return self.annotate(role_rank=order).order_by("role_rank", "user__email")


class InvitationQuerySet(OrganizationOwnedQuerySet["Invitation"]):
    pass
