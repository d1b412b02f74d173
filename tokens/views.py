"""API token pages: create (shown once), list, revoke selected, regenerate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.reauth import is_recently_authenticated, reauth_redirect, require_recent_password
from accounts.services import EmailNotVerified
from core.crypto import seal, unseal
from organizations import access
from tokens import services
from tokens.forms import TokenForm
from tokens.models import ApiToken

NEW_TOKEN_KEY = "_portal_new_api_token"  # noqa: S105 - a session key name


def _show_once(request: HttpRequest, token: ApiToken, secret: str) -> None:
    request.session[NEW_TOKEN_KEY] = {"secret": seal(secret.encode()), "name": token.name}


@login_required
@never_cache
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    shown = request.session.pop(NEW_TOKEN_KEY, None)
    tokens = ApiToken.objects.filter(user=user, revoked_at=None).select_related("organization")
    page = Paginator(tokens, 50).get_page(request.GET.get("page"))
    response = render(
        request,
        "tokens/token_list.html",
        {
            "page": page,
            "new_token": unseal(shown["secret"]).decode() if isinstance(shown, dict) else None,
            "new_name": shown.get("name") if isinstance(shown, dict) else "",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_recent_password
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    form = TokenForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.do_create_token(
                user,
                organization=form.cleaned_data["organization"],
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.cleaned_data["expires_at"],
                actor=user,
            )
        except EmailNotVerified as exc:
            messages.error(request, str(exc))
            return redirect("tokens:list")
        except PermissionDenied as refused:  # left, or a policy switched on, a moment ago
            form.add_error("organization", str(refused) or _("Choose one of your organizations."))
        else:
            _show_once(request, token, secret)
            return redirect("tokens:list")
    return render(request, "tokens/token_create.html", {"form": form})


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Revoke the selected tokens (checkboxes of the list)."""
    user: User = request.user
    ids = [int(i) for i in request.POST.getlist("token") if i.isascii() and i.isdigit()]
    if not ids:
        messages.error(request, _("Select the tokens to revoke first."))
        return redirect("tokens:list")
    if request.POST.get("confirmed") != "yes":
        selected = ApiToken.objects.filter(user=user, pk__in=ids, revoked_at=None)
        if not selected:
            messages.error(request, _("Select the tokens to revoke first."))
            return redirect("tokens:list")
        return render(request, "tokens/token_revoke.html", {"selected": selected})
    count = services.do_revoke_tokens(user, ids, actor=user)
    messages.success(
        request,
        ngettext("%(n)d token is revoked.", "%(n)d tokens are revoked.", count) % {"n": count},
    )
    return redirect("tokens:list")


@login_required
@require_POST
def token_regenerate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user: User = request.user
    if not is_recently_authenticated(request):
        # Back to the list after the confirmation: this address answers only a POST.
        return reauth_redirect(request, next_url=reverse("tokens:list"))
    token = get_object_or_404(ApiToken, pk=pk, user=user, revoked_at=None)
    if token.is_active:
        messages.info(request, _("This token works: there is nothing to regenerate."))
        return redirect("tokens:list")
    try:
        new_token, secret = services.do_regenerate_token(token, actor=user)
    except access.PolicyRefused as refused:
        messages.warning(request, refused.refusal.message)
        return redirect(refused.refusal.remedy_url)
    except PermissionDenied:
        messages.info(request, _("This token was regenerated already."))
        return redirect("tokens:list")
    except EmailNotVerified as exc:
        messages.error(request, str(exc))
        return redirect("tokens:list")
    _show_once(request, new_token, secret)
    return redirect("tokens:list")
