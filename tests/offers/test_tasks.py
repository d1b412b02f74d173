"""The daily expiry: open requests past their last day become expired and their customer is told
once — not again on a second run, a retried task or two workers at once, and never for a request
that ended another way."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from offers import services, tasks
from offers.models import OfferRequest
from organizations.models import Organization
from tests.offers.test_services import make_request, post


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def expired_emails() -> list[Notification]:
    return list(Notification.objects.filter(kind="offer_request_expired"))


def test_expire_requests_ends_overdue_requests_and_tells_the_customer_once(
    alice: User, acme: Organization
) -> None:
    offer = make_request(acme, alice, title="Old request", valid_until=yesterday())
    assert services.expire_requests() == 1
    assert services.expire_requests() == 0
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.EXPIRED
    assert offer.ended_at is not None
    [mail] = expired_emails()
    assert mail.to == "alice@example.com"
    assert mail.recipient == alice
    assert "Old request" in mail.subject
    assert f"/orgs/acme/offers/{offer.pk}/" in mail.body_text
    [event] = AuditEvent.objects.filter(action="offer_request.expired")
    assert event.organization_id == acme.pk


def test_expire_requests_leaves_requests_on_their_last_day_open(
    alice: User, acme: Organization
) -> None:
    offer = make_request(acme, alice, valid_until=timezone.localdate())
    assert services.expire_requests() == 0
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN
    assert not expired_emails()


@pytest.mark.parametrize(
    "status",
    [OfferRequest.Status.CANCELLED, OfferRequest.Status.CLOSED, OfferRequest.Status.EXPIRED],
)
def test_expire_requests_leaves_ended_requests_alone(
    alice: User, acme: Organization, status: str
) -> None:
    offer = make_request(acme, alice, status=status, valid_until=yesterday())
    assert services.expire_requests() == 0
    offer.refresh_from_db()
    assert offer.status == status
    assert not expired_emails()


def test_expire_requests_on_a_later_day(alice: User, acme: Organization) -> None:
    """A beat that was down catches up: `today` decides, not the day the task was due."""
    offer = post(alice, acme, validity_days=1)
    Notification.objects.all().delete()
    assert services.expire_requests(today=timezone.localdate() + timedelta(days=1)) == 0
    assert services.expire_requests(today=timezone.localdate() + timedelta(days=5)) == 1
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.EXPIRED
    assert len(expired_emails()) == 1


def test_expire_requests_email_in_italian_for_an_italian_poster(
    alice: User, acme: Organization
) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    make_request(acme, alice, valid_until=yesterday())
    services.expire_requests()
    [mail] = expired_emails()
    assert mail.language == "it"


def test_expire_requests_email_in_english_for_an_english_poster(
    bob: User, acme: Organization
) -> None:
    make_request(acme, bob, contact_email="projects@acme.example", valid_until=yesterday())
    services.expire_requests()
    [mail] = expired_emails()
    assert mail.language == "en"
    assert mail.to == "projects@acme.example"
    assert "has expired" in mail.subject


def test_expire_requests_task_is_named_for_beat_and_runs_the_service(
    alice: User, acme: Organization
) -> None:
    make_request(acme, alice, valid_until=yesterday())
    assert tasks.expire_requests.name == "offers.expire_requests"
    assert tasks.expire_requests.apply().get() == 1
    assert len(expired_emails()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL): SQLite serialises writers, so no race happens",
)
def test_expire_requests_from_two_workers_at_once_tells_each_customer_once(
    alice: User, acme: Organization
) -> None:
    for n in range(20):
        make_request(acme, alice, title=f"Old {n}", valid_until=yesterday())
    barrier = threading.Barrier(2, timeout=30)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            counts.append(services.expire_requests())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(counts) == 20
    assert len(expired_emails()) == 20
    assert AuditEvent.objects.filter(action="offer_request.expired").count() == 20
