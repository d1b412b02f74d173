"""kAuth, server side: enrolment, sign-in requests with number matching, answers from the device.

A sign-in request (challenge) is bound to one sign-in attempt: the browser keeps a random secret
in its session and the challenge stores its digest, so a request approved on the phone completes
the sign-in of that browser only. Challenges expire within two minutes and are used once; a wrong
number fails the challenge (against push fatigue, the person must look at the browser); pushes to
one account are rate-limited, and a device has at most one pending challenge.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import ratelimit
from core.audit import record_event
from core.crypto import digest
from core.outbox import send_email
from core.request_context import current_request_meta
from security.audit_actions import SecurityAction
from security.models.kauth import KAuthChallenge, KAuthDevice, KAuthEnrollment, KAuthNotice

logger = logging.getLogger(__name__)

ENROLLMENT_VALIDITY = timedelta(minutes=10)
CHALLENGE_VALIDITY = timedelta(minutes=2)
CREDENTIAL_PREFIX = "kad_"


class PushRefused(Exception):
    """Too many sign-in requests to this account for now: from this address (`per_address`), or
    from everywhere together."""

    def __init__(self, retry_after: int, *, per_address: bool = False) -> None:
        self.retry_after = retry_after
        self.per_address = per_address
        super().__init__(retry_after)


class PushGateway(Protocol):
    """Delivers a new challenge, and the notice that the account was removed, to the phone. The
    default does nothing: the device fetches both from the API at its next request. A gateway for
    APNs/FCM implements the same methods and is named in settings.KAUTH_PUSH_GATEWAY."""

    def notify(self, challenge: KAuthChallenge) -> None: ...

    def notify_removed(self, notice: KAuthNotice) -> None: ...


class PollingGateway:
    def notify(self, challenge: KAuthChallenge) -> None:
        return None

    def notify_removed(self, notice: KAuthNotice) -> None:
        return None


def push_gateway() -> PushGateway:
    path = getattr(settings, "KAUTH_PUSH_GATEWAY", "security.kauth.PollingGateway")
    gateway: PushGateway = import_string(path)()
    return gateway


# --- Enrolment ----------------------------------------------------------------------------------


def enrollment_link(code: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{reverse('security:kauth-enroll-link', args=[code])}"


def do_start_enrollment(
    user: User, *, name: str, replaces: KAuthDevice | None = None
) -> tuple[KAuthEnrollment, str]:
    """A one-time code for the QR code. Returns the enrolment and the code (shown once).

    `replaces`: moving to a new phone, this old device goes once the new one is confirmed."""
    code = secrets.token_urlsafe(24)
    enrollment = KAuthEnrollment.objects.create(
        user=user,
        name=name.strip()[:64] or str(_("kAuth app")),
        code_digest=digest(code),
        expires_at=timezone.now() + ENROLLMENT_VALIDITY,
        replaces=replaces,
    )
    return enrollment, code


def do_enroll_device(code: str) -> tuple[KAuthDevice, str, bytes] | None:
    """The phone registers with the enrolment code: it receives its own credential and the seed of
    its offline codes. None for an unknown, expired or used code. The device becomes a method once
    the person types its first offline code in the browser (services.do_confirm_method)."""
    with transaction.atomic():
        enrollment = (
            KAuthEnrollment.objects.select_for_update().filter(code_digest=digest(code)).first()
        )
        if enrollment is None or not enrollment.is_usable:
            return None
        credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
        device = KAuthDevice(
            user=enrollment.user,
            name=enrollment.name,
            confirmed=False,
            credential_digest=digest(credential),
        )
        seed = KAuthDevice.new_key()
        device.set_key(seed)
        device.save()
        enrollment.device = device
        enrollment.save(update_fields=["device"])
        record_event(
            SecurityAction.TWO_FACTOR_KAUTH_REGISTERED,
            actor=None,
            target=device,
            subject_user=enrollment.user,
        )
    return device, credential, seed


def device_for_credential(credential: str) -> KAuthDevice | None:
    if not credential.startswith(CREDENTIAL_PREFIX) or len(credential) > 100:
        return None
    device = (
        KAuthDevice.objects.select_related("user")
        .filter(credential_digest=digest(credential))
        .first()
    )
    if device is not None:
        KAuthDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now())
    return device


def notice_for_credential(credential: str) -> str | None:
    """What a removed device should show ("this account was removed"), if anything."""
    if not credential.startswith(CREDENTIAL_PREFIX) or len(credential) > 100:
        return None
    notice = KAuthNotice.objects.filter(credential_digest=digest(credential)).first()
    return notice.message if notice else None


def leave_removal_notice(device: KAuthDevice) -> None:
    """Called when a kAuth device is removed: the notice is pushed to the phone once the removal
    is committed (the guide: "Una notifica viene inviata sul dispositivo mobile"), and the app
    also finds it at its next request."""
    with translation.override(device.user.language):  # the phone's owner reads it
        message = gettext("The account %(email)s was removed from this kAuth app.") % {
            "email": device.user.email
        }
    notice = KAuthNotice.objects.create(credential_digest=device.credential_digest, message=message)
    transaction.on_commit(lambda: push_gateway().notify_removed(notice))


# --- Sign-in requests ---------------------------------------------------------------------------


PUSH_LIMITS_PURPOSE = "kauth-push-limits"


def new_attempt_secret() -> str:
    return secrets.token_urlsafe(32)


def do_push_challenge(
    device: KAuthDevice, *, attempt_secret: str, known_browser: bool = False
) -> KAuthChallenge:
    """Create a sign-in request for this browser's attempt and push it to the phone.

    Limited per address first, then per person with a looser ceiling: whoever knows the password
    can make requests, but from their address they use up only their own share. The person's
    ceiling spares a browser the person signed in with before (`known_browser`), and both are
    keyed by the password, so a thief's count does not outlive the owner's new password (issue
    12, finding 5)."""
    person = f"user:{device.user_id}:{device.user.password_fingerprint(PUSH_LIMITS_PURPOSE)}"
    checks = [("kauth-push-address", f"{person}|{current_request_meta().ip or 'unknown'}")]
    if not known_browser:
        checks.append(("kauth-push", person))
    verdict = ratelimit.attempt_all(checks)
    if not verdict.allowed:
        raise PushRefused(verdict.retry_after, per_address=verdict.limit == "kauth-push-address")
    # The person types the number the browser shows into the app: a blind "approve" matches one
    # time in 90, where picking 1 of 3 offered numbers matched one time in 3 (Microsoft and Duo
    # ask for the number typed for this reason). The phone is never told the number.
    number = 10 + secrets.randbelow(90)
    meta = current_request_meta()
    with transaction.atomic():
        # One pending request per device: a new one retires every earlier one waiting on this
        # phone (whoever's attempt it was), and those of the same attempt on the person's other
        # phones, so the phone never shows a stack of prompts to tap through. Retired requests
        # expire now: a browser still waiting on one reads "expired, send a new request", which
        # is what happened to it. Locking the device row first makes two pushes at once take
        # turns, so they cannot both stay pending.
        KAuthDevice.objects.select_for_update().filter(pk=device.pk).first()
        now = timezone.now()
        KAuthChallenge.objects.filter(
            Q(device=device)
            | Q(device__user_id=device.user_id, attempt_digest=digest(attempt_secret)),
            status=KAuthChallenge.Status.PENDING,
            expires_at__gt=now,
        ).update(expires_at=now)
        challenge = KAuthChallenge.objects.create(
            device=device,
            attempt_digest=digest(attempt_secret),
            number=number,
            ip_address=meta.ip,
            user_agent=meta.user_agent,
            expires_at=now + CHALLENGE_VALIDITY,
        )
        transaction.on_commit(lambda: push_gateway().notify(challenge))
    return challenge


def pending_for_device(device: KAuthDevice) -> list[KAuthChallenge]:
    return list(
        KAuthChallenge.objects.filter(
            device=device, status=KAuthChallenge.Status.PENDING, expires_at__gt=timezone.now()
        ).order_by("created_at")
    )


# The audit action of each answer the phone can give.
ANSWER_ACTIONS = {
    KAuthChallenge.Status.APPROVED: SecurityAction.TWO_FACTOR_KAUTH_APPROVED,
    KAuthChallenge.Status.DENIED: SecurityAction.TWO_FACTOR_KAUTH_DENIED,
    KAuthChallenge.Status.FAILED: SecurityAction.TWO_FACTOR_KAUTH_FAILED,
}


def do_answer_challenge(
    device: KAuthDevice, public_id: str, *, approve: bool, number: int | None = None
) -> str:
    """The phone's answer. Returns the new status, or "refused" for an unknown, foreign, expired
    or already answered request (which changes nothing)."""
    now = timezone.now()
    with transaction.atomic():
        challenge = (
            KAuthChallenge.objects.select_for_update()
            .filter(public_id=public_id, device=device)
            .first()
        )
        if (
            challenge is None
            or challenge.status != KAuthChallenge.Status.PENDING
            or challenge.expires_at <= now
        ):
            logger.warning("kAuth answer refused for device %s", device.pk)
            # A device can send these at will: repeats are counted on one event (and the API
            # limits each device's requests), so they cannot push real events off the review.
            record_event(
                SecurityAction.TWO_FACTOR_KAUTH_ANSWER_REFUSED,
                actor=None,
                target=device,
                subject_user=device.user,
                count_repeats=True,
            )
            return "refused"
        if not approve:
            status = KAuthChallenge.Status.DENIED
        elif number == challenge.number:
            status = KAuthChallenge.Status.APPROVED
        else:
            status = KAuthChallenge.Status.FAILED
        challenge.status = status
        challenge.answered_at = now
        challenge.save(update_fields=["status", "answered_at"])
        record_event(
            ANSWER_ACTIONS[status],
            actor=None,
            target=device,
            subject_user=device.user,
            data={"ip": challenge.ip_address},
        )
        if status == KAuthChallenge.Status.DENIED:
            send_email(
                "kauth_denied",
                to_user=device.user,
                key=f"kauth-denied:{challenge.pk}",
                context={
                    "name": device.user.get_short_name(),
                    "ip": challenge.ip_address or "",
                    "when": challenge.created_at,
                    "url": reverse("compromised:password"),
                },
            )
    return str(status)


def _is_uuid(value: str) -> bool:
    """A challenge id comes back from the session or a form: anything else matches nothing
    (rather than a database error)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def challenge_status(public_id: str, attempt_secret: str) -> str | None:
    if not _is_uuid(public_id):
        return None
    challenge = KAuthChallenge.objects.filter(
        public_id=public_id, attempt_digest=digest(attempt_secret)
    ).first()
    if challenge is None:
        return None
    waiting = (KAuthChallenge.Status.PENDING, KAuthChallenge.Status.APPROVED)
    if challenge.status in waiting and challenge.is_expired:
        return "expired"
    return str(challenge.status)


def do_use_approved_challenge(public_id: str, attempt_secret: str) -> KAuthDevice | None:
    """The browser completes its sign-in with an approved request, once."""
    if not _is_uuid(public_id):
        return None
    used = KAuthChallenge.objects.filter(
        public_id=public_id,
        attempt_digest=digest(attempt_secret),
        status=KAuthChallenge.Status.APPROVED,
        expires_at__gt=timezone.now(),
    ).update(status=KAuthChallenge.Status.USED)
    if not used:
        return None
    challenge = KAuthChallenge.objects.select_related("device").get(public_id=public_id)
    device = challenge.device
    device.set_last_used_timestamp()
    return device
