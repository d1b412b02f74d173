"""What someone holding an old password may have created or used, category by category.

The "password compromised?" wizard lists these, but the credentials belong to other apps
(application passwords and 2FA methods to `security`, API tokens to `tokens`), which `accounts`
does not import. So each category is a class named in `settings.CREDENTIAL_INVENTORIES` and
written in the app that owns the credential; every removal goes through that app's own services,
which audit it. A category is one of two kinds:

- a `CredentialInventory` is revoked by the wizard itself, one item or all at once (sessions,
  application passwords, API tokens):

    class ApplicationPasswords(CredentialInventory):
        key = "app-passwords"
        def items(self, user, request): ...
        def revoke(self, user, ids, *, actor, request): ...
        def revoke_all(self, user, *, actor, request): ...

- a `ConfirmedInventory` is removed item by item on the owning app's own confirmation page, which
  the wizard links to with a `next` back to step 2 (2FA methods: removing the last one turns 2FA
  off, and only the 2FA page knows how to say so and when to refuse).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts import services
from accounts.models import Session, User

# The security review flags an application password or a token nobody used for this long.
UNUSED_AFTER = timedelta(days=90)


@dataclass(frozen=True)
class InventoryItem:
    """One credential as the person sees it. `id` is what the page posts back to revoke it: it
    is never a secret (a session is named by a digest of its key, not by the key)."""

    id: str
    name: str
    created: datetime | None
    last_used: datetime | None
    detail: str = ""
    # A sentence that points the item out, e.g. a method added two days ago: "if this wasn't
    # you, remove it". Empty for most.
    hint: str = ""

    def is_unused(self, now: datetime | None = None) -> bool:
        """Not used for UNUSED_AFTER (or, never used, created longer ago than that)."""
        since = self.last_used or self.created
        return since is not None and since < (now or timezone.now()) - UNUSED_AFTER


class InventoryCategory(ABC):
    """What every category has: its texts and its items. Subclasses are stateless and
    instantiated per use."""

    key: ClassVar[str]  # in URLs: letters and hyphens
    label: ClassVar[Promise]  # "Application passwords"
    description: ClassVar[Promise]  # one sentence: what they are, why they matter here
    empty_text: ClassVar[Promise]  # "You have no application password."
    # The review's badge when there are none: "None" agrees with the noun in Italian, French and
    # Spanish ("Nessuna" password, "Nessun" token), so each category names its own context.
    none_label: ClassVar[Promise] = pgettext_lazy("none of these", "None")
    manage_url_name: ClassVar[str]  # the owning app's page for them
    # The security review lists the category with its unused items flagged.
    in_review: ClassVar[bool] = False

    @abstractmethod
    def items(self, user: User, request: HttpRequest) -> list[InventoryItem]: ...

    @abstractmethod
    def count_text(self, count: int) -> str:
        """ "3 application passwords"."""
        ...


class CredentialInventory(InventoryCategory):
    """A category the wizard revokes itself: a button per item, and "Revoke all" after a
    confirmation naming how many. Nothing revoked here needs the password again: the wizard's
    step 1 proved it, and what needs more (2FA methods) is a ConfirmedInventory."""

    # A new password leaves these working (application passwords, API tokens: SECURITY.md says
    # why a reset does not revoke them), so the "password changed" email counts them; False for
    # what a new password ends (the other sessions).
    outlives_the_password: ClassVar[bool] = True

    @abstractmethod
    def still_working(self, user: User) -> int:
        """How many of the user's items work now: the "password changed" email's count (for
        those that outlive the password)."""
        ...

    @abstractmethod
    def revoke(self, user: User, ids: list[str], *, actor: User, request: HttpRequest) -> int:
        """Revoke those of `ids` that are the user's own items of this category; any other id
        (another person's, a stale or a made-up one) is ignored. Returns how many went."""
        ...

    @abstractmethod
    def revoke_all(self, user: User, *, actor: User, request: HttpRequest) -> int: ...

    @abstractmethod
    def consequence(self, count: int) -> str:
        """What revoking `count` of them does, said before the click."""
        ...


class ConfirmedInventory(InventoryCategory):
    """A category whose items are removed one by one on the owning app's confirmation page,
    never in one click from the wizard: removing one may turn a protection off, and that page
    (with its own re-authentication, warnings and refusals) is the one place that says so."""

    @abstractmethod
    def removal_url(self, item_id: str) -> str:
        """The owning app's confirmation page for removing the item; it honours `next`."""
        ...

    @abstractmethod
    def removed_since(self, user: User, since: datetime) -> list[str]:
        """Names of the user's items removed since `since`, whoever removed them: the wizard's
        summary, which did not see the removals happen."""
        ...


def credential_inventories() -> list[InventoryCategory]:
    """The categories of settings.CREDENTIAL_INVENTORIES, in their order."""
    return [import_string(path)() for path in settings.CREDENTIAL_INVENTORIES]


def still_working_after_a_new_password(user: User) -> list[str]:
    """ "2 application passwords", "1 API token": what a new password left working."""
    counts = [
        (inventory, inventory.still_working(user))
        for inventory in credential_inventories()
        if isinstance(inventory, CredentialInventory) and inventory.outlives_the_password
    ]
    return [inventory.count_text(n) for inventory, n in counts if n]


def find_inventory(key: str) -> InventoryCategory | None:
    return next((inv for inv in credential_inventories() if inv.key == key), None)


def parse_int_ids(ids: list[str]) -> list[int]:
    """Database ids from posted strings; anything that is not a plain number is dropped."""
    return [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 19]


# --- Sessions (owned by accounts) ---------------------------------------------------------------


class OtherSessions(CredentialInventory):
    key = "sessions"
    outlives_the_password = False  # a new password signs them out
    label = _("Other sessions")
    description = _(
        "Browsers signed in to your account, other than the one you are using now. Changing "
        "your password signed them out; any listed here signed in since."
    )
    empty_text = _("You are signed in only here.")
    manage_url_name = "accounts:sessions"

    def still_working(self, user: User) -> int:
        # Never asked while `outlives_the_password` is False; counted for completeness.
        return Session.objects.filter(user=user, expire_date__gt=timezone.now()).count()

    def _others(self, user: User, request: HttpRequest) -> list[Session]:
        return list(
            Session.objects.filter(user=user, expire_date__gt=timezone.now())
            .exclude(session_key=request.session.session_key or "")
            .order_by("-last_activity")
        )

    def items(self, user: User, request: HttpRequest) -> list[InventoryItem]:
        return [
            InventoryItem(
                id=s.public_id,
                name=s.browser or str(_("Unknown browser")),
                created=s.created_at,
                last_used=s.last_activity,
                detail=s.ip_address or "",
            )
            for s in self._others(user, request)
        ]

    def revoke(self, user: User, ids: list[str], *, actor: User, request: HttpRequest) -> int:
        wanted = set(ids)
        ended = 0
        for session in self._others(user, request):
            if session.public_id in wanted:
                ended += services.do_end_session(user, session.session_key, actor=actor)
        return ended

    def revoke_all(self, user: User, *, actor: User, request: HttpRequest) -> int:
        return services.do_end_sessions(
            user, keep_session_key=request.session.session_key, actor=actor
        )

    def count_text(self, count: int) -> str:
        return ngettext("%(n)d other session", "%(n)d other sessions", count) % {"n": count}

    def consequence(self, count: int) -> str:
        return ngettext(
            "%(n)d other session will be signed out at once.",
            "%(n)d other sessions will be signed out at once.",
            count,
        ) % {"n": count}
