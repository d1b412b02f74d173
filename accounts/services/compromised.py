"""The services of the "password compromised?" wizard (accounts/compromised.py says how the
wizard goes; its pages are accounts/compromised_views.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.urls import reverse

from accounts import services
from accounts.audit_actions import AccountAction
from accounts.compromised import WizardState
from accounts.inventory import ConfirmedInventory, credential_inventories
from accounts.models import User
from core.audit import record_event
from core.outbox import send_email


def do_change_compromised_password(
    user: User, new_password: str, *, actor: User, keep_session_key: str | None
) -> int:
    """Step 1: the password change of accounts.services (other sessions ended, the person
    emailed at once — a thief running the wizard must not go unnoticed), and an audit event
    saying it was done because the password was thought compromised. Returns how many other
    sessions were ended."""
    with transaction.atomic():
        ended = services.do_change_password(
            user, new_password, actor=actor, keep_session_key=keep_session_key
        )
        record_event(
            AccountAction.COMPROMISED_WIZARD_STARTED,
            actor=actor,
            target=user,
            subject_user=user,
            data={"other_sessions_ended": ended},
        )
    return ended


def revoked_during(user: User, state: WizardState) -> dict[str, list[str]]:
    """Category key -> names of what went during this run: what the wizard revoked itself, and
    what the owning apps' confirmation pages removed (they record it, the wizard does not)."""
    since = datetime.fromtimestamp(state["started_at"], tz=UTC)
    revoked: dict[str, list[str]] = {}
    for inv in credential_inventories():
        if isinstance(inv, ConfirmedInventory):
            names = inv.removed_since(user, since)
        else:
            names = state["revoked"].get(inv.key, [])
        if names:
            revoked[inv.key] = names
    return revoked


def do_complete_compromised_wizard(user: User, state: WizardState, *, actor: User) -> None:
    """The end of the wizard: one audit event and one summary email of what changed and what
    was revoked. The email's key is the run's id, so finishing twice sends it once."""
    by_category = revoked_during(user, state)
    revoked = [
        {"label": inv.label, "names": by_category[inv.key]}
        for inv in credential_inventories()
        if inv.key in by_category
    ]
    with transaction.atomic():
        record_event(
            AccountAction.COMPROMISED_WIZARD_COMPLETED,
            actor=actor,
            target=user,
            subject_user=user,
            data={
                "other_sessions_ended": state["sessions_ended"],
                "revoked": {key: len(names) for key, names in by_category.items()},
            },
        )
        send_email(
            "compromised_summary",
            to_user=user,
            key=f"compromised_summary:{user.pk}:{state['id']}",
            context={
                "name": user.get_short_name(),
                "sessions_ended": state["sessions_ended"],
                "revoked": revoked,
                "url": reverse("review:index"),
                "reset_url": reverse("accounts:password-reset"),
            },
        )
