"""The "password compromised?" wizard, included by portal/urls.py at /security/compromised/.
Its last step, the security review, is served by security.review_urls."""

from __future__ import annotations

from django.urls import path

from accounts import compromised_views as compromised

app_name = "compromised"

urlpatterns = [
    path("", compromised.password, name="password"),
    path("inventory/", compromised.inventory, name="inventory"),
    path("inventory/<slug:category>/revoke/", compromised.revoke, name="revoke"),
    path("finish/", compromised.finish, name="finish"),
]
