"""Account pages: sign in and out, passwords, email verification, profile, language, sessions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import (
    ConfirmPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ProfileForm,
    SetPasswordForm,
)
from accounts.http import AuthenticatedHttpRequest
from accounts.login import attempt_login, remember_browser
from accounts.middleware import SIGN_IN_LANGUAGE, speak_their_language
from accounts.models import Session, User
from accounts.reauth import mark_recently_authenticated
from core import ratelimit
from core.http import safe_next
from core.models import AuditEvent
from core.ratelimit import wait_message
from core.request_context import client_ip

RESET_SESSION_TOKEN = "_password_reset_token"  # noqa: S105 - a session key name
RESET_URL_TOKEN = "set-password"  # noqa: S105 - a URL placeholder


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = attempt_login(request, form.cleaned_data["email"], form.cleaned_data["password"])
        if result.locked:
            form.add_error(None, wait_message(result.retry_after))
        elif result.user is None:
            form.add_error(None, _("The email address or the password is not right."))
        else:
            speak_their_language(request, result.user)
            # People with two-factor authentication are not signed in yet: the second step
            # (settings.LOGIN_SECOND_STEP, in the security app) takes over.
            if settings.LOGIN_SECOND_STEP:
                second_step = import_string(settings.LOGIN_SECOND_STEP)
                response: HttpResponse | None = second_step(
                    request, result.user, safe_next(request)
                )
                if response is not None:
                    return response
            login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
            mark_recently_authenticated(request)
            response = redirect(safe_next(request))
            remember_browser(request, response, result.user)
            return response
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the verification email opens a page whose button verifies (no change on GET)."""
    if request.method == "POST":
        user = services.do_verify_email(token)
        if user is None:
            return render(request, "accounts/verify_email.html", {"invalid": True}, status=400)
        messages.success(request, _("Your email address is verified. Thank you."))
        return redirect("home" if request.user.is_authenticated else "accounts:login")
    return render(request, "accounts/verify_email.html", {"token": token})


@login_required
@require_POST
def verify_email_resend(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    if user.is_email_verified:
        messages.info(request, _("Your email address is already verified."))
    elif ratelimit.attempt("password-reset", f"verify:{user.pk}").allowed:
        services.send_verification_email(user)
        messages.success(request, _("We sent a new link to %(email)s.") % {"email": user.email})
    else:
        messages.error(request, _("We sent several links already. Please check your inbox."))
    # Back to the page that asked for a verified address (or the profile).
    return redirect(safe_next(request, default="accounts:profile"))


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verdict = ratelimit.attempt("password-reset", f"ip:{client_ip(request)}")
        if not verdict.allowed:
            form.add_error(None, wait_message(verdict.retry_after))
        else:
            services.do_request_password_reset(form.cleaned_data["email"], ip=client_ip(request))
            return redirect("accounts:password-reset-sent")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


def _user_from_uid(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Like Django's view: the token leaves the URL (and the Referer) for the session at once."""
    user = _user_from_uid(uidb64)
    generator = services.reset_token_generator()
    if token != RESET_URL_TOKEN:
        if user is not None and generator.check_token(user, token):
            request.session[RESET_SESSION_TOKEN] = token
            return redirect("accounts:password-reset-confirm", uidb64, RESET_URL_TOKEN)
        return render(request, "accounts/password_reset_confirm.html", {"invalid": True})
    session_token = request.session.get(RESET_SESSION_TOKEN, "")
    if user is None or not generator.check_token(user, session_token):
        return render(request, "accounts/password_reset_confirm.html", {"invalid": True})
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Every session is signed out; resetting never signs anyone in (2FA must not be bypassed).
        services.do_reset_password(user, form.cleaned_data["new_password1"])
        # The service deleted the user's session rows, this browser's too if it was signed in:
        # start afresh rather than save into a deleted session (which Django answers with 400).
        logout(request)
        messages.success(request, _("Your password is changed. You can sign in with it now."))
        return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


def password_changed_message(ended: int) -> str:
    """What a person reads after changing the password here or in the "compromised?" wizard."""
    return ngettext(
        "Your password is changed. %(n)d other session was signed out.",
        "Your password is changed. %(n)d other sessions were signed out.",
        ended,
    ) % {"n": ended}


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = services.do_change_password(
            user,
            form.cleaned_data["new_password1"],
            actor=user,
            keep_session_key=request.session.session_key,
        )
        update_session_auth_hash(request, user)
        mark_recently_authenticated(request)
        messages.success(request, password_changed_message(ended))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
@sensitive_post_parameters("password")
@never_cache
def confirm_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The re-authentication page of `accounts.reauth`."""
    user: User = request.user
    form = ConfirmPasswordForm(user, request.POST or None)
    # The form counts the guess before checking it (forms.check_current_password).
    if request.method == "POST" and form.is_valid():
        mark_recently_authenticated(request)
        return HttpResponseRedirect(safe_next(request, default="accounts:profile"))
    return render(
        request,
        "accounts/confirm_password.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
    )


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        services.do_update_profile(
            user, actor=user, **{f: form.cleaned_data[f] for f in form.Meta.fields}
        )
        translation.activate(user.language)
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language: saved on the profile when signed in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    response = HttpResponseRedirect(safe_next(request))
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.do_set_language(request.user, language)
        elif SIGN_IN_LANGUAGE in request.session:
            # At the second step of signing in, the menu still decides (for this sign-in only).
            request.session[SIGN_IN_LANGUAGE] = language
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


@login_required
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: User = request.user
    if request.method == "POST":
        if request.POST.get("all"):
            ended = services.do_end_sessions(
                user, keep_session_key=request.session.session_key, actor=user
            )
            messages.success(
                request,
                ngettext(
                    "%(n)d other session was signed out.",
                    "%(n)d other sessions were signed out.",
                    ended,
                )
                % {"n": ended},
            )
        elif (key := _session_key_named(user, request, request.POST.get("session", ""))) and (
            services.do_end_session(user, key, actor=user)
        ):
            messages.success(request, _("That session was signed out."))
        return redirect("accounts:sessions")
    rows = Session.objects.filter(user=user, expire_date__gt=timezone.now()).order_by(
        "-last_activity"
    )
    return render(
        request,
        "accounts/sessions.html",
        {"rows": rows, "current": Session(session_key=request.session.session_key or "").public_id},
    )


def _session_key_named(user: User, request: HttpRequest, public_id: str) -> str | None:
    """The key of the user's other session that the page named by its public id, if any."""
    if not public_id:
        return None
    others = Session.objects.filter(user=user, expire_date__gt=timezone.now()).exclude(
        session_key=request.session.session_key or ""
    )
    for session in others.only("session_key"):
        if constant_time_compare(session.public_id, public_id):
            return session.session_key
    return None


@login_required
def activity(request: HttpRequest) -> HttpResponse:
    """The person's own audit trail: what they did and what was done to their account."""
    user = request.user
    events = AuditEvent.objects.filter(Q(subject_user=user) | Q(actor=user))
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/activity.html", {"page": page})
