"""The notification outbox: stored once per key, queued on commit, delivered exactly once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
import time_machine
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from core import outbox
from core.models import Notification
from core.tasks import deliver_notification, sweep_outbox

TEMPLATES_HERE = Path(__file__).parent / "templates"
RESET_CONTEXT = {"name": "Alice", "url": "/accounts/password/reset/"}


class StatusProbeBackend(BaseEmailBackend):
    """Records the outbox status of each message's row at the moment it is handed over."""

    seen: list[str] = []

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            row = Notification.objects.get(to=message.to[0])
            type(self).seen.append(row.status)
        return len(email_messages)


class BrokenSmtpBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        raise SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def probe_templates(settings: Any) -> None:
    """Adds tests/portal/templates (emails/probe_*) in front of the project's Django templates
    (the emails'; the pages' Jinja2 engine is left as it is)."""
    settings.TEMPLATES = [
        {**engine, "DIRS": [TEMPLATES_HERE, *engine["DIRS"]]}
        if engine["BACKEND"].endswith("DjangoTemplates")
        else engine
        for engine in settings.TEMPLATES
    ]


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids handed to the broker (the real `delay` is replaced by a recorder)."""
    calls: list[int] = []
    monkeypatch.setattr(deliver_notification, "delay", lambda pk: calls.append(pk))
    return calls


def _reset_email(user: User, key: str = "password-changed:1") -> Notification:
    return outbox.send_email("password_changed", to_user=user, key=key, context=RESET_CONTEXT)


def _status(notification: Notification) -> str:
    notification.refresh_from_db()
    return notification.status


# --- Writing ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("probe_templates")
@pytest.mark.parametrize(
    ("language", "word"), [("it", "Italiano"), ("de", "Italienisch"), ("en", "Italian")]
)
def test_send_email_renders_in_recipients_language(alice: User, language: str, word: str) -> None:
    alice.language = language
    alice.save(update_fields=["language"])

    notification = outbox.send_email(
        "probe", to_user=alice, key="probe:1", context={"name": "Alice"}
    )

    stored = Notification.objects.get(pk=notification.pk)
    assert stored.subject == f"{word} for Alice"
    assert stored.body_text == f"lang={language}\n{word} for Alice\n"
    assert f'<p lang="{language}">{word} for Alice</p>' in stored.body_html
    assert stored.language == language


@pytest.mark.usefixtures("probe_templates")
def test_send_email_to_an_address_uses_the_given_language(db: Any) -> None:
    notification = outbox.send_email(
        "probe", to="new@example.com", language="it", key="probe:2", context={"name": "Eve"}
    )

    assert notification.to == "new@example.com"
    assert notification.recipient is None
    assert notification.subject == "Italiano for Eve"


def test_send_email_stores_a_pending_email_from_the_templates(alice: User, settings: Any) -> None:
    notification = _reset_email(alice)

    stored = Notification.objects.get(pk=notification.pk)
    assert stored.status == Notification.Status.PENDING
    assert stored.channel == Notification.Channel.EMAIL
    assert stored.kind == "password_changed"
    assert stored.recipient == alice
    assert stored.to == "alice@example.com"
    assert stored.subject == "Your password was changed"
    assert "Hello Alice," in stored.body_text
    assert f"{settings.PORTAL_BASE_URL}/accounts/password/reset/" in stored.body_text
    assert "<html" in stored.body_html
    assert stored.attempts == 0


def test_send_email_leaves_plain_text_unescaped(alice: User) -> None:
    context = {"name": "Dell'Acqua & <Figli>", "url": "/accounts/password/reset/"}

    notification = outbox.send_email(
        "password_changed", to_user=alice, key="escape:1", context=context
    )

    assert "Hello Dell'Acqua & <Figli>," in notification.body_text
    assert "&#x27;" not in notification.body_text
    assert "Dell&#x27;Acqua &amp; &lt;Figli&gt;" in notification.body_html
    assert "<Figli>" not in notification.body_html


def test_send_email_without_an_address_is_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="recipient"):
        outbox.send_email("password_changed", key="nobody:1", context=RESET_CONTEXT)

    assert not Notification.objects.exists()


def test_send_email_twice_with_the_same_key_stores_one(
    alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        first = _reset_email(alice, key="password-changed:42")
        second = _reset_email(alice, key="password-changed:42")

    assert first.pk == second.pk
    assert Notification.objects.filter(key="password-changed:42").count() == 1
    assert len(callbacks) == 1


def test_send_email_with_another_key_stores_another(alice: User) -> None:
    _reset_email(alice, key="password-changed:1")
    _reset_email(alice, key="password-changed:2")

    assert Notification.objects.count() == 2


# --- Queueing on commit -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_send_email_queues_delivery_only_when_the_transaction_commits(
    alice: User, queued: list[int]
) -> None:
    with transaction.atomic():
        notification = _reset_email(alice)
        assert queued == []

    assert queued == [notification.pk]


@pytest.mark.django_db(transaction=True)
def test_send_email_queues_nothing_when_the_transaction_rolls_back(
    alice: User, queued: list[int]
) -> None:
    def failing_service() -> None:
        with transaction.atomic():
            _reset_email(alice)
            raise RuntimeError("the service failed after writing the notification")

    with pytest.raises(RuntimeError):
        failing_service()

    assert queued == []
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_send_email_keeps_the_row_pending_when_the_broker_is_down(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broker_down(pk: int) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_notification, "delay", broker_down)

    with transaction.atomic():
        notification = _reset_email(alice)

    assert _status(notification) == Notification.Status.PENDING


# --- Delivering -------------------------------------------------------------------------------


def test_deliver_sends_once_and_marks_sent(alice: User, mailoutbox: list[EmailMessage]) -> None:
    notification = _reset_email(alice)

    assert outbox.deliver(notification.pk) is True
    assert outbox.deliver(notification.pk) is False

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "Your password was changed"
    assert "Hello Alice," in message.body
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.sent_at is not None
    assert notification.attempts == 1


def test_deliver_claims_the_row_before_sending(alice: User, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.StatusProbeBackend"
    StatusProbeBackend.seen = []
    notification = _reset_email(alice)

    outbox.deliver(notification.pk)

    assert StatusProbeBackend.seen == [Notification.Status.SENDING]
    assert _status(notification) == Notification.Status.SENT


def test_deliver_task_sends_nothing_for_a_row_already_sent(
    alice: User, mailoutbox: list[EmailMessage]
) -> None:
    notification = _reset_email(alice)

    assert deliver_notification(notification.pk) is True
    assert deliver_notification(notification.pk) is False

    assert len(mailoutbox) == 1


def test_deliver_skips_a_row_another_worker_claimed(
    alice: User, mailoutbox: list[EmailMessage]
) -> None:
    notification = _reset_email(alice)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, claimed_at=timezone.now()
    )

    assert outbox.deliver(notification.pk) is False

    assert mailoutbox == []


def test_deliver_of_an_unknown_id_sends_nothing(db: Any, mailoutbox: list[EmailMessage]) -> None:
    assert outbox.deliver(999_999) is False
    assert mailoutbox == []


def test_deliver_with_a_failing_transport_keeps_the_row_pending(alice: User, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSmtpBackend"
    notification = _reset_email(alice)

    assert outbox.deliver(notification.pk) is False

    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.attempts == 1
    assert "SMTPServerDisconnected" in notification.last_error
    assert "Connection unexpectedly closed" in notification.last_error
    assert notification.sent_at is None


def test_deliver_gives_up_after_max_attempts(alice: User, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSmtpBackend"
    notification = _reset_email(alice)

    for _ in range(outbox.MAX_ATTEMPTS - 1):
        outbox.deliver(notification.pk)
    assert _status(notification) == Notification.Status.PENDING

    outbox.deliver(notification.pk)
    assert _status(notification) == Notification.Status.FAILED
    assert notification.attempts == outbox.MAX_ATTEMPTS

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(notification.pk) is False
    assert _status(notification) == Notification.Status.FAILED


def test_deliver_after_a_failure_clears_the_error(
    alice: User, settings: Any, mailoutbox: list[EmailMessage]
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.BrokenSmtpBackend"
    notification = _reset_email(alice)
    outbox.deliver(notification.pk)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(notification.pk) is True

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.last_error == ""
    assert notification.attempts == 2
    assert len(mailoutbox) == 1


def test_deliver_writes_an_sms_file_under_sms_dir(
    alice: User, settings: Any, tmp_path: Path, mailoutbox: list[EmailMessage]
) -> None:
    settings.SMS_DIR = tmp_path / "sms"
    notification = outbox.send_sms(
        key="sms:1", kind="login_code", to="+41791234567", text="Your code: 482913", to_user=alice
    )

    assert outbox.deliver(notification.pk) is True

    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1
    content = files[0].read_text()
    assert "+41791234567" in content
    assert "Your code: 482913" in content
    assert mailoutbox == []
    assert _status(notification) == Notification.Status.SENT


# --- The sweep --------------------------------------------------------------------------------


def test_sweep_skips_rows_fresh_enough_for_their_own_task(
    alice: User, mailoutbox: list[EmailMessage]
) -> None:
    notification = _reset_email(alice)

    assert sweep_outbox() == 0

    assert mailoutbox == []
    assert _status(notification) == Notification.Status.PENDING


def test_sweep_delivers_what_is_still_pending_once(
    alice: User, mailoutbox: list[EmailMessage]
) -> None:
    notification = _reset_email(alice)

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert sweep_outbox() == 1
        assert sweep_outbox() == 0

    assert len(mailoutbox) == 1
    assert _status(notification) == Notification.Status.SENT


def test_sweep_releases_a_stale_claim(alice: User, mailoutbox: list[EmailMessage]) -> None:
    notification = _reset_email(alice)
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENDING, claimed_at=timezone.now(), attempts=1
    )

    later = timezone.now() + outbox.STALE_CLAIM + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert sweep_outbox() == 1

    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 2


def test_sweep_leaves_a_fresh_claim_to_its_worker(
    alice: User, mailoutbox: list[EmailMessage]
) -> None:
    notification = _reset_email(alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.SENDING, claimed_at=timezone.now()
        )
        assert sweep_outbox() == 0

    assert mailoutbox == []
    assert _status(notification) == Notification.Status.SENDING


def test_sweep_skips_sent_and_failed_rows(alice: User, mailoutbox: list[EmailMessage]) -> None:
    sent = _reset_email(alice, key="k:sent")
    failed = _reset_email(alice, key="k:failed")
    Notification.objects.filter(pk=sent.pk).update(status=Notification.Status.SENT)
    Notification.objects.filter(pk=failed.pk).update(status=Notification.Status.FAILED)

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert sweep_outbox() == 0

    assert mailoutbox == []
