"""Scoped look-ups of tags: every query starts from the organization that owns them
(`organizations.managers.OrganizationOwnedQuerySet`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from organizations.managers import OrganizationOwnedQuerySet

if TYPE_CHECKING:
    from tags.models import Tag  # noqa: F401


class TagQuerySet(OrganizationOwnedQuerySet["Tag"]):
    pass
