"""The audit log: who did what, from which address and browser, with or without a request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import timezone

from accounts.audit_actions import AccountAction
from accounts.models import User
from core.audit import record_event
from core.middleware import RequestContextMiddleware
from core.models import AuditEvent
from organizations.audit_actions import OrganizationAction
from organizations.models import Organization
from security.audit_actions import SecurityAction
from tests.factories import UserFactory
from tokens.audit_actions import TokenAction


def _probe_view(request: HttpRequest) -> HttpResponse:
    """Stands for a service called by a view: it records an event without seeing the request."""
    actor = User.objects.get(email=request.GET["actor"])
    event = record_event(
        AccountAction.USER_PROFILE_UPDATED, actor=actor, target=actor, subject_user=actor
    )
    return HttpResponse(str(event.pk))


def _failing_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view failed")


urlpatterns = [path("probe/", _probe_view)]


@pytest.mark.urls(__name__)
def test_record_event_in_a_request_keeps_its_ip_and_browser(alice: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 Firefox/140.0")

    response = client.get("/probe/", {"actor": alice.email})

    event = AuditEvent.objects.get(pk=int(response.content))
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == "Mozilla/5.0 Firefox/140.0"
    assert event.actor == alice
    assert event.actor_email == "alice@example.com"
    assert event.action == "user.profile_updated"


def test_record_event_ignores_a_forwarded_for_header_sent_by_the_client(alice: User) -> None:
    middleware = RequestContextMiddleware(_probe_view)
    request = RequestFactory().get(
        "/probe/",
        {"actor": alice.email},
        REMOTE_ADDR="203.0.113.7",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )

    response = middleware(request)

    assert AuditEvent.objects.get(pk=int(response.content)).ip_address == "203.0.113.7"


def test_record_event_truncates_a_long_user_agent(alice: User) -> None:
    middleware = RequestContextMiddleware(_probe_view)
    request = RequestFactory().get(
        "/probe/", {"actor": alice.email}, REMOTE_ADDR="::1", HTTP_USER_AGENT="x" * 5000
    )

    response = middleware(request)

    event = AuditEvent.objects.get(pk=int(response.content))
    assert event.ip_address == "::1"
    assert len(event.user_agent) == 300


def test_record_event_without_a_request_has_no_ip(alice: User, acme: Organization) -> None:
    event = record_event(
        OrganizationAction.MEMBER_REMOVED,
        actor=alice,
        target=acme,
        organization_id=acme.pk,
        data={"role": "administrator"},
    )

    event.refresh_from_db()
    assert event.ip_address is None
    assert event.user_agent == ""
    assert event.actor == alice
    assert event.organization_id == acme.pk
    assert event.target_type == "organizations.organization"
    assert event.target_id == str(acme.pk)
    assert event.target_repr == str(acme)
    assert event.data == {"role": "administrator"}


def test_record_event_after_the_request_ended_forgets_its_ip(alice: User) -> None:
    middleware = RequestContextMiddleware(_probe_view)
    middleware(RequestFactory().get("/probe/", {"actor": alice.email}, REMOTE_ADDR="203.0.113.7"))

    event = record_event(TokenAction.TOKEN_DEACTIVATED_UNUSED, actor=None, subject_user=alice)

    assert event.ip_address is None


def test_record_event_after_a_failed_request_forgets_its_ip(alice: User) -> None:
    middleware = RequestContextMiddleware(_failing_view)
    with pytest.raises(RuntimeError):
        middleware(RequestFactory().get("/", REMOTE_ADDR="203.0.113.7"))

    event = record_event(TokenAction.TOKEN_DEACTIVATED_UNUSED, actor=None, subject_user=alice)

    assert event.ip_address is None


def test_record_event_by_an_anonymous_actor_names_nobody(db: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    event = record_event(AccountAction.USER_LOGIN_FAILED, actor=AnonymousUser())

    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_email == ""
    assert event.target_type == ""
    assert event.target_id == ""


def test_record_event_survives_the_actor_being_deleted(alice: User) -> None:
    staff = UserFactory.create(email="former-staff@example.com", is_staff=True)
    event = record_event(
        AccountAction.USER_DEACTIVATED, actor=staff, target=alice, subject_user=alice
    )

    staff.delete()

    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_email == "former-staff@example.com"
    assert event.subject_user == alice


# --- Repeats counted on one event (issue 12 finding 15: audit flooding) -------------------------


def repeat(times: int, **kwargs: Any) -> list[AuditEvent]:
    return [
        record_event(SecurityAction.TWO_FACTOR_KAUTH_ANSWER_REFUSED, count_repeats=True, **kwargs)
        for _ in range(times)
    ]


def test_repeats_within_a_minute_are_counted_on_one_event(
    alice: User, clock: time_machine.Traveller
) -> None:
    repeat(3, actor=None, target=alice, subject_user=alice)
    clock.shift(timedelta(seconds=59))

    repeat(1, actor=None, target=alice, subject_user=alice)

    event = AuditEvent.objects.get()
    assert event.repeats == 4
    assert event.data == {"count": 4, "last_at": timezone.now().isoformat()}


def test_repeats_keep_counting_while_they_keep_coming_within_a_minute(
    alice: User, clock: time_machine.Traveller
) -> None:
    for _ in range(10):
        repeat(1, actor=None, target=alice, subject_user=alice)
        clock.shift(timedelta(seconds=50))

    assert AuditEvent.objects.get().repeats == 10


def test_a_repeat_after_a_quiet_minute_is_a_new_event(
    alice: User, clock: time_machine.Traveller
) -> None:
    repeat(2, actor=None, target=alice, subject_user=alice)
    clock.shift(timedelta(minutes=1))

    repeat(1, actor=None, target=alice, subject_user=alice)

    assert [e.repeats for e in AuditEvent.objects.all()] == [1, 2]


def test_repeats_are_counted_per_actor_target_and_person(
    alice: User, bob: User, acme: Organization
) -> None:
    repeat(2, actor=None, target=alice, subject_user=alice)
    repeat(2, actor=bob, target=alice, subject_user=alice)
    repeat(2, actor=None, target=bob, subject_user=alice)
    repeat(2, actor=None, target=alice, subject_user=bob)
    repeat(2, actor=None, target=alice, subject_user=alice, organization_id=acme.pk)
    record_event(
        SecurityAction.TWO_FACTOR_FAILED,
        actor=None,
        target=alice,
        subject_user=alice,
        count_repeats=True,
    )

    assert AuditEvent.objects.count() == 6
    assert sorted(e.repeats for e in AuditEvent.objects.all()) == [1, 2, 2, 2, 2, 2]


def test_events_without_count_repeats_are_each_a_row(alice: User) -> None:
    for _ in range(3):
        record_event(
            SecurityAction.TWO_FACTOR_KAUTH_ANSWER_REFUSED,
            actor=None,
            target=alice,
            subject_user=alice,
        )

    assert [e.repeats for e in AuditEvent.objects.all()] == [1, 1, 1]
