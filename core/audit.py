"""The audit log: `record_event` is called by services inside their transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from core.audit_actions import AuditAction
from core.models import AuditEvent
from core.request_context import current_request_meta

# Repeats of one event that a caller can set off at will (a device answering requests that are
# not waiting) are counted on one row while they keep coming less than this apart: a flood is
# one line "(500 times)" on the security review, not 500 lines that push real events off it.
REPEAT_WINDOW = timedelta(minutes=1)


def record_event(
    action: AuditAction,
    *,
    actor: Any | None,
    target: models.Model | None = None,
    organization_id: int | None = None,
    subject_user: Any | None = None,
    data: dict[str, Any] | None = None,
    count_repeats: bool = False,
) -> AuditEvent:
    """Write one audit event with the current request's IP and browser.

    Call it inside the service's `transaction.atomic()` block: the event exists exactly when the
    change does. `data` must never hold a secret (passwords, tokens, codes).

    `count_repeats`: when the same action by the same actor on the same target and person was
    recorded less than REPEAT_WINDOW ago, add one to that event's `data["count"]` (and note
    `data["last_at"]`) instead of writing a new row. The event keeps the address of its first
    occurrence.
    """
    if not isinstance(action, AuditAction):
        # A string would be stored without a label: the apps' AuditAction members only.
        raise TypeError(f"record_event takes an AuditAction, not {action!r}.")
    meta = current_request_meta()
    actor_obj = actor if getattr(actor, "pk", None) else None
    fields: dict[str, Any] = {
        "action": action.value,
        "actor": actor_obj,
        "subject_user": subject_user,
        "target_type": target._meta.label_lower if target is not None else "",
        "target_id": str(target.pk) if target is not None else "",
        "organization_id": organization_id,
    }
    if count_repeats:
        repeated = _count_repeat(fields)
        if repeated is not None:
            return repeated
    return AuditEvent.objects.create(
        **fields,
        actor_email=getattr(actor_obj, "email", "") or "",
        target_repr=str(target)[:200] if target is not None else "",
        ip_address=meta.ip,
        user_agent=meta.user_agent,
        data=data or {},
    )


def _count_repeat(fields: dict[str, Any]) -> AuditEvent | None:
    """The latest identical event, its count raised, if it last happened within the window;
    None otherwise. The row is locked, so repeats arriving together each add one."""
    now = timezone.now()
    latest = (
        AuditEvent.objects.select_for_update()
        .filter(**fields)
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or now - latest.last_occurred_at >= REPEAT_WINDOW:
        return None
    latest.data = {**latest.data, "count": latest.repeats + 1, "last_at": now.isoformat()}
    latest.save(update_fields=["data"])
    return latest
