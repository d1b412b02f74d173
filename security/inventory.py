"""The security app's categories of the "password compromised?" inventory (accounts.inventory):
application passwords, and second-factor methods (the recently added ones pointed out). Removing
goes through the services and pages that own them, which audit and notify as they always do."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.inventory import (
    ConfirmedInventory,
    CredentialInventory,
    InventoryItem,
    parse_int_ids,
)
from accounts.models import User
from core.models import AuditEvent
from security import app_passwords
from security.audit_actions import SecurityAction
from security.methods import added_at, kind_label, last_used_at, methods_for, public_id
from security.models import ApplicationPassword

# "Added recently": someone who knew the password may have added a method of their own to keep
# a way in once the password is changed; step 2 points these out.
RECENTLY_ADDED = timedelta(days=7)
# What security.services.do_remove_method records (the last method's removal turns 2FA off).
REMOVAL_ACTIONS = (SecurityAction.TWO_FACTOR_METHOD_REMOVED, SecurityAction.TWO_FACTOR_DISABLED)


class ApplicationPasswords(CredentialInventory):
    key = "app-passwords"
    label = _("Application passwords")
    description = _(
        "Mail, calendar and contacts apps sign in with them. Revoke any you do not recognise "
        "or no longer use; the apps you keep need a new one."
    )
    empty_text = _("You have no application password.")
    none_label = pgettext_lazy("application passwords", "None")
    manage_url_name = "security:app-passwords"
    in_review = True

    def items(self, user: User, request: HttpRequest) -> list[InventoryItem]:
        return [
            InventoryItem(
                id=str(p.pk),
                name=p.name,
                created=p.created_at,
                last_used=p.last_used_at,
                detail=", ".join(p.service_labels()),
            )
            for p in ApplicationPassword.objects.filter(user=user, revoked_at=None)
        ]

    def revoke(self, user: User, ids: list[str], *, actor: User, request: HttpRequest) -> int:
        wanted = parse_int_ids(ids)
        if not wanted:
            return 0  # the service takes None as "all": never let an empty choice become that
        return app_passwords.do_revoke_app_passwords(user, wanted, actor=actor)

    def revoke_all(self, user: User, *, actor: User, request: HttpRequest) -> int:
        return app_passwords.do_revoke_app_passwords(user, None, actor=actor)

    def still_working(self, user: User) -> int:
        return ApplicationPassword.objects.filter(user=user, revoked_at=None).count()

    def count_text(self, count: int) -> str:
        return ngettext("%(n)d application password", "%(n)d application passwords", count) % {
            "n": count
        }

    def consequence(self, count: int) -> str:
        return ngettext(
            "%(n)d application password will stop working at once, in every app that uses it.",
            "%(n)d application passwords will stop working at once, in every app that uses them.",
            count,
        ) % {"n": count}


class TwoFactorMethods(ConfirmedInventory):
    """Every method, the recently added ones pointed out. Each is removed on the 2FA page's
    confirmation (security.views.method_remove), which warns when it is the last method and
    refuses when an organization requires 2FA."""

    key = "two-factor"
    label = _("Two-factor methods")
    description = _(
        "The ways you confirm it's you after your password. Someone who knew your password may "
        "have added one to keep a way in: remove any you did not add yourself."
    )
    empty_text = _("You have no two-factor method.")
    manage_url_name = "security:two-factor"

    def items(self, user: User, request: HttpRequest) -> list[InventoryItem]:
        now = timezone.now()
        return [
            InventoryItem(
                id=m.persistent_id,
                name=m.name,
                created=added_at(m),
                last_used=last_used_at(m),
                detail=str(kind_label(m)),
                hint=_added_recently_hint(added_at(m), now),
            )
            for m in methods_for(user)
        ]

    def removal_url(self, item_id: str) -> str:
        return reverse("security:method-remove", args=[public_id(item_id)])

    def removed_since(self, user: User, since: datetime) -> list[str]:
        events = AuditEvent.objects.filter(
            subject_user=user, action__in=REMOVAL_ACTIONS, created_at__gte=since
        ).order_by("created_at")
        return [str(e.data.get("name", "")) for e in events]

    def count_text(self, count: int) -> str:
        return ngettext("%(n)d two-factor method", "%(n)d two-factor methods", count) % {"n": count}


def _added_recently_hint(created: datetime | None, now: datetime) -> str:
    if created is None or created < now - RECENTLY_ADDED:
        return ""
    if created > now - timedelta(minutes=1):  # timesince would say "0 minutes"
        return gettext("Added a moment ago — if this wasn't you, remove it.")
    return gettext("Added %(ago)s ago — if this wasn't you, remove it.") % {
        "ago": timesince(created, now, depth=1)
    }
