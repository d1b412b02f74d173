"""The audit actions of `offers` (offer requests, proposals and partners), each with what it means
in the reader's words (activity pages, the security review). How actions work:
core/audit_actions.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.audit_actions import AuditAction


class OfferAction(AuditAction):
    OFFER_REQUEST_POSTED = "offer_request.posted", _("Offer request posted")
    OFFER_REQUEST_CANCELLED = "offer_request.cancelled", _("Offer request cancelled")
    OFFER_REQUEST_CLOSED = "offer_request.closed", _("Offer request closed")
    OFFER_REQUEST_DELETED = "offer_request.deleted", _("Offer request deleted")
    OFFER_REQUEST_PROPOSAL_CHOSEN = (
        "offer_request.proposal_chosen",
        _("Proposal chosen, offer request closed"),
    )
    OFFER_REQUEST_EXPIRED = "offer_request.expired", _("Offer request expired")
    OFFER_REQUEST_HIDDEN = "offer_request.hidden", _("Offer request hidden by support")
    OFFER_REQUEST_PROPOSAL_SENT = (
        "offer_request.proposal_sent",
        _("Proposal sent to an offer request"),
    )
    OFFER_REQUEST_REPORTED = "offer_request.reported", _("Offer request reported")
    OFFER_REQUEST_REPORT_RESOLVED = (
        "offer_request.report_resolved",
        _("Report on an offer request resolved"),
    )
    PARTNER_SETTINGS_UPDATED = "partner.settings_updated", _("Partner settings changed")
    PARTNER_STATUS_GRANTED = "partner.status_granted", _("Partner status granted")
    PARTNER_STATUS_WITHDRAWN = "partner.status_withdrawn", _("Partner status withdrawn")
