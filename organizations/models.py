"""Organizations, memberships with the roles of the guides, and invitations."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.addresses import canonical_email
from organizations.managers import InvitationQuerySet, MembershipQuerySet, OrganizationQuerySet
from organizations.validators import validate_organization_name


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=150, validators=[validate_organization_name])
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects: ClassVar[OrganizationQuerySet] = OrganizationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("organizations:dashboard", args=[self.slug])


class Role(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    ADMINISTRATOR = "administrator", _("Administrator")
    COLLABORATOR = "collaborator", _("Collaborator")
    EXTERNAL = "external", _("External")


# Roles in the order of their rights: used to sort member lists.
ROLE_ORDER = [Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR, Role.COLLABORATOR, Role.EXTERNAL]


class Membership(models.Model):
    """A user's place in an organization. Capabilities are properties: views never compare roles."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    billing_rights = models.BooleanField(
        _("can manage accounting"),
        default=False,
        help_text=_("For collaborators: may see invoices and change billing notifications."),
    )
    created_at = models.DateTimeField(_("member since"), default=timezone.now)

    objects: ClassVar[MembershipQuerySet] = MembershipQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} ({self.get_role_display()})"

    @property
    def is_legal_representative(self) -> bool:
        return self.role == Role.LEGAL_REPRESENTATIVE

    @property
    def can_manage_members(self) -> bool:
        return self.role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR)

    @property
    def can_appoint_legal_representative(self) -> bool:
        return self.role == Role.LEGAL_REPRESENTATIVE

    @property
    def can_edit_organization(self) -> bool:
        return self.role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR)

    @property
    def can_manage_billing(self) -> bool:
        return self.role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR) or (
            self.role == Role.COLLABORATOR and self.billing_rights
        )

    @property
    def can_see_all_products(self) -> bool:
        return self.role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR)

    @property
    def can_manage_tags(self) -> bool:
        """Create, rename, recolour, merge and delete tags; the others only apply existing tags
        (so nobody recolours a shared tag for everyone by accident)."""
        return self.role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR)

    @property
    def can_read_audit_log(self) -> bool:
        return self.role == Role.LEGAL_REPRESENTATIVE

    # Externals are people from outside (an agency, a freelancer) given some products: they see
    # who else is in the organization, not how to reach them, and nothing of its other business.
    @property
    def can_see_member_emails(self) -> bool:
        return self.role != Role.EXTERNAL

    @property
    def can_see_offer_requests(self) -> bool:
        """The organization's offer requests (with their contact details), posting one, and — in
        a partner organization — the partner pages and API."""
        return self.role != Role.EXTERNAL

    @property
    def can_read_newsletter(self) -> bool:
        """The Newsletter API's mailing lists and subscribers (personal data) — reading."""
        return self.role != Role.EXTERNAL

    @property
    def can_manage_newsletter(self) -> bool:
        """Creating and deleting mailing lists and subscribers: the organization's own
        communication, like its tags, is decided by legal representatives and administrators."""
        return self.role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR)

    def can_change_membership(self, other: Membership) -> bool:
        """Whether this member may change `other`'s role or remove them (not themselves)."""
        if other.pk == self.pk or not self.can_manage_members:
            return False
        if other.is_legal_representative:
            return self.can_appoint_legal_representative
        return True

    def assignable_roles(self) -> list[Role]:
        if self.can_appoint_legal_representative:
            return list(ROLE_ORDER)
        if self.can_manage_members:
            return [r for r in ROLE_ORDER if r != Role.LEGAL_REPRESENTATIVE]
        return []


class Invitation(models.Model):
    """An invitation to join, sent by email. The link is signed, expires and is single-use."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    billing_rights = models.BooleanField(_("can manage accounting"), default=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    accepted_at = models.DateTimeField(verbose_name=_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    def is_for(self, user: Any) -> bool:
        """Whether `user` is the person invited: the same address in its canonical form (an
        invitation written before addresses were canonical may still be in another case)."""
        email = getattr(user, "email", "") or ""
        return bool(email) and canonical_email(email) == canonical_email(self.email)


class PartnerProfile(models.Model):
    """An organization in the partner programme (granted by staff in the admin): what customers
    and the offer-request matching know about it. Its subscriptions to request categories live in
    `offers` (the app that owns offer requests)."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="partner_profile",
    )
    public_name = models.CharField(_("public name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    # Region and language codes of `offers.categories.REGIONS` / `LANGUAGES`.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    is_active = models.BooleanField(
        _("partner status granted"),
        default=True,
        help_text=_("Only staff grant or withdraw it. An inactive partner sees no offer request."),
    )
    created_at = models.DateTimeField(_("partner since"), default=timezone.now)

    class Meta:
        verbose_name = _("partner profile")
        verbose_name_plural = _("partner profiles")

    def __str__(self) -> str:
        return self.public_name
