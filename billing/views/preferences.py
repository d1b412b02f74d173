"""The billing notification preferences of the signed-in member (/orgs/<slug>/billing/settings/).

Each member with billing rights chooses for themselves. With htmx the form is posted on every
change and only the small status region (`aria-live`) is swapped, so focus stays where it is and
a screen reader hears "Saved"; without JavaScript the Save button posts the same form and the
page redirects back with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from billing.preference_forms import NotificationPreferenceForm
from billing.recipients import choices_of
from billing.reminders import do_update_billing_preferences
from organizations.access import org_member_required
from organizations.models import Membership


@require_http_methods(["GET", "POST"])
@org_member_required
def billing_settings(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    if not membership.can_manage_billing:
        raise PermissionDenied
    org = membership.organization
    htmx = request.headers.get("HX-Request") == "true"
    if request.method == "POST":
        form = NotificationPreferenceForm(request.POST)
        if form.is_valid():
            changed = do_update_billing_preferences(
                membership,
                form.cleaned_data,
                actor=request.user,
            )
            if htmx:
                return render(
                    request,
                    "billing/_settings_status.html",
                    {
                        "form": form,
                        "saved": True,
                        # The lead times appear or hide with the switch; swapped only then, so
                        # a ticked lead time keeps the focus.
                        "swap_lead_days": "renewal_reminders" in changed,
                    },
                )
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("billing:settings", org.slug)
        if htmx:
            return render(request, "billing/_settings_status.html", {"form": form, "saved": False})
    else:
        form = NotificationPreferenceForm(
            initial=NotificationPreferenceForm.initial_from(choices_of(membership))
        )
    return render(
        request,
        "billing/settings.html",
        {"org": org, "membership": membership, "form": form},
    )
