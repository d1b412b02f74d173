"""Products, contacts, billing accounts, invoices and renewals for support staff.

Balances are never edited here: an account's balance is read-only, and staff who hold
`billing.add_balanceentry` add credit or record a payment through the account's "Add credit or
record a payment" page, which calls `do_credit_balance` (entry, balance, audit event together,
under the account's row lock). Invoices, renewals, reminders and balance entries are records:
read-only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import floatformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.models import (
    BalanceEntry,
    BillingAccount,
    Contact,
    Invoice,
    InvoiceLine,
    Product,
    Reminder,
    Renewal,
)
from billing.renewals import do_credit_balance
from core.admin import PortalModelAdmin, PortalTabularInline, ReadOnlyAdmin

# Who may add credit or record a payment: "add a balance entry" (superusers have it; give it to
# the staff who handle payments). Entries are added only through the credit page.
CREDIT_PERMISSION = "billing.add_balanceentry"


@admin.register(Product)
class ProductAdmin(PortalModelAdmin):
    list_display = ["name", "kind", "organization", "payer", "expires_on", "auto_renew", "price"]
    list_filter = ["kind", "auto_renew"]
    search_fields = ["name"]
    raw_id_fields = ["organization", "payer", "owner", "assignees"]
    list_select_related = ["organization", "payer"]
    date_hierarchy = "expires_on"


@admin.register(Contact)
class ContactAdmin(PortalModelAdmin):
    list_display = ["name", "company", "email", "organization", "kind"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "company", "email", "organization__name"]
    raw_id_fields = ["organization", "user"]
    list_select_related = ["organization"]


class BalanceEntryInline(PortalTabularInline):
    model = BalanceEntry
    extra = 0
    fields = ("created_at", "reason", "amount", "note", "invoice", "created_by")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CreditForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (CHF)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reason = forms.ChoiceField(
        label=_("What is it"),
        choices=[
            (BalanceEntry.Reason.PAYMENT, _("A payment received from the customer")),
            (BalanceEntry.Reason.CREDIT, _("A credit granted by support")),
        ],
        widget=forms.RadioSelect,
        initial=BalanceEntry.Reason.PAYMENT,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("For example the bank transfer's reference, or why the credit is granted."),
    )


@admin.register(BillingAccount)
class BillingAccountAdmin(PortalModelAdmin):
    list_display = ["organization", "name", "email", "balance"]
    search_fields = ["organization__name", "organization__slug", "name", "email"]
    raw_id_fields = ["organization"]
    list_select_related = ["organization"]
    fields = (
        "organization",
        "name",
        "email",
        "address",
        "postal_code",
        "city",
        "country",
        "vat_number",
        "balance",
        "add_credit",
    )
    inlines = [BalanceEntryInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The balance moves only through entries (the credit page and the renewals).
        return ["organization", "balance", "add_credit"] if obj else ["balance", "add_credit"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("credit"))
    def add_credit(self, obj: BillingAccount) -> str:
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:billing_billingaccount_credit", args=[obj.pk]),
            _("Add credit or record a payment"),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/credit/",
                self.admin_site.admin_view(self.credit_view),
                name="billing_billingaccount_credit",
            ),
            *super().get_urls(),
        ]

    def credit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A small form, then `do_credit_balance` with the staff member as actor."""
        if not request.user.has_perm(CREDIT_PERMISSION):
            raise PermissionDenied
        account = get_object_or_404(BillingAccount.objects.select_related("organization"), pk=pk)
        form = CreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            do_credit_balance(
                account.organization,
                data["amount"],
                reason=data["reason"],
                note=data["note"],
                actor=request.user,
            )
            self.message_user(
                request,
                _("CHF %(amount)s added to the balance of %(organization)s.")
                % {
                    "amount": floatformat(data["amount"], "2g"),
                    "organization": account.organization,
                },
            )
            return redirect("admin:billing_billingaccount_change", account.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add credit or record a payment"),
            "subtitle": str(account.organization),
            "opts": self.opts,
            "original": account,
            "form": form,
            "change_url": reverse("admin:billing_billingaccount_change", args=[account.pk]),
        }
        return TemplateResponse(request, "admin/billing/billingaccount_credit.html", context)


class InvoiceLineInline(PortalTabularInline):
    model = InvoiceLine
    extra = 0
    fields = ("description", "product", "period_start", "period_end", "amount")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "organization", "issued_on", "status", "total", "currency"]
    list_filter = ["status", "issued_on"]
    search_fields = ["number", "organization__name"]
    list_select_related = ["organization"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline]


@admin.register(Renewal)
class RenewalAdmin(ReadOnlyAdmin):
    list_display = ["product", "previous_expiry", "new_expiry", "invoice", "created_at"]
    search_fields = ["product__name", "invoice__number"]
    list_select_related = ["product", "invoice"]
    date_hierarchy = "created_at"


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["product", "recipient", "kind", "lead_days", "expires_on", "state"]
    list_filter = ["kind", "state", "lead_days"]
    search_fields = ["product__name", "recipient__email"]
    list_select_related = ["product", "recipient"]


@admin.register(BalanceEntry)
class BalanceEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "reason", "amount", "note", "invoice", "created_by"]
    list_filter = ["reason", "created_at"]
    search_fields = ["account__organization__name", "note", "invoice__number"]
    list_select_related = ["account__organization", "invoice", "created_by"]
