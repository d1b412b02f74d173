"""Products and who owns, manages and pays for them; invoices, the prepaid balance, renewals and
the billing notifications each member chooses.

Three different parties, on purpose (the guide: "pagare un servizio non conferisce la proprietà"):
- the **managing organization** (`Product.organization`): whose members see and run the product;
- the **owner** (`Product.owner`, a `Contact`): who holds the rights — for a domain, the
  registrant — possibly a person outside the organization;
- the **payer** (`Product.payer`): the organization whose balance is debited and whose invoices
  list the product — the client itself, or a partner paying for it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.managers import ContactQuerySet, InvoiceQuerySet, ProductQuerySet
from core.badges import Badge, Tone
from core.models import Notification
from organizations.models import Organization

CURRENCY = "CHF"
# "Expiring soon": the products list's filter, its amber badge and the dashboard's card.
EXPIRING_SOON_DAYS = 30

# Lead times a member may choose for renewal reminders, in days before the expiry ("up to two
# months before"), and the ones chosen until a member changes them.
REMINDER_LEAD_DAYS = (60, 30, 15, 7, 1)
DEFAULT_REMINDER_LEAD_DAYS = [30, 15, 7]
# The reminder before an automatic renewal (the guide's block 2: "14 giorni prima").
AUTO_RENEW_REMINDER_DAYS = 14


class ProductKind(models.TextChoices):
    DOMAIN = "domain", _("Domain name")
    WEB_HOSTING = "web_hosting", _("Web hosting")
    MAIL_SERVICE = "mail_service", _("Mail service")
    KDRIVE = "kdrive", _("kDrive")
    NEWSLETTER = "newsletter", _("Newsletter")
    SSL_CERTIFICATE = "ssl_certificate", _("SSL certificate")
    VPS = "vps", _("Cloud server")


class Contact(models.Model):
    """A holder of rights on products: a person or a company, kept by an organization. For a
    domain it is the registrant. It may be someone who is not a member of the organization."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=150)
    company = models.CharField(_("company"), max_length=150, blank=True)
    email = models.EmailField(_("email address"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # The person, when the holder is a person with an account here (for the ownership checks).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("account"),
    )

    objects: ClassVar[ContactQuerySet] = ContactQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def is_complete(self) -> bool:
        return bool(self.name and self.email and self.address and self.city and self.country)


class BillingAccount(models.Model):
    """An organization's billing details and its prepaid balance (one per organization, created
    when first needed). The balance only changes through `BalanceEntry` rows, in
    `billing.services`, under a row lock."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="billing_account",
    )
    name = models.CharField(_("billing name"), max_length=150, blank=True)
    email = models.EmailField(_("billing email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    balance = models.DecimalField(
        _("balance"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")

    def __str__(self) -> str:
        return str(self.organization)

    @property
    def is_complete(self) -> bool:
        return bool(self.name and self.email and self.address and self.city and self.country)


class Product(models.Model):
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="products",
        verbose_name=_("managing organization"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ProductKind.choices)
    name = models.CharField(_("name"), max_length=253)
    owner = models.ForeignKey(
        Contact,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("owner"),
    )
    payer = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="paid_products",
        verbose_name=_("payer"),
    )
    expires_on = models.DateField(_("expires on"))
    auto_renew = models.BooleanField(_("automatic renewal"), default=False)
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal term (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    price = models.DecimalField(_("renewal price"), max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Collaborators and externals see only the products given to them.
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_products",
        verbose_name=_("given to"),
    )

    objects: ClassVar[ProductQuerySet] = ProductQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["expires_on", "name", "pk"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            # The daily sweeps: products by expiry date.
            models.Index(fields=["expires_on", "id"], name="product_expiry"),
            models.Index(fields=["organization", "expires_on"], name="product_org_expiry"),
            models.Index(fields=["payer", "expires_on"], name="product_payer_expiry"),
        ]

    def __str__(self) -> str:
        return self.name

    def days_left(self, today: date | None = None) -> int:
        return (self.expires_on - (today or timezone.localdate())).days

    @property
    def is_paid_by_another_organization(self) -> bool:
        return self.payer_id != self.organization_id

    @property
    def is_owned_outside(self) -> bool:
        """Whether the holder is neither the managing organization nor one of its members: the
        owner card warns about it. Needs `owner` (select_related) and, for a person, whether
        the account is a member (`owner_is_member`, annotated by the queryset, else a query)."""
        owner = self.owner
        if owner.kind == Contact.Kind.COMPANY:
            return owner.company.strip().casefold() != self.organization.name.strip().casefold()
        if owner.user_id is None:
            return True
        member = getattr(self, "owner_is_member", None)
        if member is None:
            member = self.organization.memberships.filter(user_id=owner.user_id).exists()
        return not member


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("invoice status", "Open")
        PAID = "paid", pgettext_lazy("invoice status", "Paid")
        CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")

    TONES: dict[str, Tone] = {Status.PAID: "ok", Status.OPEN: "warn"}

    # The payer: invoices belong to whoever pays.
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    number = models.CharField(_("number"), max_length=20, unique=True)
    issued_on = models.DateField(_("issued on"), default=timezone.localdate)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    # Billing details as they were on the day (an invoice never changes afterwards).
    billed_to = models.TextField(_("billed to"), blank=True)

    objects: ClassVar[InvoiceQuerySet] = InvoiceQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number

    @property
    def badge(self) -> Badge:
        return Badge(self.get_status_display(), self.TONES.get(self.status, ""))


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    description = models.CharField(_("description"), max_length=300)
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description


class BalanceEntry(models.Model):
    """One movement of a prepaid balance: a credit (positive) added by staff or a payment
    recorded in the admin, or a debit (negative) for a renewal."""

    class Reason(models.TextChoices):
        CREDIT = "credit", _("Credit added by support")
        PAYMENT = "payment", _("Payment received")
        RENEWAL = "renewal", _("Renewal")

    account = models.ForeignKey(
        BillingAccount, verbose_name=_("account"), on_delete=models.CASCADE, related_name="entries"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")

    def __str__(self) -> str:
        return f"{self.amount} {self.get_reason_display()}"


class Renewal(models.Model):
    """A product renewed from one expiry date to the next. Unique per product and former expiry:
    the database itself refuses a second renewal of the same period, whatever runs twice."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="renewals"
    )
    previous_expiry = models.DateField(verbose_name=_("previous expiry"))
    new_expiry = models.DateField(verbose_name=_("new expiry"))
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "previous_expiry"], name="renewal_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.previous_expiry} → {self.new_expiry}"


class NotificationPreference(models.Model):
    """What billing emails one member wants, per organization (the guide's two blocks). Members
    without a row get the defaults below."""

    membership = models.OneToOneField(
        "organizations.Membership",
        verbose_name=_("membership"),
        on_delete=models.CASCADE,
        related_name="billing_preference",
    )
    # Block 1: reminders before the renewal date of products without automatic renewal.
    renewal_reminders = models.BooleanField(
        _("I want to receive reminder emails before the renewal due date"), default=True
    )
    lead_days = models.JSONField(_("when"), default=list)
    # Block 2: automatic renewal.
    auto_renew_reminder = models.BooleanField(
        _("Reminder 14 days before an automatic renewal"), default=True
    )
    renewal_confirmation = models.BooleanField(
        _("Confirmation of the renewal and of the automatic debit"), default=True
    )
    invoice_issued = models.BooleanField(_("Notification when an invoice is issued"), default=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing notification preference")
        verbose_name_plural = _("billing notification preferences")

    def __str__(self) -> str:
        return str(self.membership)


class Reminder(models.Model):
    """One reminder for one product, one expiry date, one lead time and one recipient: the unique
    constraint is what makes it exactly once. Created pending by the daily sweep, then sent in
    one digest per recipient (`notification` set), or dropped when the product was renewed or
    the recipient switched reminders off before it went out."""

    class Kind(models.TextChoices):
        EXPIRY = "expiry", _("Renewal due")
        AUTO_RENEW = "auto_renew", _("Automatic renewal")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("reminder status", "Pending")
        SENT = "sent", pgettext_lazy("reminder status", "Sent")
        DROPPED = "dropped", pgettext_lazy("reminder status", "Dropped")

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="reminders"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    lead_days = models.PositiveSmallIntegerField(verbose_name=_("lead days"))
    expires_on = models.DateField(verbose_name=_("expires on"))
    state = models.CharField(
        verbose_name=_("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "recipient", "kind", "lead_days", "expires_on"],
                name="reminder_exactly_once",
            )
        ]
        indexes = [
            models.Index(fields=["state", "recipient"], name="reminder_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.product}, {self.lead_days} days before, to {self.recipient}"
