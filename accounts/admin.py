"""Support staff's view of users. Deactivating and deleting go through the organizations app's
services (see organizations/admin.py), which re-registers this admin with memberships inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import Session, User
from accounts.services import do_reactivate_user

# Fields only a superuser may change: admin rights, and the login itself. Without this, anyone with
# the "change user" permission (the support group) could make themselves a superuser, or take
# over a customer's account by changing its email address.
SUPERUSER_ONLY_FIELDS = ("email", "is_staff", "is_superuser", "groups", "user_permissions")


@admin.action(description=_("Reactivate selected users"), permissions=["change"])
def reactivate_users(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    if any(not modeladmin.has_change_permission(request, user) for user in queryset):
        raise PermissionDenied
    for user in queryset.filter(is_active=False):
        do_reactivate_user(user, actor=request.user)  # type: ignore[arg-type]
        modeladmin.message_user(request, _("%(user)s is active again.") % {"user": user})


class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "language", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    readonly_fields = ["last_login", "date_joined", "email_verified_at", "is_active"]
    fieldsets = (
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "phone", "language"]}),
        (_("Status"), {"fields": ["is_active", "email_verified_at", "last_login", "date_joined"]}),
        (_("Staff"), {"fields": ["is_staff", "is_superuser", "groups"]}),
    )
    add_fieldsets = ((None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),)
    filter_horizontal = ["groups"]
    actions = [reactivate_users]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            fields += [f for f in SUPERUSER_ONLY_FIELDS if f not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Staff accounts are changed by superusers only: a support user taking over another
        staff account would gain its rights."""
        if obj is not None and obj.is_staff and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        # Support never sets a customer's password: the customer resets it by email.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "ip_address",
        "user_agent",
        "created_at",
        "last_activity",
        "expire_date",
    ]
    search_fields = ["user__email", "ip_address"]
    fields = (
        "user",
        "ip_address",
        "user_agent",
        "created_at",
        "last_activity",
        "expire_date",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
