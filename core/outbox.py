"""The notification outbox: write in the service's transaction, deliver after commit, exactly once.

    send_email("member_role_changed", to_user=bob, key=f"member-role-changed:{event.pk}", ...)

1. The notification is rendered in the recipient's language and stored with a unique `key`
   (kind + what it is about: the object, its due date, or the audit event of the change; never
   the time of sending, which would make every retry a new email). Writing the same key twice
   stores it once.
2. After the transaction commits, a Celery task is queued to deliver it. If the broker is down,
   nothing is lost: the row stays pending.
3. The task claims the row with a conditional UPDATE (pending → sending), so two workers, a
   retried task and the sweep never send the same row twice.
4. `sweep_outbox`, run every minute by beat, delivers whatever is still pending.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from core import sms
from core.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A row stuck in "sending" this long belongs to a worker that died mid-delivery.
STALE_CLAIM = timedelta(minutes=10)
# The sweep leaves fresh rows to the task queued on commit.
SWEEP_GRACE = timedelta(seconds=30)


def render_email(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of `templates/emails/<template>_*` in `language`."""
    ctx = {"base_url": settings.PORTAL_BASE_URL, **context}
    with translation.override(language):
        subject = _render_plain(f"emails/{template}_subject.txt", ctx)
        text = _render_plain(f"emails/{template}_body.txt", ctx)
        html = render_to_string(f"emails/{template}_body.html", ctx)
    return " ".join(subject.split()), text.strip() + "\n", html


def _render_plain(name: str, context: dict[str, Any]) -> str:
    """Render a plain-text template without HTML escaping (an apostrophe stays an apostrophe)."""
    template = get_template(name).template  # type: ignore[attr-defined]
    text: str = template.render(Context(context, autoescape=False))
    return text


def send_email(
    template: str,
    *,
    key: str,
    context: dict[str, Any],
    to_user: Any | None = None,
    to: str | None = None,
    language: str | None = None,
    one_time_link: bool = False,
) -> Notification:
    """Queue an email. Call inside the transaction of the change it reports.

    `to_user` gives the address and the language; `to`/`language` override them (for example an
    invitation to an address that has no account yet). `one_time_link`: the email carries a link
    that works by itself (reset, verification, invitation...), so its text is emptied once sent.
    """
    address = to or getattr(to_user, "email", None)
    if not address:
        raise ValueError("An email needs a recipient.")
    lang = language or getattr(to_user, "language", None) or settings.LANGUAGE_CODE
    subject, text, html = render_email(template, context, lang)
    return _store(
        key=key,
        kind=template,
        channel=Notification.Channel.EMAIL,
        recipient=to_user,
        to=address,
        language=lang,
        subject=subject,
        body_text=text,
        body_html=html,
        holds_one_time_link=one_time_link,
    )


def send_sms(
    *, key: str, kind: str, to: str, text: str, to_user: Any | None = None
) -> Notification:
    """Queue an SMS (text already in the recipient's language)."""
    lang = getattr(to_user, "language", None) or settings.LANGUAGE_CODE
    return _store(
        key=key,
        kind=kind,
        channel=Notification.Channel.SMS,
        recipient=to_user,
        to=to,
        language=lang,
        body_text=text,
    )


def _store(*, key: str, **fields: Any) -> Notification:
    try:
        with transaction.atomic():
            notification, created = Notification.objects.get_or_create(key=key, defaults=fields)
    except IntegrityError:
        # Another transaction wrote the same key between our look-up and insert.
        return Notification.objects.get(key=key)
    if created:
        transaction.on_commit(lambda: _queue_delivery(notification.pk))
    return notification


def _queue_delivery(notification_id: int) -> None:
    from core.tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception:  # the broker is down: the sweep will deliver it
        logger.warning(
            "Could not queue notification %s; the sweep will deliver it.", notification_id
        )


def deliver(notification_id: int) -> bool:
    """Send one notification if it is still pending. True when this call sent it."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.PENDING
    ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    try:
        _transmit(notification)
    except Exception as exc:
        failed = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        logger.warning(
            "Delivery of notification %s failed: %s", notification_id, type(exc).__name__
        )
        return False
    sent: dict[str, Any] = {"status": Notification.Status.SENT, "sent_at": timezone.now()}
    if notification.holds_one_time_link and not settings.OUTBOX_KEEP_SENT_LINKS:
        sent |= {"body_text": "", "body_html": ""}
    Notification.objects.filter(pk=notification_id).update(**sent, last_error="")
    return True


def _transmit(notification: Notification) -> None:
    if notification.channel == Notification.Channel.EMAIL:
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body_text,
            to=[notification.to],
            headers={"Auto-Submitted": "auto-generated"},
        )
        if notification.body_html:
            message.attach_alternative(notification.body_html, "text/html")
        message.send()
    elif notification.channel == Notification.Channel.SMS:
        sms.send(notification.to, notification.body_text)
    else:
        raise ValueError(f"No transport for channel {notification.channel!r} yet.")


def pending_ids(now: Any = None) -> list[int]:
    """Ids the sweep should deliver: pending past the grace period; stale claims are released."""
    now = now or timezone.now()
    Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=Notification.Status.PENDING)
    return list(
        Notification.objects.filter(
            status=Notification.Status.PENDING, created_at__lte=now - SWEEP_GRACE
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
