"""The security review's pages (/security/ and the "password compromised?" wizard's last step);
the checklist itself is security/review.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.compromised import stepper, wizard_state
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from core.models import AuditEvent
from security.review import EVENTS_PER_PAGE, security_checks, security_events


def _context(request: AuthenticatedHttpRequest) -> dict[str, object]:
    user: User = request.user
    page: Page[AuditEvent] = Paginator(security_events(user), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {"checks": security_checks(user, request), "page": page, "account_nav": True}


@login_required
@never_cache
def review(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "security/review.html", _context(request))


@login_required
@never_cache
def compromised_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 3 of the "password compromised?" wizard; before step 1, the wizard's start."""
    if wizard_state(request) is None:
        return redirect("compromised:password")
    context = {**_context(request), **stepper(3), "wizard": True, "account_nav": False}
    return render(request, "security/review.html", context)
