"""The pages of the "password compromised?" wizard (/security/compromised/): how it goes is in
accounts/compromised.py, its services in accounts/services/compromised.py."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.compromised import STATE_KEY, WizardState, stepper, wizard_state
from accounts.forms import PasswordChangeForm
from accounts.http import AuthenticatedHttpRequest
from accounts.inventory import (
    ConfirmedInventory,
    CredentialInventory,
    InventoryCategory,
    InventoryItem,
    credential_inventories,
    find_inventory,
)
from accounts.models import User
from accounts.reauth import mark_recently_authenticated
from accounts.services import compromised as compromised_services
from accounts.views import password_changed_message


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1. Proving the current password is the re-authentication (ARCHITECTURE.md rule 2); the
    form counts each guess against the same limit as the "confirm your password" page, first."""
    user: User = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = compromised_services.do_change_compromised_password(
            user,
            form.cleaned_data["new_password1"],
            actor=user,
            keep_session_key=request.session.session_key,
        )
        update_session_auth_hash(request, user)
        mark_recently_authenticated(request)
        state = wizard_state(request)
        if state is None:
            state = WizardState(
                id=secrets.token_hex(8), started_at=time.time(), sessions_ended=0, revoked={}
            )
        state["sessions_ended"] += ended
        request.session[STATE_KEY] = state
        messages.success(request, password_changed_message(ended))
        return redirect("compromised:inventory")
    return render(request, "accounts/compromised_password.html", {"form": form, **stepper(1)})


@login_required
@never_cache
def inventory(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2: every category with its items, or the sentence saying it is empty."""
    if wizard_state(request) is None:
        return redirect("compromised:password")
    user: User = request.user
    back = f"{request.path}#"
    categories = [
        (
            inv,
            _rows(inv, inv.items(user, request), back_to=back + inv.key),
            isinstance(inv, CredentialInventory),  # "Revoke all" is offered
        )
        for inv in credential_inventories()
    ]
    return render(
        request,
        "accounts/compromised_inventory.html",
        {"categories": categories, **stepper(2)},
    )


def _rows(
    inv: InventoryCategory, items: list[InventoryItem], *, back_to: str
) -> list[tuple[InventoryItem, str]]:
    """Each item with the page that removes it after a confirmation, coming back to `back_to`;
    "" where the wizard's own Revoke button does it."""
    if not isinstance(inv, ConfirmedInventory):
        return [(item, "") for item in items]
    query = urlencode({"next": back_to})
    return [(item, f"{inv.removal_url(item.id)}?{query}") for item in items]


@login_required
@never_cache
def revoke(request: AuthenticatedHttpRequest, category: str) -> HttpResponse:
    """Revoke the posted items of one category, or (from the confirmation page, which a GET
    shows and which names how many) all of them."""
    state = wizard_state(request)
    if state is None:
        return redirect("compromised:password")
    inv = find_inventory(category)
    if not isinstance(inv, CredentialInventory):
        raise Http404  # unknown, or removed only on its owner's confirmation page
    step2 = reverse("compromised:inventory")
    if request.method == "POST":
        ids = request.POST.getlist("item")
        if ids or request.POST.get("all"):
            _revoke(request, inv, state, ids=ids or None)
        return redirect(f"{step2}#{inv.key}")
    items = inv.items(request.user, request)
    if not items:
        return redirect(f"{step2}#{inv.key}")
    return render(
        request,
        "accounts/compromised_revoke.html",
        {
            "inventory": inv,
            "items": items,
            "consequence": inv.consequence(len(items)),
            **stepper(2),
        },
    )


def _revoke(
    request: AuthenticatedHttpRequest,
    inv: CredentialInventory,
    state: WizardState,
    *,
    ids: list[str] | None,
) -> None:
    """Revoke through the category (`ids` None: all), remember the names of what went for the
    summary, and say what happened."""
    user: User = request.user
    before = {item.id: item.name for item in inv.items(user, request)}
    if ids is None:
        inv.revoke_all(user, actor=user, request=request)
    else:
        inv.revoke(user, ids, actor=user, request=request)
    remaining = {item.id for item in inv.items(user, request)}
    gone = [name for item_id, name in before.items() if item_id not in remaining]
    if gone:
        state["revoked"][inv.key] = [*state["revoked"].get(inv.key, []), *gone]
        request.session[STATE_KEY] = state
        messages.success(request, _("Revoked: %(what)s.") % {"what": inv.count_text(len(gone))})
    else:
        messages.info(request, _("Nothing was revoked: it was gone already."))


@login_required
@require_POST
def finish(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The last button: the summary email, then the security review on its own."""
    state = wizard_state(request)
    if state is not None:
        compromised_services.do_complete_compromised_wizard(request.user, state, actor=request.user)
        del request.session[STATE_KEY]
        messages.success(
            request, _("All done. We sent you an email with a summary of what changed.")
        )
    return redirect("review:index")
