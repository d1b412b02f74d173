"""The security app's categories of the "password compromised?" inventory (accounts.inventory):
application passwords, and second-factor methods added recently. Revoking goes through the
services that own them, which audit and notify as they always do."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device

from accounts.inventory import CredentialInventory, InventoryItem, RevocationRefused, parse_int_ids
from accounts.models import User
from security import app_passwords, services
from security.methods import find_method, kind_label, methods_for
from security.models import ApplicationPassword

# "Added recently": someone who knew the password may have added a method of their own to keep
# a way in once the password is changed.
RECENT_METHOD_DAYS = 30


class ApplicationPasswords(CredentialInventory):
    key = "app-passwords"
    label = _("Application passwords")
    description = _(
        "Mail, calendar and contacts apps sign in with them. Revoke any you do not recognise "
        "or no longer use; the apps you keep need a new one."
    )
    empty_text = _("You have no application password.")
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


class RecentTwoFactorDevices(CredentialInventory):
    key = "two-factor"
    label = _("Two-factor methods added recently")
    description = _(
        "Methods added in the last 30 days. Someone who knew your password may have added one "
        "to keep a way in: remove any you did not add yourself."
    )
    empty_text = _("No method was added in the last 30 days.")
    manage_url_name = "security:two-factor"
    requires_recent_password = True

    def _recent(self, user: User) -> list[Device]:
        since = timezone.now() - timedelta(days=RECENT_METHOD_DAYS)
        return [m for m in methods_for(user) if m.created_at and m.created_at >= since]

    def items(self, user: User, request: HttpRequest) -> list[InventoryItem]:
        return [
            InventoryItem(
                id=m.persistent_id,
                name=m.name,
                created=m.created_at,
                last_used=m.last_used_at,
                detail=str(kind_label(m)),
            )
            for m in self._recent(user)
        ]

    def revoke(self, user: User, ids: list[str], *, actor: User, request: HttpRequest) -> int:
        recent = {m.persistent_id for m in self._recent(user)}
        found = (find_method(user, i) for i in dict.fromkeys(ids) if i in recent)
        return self._remove(user, [d for d in found if d is not None], actor=actor, request=request)

    def revoke_all(self, user: User, *, actor: User, request: HttpRequest) -> int:
        return self._remove(user, self._recent(user), actor=actor, request=request)

    def _remove(
        self, user: User, devices: list[Device], *, actor: User, request: HttpRequest
    ) -> int:
        """All or nothing: when an organization requires 2FA and these are the last methods,
        none is removed and the person is told why."""
        if not devices:
            return 0
        verified_by = request.session.get(DEVICE_ID_SESSION_KEY)
        removed = {d.persistent_id for d in devices}  # before deleting, which clears the pk
        try:
            with transaction.atomic():
                for device in devices:
                    services.do_remove_method(device, actor=actor)
        except services.TwoFactorRequired as exc:
            raise RevocationRefused(str(exc)) from exc
        # As on the 2FA page: the session passed a second factor when it signed in; removing the
        # method that did it leaves it verified under a remaining one, if any.
        remaining = methods_for(user)
        if verified_by in removed and remaining:
            otp_login(request, remaining[0])
        return len(devices)

    def count_text(self, count: int) -> str:
        return ngettext(
            "%(n)d two-factor method added recently",
            "%(n)d two-factor methods added recently",
            count,
        ) % {"n": count}

    def consequence(self, count: int) -> str:
        return ngettext(
            "%(n)d two-factor method will be removed; it can no longer be used to sign in.",
            "%(n)d two-factor methods will be removed; they can no longer be used to sign in.",
            count,
        ) % {"n": count}
