"""Offer requests (calls for tender) of customers, the partners subscribed to their categories,
the proposals partners send, and the reports partners file.

A request's contact details may be shown to partners only while the request `is_valid` (open, not
expired, not cancelled, not closed, not hidden by staff): every page, API answer and email link
goes through `OfferRequest.contact_visible_to_partners`.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from offers.categories import BUDGETS, CATEGORIES, LANGUAGES, REGIONS
from offers.managers import OfferRequestQuerySet, ProposalQuerySet
from organizations.models import Organization, PartnerProfile


def _cancel_nonce() -> str:
    return secrets.token_urlsafe(16)


class PartnerSubscription(models.Model):
    """A partner wants the requests of this category (and, when the request names them, of its
    regions and languages: `PartnerProfile.regions` / `.languages`)."""

    partner = models.ForeignKey(
        PartnerProfile,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    category = models.CharField(_("category"), max_length=20, choices=CATEGORIES)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "category"], name="partner_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.get_category_display()}"


class OfferRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("offer request status", "Open")
        CLOSED = "closed", pgettext_lazy("offer request status", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("offer request status", "Cancelled")
        EXPIRED = "expired", pgettext_lazy("offer request status", "Expired")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="offer_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000)
    category = models.CharField(_("category"), max_length=20, choices=CATEGORIES)
    budget = models.CharField(_("budget"), max_length=10, choices=BUDGETS)
    deadline = models.DateField(_("wished deadline"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=10, choices=REGIONS, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES)
    contact_name = models.CharField(_("contact name"), max_length=150)
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # Moderation: staff hide a request (it disappears from the partners' interface at once).
    hidden_at = models.DateTimeField(_("hidden by staff"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    chosen_proposal = models.ForeignKey(
        "Proposal",
        verbose_name=_("chosen proposal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Part of the signed cancellation link: the link names this request and this nonce, so a
    # link made for another request, or forged without the server's key, cancels nothing.
    cancel_nonce = models.CharField(
        verbose_name=_("cancel nonce"), max_length=32, default=_cancel_nonce, editable=False
    )

    objects: ClassVar[OfferRequestQuerySet] = OfferRequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("offer request")
        verbose_name_plural = _("offer requests")
        indexes = [
            models.Index(fields=["status", "category", "valid_until"], name="offer_open_by_cat"),
            models.Index(fields=["organization", "status"], name="offer_by_org"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_valid(self, today: date | None = None) -> bool:
        """Open, not past its validity, not hidden: partners may see the contact details."""
        today = today or timezone.localdate()
        return (
            self.status == self.Status.OPEN and self.hidden_at is None and self.valid_until >= today
        )

    @property
    def contact_visible_to_partners(self) -> bool:
        return self.is_valid()

    def chose(self, partner: PartnerProfile) -> bool:
        """The customer chose this partner's proposal: the two work together from now on, so the
        partner keeps seeing the request and its contact details (unless staff hid it), for as
        long as the customer keeps the request."""
        return (
            self.status == self.Status.CLOSED
            and self.hidden_at is None
            and self.chosen_proposal is not None
            and self.chosen_proposal.partner_id == partner.pk
        )


class Proposal(models.Model):
    request = models.ForeignKey(
        OfferRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="proposals"
    )
    partner = models.ForeignKey(
        PartnerProfile,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="proposals",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField(_("message"), max_length=5000)
    price_estimate = models.DecimalField(
        _("price estimate (CHF)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    timeline = models.CharField(_("timeline"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    objects: ClassVar[ProposalQuerySet] = ProposalQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [
            models.UniqueConstraint(fields=["request", "partner"], name="one_proposal_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner} → {self.request}"


class Report(models.Model):
    """A partner tells staff that a request is spam, abusive or not a real request."""

    request = models.ForeignKey(
        OfferRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="reports"
    )
    partner = models.ForeignKey(
        PartnerProfile, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["request", "partner"], name="one_report_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.request}"
