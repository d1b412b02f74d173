"""The audit log: `record_event` is called by services inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from portal.models import AuditEvent
from portal.request_context import current_request_meta


def record_event(
    action: str,
    *,
    actor: Any | None,
    target: models.Model | None = None,
    organization_id: int | None = None,
    subject_user: Any | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event with the current request's IP and browser.

    Call it inside the service's `transaction.atomic()` block: the event exists exactly when the
    change does. `data` must never hold a secret (passwords, tokens, codes).
    """
    meta = current_request_meta()
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        action=action,
        actor=actor_obj,
        actor_email=getattr(actor_obj, "email", "") or "",
        subject_user=subject_user,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        organization_id=organization_id,
        ip_address=meta.ip,
        user_agent=meta.user_agent,
        data=data or {},
    )
