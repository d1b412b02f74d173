"""The project's URLs plus an organization page of an app the middleware has never heard of."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from portal.urls import urlpatterns as project_urlpatterns


def invoices(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(f"Invoices of {slug}")


urlpatterns = [
    path("", include(([path("orgs/<slug:slug>/invoices/", invoices, name="list")], "invoices"))),
    *project_urlpatterns,
]
