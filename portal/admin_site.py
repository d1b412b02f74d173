"""The admin for support staff: only with a session whose second factor was verified at sign-in.

Staff sign in through the portal's own sign-in page (password, then their second factor), never
through a password-only admin form. A session that merely *added* a method is verified by it
(django-otp), but that proves nothing: whoever has a staff password could add an authenticator
and walk in. So the admin also asks for the mark the sign-in's second step leaves in the session
(`SECOND_FACTOR_AT_SIGN_IN`), which only a method that existed before the session can leave.
Superusers see on the admin's index which staff accounts have no second factor.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from security.methods import has_two_factor, users_with_two_factor
from security.second_step import SECOND_FACTOR_AT_SIGN_IN


def second_factor_at_sign_in(request: HttpRequest) -> bool:
    return bool(request.session.get(SECOND_FACTOR_AT_SIGN_IN))


class PortalAdminSite(admin.AdminSite):
    site_header = _("Portal support")
    site_title = _("Portal support")

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(
            user.is_active
            and user.is_staff
            and getattr(user, "is_verified", lambda: False)()
            and second_factor_at_sign_in(request)
        )

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            if request.user.is_staff:
                # Without a second factor: set one up first. With one, but not used to sign in
                # (it was added in this session): sign in again with it.
                if not has_two_factor(request.user):
                    return redirect("security:two-factor")
                return render(request, "admin/sign_in_again.html", status=403)
            # Anyone else may not enter. (The portal's sign-in page would send a signed-in
            # person straight back to `next`, the admin, and round again.)
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next", "/admin/"))

    def index(self, request: HttpRequest, extra_context: Any = None) -> TemplateResponse:
        context = dict(extra_context or {})
        if getattr(request.user, "is_superuser", False):
            context["staff_without_two_factor"] = staff_without_two_factor()
        return super().index(request, context)


def staff_without_two_factor() -> list[Any]:
    """Active staff accounts with no second factor: they cannot enter the admin, and a stolen
    password is all it takes to become them everywhere else."""
    staff = list(User.objects.filter(is_staff=True, is_active=True).order_by("email"))
    protected = users_with_two_factor([u.pk for u in staff])
    return [u for u in staff if u.pk not in protected]
