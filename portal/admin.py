"""The audit log and the outbox in the admin: read-only, for support staff."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.models import AuditEvent, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "action",
        "actor_email",
        "target_repr",
        "organization_id",
        "ip_address",
    ]
    list_filter = ["action", "created_at"]
    search_fields = ["actor_email", "target_repr", "subject_user__email", "ip_address"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "channel", "to", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["to", "key"]
    # The rendered body may hold a one-time link; support sees that a message went, not its text.
    exclude = ["body_text", "body_html"]
