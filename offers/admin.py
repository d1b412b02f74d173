"""Partner profiles and offer requests for staff: grant or withdraw partner status, see the
subscriptions, moderate requests (hide, close) and read the partners' reports.

Every change goes through a service of `offers.proposals`, so it is audited and it
takes effect in the partner interface at once. Requests, proposals and reports are records: staff
do not edit what a customer or a partner wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.http import signed_in_user
from core.admin import PortalModelAdmin, PortalTabularInline
from offers import proposals, services
from offers.models import OfferRequest, PartnerSubscription, Proposal, Report
from organizations.models import PartnerProfile

# What staff read of a request and of a report: records, never edited here.
REQUEST_FIELDS = (
    "organization",
    "created_by",
    *services.REQUEST_FIELDS,
    "valid_until",
    "status",
    "hidden_at",
    "created_at",
    "ended_at",
    "chosen_proposal",
)
REPORT_FIELDS = ("request", "partner", "reporter", "reason", "created_at", "resolved_at")


class ReadOnlyInline(PortalTabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Partners -----------------------------------------------------------------------------------


class PartnerSubscriptionInline(PortalTabularInline):
    model = PartnerSubscription
    extra = 0
    fields = ("category",)


@admin.action(description=_("Grant partner status"), permissions=["change"])
def grant_partner_status(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[PartnerProfile]
) -> None:
    changed = sum(
        proposals.do_set_partner_status(p, active=True, actor=signed_in_user(request))
        for p in queryset
    )
    modeladmin.message_user(
        request,
        ngettext(
            "%(n)d partner may see offer requests again.",
            "%(n)d partners may see offer requests again.",
            changed,
        )
        % {"n": changed},
    )


@admin.action(description=_("Withdraw partner status"), permissions=["change"])
def withdraw_partner_status(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[PartnerProfile]
) -> None:
    changed = sum(
        proposals.do_set_partner_status(p, active=False, actor=signed_in_user(request))
        for p in queryset
    )
    modeladmin.message_user(
        request,
        ngettext(
            "%(n)d partner no longer sees offer requests.",
            "%(n)d partners no longer see offer requests.",
            changed,
        )
        % {"n": changed},
    )


@admin.register(PartnerProfile)
class PartnerProfileAdmin(PortalModelAdmin):
    """Creating a profile grants partner status; afterwards the status changes only through the
    actions, which write the audit event."""

    list_display = ["public_name", "organization", "is_active", "categories", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["public_name", "organization__name", "organization__slug"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization"]
    inlines = [PartnerSubscriptionInline]
    actions = [grant_partner_status, withdraw_partner_status]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PartnerProfile]:
        return super().get_queryset(request).prefetch_related("subscriptions")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["organization", "public_name", "description", "regions", "languages"]
        return fields if obj is None else [*fields, "is_active", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else ["organization", "is_active", "created_at"]

    @admin.display(description=_("categories"))
    def categories(self, obj: PartnerProfile) -> str:
        subscriptions = obj.subscriptions.all()  # prefetched by get_queryset
        labels = sorted(str(s.get_category_display()) for s in subscriptions)
        return ", ".join(labels) or "—"

    def save_model(
        self, request: HttpRequest, obj: PartnerProfile, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new profile is saved without the status, then granted it through the service.
        obj.is_active = False
        super().save_model(request, obj, form, change)
        proposals.do_set_partner_status(obj, active=True, actor=signed_in_user(request))
        obj.refresh_from_db(fields=["is_active"])

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Withdraw the status instead: proposals and reports keep naming the partner.
        return False


# --- Offer requests -----------------------------------------------------------------------------


class ReportInline(ReadOnlyInline):
    model = Report
    fields = ("created_at", "partner", "reporter", "reason", "resolved_at")
    readonly_fields = fields


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ("created_at", "partner", "author", "price_estimate", "timeline", "message")
    readonly_fields = fields


def _hide(modeladmin: Any, request: HttpRequest, offers: Iterable[OfferRequest]) -> None:
    """Hide each request not hidden yet (the service also resolves its reports) and say how many."""
    hidden = 0
    for offer in offers:
        if offer.hidden_at is None:
            proposals.do_hide_request(offer, actor=signed_in_user(request))
            hidden += 1
    modeladmin.message_user(
        request,
        ngettext(
            "%(n)d request is hidden from the partners.",
            "%(n)d requests are hidden from the partners.",
            hidden,
        )
        % {"n": hidden},
    )


@admin.action(description=_("Hide from partners"), permissions=["change"])
def hide_requests(modeladmin: Any, request: HttpRequest, queryset: QuerySet[OfferRequest]) -> None:
    _hide(modeladmin, request, queryset)


@admin.action(description=_("Close"), permissions=["change"])
def close_requests(modeladmin: Any, request: HttpRequest, queryset: QuerySet[OfferRequest]) -> None:
    closed = sum(
        services.do_close_request(offer, actor=signed_in_user(request), by_staff=True)
        for offer in queryset
    )
    modeladmin.message_user(
        request,
        ngettext("%(n)d request is closed.", "%(n)d requests are closed.", closed) % {"n": closed},
        messages.SUCCESS if closed else messages.WARNING,
    )


class OpenReportsFilter(admin.SimpleListFilter):
    title = _("reports")
    parameter_name = "reported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("With open reports")), ("any", _("Reported at least once"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[OfferRequest]
    ) -> QuerySet[OfferRequest]:
        if self.value() == "open":
            return queryset.filter(reports__resolved_at=None, reports__isnull=False).distinct()
        if self.value() == "any":
            return queryset.filter(reports__isnull=False).distinct()
        return queryset


@admin.register(OfferRequest)
class OfferRequestAdmin(PortalModelAdmin):
    list_display = [
        "title",
        "organization",
        "category",
        "status",
        "valid_until",
        "hidden_at",
        "open_reports",
        "created_at",
    ]
    list_filter = [
        "status",
        "category",
        OpenReportsFilter,
        ("hidden_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["title", "organization__name", "contact_email", "contact_name"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    readonly_fields = REQUEST_FIELDS
    fields = REQUEST_FIELDS
    inlines = [ReportInline, ProposalInline]
    actions = [hide_requests, close_requests]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfferRequest]:
        requests: QuerySet[OfferRequest] = super().get_queryset(request)
        return requests.annotate(report_count=Count("reports", filter=Q(reports__resolved_at=None)))

    @admin.display(description=_("open reports"), ordering="report_count")
    def open_reports(self, obj: Any) -> int:
        return int(getattr(obj, "report_count", 0))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A request ends by being cancelled, closed or hidden; the customer deletes their own.
        return False


# --- Reports ------------------------------------------------------------------------------------


@admin.action(description=_("Hide the reported requests from partners"), permissions=["change"])
def hide_reported_requests(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Report]
) -> None:
    _hide(modeladmin, request, OfferRequest.objects.filter(pk__in=queryset.values("request_id")))


@admin.action(description=_("Mark as resolved (keep the requests)"), permissions=["change"])
def resolve_reports(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Report]) -> None:
    resolved = proposals.do_resolve_reports(queryset, actor=signed_in_user(request))
    modeladmin.message_user(
        request,
        ngettext("%(n)d report is resolved.", "%(n)d reports are resolved.", resolved)
        % {"n": resolved},
    )


@admin.register(Report)
class ReportAdmin(PortalModelAdmin):
    list_display = ["created_at", "request", "partner", "reason", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["request__title", "partner__public_name", "reason"]
    list_select_related = ["request", "partner"]
    readonly_fields = REPORT_FIELDS
    fields = REPORT_FIELDS
    actions = [hide_reported_requests, resolve_reports]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
