"""The audit actions of `security` (two-factor methods, application passwords and an organization's
two-factor rule), each with what it means in the reader's words (activity pages, the security
review). How actions work: core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class SecurityAction(AuditAction):
    TWO_FACTOR_METHOD_ADDED = "two_factor.method_added", _("Two-factor method added")
    TWO_FACTOR_METHOD_REMOVED = "two_factor.method_removed", _("Two-factor method removed")
    TWO_FACTOR_METHOD_REPLACED = (
        "two_factor.method_replaced",
        _("Two-factor method moved to a new device"),
    )
    TWO_FACTOR_METHOD_RENAMED = "two_factor.method_renamed", _("Two-factor method renamed")
    TWO_FACTOR_DISABLED = "two_factor.disabled", _("Two-factor authentication turned off")
    TWO_FACTOR_FAILED = "two_factor.failed", _("Wrong two-factor code")
    TWO_FACTOR_CODES_LIMITED = (
        "two_factor.codes_limited",
        _("Too many wrong two-factor codes: someone knows the password"),
    )
    TWO_FACTOR_EMERGENCY_CODE_USED = "two_factor.emergency_code_used", _("Emergency code used")
    TWO_FACTOR_EMERGENCY_CODES_REGENERATED = (
        "two_factor.emergency_codes_regenerated",
        _("New emergency codes"),
    )
    TWO_FACTOR_KAUTH_REGISTERED = "two_factor.kauth_registered", _("kAuth app registered")
    TWO_FACTOR_KAUTH_APPROVED = "two_factor.kauth_approved", _("Sign-in approved on kAuth")
    TWO_FACTOR_KAUTH_DENIED = "two_factor.kauth_denied", _("Sign-in denied on kAuth")
    TWO_FACTOR_KAUTH_FAILED = "two_factor.kauth_failed", _("Wrong number picked on kAuth")
    TWO_FACTOR_KAUTH_ANSWER_REFUSED = "two_factor.kauth_answer_refused", _("kAuth answer refused")
    TWO_FACTOR_RECOVERY_REQUESTED = (
        "two_factor.recovery_requested",
        _("Assistance requested (identity check)"),
    )
    TWO_FACTOR_RECOVERY_APPROVED = "two_factor.recovery_approved", _("Identity check approved")
    TWO_FACTOR_RECOVERY_REJECTED = "two_factor.recovery_rejected", _("Identity check rejected")
    APP_PASSWORD_CREATED = "app_password.created", _("Application password created")
    APP_PASSWORD_REVOKED = "app_password.revoked", _("Application passwords revoked")
    ORGANIZATION_TWO_FACTOR_REQUIRED = (
        "organization.two_factor_required",
        _("Two-factor authentication required for every member"),
    )
    ORGANIZATION_TWO_FACTOR_OPTIONAL = (
        "organization.two_factor_optional",
        _("Two-factor authentication no longer required"),
    )
