"""Database sessions that remember their user, IP and browser, for the "active sessions" page."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone

from core.request_context import current_request_meta


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from accounts.models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: Any = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        obj.user_id = int(user_id) if user_id else None
        meta = current_request_meta()
        obj.ip_address = meta.ip
        obj.user_agent = meta.user_agent[:300]
        obj.last_activity = timezone.now()
        # Keep the creation time of an existing row; only a new key gets a new one.
        existing = (
            self.get_model_class().objects.filter(session_key=obj.session_key).values("created_at")
        )
        obj.created_at = existing[0]["created_at"] if existing else timezone.now()
        return obj
