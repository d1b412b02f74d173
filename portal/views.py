"""Pages of the frame: error pages, the health check and the DEBUG-only outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from core import sms
from core.api import error_response, is_api_request
from core.models import Notification


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def outbox(request: HttpRequest) -> HttpResponse:
    """Emails and SMS the portal sent, for someone trying the demo (DEBUG only)."""
    if not settings.DEBUG:
        raise Http404
    notifications = Notification.objects.all()
    page = Paginator(notifications, 20).get_page(request.GET.get("page"))
    return render(
        request, "portal/outbox.html", {"page": page, "sms_messages": sms.sent_messages()}
    )


def _error(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return HttpResponse(loader.render_to_string(template, {}, request), status=status)


# Under /api/ the errors Django answers itself (no route, a server error...) are JSON with a stable
# code like DRF's, and never name a model or a URL pattern.


def bad_request(request: HttpRequest, exception: Any) -> HttpResponse:
    if is_api_request(request):
        return error_response("bad_request", _("Bad request."), 400)
    return _error(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Any) -> HttpResponse:
    if is_api_request(request):
        return error_response("permission_denied", _("You may not do this."), 403)
    # A view may say why (`raise PermissionDenied(_("Only ..."))`); the default text otherwise.
    reason = str(exception) if exception is not None and exception.args else ""
    return HttpResponse(
        loader.render_to_string("403.html", {"reason": reason}, request), status=403
    )


def page_not_found(request: HttpRequest, exception: Any) -> HttpResponse:
    if is_api_request(request):
        return error_response("not_found", _("Not found."), 404)
    return _error(request, "404.html", 404)


@csrf_exempt  # no form posts here: a POST to a missing address is a 404, not a CSRF refusal
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Any address under /api/ that no route matches, whatever the method."""
    return error_response("not_found", _("Not found."), 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return error_response("server_error", _("Something went wrong on our side."), 500)
    # No request context here: rendering must not depend on what may have failed.
    return HttpResponse(loader.render_to_string("500.html", {}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, "403_csrf.html", 403)
