"""An email's outbox key names what the email is about, never the moment it was written (issue 17).

A key made of `timezone.now()` meant nothing: two changes in the same instant (a coarse clock, a
frozen one) shared a key, so the second email was silently dropped, and a retry was never
recognized as one. Keys are kind + object, due date or the audit event of the change."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from accounts import services as account_services
from accounts.models import User
from core.models import AuditEvent, Notification
from organizations import services as org_services
from organizations.models import Organization, Role
from tests.conftest import membership, next_full_hour
from tests.sources import ROOT, python_files


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(next_full_hour(), tick=False) as traveller:
        yield traveller


def test_two_password_changes_in_the_same_instant_are_two_emails(
    alice: User, frozen_clock: time_machine.Traveller
) -> None:
    for password in ("first new passphrase 1", "second new passphrase 2"):
        account_services.do_change_password(alice, password, actor=alice, keep_session_key=None)

    sent = Notification.objects.filter(kind="password_changed", to=alice.email)
    events = AuditEvent.objects.filter(action="user.password_changed")
    assert sent.count() == 2
    assert {n.key for n in sent} == {f"password-changed:{e.pk}" for e in events}


def test_two_role_changes_in_the_same_instant_are_two_emails(
    bob: User, erin: User, acme: Organization, frozen_clock: time_machine.Traveller
) -> None:
    org_services.do_change_role(membership(erin, acme), role=Role.EXTERNAL, actor=bob)
    org_services.do_change_role(membership(erin, acme), role=Role.COLLABORATOR, actor=bob)

    assert Notification.objects.filter(kind="member_role_changed", to=erin.email).count() == 2


def test_a_retried_role_change_sends_one_email(bob: User, erin: User, acme: Organization) -> None:
    for _attempt in range(2):  # the client retried after a timeout: the change was made once
        org_services.do_change_role(membership(erin, acme), role=Role.EXTERNAL, actor=bob)

    sent = Notification.objects.get(kind="member_role_changed", to=erin.email)
    event = AuditEvent.objects.get(action="member.role_changed")
    assert sent.key == f"member-role-changed:{event.pk}"


def test_the_removal_email_names_its_event(bob: User, erin: User, acme: Organization) -> None:
    org_services.do_remove_member(membership(erin, acme), actor=bob)

    sent = Notification.objects.get(kind="member_removed", to=erin.email)
    assert sent.key == f"member-removed:{AuditEvent.objects.get(action='member.removed').pk}"


def test_two_reset_requests_in_the_same_instant_are_two_emails(
    alice: User, frozen_clock: time_machine.Traveller
) -> None:
    account_services.do_request_password_reset(alice.email, ip=None)
    account_services.do_request_password_reset(alice.email, ip=None)

    assert Notification.objects.filter(kind="password_reset", to=alice.email).count() == 2


def test_the_same_verification_link_is_sent_once(
    alice: User, frozen_clock: time_machine.Traveller
) -> None:
    # In the same second the signed link is the same link: a double click sends it once.
    account_services.send_verification_email(alice)
    account_services.send_verification_email(alice)
    frozen_clock.shift(2)
    account_services.send_verification_email(alice)  # a new link a moment later: a new email

    assert Notification.objects.filter(kind="verify_email", to=alice.email).count() == 2


def _keys_made_of_the_current_time(path: Path) -> list[int]:
    """Lines where a `key=f"…"` argument embeds `….now()` whole (a bucket such as `{now:%H}`,
    with a format, is a due date and allowed)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.keyword) or node.arg != "key":
            continue
        if not isinstance(node.value, ast.JoinedStr):
            continue
        for part in node.value.values:
            if not isinstance(part, ast.FormattedValue) or part.format_spec is not None:
                continue
            calls = [n for n in ast.walk(part.value) if isinstance(n, ast.Call)]
            if any(isinstance(c.func, ast.Attribute) and c.func.attr == "now" for c in calls):
                found.append(node.value.lineno)
    return found


def test_no_outbox_key_in_the_code_is_the_current_time() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in python_files()
        for line in _keys_made_of_the_current_time(path)
    ]

    assert offenders == []


def test_the_check_finds_a_key_made_of_the_current_time(tmp_path: Path) -> None:
    source = tmp_path / "services.py"
    source.write_text(
        'send_email("x", key=f"x:{user.pk}:{timezone.now().isoformat()}")\n'
        'send_email("y", key=f"y:{user.pk}:{timezone.now():%Y-%m-%dT%H}")\n'
    )

    assert _keys_made_of_the_current_time(source) == [1]
