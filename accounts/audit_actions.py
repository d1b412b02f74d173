"""The audit actions of `accounts` (people's accounts, their sessions and the password-compromised
wizard), each with what it means in the reader's words (activity pages, the security review). How
actions work: core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class AccountAction(AuditAction):
    USER_SIGNED_UP = "user.signed_up", _("Account created")
    USER_EMAIL_VERIFIED = "user.email_verified", _("Email address verified")
    USER_LOGIN_FAILED = "user.login_failed", _("Failed sign-in attempt")
    USER_PASSWORD_CHANGED = "user.password_changed", _("Password changed")
    USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested", _("Password reset requested")
    USER_PROFILE_UPDATED = "user.profile_updated", _("Profile updated")
    USER_SESSIONS_ENDED = "user.sessions_ended", _("Other sessions signed out")
    USER_SESSION_ENDED = "user.session_ended", _("A session was signed out")
    USER_DEACTIVATED = "user.deactivated", _("Account deactivated")
    USER_REACTIVATED = "user.reactivated", _("Account reactivated")
    USER_DELETED = "user.deleted", _("Account deleted")
    COMPROMISED_WIZARD_STARTED = (
        "compromised_wizard.started",
        _("Password changed because it was thought compromised"),
    )
    COMPROMISED_WIZARD_COMPLETED = (
        "compromised_wizard.completed",
        _("Password-compromised steps completed"),
    )
