"""The portal's URLs plus the bench-only endpoints (see bench/views.py)."""

from __future__ import annotations

from django.urls import path

from bench import views
from portal.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    *urlpatterns,
    path("bench/floor/", views.floor, name="bench-floor"),
    path(
        "bench/open/newsletter/lists/",
        views.UnauthenticatedTwin.as_view({"get": "list"}),
        name="bench-open",
    ),
    path(
        "bench/drf-token/newsletter/lists/",
        views.StockTokenTwin.as_view({"get": "list"}),
        name="bench-drf-token",
    ),
    path(
        "bench/drf-token-fixed/newsletter/lists/",
        views.StockTokenFixedTwin.as_view({"get": "list"}),
        name="bench-drf-token-fixed",
    ),
    path(
        "bench/bearer-uncached/newsletter/lists/",
        views.UncachedBearerTwin.as_view({"get": "list"}),
        name="bench-bearer-uncached",
    ),
]
