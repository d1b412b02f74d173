"""The audit actions of `tags` (colour tags), each with what it means in the reader's words
(activity pages, the security review). How actions work: core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class TagAction(AuditAction):
    TAG_CREATED = "tag.created", _("Tag created")
    TAG_UPDATED = "tag.updated", _("Tag renamed or recoloured")
    TAG_DELETED = "tag.deleted", _("Tag deleted")
    TAG_MERGED = "tag.merged", _("Tag merged into another")
