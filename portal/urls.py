"""The top of the URL tree: the only place that knows every app."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from organizations.views import home
from portal import views

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("organizations.urls")),
    path("", include("security.urls")),
    path("", include("billing.urls")),
    path("", include("tags.urls")),
    path("", include("offers.urls")),
    path("", include("offers.partner_urls")),
    path("security/compromised/", include("accounts.compromised_urls")),
    path("security/", include("security.review_urls")),
    path("tokens/", include("tokens.urls")),
    path("api/v1/", include("tokens.api.urls")),
    path("api/v1/", include("tags.api.urls")),
    path("api/v1/", include("offers.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`): the strict CSP
    # (`script-src 'self'`) refuses the inline one, which left the page blank.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Last under /api/: an address no route matches answers the API's JSON 404, with DEBUG too
    # (Django's debug page would otherwise answer in HTML, which no API client can read).
    re_path(r"^api/", views.api_not_found),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
]

if settings.DEBUG:
    urlpatterns += [path("dev/outbox/", views.outbox, name="outbox")]

handler400 = "portal.views.bad_request"
handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
