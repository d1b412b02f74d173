"""The one base admin every `ModelAdmin` and inline of the project derives from (ARCHITECTURE.md
rule 11), and the audit log and the outbox in the admin: read-only, for support staff.

Two protections hold for every admin page because they live here, not in each admin:

- **Only declared lookups.** Django's changelist accepts any `?field__lookup=value` on the model's
  own fields (`ModelAdmin.lookup_allowed`), so a hidden column can still be read one yes/no at a
  time (`?body_text__regex=^https://…/reset/a`). `PortalModelAdmin` allows only the filters it
  offers: `list_filter` and `date_hierarchy`, with the comparison operators Django's own filters
  use. Anything else is refused (Django answers 400, `DisallowedModelAdminLookup`).
- **No secret on screen.** Fields named in `SECRET_FIELDS` (or ending in `_digest`, or starting
  with `sealed_`) are left out of forms, lists, searches, filters and read-only fields, whatever
  an admin declares: session keys and data, credential digests, sealed seeds, password hashes,
  and the rendered text of notifications, which may carry a one-time link.

A third holds for every change made in the admin:

- **Every save leaves a trace.** `save_model`, `delete_model`, `delete_queryset` and inline
  formsets record an audit event with the staff member as actor (`admin.added`, `admin.changed`
  with the names of the changed fields, never their values, `admin.deleted`), concerning the
  organization or the person the object belongs to. An admin whose changes have a service of
  their own (a person's details: `accounts.services.do_update_profile`, which also emails the
  person) overrides `save_model` and calls the service, which records its own event.

`tests/portal/test_admin_base.py` fails when an admin is registered without these classes;
`tests/portal/test_admin_saves.py` proves the trace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from core.audit import record_event
from core.audit_actions import AdminAction
from core.models import AuditEvent, Notification

SECRET_FIELDS = frozenset({"session_key", "session_data", "password", "body_text", "body_html"})
# The operators Django's list filters and date hierarchy put in the query string.
FILTER_OPERATORS = frozenset(
    {"exact", "isnull", "in", "gte", "gt", "lte", "lt", "year", "month", "day"}
)


def is_secret(name: str) -> bool:
    """Whether a field (or the first step of a lookup path) holds a secret."""
    name = name.split(LOOKUP_SEP, 1)[0].lstrip("-")
    return name in SECRET_FIELDS or name.endswith("_digest") or name.startswith("sealed_")


def secret_fields_of(model: type[Model]) -> list[str]:
    return [f.name for f in model._meta.get_fields() if is_secret(f.name)]


def _without_secrets(names: Sequence[Any]) -> list[Any]:
    return [n for n in names if not (isinstance(n, str) and is_secret(n))]


def _filter_path(item: Any) -> str:
    """The query-string name a `list_filter` entry filters on."""
    if isinstance(item, (list, tuple)):
        return str(item[0])
    if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
        return str(item.parameter_name)
    return str(item)


class SecretFreeMixin:
    """Leaves secret fields out of every form and read-only field of an admin or an inline."""

    model: type[Model]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])  # type: ignore[misc]
        return [*excluded, *(f for f in secret_fields_of(self.model) if f not in excluded)]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _without_secrets(super().get_fields(request, obj))  # type: ignore[misc]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (name, {**options, "fields": _without_secrets(options.get("fields", ()))})
            for name, options in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _without_secrets(super().get_readonly_fields(request, obj))  # type: ignore[misc]


def record_admin_change(
    request: HttpRequest,
    action: AdminAction,
    obj: Model,
    fields: Sequence[str],
    *,
    organization_id: int | None = None,
) -> None:
    """An audit event for a change made in the admin: who, what, which fields (no values), in
    the organization's log when the object belongs to one."""
    user_model = get_user_model()
    subject = obj if isinstance(obj, user_model) else getattr(obj, "user", None)
    record_event(
        action,
        actor=request.user,
        target=obj,
        organization_id=organization_id or getattr(obj, "organization_id", None),
        subject_user=subject if isinstance(subject, user_model) else None,
        data={
            "model": obj._meta.label_lower,
            "fields": sorted(f for f in fields if not is_secret(f)),
        },
    )


class PortalModelAdmin(SecretFreeMixin, admin.ModelAdmin[Any]):
    """The base of every admin: only declared lookups, no secret shown, every change audited
    (see the module's doc)."""

    def audit_organization_id(self, obj: Any) -> int | None:
        """The organization whose log shows changes to `obj` (its own `organization_id`)."""
        return getattr(obj, "organization_id", None)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data or not change:
            record_admin_change(
                request,
                AdminAction.ADMIN_CHANGED if change else AdminAction.ADMIN_ADDED,
                obj,
                form.changed_data,
                organization_id=self.audit_organization_id(obj),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_admin_change(
            request,
            AdminAction.ADMIN_DELETED,
            obj,
            [],
            organization_id=self.audit_organization_id(obj),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # One by one, so each deletion is recorded (the bulk delete would skip save hooks too).
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record_admin_change(request, AdminAction.ADMIN_ADDED, obj, [])
        for obj, fields in formset.changed_objects:
            record_admin_change(request, AdminAction.ADMIN_CHANGED, obj, fields)
        for obj in formset.deleted_objects:
            record_admin_change(request, AdminAction.ADMIN_DELETED, obj, [])

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        parts = lookup.split(LOOKUP_SEP)
        if len(parts) > 1 and parts[-1] in FILTER_OPERATORS:
            parts = parts[:-1]
        path = LOOKUP_SEP.join(parts)
        related_pk = LOOKUP_SEP.join(parts[:-1]) if parts[-1] in ("id", "pk") else None
        declared = self._declared_lookups(request)
        return not is_secret(path) and (path in declared or related_pk in declared)

    def _declared_lookups(self, request: HttpRequest | None) -> set[str]:
        filters = self.get_list_filter(request) if request is not None else self.list_filter
        declared = {_filter_path(item) for item in filters}
        if self.date_hierarchy:
            declared.add(self.date_hierarchy)
        return declared

    def get_list_display(self, request: HttpRequest) -> Any:
        return _without_secrets(super().get_list_display(request))

    def get_list_filter(self, request: HttpRequest) -> Any:
        return _without_secrets(super().get_list_filter(request))

    def get_search_fields(self, request: HttpRequest) -> Any:
        return _without_secrets(super().get_search_fields(request))

    def get_sortable_by(self, request: HttpRequest) -> Any:
        return _without_secrets(super().get_sortable_by(request))


class PortalInlineMixin(SecretFreeMixin):
    """The base of every inline (`class XInline(PortalInlineMixin, admin.TabularInline)`)."""


class PortalTabularInline(PortalInlineMixin, admin.TabularInline[Any, Any]):
    pass


class ReadOnlyAdmin(PortalModelAdmin):
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
    # The rendered body may hold a one-time link: the base admin never shows it (SECRET_FIELDS).
