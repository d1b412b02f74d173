"""The security review (/security/): each checklist item's status and action, the person's own
security events, and nothing of anyone else's."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.audit_actions import AccountAction
from accounts.models import User
from core.audit import record_event
from core.models import AuditEvent
from organizations.audit_actions import OrganizationAction
from organizations.models import Organization
from security import app_passwords
from security.models import ApplicationPassword, EmergencyCode, EmergencyCodesDevice, SMSDevice
from tests.conftest import signed_in, with_authenticator
from tests.organizations.test_get_pages_readonly import _session_key, _snapshot
from tokens import services as token_services
from tokens.models import ApiToken

REVIEW = reverse("review:index")


def words(response: Any) -> str:
    """The page's text without tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def row(response: Any, key: str) -> str:
    """The text of one checklist row."""
    match = re.search(rf'<tr id="check-{key}">(.*?)</tr>', response.content.decode(), re.S)
    assert match, f"no row {key}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def badge(response: Any, key: str) -> tuple[str, str]:
    """(colour, text) of the status badge of a row."""
    match = re.search(
        rf'<tr id="check-{key}">.*?<span class="badge ?([a-z-]*)">([^<]*)</span>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no badge in {key}"
    return match.group(1).removeprefix("badge--") or "info", html.unescape(match.group(2))


def app_password(
    user: User, name: str, *, created_days: int = 0, used_days: int | None = None
) -> ApplicationPassword:
    created, _secret = app_passwords.do_create_app_password(
        user, name=name, services=["mail"], actor=user
    )
    now = timezone.now()
    ApplicationPassword.objects.filter(pk=created.pk).update(
        created_at=now - timedelta(days=created_days),
        last_used_at=None if used_days is None else now - timedelta(days=used_days),
    )
    return created


def token(
    user: User, org: Organization, name: str, *, created_days: int = 0, used_days: int | None = None
) -> ApiToken:
    created, _secret = token_services.do_create_token(
        user, organization=org, name=name, scope="newsletter", expires_at=None, actor=user
    )
    now = timezone.now()
    ApiToken.objects.filter(pk=created.pk).update(
        created_at=now - timedelta(days=created_days),
        last_used_at=None if used_days is None else now - timedelta(days=used_days),
    )
    return created


def emergency_codes(user: User, *, used: int) -> None:
    device = EmergencyCodesDevice.objects.create(user=user, name="Emergency codes", confirmed=True)
    device.replace_codes()
    ids = list(device.codes.values_list("pk", flat=True)[:used])
    EmergencyCode.objects.filter(pk__in=ids).update(used_at=timezone.now())


def test_review_needs_sign_in(client: Client) -> None:
    response = client.get(REVIEW)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/security/"


def test_review_of_an_account_with_nothing_set_up(as_alice: Client, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(email_verified_at=None)
    response = as_alice.get(REVIEW)
    assert response.status_code == 200
    assert "<h1>Security review</h1>" in response.content.decode()
    assert badge(response, "two-factor") == ("danger", "Off")
    assert "Turn it on" in row(response, "two-factor")
    assert badge(response, "emergency-codes") == ("info", "Not set up")
    assert badge(response, "email") == ("warn", "Not verified")
    assert "Send the verification link again" in row(response, "email")
    assert f'action="{reverse("accounts:verify-email-resend")}"' in response.content.decode()
    assert badge(response, "phone") == ("warn", "None")
    assert badge(response, "sessions") == ("ok", "Only this one")
    assert badge(response, "app-passwords") == ("ok", "None")
    assert "You have no application password." in row(response, "app-passwords")
    assert badge(response, "api-tokens") == ("ok", "None")


def test_review_counts_two_factor_methods_and_emergency_codes(
    as_alice: Client, alice: User
) -> None:
    with_authenticator(alice)
    with_authenticator(alice)
    emergency_codes(alice, used=0)
    response = as_alice.get(REVIEW)
    assert badge(response, "two-factor") == ("ok", "On")
    assert "On, with 2 methods." in row(response, "two-factor")
    assert badge(response, "emergency-codes") == ("ok", "Enough")
    assert "10 unused codes left." in row(response, "emergency-codes")


@pytest.mark.parametrize(
    ("used", "expected", "left"),
    [(7, ("warn", "Few left"), "3 unused codes left."), (10, ("danger", "None left"), "")],
)
def test_review_asks_for_new_emergency_codes_when_few_are_left(
    as_alice: Client, alice: User, used: int, expected: tuple[str, str], left: str
) -> None:
    with_authenticator(alice)
    emergency_codes(alice, used=used)
    response = as_alice.get(REVIEW)
    assert badge(response, "emergency-codes") == expected
    assert left in row(response, "emergency-codes")
    assert "Create new emergency codes" in row(response, "emergency-codes")


def test_review_of_verified_email_and_phone(as_alice: Client, alice: User) -> None:
    SMSDevice.objects.create(user=alice, name="Mobile", phone_number="+41791234567", confirmed=True)
    response = as_alice.get(REVIEW)
    assert badge(response, "email") == ("ok", "Verified")
    assert badge(response, "phone") == ("ok", "Verified")
    assert "+417 ••• 67" in row(response, "phone")


def test_review_of_a_phone_number_that_received_no_code(as_alice: Client, alice: User) -> None:
    User.objects.filter(pk=alice.pk).update(phone="+41791234567")
    SMSDevice.objects.create(
        user=alice, name="Mobile", phone_number="+41791234567", confirmed=False
    )
    response = as_alice.get(REVIEW)
    assert badge(response, "phone") == ("warn", "Not verified")
    assert "+41791234567 has not received a code from us yet." in row(response, "phone")
    assert "Verify it with an SMS code" in row(response, "phone")


def test_review_counts_active_sessions(as_alice: Client, alice: User) -> None:
    signed_in(alice)
    signed_in(alice)
    response = as_alice.get(REVIEW)
    assert badge(response, "sessions") == ("info", "3 sessions")
    assert "See where you are signed in" in row(response, "sessions")


def test_review_flags_application_passwords_unused_for_90_days(
    as_alice: Client, alice: User
) -> None:
    app_password(alice, "Thunderbird", created_days=400, used_days=2)
    app_password(alice, "Old laptop", created_days=400, used_days=91)
    app_password(alice, "Never used", created_days=120)
    app_password(alice, "Made yesterday", created_days=1)
    revoked = app_password(alice, "Revoked long ago", created_days=400)
    ApplicationPassword.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

    response = as_alice.get(REVIEW)

    assert badge(response, "app-passwords") == ("warn", "2 unused")
    text = row(response, "app-passwords")
    assert "4 application passwords. 2 of them were not used for 90 days" in text
    flagged = re.findall(r"<li>([^<]*) <span", response.content.decode())
    assert flagged == ["Never used", "Old laptop"]  # newest first, like the list page
    assert "Revoked long ago" not in text
    assert f'href="{reverse("security:app-passwords")}"' in response.content.decode()


def test_review_of_application_passwords_all_in_use(as_alice: Client, alice: User) -> None:
    app_password(alice, "Thunderbird", created_days=400, used_days=89)
    response = as_alice.get(REVIEW)
    assert badge(response, "app-passwords") == ("ok", "In use")
    assert "1 application password; each was used in the last 90 days." in row(
        response, "app-passwords"
    )


def test_review_flags_unused_tokens_and_ignores_revoked_ones(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    token(alice, acme, "Deploy", created_days=200, used_days=1)
    token(alice, acme, "Forgotten", created_days=200, used_days=100)
    gone = token(alice, acme, "Revoked", created_days=200)
    ApiToken.objects.filter(pk=gone.pk).update(revoked_at=timezone.now())

    response = as_alice.get(REVIEW)

    assert badge(response, "api-tokens") == ("warn", "1 unused")
    text = row(response, "api-tokens")
    assert "2 API tokens." in text
    assert "Forgotten (…" in text
    assert "Deploy" not in text
    assert "Revoked" not in text


def test_review_shows_only_the_users_own_data(as_alice: Client, alice: User, dave: User) -> None:
    keller = Organization.objects.get(slug="keller")
    with_authenticator(dave)
    emergency_codes(dave, used=9)
    SMSDevice.objects.create(user=dave, name="Mobile", phone_number="+41790000000", confirmed=True)
    signed_in(dave)
    app_password(dave, "Dave's mail", created_days=400)
    token(dave, keller, "Dave's script", created_days=400)
    record_event(AccountAction.USER_PASSWORD_CHANGED, actor=dave, target=dave, subject_user=dave)

    response = as_alice.get(REVIEW)

    assert badge(response, "two-factor") == ("danger", "Off")
    assert badge(response, "phone") == ("warn", "None")
    assert badge(response, "sessions") == ("ok", "Only this one")
    assert badge(response, "app-passwords") == ("ok", "None")
    assert badge(response, "api-tokens") == ("ok", "None")
    page = words(response)
    for theirs in ("Dave", "dave@example.com", "+4179"):
        assert theirs not in page
    assert "Nothing recorded yet" in page


def test_review_lists_the_users_security_events_paginated(
    as_alice: Client, alice: User, dave: User
) -> None:
    for _ in range(12):
        record_event(AccountAction.USER_LOGIN_FAILED, actor=None, subject_user=alice)
    record_event(AccountAction.USER_PASSWORD_CHANGED, actor=alice, target=alice, subject_user=alice)
    record_event(
        OrganizationAction.MEMBER_ROLE_CHANGED, actor=alice, target=alice, subject_user=alice
    )
    record_event(AccountAction.USER_LOGIN_FAILED, actor=None, subject_user=dave)

    first = as_alice.get(REVIEW)
    second = as_alice.get(REVIEW, {"page": 2})

    rows = re.findall(r"<tr><td>", first.content.decode() + second.content.decode())
    assert len(rows) == 13  # alice's 13 security events; not the membership change, not dave's
    assert "Page 1 of 2" in words(first)
    assert "Password changed" in words(first)  # newest first
    assert 'rel="next"' in first.content.decode()
    assert AuditEvent.objects.count() == 15


def test_review_offers_the_compromised_password_wizard(as_alice: Client) -> None:
    response = as_alice.get(REVIEW)
    assert f'href="{reverse("compromised:password")}"' in response.content.decode()
    assert "Password compromised?" in words(response)


def test_review_changes_nothing_on_get(as_alice: Client, alice: User, acme: Organization) -> None:
    with_authenticator(alice)
    emergency_codes(alice, used=8)
    app_password(alice, "Old laptop", created_days=400)
    token(alice, acme, "Forgotten", created_days=400)
    before = _snapshot(_session_key(as_alice))
    as_alice.get(REVIEW)
    as_alice.get(REVIEW, {"page": 2})
    assert _snapshot(_session_key(as_alice)) == before
