"""Organizations with their members, and users with their memberships.

Deleting or deactivating a user here goes through the services, so the legal-representative rule
holds in the admin too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import UserAdmin
from accounts.http import signed_in_user
from accounts.models import User
from core.admin import PortalModelAdmin, PortalTabularInline
from organizations import services
from organizations.models import Invitation, Membership, Organization


class MembershipInline(PortalTabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "billing_rights", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Role changes go through the members page, where the rule and the emails live.
        return False


@admin.register(Organization)
class OrganizationAdmin(PortalModelAdmin):
    list_display = ["name", "slug", "city", "country", "created_at"]
    search_fields = ["name", "slug", "email", "memberships__user__email"]
    list_filter = ["country", "created_at"]
    readonly_fields = ["slug", "created_at"]
    inlines = [MembershipInline]

    def audit_organization_id(self, obj: Any) -> int | None:
        return int(obj.pk)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(PortalModelAdmin):
    list_display = ["email", "organization", "role", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "organization__name"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    fields = ("organization", "role", "billing_rights", "created_at")
    readonly_fields = fields


@admin.action(description=_("Deactivate selected users"), permissions=["change"])
def deactivate_users(modeladmin: Any, request: HttpRequest, queryset: QuerySet[User]) -> None:
    # Staff accounts are for superusers only (see has_change_permission below).
    if any(not modeladmin.has_change_permission(request, user) for user in queryset):
        raise PermissionDenied
    for user in queryset:
        try:
            services.do_deactivate_user(user, actor=signed_in_user(request))
        except services.LegalRepresentativeRequired as exc:
            modeladmin.message_user(request, f"{user}: {exc}", messages.ERROR)
        else:
            modeladmin.message_user(request, _("%(user)s is deactivated.") % {"user": user})


class UserWithMembershipsAdmin(UserAdmin):
    inlines = [UserMembershipInline]
    actions = [*UserAdmin.actions, deactivate_users]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Show the rule on the confirmation page, as Django shows protected objects."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            for org in services.organizations_left_without_legal_representative(user):
                protected.append(
                    _("%(user)s is the last legal representative of %(org)s.")
                    % {"user": user, "org": org}
                )
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        try:
            services.do_delete_user(obj, actor=signed_in_user(request))
        except services.LegalRepresentativeRequired as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            self.delete_model(request, user)


admin.site.register(User, UserWithMembershipsAdmin)
