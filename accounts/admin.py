"""Support staff's view of users. Deactivating and deleting go through the organizations app's
services (see organizations/admin.py), which re-registers this admin with memberships inline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import Session


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
