"""The one-year rule of API tokens: warned 30 days before, deactivated after a year without use,
by a daily task that is re-runnable and set-based."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from organizations.models import Organization
from portal.celery import app as celery_app
from tests.tokens.conftest import make_token
from tokens.models import ApiToken
from tokens.services import (
    deactivate_unused_tokens,
    do_revoke_tokens,
    warn_unused_tokens,
)
from tokens.tasks import apply_unused_token_rule

START = datetime.fromisoformat("2026-01-15T09:00:00+00:00")

pytestmark = pytest.mark.frozen_at(START)  # the `clock` fixture starts there


def emails(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("pk"))


def run_daily_at(clock: time_machine.Traveller, days: float) -> dict[str, int]:
    clock.move_to(START + timedelta(days=days))
    result: dict[str, int] = apply_unused_token_rule()
    return result


def test_rule_runs_daily_from_beat() -> None:
    entry = celery_app.conf.beat_schedule["apply-unused-token-rule"]

    assert entry["task"] == "tokens.tasks.apply_unused_token_rule"
    assert entry["schedule"] == 24 * 3600


def test_token_unused_for_364_days_stays_active(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    token = make_token(alice, acme)

    result = run_daily_at(clock, 364)

    token.refresh_from_db()
    assert token.status == ApiToken.Status.ACTIVE
    assert result["deactivated"] == 0
    assert emails("token_deactivated") == []


def test_token_unused_for_366_days_is_deactivated_and_the_owner_told(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    token = make_token(alice, acme, name="Import script")

    result = run_daily_at(clock, 366)

    token.refresh_from_db()
    assert token.status == ApiToken.Status.DEACTIVATED
    assert token.deactivated_at == timezone.now()
    assert result["deactivated"] == 1
    [email] = emails("token_deactivated")
    assert email.recipient == alice
    assert "Import script" in email.body_text
    assert "/tokens/" in email.body_text
    event = AuditEvent.objects.get(action="token.deactivated_unused")
    assert event.data == {"count": 1}


def test_token_used_within_the_year_is_not_deactivated(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    """The clock is the last use, not the creation: a token made two years ago and used last
    month keeps working."""
    token = make_token(alice, acme)
    clock.move_to(START + timedelta(days=700))
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now(), active_since=timezone.now()
    )

    run_daily_at(clock, 730)

    token.refresh_from_db()
    assert token.status == ApiToken.Status.ACTIVE
    assert emails("token_deactivated") == []
    assert emails("token_unused_warning") == []


def test_deactivation_is_reported_once_when_the_task_runs_again(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    token = make_token(alice, acme)
    run_daily_at(clock, 366)
    deactivated_at = ApiToken.objects.get(pk=token.pk).deactivated_at

    again_now = run_daily_at(clock, 366)
    next_day = run_daily_at(clock, 367)

    assert again_now["deactivated"] == next_day["deactivated"] == 0
    assert ApiToken.objects.get(pk=token.pk).deactivated_at == deactivated_at
    assert len(emails("token_deactivated")) == 1
    assert AuditEvent.objects.filter(action="token.deactivated_unused").count() == 1


def test_warning_comes_30_days_before_and_only_once(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    token = make_token(alice, acme, name="Import script")

    assert run_daily_at(clock, 334)["warned"] == 0
    assert emails("token_unused_warning") == []

    assert run_daily_at(clock, 336)["warned"] == 1
    [warning] = emails("token_unused_warning")
    assert warning.recipient == alice
    assert "Import script" in warning.body_text
    deactivates_on = (START + timedelta(days=365)).astimezone(timezone.get_current_timezone())
    assert str(deactivates_on.year) in warning.body_text
    assert ApiToken.objects.get(pk=token.pk).warned_at == timezone.now()

    for day in (336, 337, 350, 364):
        assert run_daily_at(clock, day)["warned"] == 0
    assert len(emails("token_unused_warning")) == 1
    assert ApiToken.objects.get(pk=token.pk).status == ApiToken.Status.ACTIVE


def test_warned_token_used_again_is_warned_again_the_next_year(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    """A use resets the clock and the warning (what the API's last-use recording does)."""
    token = make_token(alice, acme)
    run_daily_at(clock, 336)
    clock.move_to(START + timedelta(days=340))
    ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now(), active_since=timezone.now(), warned_at=None
    )

    assert run_daily_at(clock, 340 + 336)["warned"] == 1
    assert len(emails("token_unused_warning")) == 2
    assert run_daily_at(clock, 340 + 366)["deactivated"] == 1


def test_revoked_tokens_are_neither_warned_nor_deactivated(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    token = make_token(alice, acme)
    do_revoke_tokens(alice, [token.pk], actor=alice)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at

    run_daily_at(clock, 336)
    run_daily_at(clock, 400)

    token.refresh_from_db()
    assert (token.warned_at, token.deactivated_at, token.revoked_at) == (None, None, revoked_at)
    assert token.status == ApiToken.Status.REVOKED
    assert emails("token_unused_warning") == emails("token_deactivated") == []


def test_each_owner_is_told_about_their_own_tokens(
    clock: time_machine.Traveller, alice: User, bob: User, acme: Organization
) -> None:
    make_token(alice, acme, name="alice's script")
    make_token(bob, acme, name="bob's script")
    clock.move_to(START + timedelta(days=200))
    make_token(bob, acme, name="bob's recent script")

    run_daily_at(clock, 366)

    told = {(e.to, e.body_text) for e in emails("token_deactivated")}
    assert len(told) == 2
    assert {to for to, _body in told} == {"alice@example.com", "bob@example.com"}
    for to, body in told:
        owner = to.split("@")[0]
        assert f"{owner}'s script" in body
        assert "recent" not in body
    assert ApiToken.objects.get(name="bob's recent script").status == ApiToken.Status.ACTIVE


def test_token_past_its_year_gets_no_warning_with_a_past_date(
    clock: time_machine.Traveller, alice: User, acme: Organization
) -> None:
    make_token(alice, acme)

    run_daily_at(clock, 400)

    assert len(emails("token_deactivated")) == 1
    assert emails("token_unused_warning") == []


def test_services_take_an_explicit_now(alice: User, acme: Organization) -> None:
    """Both steps accept the time of the run, so a delayed run judges by its own date."""
    token = make_token(alice, acme)
    later = token.active_since + timedelta(days=366)

    assert warn_unused_tokens(later) == 0  # past its year: no warning dated in the past
    assert deactivate_unused_tokens(later) == 1
    token.refresh_from_db()
    assert token.deactivated_at == later


# --- At scale -----------------------------------------------------------------------------------

MANY = 100_000


def _bulk_tokens(user: User, org: Organization, count: int, active_since: datetime) -> None:
    ApiToken.objects.bulk_create(
        (
            ApiToken(
                user=user,
                organization=org,
                name=f"token {i}",
                scope="newsletter",
                digest=f"{i:064x}",
                hint=f"{i % 10_000:04d}",
                created_at=active_since,
                active_since=active_since,
            )
            for i in range(count)
        ),
        batch_size=5_000,
    )


def test_rule_on_100000_tokens_uses_a_bounded_number_of_queries(
    alice: User, acme: Organization, django_assert_max_num_queries: Any
) -> None:
    """A few stale tokens among 100,000 fresh ones: two UPDATEs claim the work, then an email
    per claimed token; nothing is done row by row for the tokens that stay as they are."""
    now = timezone.now()
    _bulk_tokens(alice, acme, MANY, now - timedelta(days=10))
    pks = list(ApiToken.objects.order_by("pk").values_list("pk", flat=True)[:5])
    stale, close = pks[:3], pks[3:]
    ApiToken.objects.filter(pk__in=stale).update(
        active_since=now - timedelta(days=400), warned_at=now - timedelta(days=40)
    )
    ApiToken.objects.filter(pk__in=close).update(active_since=now - timedelta(days=340))
    # Two UPDATEs, two SELECTs of what they claimed, one audit event; each email is a
    # get_or_create on its unique key (two savepoints, a SELECT, an INSERT).
    fixed, per_email, emails_sent = 5, 6, 2 + 3

    with django_assert_max_num_queries(fixed + per_email * emails_sent) as captured:
        result = apply_unused_token_rule()

    assert result == {"warned": 2, "deactivated": 3}
    updates = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    assert len([sql for sql in updates if '"tokens_apitoken"' in sql]) == 2
    assert set(ApiToken.objects.exclude(deactivated_at=None).values_list("pk", flat=True)) == set(
        stale
    )
    assert ApiToken.objects.filter(deactivated_at=None).count() == MANY - 3
    assert len(emails("token_deactivated")) == 3
    assert len(emails("token_unused_warning")) == 2

    with django_assert_max_num_queries(4):
        assert apply_unused_token_rule() == {"warned": 0, "deactivated": 0}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_rule_reads_no_table_in_full(
    alice: User, acme: Organization, django_assert_max_num_queries: Any
) -> None:
    now = timezone.now()
    _bulk_tokens(alice, acme, 1_000, now - timedelta(days=10))
    ApiToken.objects.filter(pk__in=ApiToken.objects.order_by("pk")[:2].values("pk")).update(
        active_since=now - timedelta(days=400)
    )

    with django_assert_max_num_queries(100) as captured:
        apply_unused_token_rule()

    scans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if '"tokens_apitoken"' not in sql or not sql.startswith(("SELECT", "UPDATE")):
                continue
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            steps = [str(row[-1]) for row in cursor.fetchall()]
            if any(s.startswith("SCAN tokens_apitoken") and "INDEX" not in s for s in steps):
                scans.append(f"{sql}\n  -> {' | '.join(steps)}")
    assert scans == [], "\n".join(scans)
