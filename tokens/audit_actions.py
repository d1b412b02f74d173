"""The audit actions of `tokens` (API tokens), each with what it means in the reader's words
(activity pages, the security review). How actions work: core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class TokenAction(AuditAction):
    TOKEN_CREATED = "token.created", _("API token created")
    TOKEN_REVOKED = "token.revoked", _("API tokens revoked")
    TOKEN_LEAKED_REVOKED = (
        "token.leaked_revoked",
        _("API token revoked after it was found in the wild"),
    )
    TOKEN_DEACTIVATED_UNUSED = (
        "token.deactivated_unused",
        _("API tokens deactivated after a year without use"),
    )
