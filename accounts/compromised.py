"""The "password compromised?" wizard (/security/compromised/), as the guide walks through it:

1. the current password and a new one, applied at once: every other session is signed out, this
   one stays;
2. the inventory of what someone holding the old password may have created or used (other
   sessions, application passwords, API tokens, 2FA methods with the recently added ones pointed
   out) — the categories come from settings.CREDENTIAL_INVENTORIES (accounts.inventory), so this
   module imports none of the apps that own them. Most are revoked here, one by one or all at
   once; 2FA methods are removed on the 2FA page's own confirmation, which comes back here;
3. the security review (security.review shows it as the last step), then "Finish", which sends
   the person one summary of what changed.

The wizard's progress is kept in the session: the steps after the first open only once the
password was changed in this session, and the summary lists what was revoked along the way.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services
from accounts.audit_actions import AccountAction
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
from accounts.views import password_changed_message
from core.audit import record_event
from core.outbox import send_email

STATE_KEY = "_portal_compromised"
STEPS = (
    gettext_lazy("Change your password"),
    gettext_lazy("Revoke what you do not recognise"),
    gettext_lazy("Review your security"),
)
WIZARD_TITLE = gettext_lazy("Password compromised?")


class WizardState(TypedDict):
    id: str  # one run of the wizard: the summary email's key
    started_at: float
    sessions_ended: int
    revoked: dict[str, list[str]]  # category key -> names of what was revoked


def wizard_state(request: HttpRequest) -> WizardState | None:
    """The run in progress in this session, once step 1 changed the password; None otherwise."""
    state = request.session.get(STATE_KEY)
    return state if isinstance(state, dict) and state.get("id") else None  # type: ignore[return-value]


def stepper(current: int) -> dict[str, Any]:
    """Context of templates/portal/_stepper.html for step `current` (1-based)."""
    return {"stepper_title": WIZARD_TITLE, "steps": STEPS, "current_step": current}


# --- Services ------------------------------------------------------------------------------------


def do_change_compromised_password(
    user: User, new_password: str, *, actor: User, keep_session_key: str | None
) -> int:
    """Step 1: the password change of accounts.services (other sessions ended, the person
    emailed at once — a thief running the wizard must not go unnoticed), and an audit event
    saying it was done because the password was thought compromised. Returns how many other
    sessions were ended."""
    with transaction.atomic():
        ended = services.do_change_password(
            user, new_password, actor=actor, keep_session_key=keep_session_key
        )
        record_event(
            AccountAction.COMPROMISED_WIZARD_STARTED,
            actor=actor,
            target=user,
            subject_user=user,
            data={"other_sessions_ended": ended},
        )
    return ended


def revoked_during(user: User, state: WizardState) -> dict[str, list[str]]:
    """Category key -> names of what went during this run: what the wizard revoked itself, and
    what the owning apps' confirmation pages removed (they record it, the wizard does not)."""
    since = datetime.fromtimestamp(state["started_at"], tz=UTC)
    revoked: dict[str, list[str]] = {}
    for inv in credential_inventories():
        if isinstance(inv, ConfirmedInventory):
            names = inv.removed_since(user, since)
        else:
            names = state["revoked"].get(inv.key, [])
        if names:
            revoked[inv.key] = names
    return revoked


def do_complete_compromised_wizard(user: User, state: WizardState, *, actor: User) -> None:
    """The end of the wizard: one audit event and one summary email of what changed and what
    was revoked. The email's key is the run's id, so finishing twice sends it once."""
    by_category = revoked_during(user, state)
    revoked = [
        {"label": inv.label, "names": by_category[inv.key]}
        for inv in credential_inventories()
        if inv.key in by_category
    ]
    with transaction.atomic():
        record_event(
            AccountAction.COMPROMISED_WIZARD_COMPLETED,
            actor=actor,
            target=user,
            subject_user=user,
            data={
                "other_sessions_ended": state["sessions_ended"],
                "revoked": {key: len(names) for key, names in by_category.items()},
            },
        )
        send_email(
            "compromised_summary",
            to_user=user,
            key=f"compromised_summary:{user.pk}:{state['id']}",
            context={
                "name": user.get_short_name(),
                "sessions_ended": state["sessions_ended"],
                "revoked": revoked,
                "url": reverse("review:index"),
                "reset_url": reverse("accounts:password-reset"),
            },
        )


# --- Views ---------------------------------------------------------------------------------------


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1. Proving the current password is the re-authentication (ARCHITECTURE.md rule 2); the
    form counts each guess against the same limit as the "confirm your password" page, first."""
    user: User = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = do_change_compromised_password(
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
        do_complete_compromised_wizard(request.user, state, actor=request.user)
        del request.session[STATE_KEY]
        messages.success(
            request, _("All done. We sent you an email with a summary of what changed.")
        )
    return redirect("review:index")
