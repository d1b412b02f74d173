"""The admin for support staff: only with a session verified by a second factor.

Staff sign in through the portal's own sign-in page (password, then their second factor), never
through a password-only admin form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class PortalAdminSite(admin.AdminSite):
    site_header = "Portal support"
    site_title = "Portal support"

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(
            user.is_active and user.is_staff and getattr(user, "is_verified", lambda: False)()
        )

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # A signed-in staff member without a verified second factor sets one up first.
            if request.user.is_staff:
                return redirect("security:two-factor")
            # Anyone else may not enter. (The portal's sign-in page would send a signed-in
            # person straight back to `next`, the admin, and round again.)
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next", "/admin/"))
