"""The audit actions of `billing` (products, owner contacts, the balance and billing preferences),
each with what it means in the reader's words (activity pages, the security review). How actions
work: core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class BillingAction(AuditAction):
    PRODUCT_AUTO_RENEW_CHANGED = (
        "product.auto_renew_changed",
        _("Automatic renewal turned on or off"),
    )
    PRODUCT_ASSIGNEES_CHANGED = "product.assignees_changed", _("Product given to collaborators")
    CONTACT_UPDATED = "contact.updated", _("Owner contact details changed")
    BILLING_DETAILS_UPDATED = "billing_details.updated", _("Billing details changed")
    BALANCE_CREDITED = "balance.credited", _("Credit added to the balance")
    PAYMENT_RECORDED = "payment.recorded", _("Payment recorded")
    PRODUCT_RENEWED = "product.renewed", _("Product renewed automatically")
    PRODUCT_RENEWAL_FAILED = (
        "product.renewal_failed",
        _("Automatic renewal not possible: balance too low"),
    )
    BILLING_PREFERENCES_UPDATED = (
        "billing_preferences.updated",
        _("Billing notification preferences changed"),
    )
