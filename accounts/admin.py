"""Support staff's view of users. Deactivating and deleting go through the organizations app's
services (see organizations/admin.py), which re-registers this admin with memberships inline.

Sessions have no admin of their own: a session's key is its primary key, so any admin page of
sessions puts the key (the password of a signed-in browser) in its links. A person's page shows
their sessions without keys instead, and "Sign out everywhere" ends them through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.http import signed_in_user
from accounts.models import Session, User
from accounts.services import do_end_sessions, do_reactivate_user, do_update_profile
from core.admin import PortalModelAdmin, record_admin_change
from core.audit_actions import AdminAction

# Fields only a superuser may change: admin rights, and the login itself. Without this, anyone with
# the "change user" permission (the support group) could make themselves a superuser, or take
# over a customer's account by changing its email address.
SUPERUSER_ONLY_FIELDS = ("email", "is_staff", "is_superuser", "groups", "user_permissions")
# A person's own details: changed through `do_update_profile`, which tells the person.
PROFILE_FIELDS = ("first_name", "last_name", "phone", "language")


@admin.action(description=_("Reactivate selected users"), permissions=["change"])
def reactivate_users(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    if any(not modeladmin.has_change_permission(request, user) for user in queryset):
        raise PermissionDenied
    for user in queryset.filter(is_active=False):
        do_reactivate_user(user, actor=signed_in_user(request))
        modeladmin.message_user(request, _("%(user)s is active again.") % {"user": user})


@admin.action(description=_("Sign out everywhere"), permissions=["change"])
def sign_out_everywhere(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    if any(not modeladmin.has_change_permission(request, user) for user in queryset):
        raise PermissionDenied
    for user in queryset:
        ended = do_end_sessions(user, keep_session_key=None, actor=signed_in_user(request))
        modeladmin.message_user(
            request,
            ngettext(
                "%(user)s: %(count)d session ended.", "%(user)s: %(count)d sessions ended.", ended
            )
            % {"user": user, "count": ended},
        )


class UserAdmin(PortalModelAdmin, DjangoUserAdmin[Any]):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "language", "date_joined"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    readonly_fields = ["last_login", "date_joined", "email_verified_at", "is_active", "sessions"]
    fieldsets = (
        (None, {"fields": ["email"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "phone", "language"]}),
        (
            _("Status"),
            {"fields": ["is_active", "email_verified_at", "last_login", "date_joined", "sessions"]},
        ),
        (_("Staff"), {"fields": ["is_staff", "is_superuser", "groups"]}),
    )
    add_fieldsets = ((None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),)
    filter_horizontal = ["groups"]
    actions = [reactivate_users, sign_out_everywhere]

    @admin.display(description=_("Sessions"))
    def sessions(self, user: User) -> Any:
        """Where the person is signed in, without any session key."""
        rows = Session.objects.filter(user=user).order_by("-last_activity")[:20]
        return format_html_join(
            "",
            "<div>{} · {} · {}</div>",
            ((s.browser, s.ip_address or "—", s.last_activity) for s in rows),
        ) or _("Not signed in anywhere.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A person's details go through the profile service (audited with the staff member as
        actor, emailed to the person); the rest (staff rights, superusers only) through the base
        admin, which audits it."""
        profile = [f for f in form.changed_data if f in PROFILE_FIELDS]
        if not change or not profile:
            super().save_model(request, obj, form, change)
            return
        stored = User.objects.get(pk=obj.pk)
        do_update_profile(
            stored, actor=signed_in_user(request), **{f: getattr(obj, f) for f in profile}
        )
        others = [f for f in form.changed_data if f not in PROFILE_FIELDS]
        if others:
            obj.save(update_fields=[f for f in others if f not in ("groups", "user_permissions")])
            record_admin_change(request, AdminAction.ADMIN_CHANGED, obj, others)

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


# Django registers its own GroupAdmin; the project's base admin holds for it too.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PortalModelAdmin, DjangoGroupAdmin):
    pass
