"""API tokens in the "password compromised?" inventory (accounts.inventory): the tokens that work
now, revoked through tokens.services."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.inventory import CredentialInventory, InventoryItem, parse_int_ids
from accounts.models import User
from tokens import services
from tokens.models import ApiToken


def usable_tokens(user: User) -> QuerySet[ApiToken]:
    """The person's tokens that a program could use right now: not revoked, not deactivated,
    not past their end date. (Deactivated and expired ones need the account to come back.)"""
    return (
        ApiToken.objects.filter(user=user, revoked_at=None, deactivated_at=None)
        .filter(Q(expires_at=None) | Q(expires_at__gt=timezone.now()))
        .select_related("organization")
    )


class ApiTokens(CredentialInventory):
    key = "api-tokens"
    label = _("API tokens")
    description = _(
        "Programs and scripts call the API with them. Revoke any you do not recognise; a "
        "program you keep needs a new token."
    )
    empty_text = _("You have no API token that works.")
    none_label = pgettext_lazy("API tokens", "None")
    manage_url_name = "tokens:list"
    in_review = True

    def items(self, user: User, request: HttpRequest) -> list[InventoryItem]:
        return [
            InventoryItem(
                id=str(t.pk),
                name=str(t),
                created=t.created_at,
                last_used=t.last_used_at,
                detail=f"{t.scope_label} · {t.organization.name}",
            )
            for t in usable_tokens(user)
        ]

    def revoke(self, user: User, ids: list[str], *, actor: User, request: HttpRequest) -> int:
        wanted = list(
            usable_tokens(user).filter(pk__in=parse_int_ids(ids)).values_list("pk", flat=True)
        )
        return services.do_revoke_tokens(user, wanted, actor=actor) if wanted else 0

    def revoke_all(self, user: User, *, actor: User, request: HttpRequest) -> int:
        ids = list(usable_tokens(user).values_list("pk", flat=True))
        return services.do_revoke_tokens(user, ids, actor=actor) if ids else 0

    def still_working(self, user: User) -> int:
        return usable_tokens(user).count()

    def count_text(self, count: int) -> str:
        return ngettext("%(n)d API token", "%(n)d API tokens", count) % {"n": count}

    def consequence(self, count: int) -> str:
        return ngettext(
            "%(n)d API token will stop working at once, in every program that uses it.",
            "%(n)d API tokens will stop working at once, in every program that uses them.",
            count,
        ) % {"n": count}
