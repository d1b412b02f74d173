"""Renewal reminders — each one exactly once, on time, in one digest per person — and the service
that changes a member's notification preferences (what the reminders obey).

The daily sweep (`send_due_reminders`, run by `billing.tasks.run_billing_sweep`) works in two
phases, both re-runnable at any time:

1. **Queue.** Products expiring in the next 60 days are read in keyset batches by primary key, a
   fixed number of queries per batch (products, their billing members, the reminders they already
   have, one insert), so memory stays flat on a million products. For each recipient the due lead
   time is the smallest chosen lead L with `days_left <= L`; a `Reminder` is queued only if none
   exists for the same product, person, kind and expiry date with a lead of L or less. So each
   lead time fires once, a sweep that missed a day catches up with one reminder instead of a
   burst, and a renewal (a new expiry date) starts the cycle again. The unique constraint on
   `Reminder` makes the insert exactly once even when two sweeps run at the same moment.
2. **Send.** Pending reminders are grouped by person. Each person's rows are claimed under a lock
   (on PostgreSQL an advisory lock on the person and `SKIP LOCKED` on the rows: a second sweep
   passes over them), checked again against the present — the product was not renewed, the
   person still manages billing and still wants that reminder — and sent as ONE email through
   the outbox, with a key made of the person and the reminders it reports; the rest is dropped.
   (Past DIGEST_LIMIT products on one day, a person gets several emails of that size, so memory
   does not grow with the database.)
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing.audit_actions import BillingAction
from billing.models import (
    AUTO_RENEW_REMINDER_DAYS,
    CURRENCY,
    REMINDER_LEAD_DAYS,
    NotificationPreference,
    Product,
    ProductKind,
    Reminder,
)
from billing.recipients import BILLING_ROLES, DEFAULTS, Choices, billing_members, choices_of
from core.audit import record_event
from core.outbox import send_email
from organizations.models import Membership

# The longest lead a member may choose: products further away need nothing today.
HORIZON_DAYS = max(REMINDER_LEAD_DAYS)
# Products read per batch in the queue phase, and people per batch in the send phase.
BATCH_SIZE = 2000
# Products in one email at most: one person's digest is held in memory while it is rendered, so
# a partner paying for thousands of products due the same day gets them in a few emails of this
# size rather than in one that grows with the database.
DIGEST_LIMIT = 1000

PREFERENCE_FIELDS = (
    "renewal_reminders",
    "lead_days",
    "auto_renew_reminder",
    "renewal_confirmation",
    "invoice_issued",
)


# --- What a person wants ------------------------------------------------------------------------


@dataclass(frozen=True)
class Wish:
    """The reminders one person wants for one product: the union of the choices of every
    membership through which they receive it (managing organization and payer)."""

    lead_days: frozenset[int]
    auto_renew: bool

    @classmethod
    def of(cls, choices: Iterable[Choices]) -> Wish:
        leads: set[int] = set()
        auto_renew = False
        for c in choices:
            if c.renewal_reminders:
                leads.update(c.lead_days)
            auto_renew = auto_renew or c.auto_renew_reminder
        return cls(lead_days=frozenset(leads), auto_renew=auto_renew)

    def due(self, *, auto_renew: bool, days_left: int) -> tuple[str, int] | None:
        """(kind, lead) of the reminder due with `days_left` days to go, or None."""
        if auto_renew:
            if self.auto_renew and days_left <= AUTO_RENEW_REMINDER_DAYS:
                return Reminder.Kind.AUTO_RENEW, AUTO_RENEW_REMINDER_DAYS
            return None
        leads = [lead for lead in self.lead_days if days_left <= lead]
        return (Reminder.Kind.EXPIRY, min(leads)) if leads else None

    def wants(self, reminder: Reminder, product: Product) -> bool:
        """Whether a queued reminder still matches the product and these choices."""
        if reminder.kind == Reminder.Kind.AUTO_RENEW:
            return product.auto_renew and self.auto_renew
        return not product.auto_renew and reminder.lead_days in self.lead_days


# --- Phase 1: queue -----------------------------------------------------------------------------


def queue_due_reminders(today: date | None = None) -> int:
    """Queue the reminders due today (see the module's docstring). Returns how many were
    queued by this call (rows another sweep inserted first are not counted)."""
    today = today or timezone.localdate()
    window = Product.objects.filter(
        expires_on__gt=today, expires_on__lte=today + timedelta(days=HORIZON_DAYS)
    ).order_by("pk")
    queued = 0
    last_pk = 0
    while True:
        rows = list(
            window.filter(pk__gt=last_pk).values_list(
                "pk", "organization_id", "payer_id", "expires_on", "auto_renew"
            )[:BATCH_SIZE]
        )
        if not rows:
            return queued
        last_pk = rows[-1][0]
        queued += _queue_batch(rows, today)


def _queue_batch(rows: list[tuple[int, int, int, date, bool]], today: date) -> int:
    """Three reads and at most one insert, whatever the number of products in the batch."""
    organization_ids = {r[1] for r in rows} | {r[2] for r in rows}
    members_by_org: dict[int, list[tuple[int, Choices]]] = defaultdict(list)
    for m in billing_members(organization_ids):
        members_by_org[m.organization_id].append((m.user_id, choices_of(m)))

    # The smallest lead already queued or sent per (product, person, kind, expiry date).
    earliest: dict[tuple[int, int, str, date], int] = {}
    for product_id, recipient_id, kind, expires_on, lead in Reminder.objects.filter(
        product_id__gte=rows[0][0], product_id__lte=rows[-1][0], expires_on__gt=today
    ).values_list("product_id", "recipient_id", "kind", "expires_on", "lead_days"):
        key = (product_id, recipient_id, kind, expires_on)
        earliest[key] = min(lead, earliest.get(key, lead))

    new: list[Reminder] = []
    for product_id, organization_id, payer_id, expires_on, auto_renew in rows:
        days_left = (expires_on - today).days
        # One person, once, whether they manage the product, pay for it, or both.
        choices_by_person: dict[int, list[Choices]] = defaultdict(list)
        for org_id in {organization_id, payer_id}:
            for user_id, choices in members_by_org.get(org_id, ()):
                choices_by_person[user_id].append(choices)
        for user_id, choices_list in choices_by_person.items():
            due = Wish.of(choices_list).due(auto_renew=auto_renew, days_left=days_left)
            if due is None:
                continue
            kind, lead = due
            sent_before = earliest.get((product_id, user_id, kind, expires_on))
            if sent_before is not None and sent_before <= lead:
                continue
            new.append(
                Reminder(
                    product_id=product_id,
                    recipient_id=user_id,
                    kind=kind,
                    lead_days=lead,
                    expires_on=expires_on,
                )
            )
    if new:
        Reminder.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


# --- Phase 2: send ------------------------------------------------------------------------------


# Namespace of the send phase's advisory locks on PostgreSQL (the second key is the person).
_DIGEST_LOCK = 0x52454D44


def _lock_person(recipient_id: int) -> bool:
    """Whether this sweep may write this person's digest now (inside its transaction).

    `SKIP LOCKED` alone is not enough for ONE email: it locks a person's rows one by one as it
    reads them, so two sweeps reading at the same moment could each take part of them and each
    send an email. A transaction-level advisory lock on the person makes the second sweep pass
    over the person whole. SQLite needs none: its transactions are IMMEDIATE (settings), so the
    claims are serialised and the later one finds the rows sent."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s)", [_DIGEST_LOCK, recipient_id % 2**31]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _claim_options() -> dict[str, Any]:
    """Row locks that a concurrent sweep skips, on the databases that have them. SQLite has no
    row locks (a writer holds the whole database), so there the claim is a plain read."""
    options: dict[str, Any] = {}
    if connection.features.has_select_for_update_skip_locked:
        options["skip_locked"] = True
    if connection.features.has_select_for_update_of:
        # Lock the reminders only, never the products a renewal may be updating.
        options["of"] = ("self",)
    return options


def send_pending_reminders(today: date | None = None) -> int:
    """Send every pending reminder, one digest email per person. Returns how many reminders
    were sent (a digest of three products counts three)."""
    today = today or timezone.localdate()
    sent = 0
    last_recipient = 0
    while True:
        recipients = list(
            Reminder.objects.filter(state=Reminder.State.PENDING, recipient_id__gt=last_recipient)
            .order_by("recipient_id")
            .values_list("recipient_id", flat=True)
            .distinct()[:BATCH_SIZE]
        )
        if not recipients:
            return sent
        last_recipient = recipients[-1]
        for recipient_id in recipients:
            while True:
                claimed, sent_now = _send_digest(recipient_id, today)
                sent += sent_now
                if claimed < DIGEST_LIMIT:
                    break


def _send_digest(recipient_id: int, today: date) -> tuple[int, int]:
    """Claim up to DIGEST_LIMIT of the person's pending reminders, drop those that no longer
    apply and send the others in one email. Returns (claimed, sent)."""
    with transaction.atomic():
        if not _lock_person(recipient_id):  # another sweep is writing this person's digest
            return 0, 0
        claimed = list(
            Reminder.objects.select_for_update(**_claim_options())
            .filter(recipient_id=recipient_id, state=Reminder.State.PENDING)
            .select_related("recipient", "product__organization", "product__payer")
            .order_by("pk")[:DIGEST_LIMIT]
        )
        if not claimed:  # another sweep has them, or sent them a moment ago
            return 0, 0
        user: User = claimed[0].recipient
        memberships = {
            m.organization_id: m
            for m in Membership.objects.filter(BILLING_ROLES, user_id=recipient_id)
            .select_related("organization", "billing_preference")
            .order_by("organization_id")
        }
        keep: list[Reminder] = []
        dropped: list[int] = []
        for reminder in claimed:
            product = reminder.product
            via = [
                memberships[org_id]
                for org_id in (product.organization_id, product.payer_id)
                if org_id in memberships
            ]
            current = (
                user.is_active
                and product.expires_on == reminder.expires_on
                and product.expires_on >= today
                and bool(via)
                and Wish.of(choices_of(m) for m in via).wants(reminder, product)
            )
            if current:
                keep.append(reminder)
            else:
                dropped.append(reminder.pk)
        if dropped:
            Reminder.objects.filter(pk__in=dropped).update(state=Reminder.State.DROPPED)
        if not keep:
            return len(claimed), 0
        ids = sorted(r.pk for r in keep)
        fingerprint = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]
        notification = send_email(
            "renewal_reminder",
            to_user=user,
            key=f"renewal-reminder:{recipient_id}:{fingerprint}",
            context=_digest_context(user, keep, memberships, today),
        )
        Reminder.objects.filter(pk__in=ids).update(
            state=Reminder.State.SENT, notification=notification
        )
    return len(claimed), len(keep)


def _digest_context(
    user: User, reminders: list[Reminder], memberships: dict[int, Membership], today: date
) -> dict[str, Any]:
    """What the `renewal_reminder` templates show. Labels stay lazy, so the outbox renders them
    in the recipient's language; one line per product even if two of its reminders were due."""
    products: dict[int, Product] = {r.product_id: r.product for r in reminders}
    lines = []
    organizations: dict[int, Any] = {}
    for product in sorted(products.values(), key=lambda p: (p.expires_on, p.name, p.pk)):
        manager = memberships.get(product.organization_id)
        if manager is not None and manager.can_see_all_products:
            url = reverse("billing:product-detail", args=[product.organization.slug, product.pk])
        else:  # they pay for it, or may not open every product: their billing page lists it
            org = product.organization if manager is not None else product.payer
            url = reverse("billing:overview", args=[org.slug])
        if manager is not None:
            organizations[product.organization_id] = product.organization
        if product.payer_id in memberships:
            organizations[product.payer_id] = product.payer
        lines.append(
            {
                "name": product.name,
                "kind": ProductKind(product.kind).label,
                "expires_on": product.expires_on,
                "days_left": product.days_left(today),
                "auto_renew": product.auto_renew,
                "price": product.price,
                "organization": product.organization.name,
                "url": url,
            }
        )
    return {
        "name": user.first_name or user.email,
        "products": lines,
        "currency": CURRENCY,
        "settings_links": [
            {"organization": org.name, "url": reverse("billing:settings", args=[org.slug])}
            for org in sorted(organizations.values(), key=lambda o: o.name)
        ],
    }


def send_due_reminders(today: date | None = None) -> int:
    """The daily sweep: queue what is due today, then send everything pending. Returns the
    number of reminders sent. Safe to run again, late, or twice at once."""
    today = today or timezone.localdate()
    queue_due_reminders(today)
    return send_pending_reminders(today)


# --- The preferences ----------------------------------------------------------------------------


def _as_values(choices: Choices) -> dict[str, Any]:
    return {
        "renewal_reminders": choices.renewal_reminders,
        "lead_days": sorted(set(choices.lead_days), reverse=True),
        "auto_renew_reminder": choices.auto_renew_reminder,
        "renewal_confirmation": choices.renewal_confirmation,
        "invoice_issued": choices.invoice_issued,
    }


def _normalised(data: Mapping[str, Any]) -> dict[str, Any]:
    leads = sorted({int(d) for d in data.get("lead_days") or ()}, reverse=True)
    unknown = set(leads) - set(REMINDER_LEAD_DAYS)
    if unknown:
        raise ValueError(f"Lead times not offered: {sorted(unknown)}")
    return {
        "renewal_reminders": bool(data.get("renewal_reminders")),
        "lead_days": leads,
        "auto_renew_reminder": bool(data.get("auto_renew_reminder")),
        "renewal_confirmation": bool(data.get("renewal_confirmation")),
        "invoice_issued": bool(data.get("invoice_issued")),
    }


def do_update_billing_preferences(
    membership: Membership, data: Mapping[str, Any], *, actor: User
) -> list[str]:
    """Store the billing emails a member wants (their own choices only: each member decides for
    themselves). The row is created on the first change; a save that changes nothing writes
    nothing, not even an audit event, so autosave can post as often as it likes. Returns the
    names of the fields that changed.

    Raises PermissionDenied for anyone but the member, or a member who cannot manage billing;
    ValueError for a lead time that is not offered (the form refuses it first)."""
    if actor.pk != membership.user_id or not membership.can_manage_billing:
        raise PermissionDenied
    wanted = _normalised(data)
    with transaction.atomic():
        pref = (
            NotificationPreference.objects.select_for_update().filter(membership=membership).first()
        )
        before = _as_values(_choices_of_preference(pref) if pref else DEFAULTS)
        changed = [name for name in PREFERENCE_FIELDS if wanted[name] != before[name]]
        if not changed:
            return []
        if pref is None:
            pref, created = NotificationPreference.objects.get_or_create(
                membership=membership, defaults=wanted
            )
            if not created:  # another request created it a moment ago: start from its values
                pref = NotificationPreference.objects.select_for_update().get(pk=pref.pk)
                before = _as_values(_choices_of_preference(pref))
                changed = [name for name in PREFERENCE_FIELDS if wanted[name] != before[name]]
                if not changed:
                    return []
        if any(getattr(pref, name) != wanted[name] for name in changed):  # not just created
            for name in changed:
                setattr(pref, name, wanted[name])
            pref.save(update_fields=[*changed, "updated_at"])
        record_event(
            BillingAction.BILLING_PREFERENCES_UPDATED,
            actor=actor,
            target=pref,
            organization_id=membership.organization_id,
            subject_user=actor,
            data={"changed": {name: wanted[name] for name in changed}},
        )
    return changed


def _choices_of_preference(pref: NotificationPreference) -> Choices:
    """The stored row as `Choices` (as `recipients.choices_of`, without the membership)."""
    return Choices(
        renewal_reminders=pref.renewal_reminders,
        lead_days=tuple(sorted(set(pref.lead_days), reverse=True)),
        auto_renew_reminder=pref.auto_renew_reminder,
        renewal_confirmation=pref.renewal_confirmation,
        invoice_issued=pref.invoice_issued,
    )
