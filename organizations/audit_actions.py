"""The audit actions of `organizations` (organizations and their members), each with what it means
in the reader's words (activity pages, the security review). How actions work:
core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class OrganizationAction(AuditAction):
    ORGANIZATION_CREATED = "organization.created", _("Organization created")
    ORGANIZATION_UPDATED = "organization.updated", _("Organization details changed")
    MEMBER_INVITED = "member.invited", _("Member invited")
    MEMBER_INVITATION_REVOKED = "member.invitation_revoked", _("Invitation withdrawn")
    MEMBER_JOINED = "member.joined", _("Member joined")
    MEMBER_ROLE_CHANGED = "member.role_changed", _("Role changed")
    MEMBER_REMOVED = "member.removed", _("Member removed")
    MEMBER_LEFT = "member.left", _("Member left")
