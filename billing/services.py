"""Every change to products, their owner contacts and an organization's billing details.

Each service runs in one transaction, writes its audit event in it (with the managing
organization, so the organization's activity page lists it) and checks the actor's right itself:
a web view, an admin action or a task calling it cannot forget the rule. Views check the same
capabilities first to answer 404/403 before any form is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from billing.audit_actions import BillingAction
from billing.models import BillingAccount, Contact, Product
from core.audit import record_event
from organizations.models import Membership, Organization, Role

# What an owner contact and the billing details consist of: the only fields these services write
# (never the balance, which only `BalanceEntry` movements change).
CONTACT_FIELDS = (
    "kind",
    "name",
    "company",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
    "user",
)
BILLING_DETAIL_FIELDS = ("name", "email", "address", "postal_code", "city", "country", "vat_number")

# The roles that see only the products given to them: the only ones a product is given to.
ASSIGNABLE_ROLES = (Role.COLLABORATOR, Role.EXTERNAL)


class NotAMember(Exception):
    """A product is given only to collaborators and externals of its own organization, and an
    owner contact is linked only to the account of one of its members."""


def _membership(organization_id: int, actor: User) -> Membership:
    membership = Membership.objects.filter(organization_id=organization_id, user=actor).first()
    if membership is None:
        raise PermissionDenied
    return membership


def _visible_product(product: Product, actor: User) -> tuple[Product, Membership]:
    """The product, locked for the rest of the transaction, and the actor's membership; refused
    unless the actor may see it (a collaborator only the products given to them)."""
    membership = _membership(product.organization_id, actor)
    locked = (
        Product.objects.for_member(membership).select_for_update().filter(pk=product.pk).first()
    )
    if locked is None:
        raise PermissionDenied
    return locked, membership


def do_set_auto_renew(product: Product, on: bool, *, actor: User) -> Product:
    """Turn a product's automatic renewal on or off (members who manage billing). Nothing is
    written when it already is as asked, so a resubmitted form leaves no second event."""
    with transaction.atomic():
        locked, membership = _visible_product(product, actor)
        if not membership.can_manage_billing:
            raise PermissionDenied
        if locked.auto_renew != on:
            locked.auto_renew = on
            locked.save(update_fields=["auto_renew"])
            record_event(
                BillingAction.PRODUCT_AUTO_RENEW_CHANGED,
                actor=actor,
                target=locked,
                organization_id=locked.organization_id,
                data={"auto_renew": on},
            )
    return locked


def do_set_product_assignees(product: Product, users: Iterable[User], *, actor: User) -> Product:
    """Give the product to exactly these collaborators and externals (legal representatives and
    administrators only); they then see it in their list. Anyone who is not a collaborator or
    an external of the product's organization is refused with `NotAMember`, nothing changed."""
    wanted = {u.pk for u in users}
    with transaction.atomic():
        locked, membership = _visible_product(product, actor)
        if not membership.can_see_all_products:
            raise PermissionDenied
        allowed = set(
            Membership.objects.filter(
                organization_id=locked.organization_id,
                user_id__in=wanted,
                role__in=ASSIGNABLE_ROLES,
            ).values_list("user_id", flat=True)
        )
        if wanted - allowed:
            raise NotAMember
        current = set(locked.assignees.values_list("pk", flat=True))
        added, removed = wanted - current, current - wanted
        if added or removed:
            locked.assignees.set(wanted)
            emails = dict(User.objects.filter(pk__in=added | removed).values_list("pk", "email"))
            record_event(
                BillingAction.PRODUCT_ASSIGNEES_CHANGED,
                actor=actor,
                target=locked,
                organization_id=locked.organization_id,
                data={
                    "added": sorted(emails[pk] for pk in added),
                    "removed": sorted(emails[pk] for pk in removed),
                },
            )
    return locked


def _apply(obj: Any, data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    """Set the allowed fields that differ; return their names (what the audit event lists)."""
    changed = []
    for name in allowed:
        if name not in data:
            continue
        if name == "user":  # compare ids: reading `obj.user` would cost a query
            new_id = data[name].pk if data[name] is not None else None
            if obj.user_id != new_id:
                obj.user_id = new_id
                changed.append(name)
        elif getattr(obj, name) != data[name]:
            setattr(obj, name, data[name])
            changed.append(name)
    return changed


def do_update_contact(contact: Contact, data: Mapping[str, Any], *, actor: User) -> Contact:
    """Change an owner contact of the organization (legal representatives and administrators):
    the holder of the rights on its products, so every change is audited with the fields. The
    contact may be linked (`user`) only to a member's account: that is what makes a person owner
    "inside" the organization, so it must not be claimable for anyone else (`NotAMember`)."""
    with transaction.atomic():
        membership = _membership(contact.organization_id, actor)
        if not membership.can_edit_organization:
            raise PermissionDenied
        account = data.get("user")
        if (
            account is not None
            and not Membership.objects.filter(
                organization_id=contact.organization_id, user_id=account.pk
            ).exists()
        ):
            raise NotAMember
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        changed = _apply(locked, data, CONTACT_FIELDS)
        if changed:
            locked.save(update_fields=changed)
            record_event(
                BillingAction.CONTACT_UPDATED,
                actor=actor,
                target=locked,
                organization_id=locked.organization_id,
                data={"fields": sorted(changed)},
            )
    return locked


def do_update_billing_details(
    organization: Organization, data: Mapping[str, Any], *, actor: User
) -> BillingAccount:
    """Save the organization's billing details (members who manage billing), creating its billing
    account the first time. Writes only the detail fields: the balance, changed under a row lock
    by renewals and credits, is never overwritten from a form."""
    with transaction.atomic():
        membership = _membership(organization.pk, actor)
        if not membership.can_manage_billing:
            raise PermissionDenied
        BillingAccount.objects.get_or_create(organization=organization)
        account = BillingAccount.objects.select_for_update().get(organization=organization)
        changed = _apply(account, data, BILLING_DETAIL_FIELDS)
        if changed:
            account.save(update_fields=changed)
            record_event(
                BillingAction.BILLING_DETAILS_UPDATED,
                actor=actor,
                target=account,
                organization_id=organization.pk,
                data={"fields": sorted(changed)},
            )
    return account
