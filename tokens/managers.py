"""Scoped look-ups of the Newsletter API's mailing lists and subscribers: every query starts
from the organization that owns them (`organizations.managers.OrganizationOwnedQuerySet`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from organizations.managers import OrganizationOwnedQuerySet

if TYPE_CHECKING:
    from tokens.models import MailingList, Subscriber  # noqa: F401


class MailingListQuerySet(OrganizationOwnedQuerySet["MailingList"]):
    pass


class SubscriberQuerySet(OrganizationOwnedQuerySet["Subscriber"]):
    organization_field = "mailing_list__organization"
