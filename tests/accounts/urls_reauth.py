"""The project's URLs plus two tiny pages behind the "confirm your password" guard."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views import View

from accounts.reauth import RecentPasswordRequiredMixin, require_recent_password
from portal.urls import urlpatterns as project_urlpatterns


@require_recent_password
def guarded_function(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Sensitive page ({request.method})")


class GuardedClassView(RecentPasswordRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("Sensitive page (GET)")

    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("Sensitive page (POST)")


urlpatterns = [
    path("test/guarded-function/", guarded_function, name="guarded-function"),
    path("test/guarded-class/", GuardedClassView.as_view(), name="guarded-class"),
    *project_urlpatterns,
]
