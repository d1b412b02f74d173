"""Scoped look-ups: every organization query starts from the user's memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from organizations.models import Membership, Organization  # noqa: F401


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def for_user(self, user: Any) -> OrganizationQuerySet:
        """Organizations the user belongs to (none for an anonymous or inactive user)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(memberships__user=user)


class MembershipQuerySet(models.QuerySet["Membership"]):
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
