"""kAuth pages in the browser: adding the app, and approving a sign-in with it."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.reauth import require_recent_password
from core.crypto import seal, unseal
from core.ratelimit import wait_message
from security import activation, kauth, second_step, services
from security.forms import AuthenticatorNameForm, CodeForm
from security.models.kauth import KAuthChallenge, KAuthDevice, KAuthEnrollment

ENROLLMENT_CODE_KEY = "_portal_kauth_enrollment"
ATTEMPT_KEY = second_step.KAUTH_ATTEMPT_KEY


def _show_enrollment_code(request: HttpRequest, enrollment: KAuthEnrollment, code: str) -> None:
    """The code is shown on the enrolment page until the phone is confirmed (10 minutes at
    most); the database keeps only its digest, the session keeps it sealed."""
    request.session[ENROLLMENT_CODE_KEY] = {"id": enrollment.pk, "code": seal(code.encode())}


@login_required
@require_recent_password
def kauth_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuthenticatorNameForm(request.POST or None, initial={"name": _("kAuth app")})
    if request.method == "POST" and form.is_valid():
        enrollment, code = kauth.do_start_enrollment(
            request.user,
            name=form.cleaned_data["name"],
        )
        _show_enrollment_code(request, enrollment, code)
        return redirect("security:kauth-enroll", enrollment.pk)
    return render(request, "security/kauth_add.html", {"form": form})


@login_required
@require_recent_password
@never_cache
def kauth_enroll(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(KAuthEnrollment, pk=pk, user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = enrollment.device
        if device is not None and device.confirmed:
            return redirect("security:two-factor")
        if device is None:
            form.add_error(
                None, _("kAuth has not registered yet: scan the QR code with the app first.")
            )
        else:
            try:
                if enrollment.replaces is not None:
                    services.do_replace_method(
                        enrollment.replaces,
                        device,
                        form.cleaned_data["code"],
                        actor=request.user,
                    )
                    codes = None
                else:
                    codes = services.do_confirm_method(
                        device,
                        form.cleaned_data["code"],
                        actor=request.user,
                        keep_session_key=request.session.session_key,
                    )
            except services.WrongCode:
                form.add_error("code", _("This code is not right. Enter the code kAuth shows now."))
            else:
                request.session.pop(ENROLLMENT_CODE_KEY, None)
                messages.success(request, _("kAuth is ready."))
                return activation.after_method_added(request, device, codes)
    shown = request.session.get(ENROLLMENT_CODE_KEY) or {}
    context: dict[str, Any] = {"form": form, "enrollment": enrollment}
    if shown.get("id") == enrollment.pk and enrollment.is_usable:
        link = kauth.enrollment_link(unseal(shown["code"]).decode())
        context |= {
            "link": link,
            "qr_svg": segno.make(link, error="m").svg_inline(scale=4, dark="#1b1b1f"),
        }
    response = render(request, "security/kauth_enroll.html", context)
    response["Cache-Control"] = "no-store"
    return response


MOVE_KEY = "_portal_kauth_move"


@login_required
@require_recent_password
def kauth_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Changing phone": the old phone approves the move, then the new one enrols and replaces
    it. Beyond the guides, which ask to turn 2FA off for a while: here it never is."""
    old = get_object_or_404(KAuthDevice, pk=pk, user=request.user, confirmed=True)
    move: Any = request.session.get(MOVE_KEY) or {}
    error = ""
    if request.method == "POST" and request.POST.get("action") == "push":
        attempt = kauth.new_attempt_secret()
        try:
            challenge = kauth.do_push_challenge(old, attempt_secret=attempt)
        except kauth.PushRefused as exc:
            error = wait_message(exc.retry_after)
        else:
            request.session[MOVE_KEY] = {
                "device": old.pk,
                "secret": attempt,
                "challenge": str(challenge.public_id),
            }
            return redirect("security:kauth-move", old.pk)
    elif request.method == "POST" and request.POST.get("action") == "continue":
        if move.get("device") == old.pk and kauth.do_use_approved_challenge(
            move.get("challenge", ""), move.get("secret", "")
        ):
            request.session.pop(MOVE_KEY, None)
            enrollment, code = kauth.do_start_enrollment(
                request.user,
                name=old.name,
                replaces=old,
            )
            _show_enrollment_code(request, enrollment, code)
            return redirect("security:kauth-enroll", enrollment.pk)
        error = _("The old phone has not approved the move yet.")
    shown: KAuthChallenge | None = None
    status = None
    if move.get("device") == old.pk:
        status = kauth.challenge_status(move.get("challenge", ""), move.get("secret", ""))
        shown = KAuthChallenge.objects.filter(public_id=move.get("challenge")).first()
    return render(
        request,
        "security/kauth_move.html",
        {"device": old, "challenge": shown, "status": status, "error": error},
    )


def kauth_enroll_link(request: HttpRequest, code: str) -> HttpResponse:
    """Where the QR code points: the app reads the code from the link; a browser that opens it
    learns what to do with it. Nothing changes here."""
    return render(request, "security/kauth_enroll_link.html")


# --- Signing in with kAuth (the second step) ----------------------------------------------------


def current_challenge(request: HttpRequest) -> KAuthChallenge | None:
    attempt: Any = request.session.get(ATTEMPT_KEY) or {}
    if not attempt:
        return None
    if kauth.challenge_status(attempt.get("challenge", ""), attempt.get("secret", "")) is None:
        return None
    return KAuthChallenge.objects.filter(public_id=attempt["challenge"]).first()


def handle_verify_post(
    request: HttpRequest, user: User, device: KAuthDevice
) -> HttpResponse | str | None:
    """The kAuth actions of the second-step page: push a request, or complete an approved one.

    Returns a response when the step is finished (or for htmx polling), an error message to
    show, or None when the POST is something else (an offline code)."""
    action = request.POST.get("action")
    attempt: Any = request.session.get(ATTEMPT_KEY) or {}
    public_id, secret = attempt.get("challenge", ""), attempt.get("secret", "")
    status = kauth.challenge_status(public_id, secret)
    if status == KAuthChallenge.Status.DENIED:
        # "This wasn't me" ends the attempt: no new request from this browser without the
        # password again.
        second_step.end_attempt(request)
        if request.headers.get("HX-Request"):
            return render(request, "security/_kauth_status.html", {"status": status})
        return render(request, "security/kauth_denied.html")
    if action == "push":
        return second_step.push_for_attempt(request, device) or ""
    if action != "complete":
        return None
    if status == KAuthChallenge.Status.APPROVED:
        approved = kauth.do_use_approved_challenge(public_id, secret)
        if approved is not None and approved.user_id == user.pk:
            response = second_step.complete(request, user, approved)
            if request.headers.get("HX-Request"):
                redirect_to = response["Location"]
                response = HttpResponse(status=204)
                response["HX-Redirect"] = redirect_to
            return response
    if request.headers.get("HX-Request"):
        return render(
            request,
            "security/_kauth_status.html",
            {"challenge": current_challenge(request), "status": status},
        )
    messages_by_status = {
        KAuthChallenge.Status.PENDING: _("The request is not approved yet. Check your phone."),
        KAuthChallenge.Status.DENIED: _("The request was denied on your phone."),
        KAuthChallenge.Status.FAILED: _(
            "A different number was typed on the phone. Send a new request."
        ),
        "expired": _("The request expired. Send a new request."),
    }
    return str(messages_by_status.get(status or "", _("Send a sign-in request first.")))


def verify_context(request: HttpRequest) -> dict[str, Any]:
    challenge = current_challenge(request)
    attempt: Any = request.session.get(ATTEMPT_KEY) or {}
    status = (
        kauth.challenge_status(attempt.get("challenge", ""), attempt.get("secret", ""))
        if challenge
        else None
    )
    return {"challenge": challenge, "status": status}
