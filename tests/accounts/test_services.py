"""The user model and the account services, without pages."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.test import override_settings

from accounts import services
from accounts.models import Session, User
from accounts.session_store import SessionStore
from core.models import AuditEvent, Notification
from portal import settings as project_settings
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def session_of(user: User) -> SessionBase:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    return store


# --- The user -------------------------------------------------------------------------------------


def test_normalize_email_lowercases_and_strips() -> None:
    assert User.objects.normalize_email("  Alice.Rossi@Example.COM ") == "alice.rossi@example.com"
    assert User.objects.normalize_email(None) == ""


def test_create_user_stores_normalized_email() -> None:
    user = User.objects.create_user(" Frank@Example.org", PASSWORD)
    assert user.email == "frank@example.org"


def test_create_user_refuses_same_email_in_other_case(alice: User) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ALICE@example.com", PASSWORD)
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_database_refuses_same_email_in_other_case_even_unnormalized(alice: User) -> None:
    # A row written without the manager (a data migration, a raw save) still meets the constraint.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Alice@Example.com")


def test_authenticate_accepts_email_in_other_case(alice: User) -> None:
    assert authenticate(username="ALICE@Example.com", password=PASSWORD) == alice


def test_authenticate_refuses_inactive_user() -> None:
    UserFactory.create(email="gone@example.com", is_active=False)
    assert authenticate(username="gone@example.com", password=PASSWORD) is None


def test_user_clean_normalizes_email() -> None:
    user = User(email=" Grace@Example.COM ")
    user.clean()
    assert user.email == "grace@example.com"


def test_set_password_uses_argon2_with_project_hashers() -> None:
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        user = User.objects.create_user("hank@example.com", PASSWORD)
        assert user.password.startswith("argon2")
        assert user.check_password(PASSWORD)


CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/130.0.2849.68"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (CHROME_WINDOWS, "Chrome · Windows"),
        (EDGE_WINDOWS, "Edge · Windows"),
        (SAFARI_IPHONE, "Safari · iOS"),
        (CHROME_ANDROID, "Chrome · Android"),
        (FIREFOX_LINUX, "Firefox · Linux"),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_session_browser_names_browser_and_system(user_agent: str, described: str) -> None:
    assert Session(user_agent=user_agent).browser == described


# --- Creating an account ------------------------------------------------------------------------


def test_do_create_user_queues_verification_email() -> None:
    user = services.do_create_user(email="Ivy@Example.com", password=PASSWORD, language="it")
    assert user.email == "ivy@example.com"
    assert user.email_verified_at is None
    notification = Notification.objects.get(kind="verify_email")
    assert (notification.to, notification.recipient, notification.language) == (
        "ivy@example.com",
        user,
        "it",
    )
    assert AuditEvent.objects.filter(action="user.signed_up", subject_user=user).exists()


def test_do_create_user_refuses_taken_email_in_other_case(alice: User) -> None:
    with pytest.raises(services.EmailTaken):
        services.do_create_user(email="ALICE@EXAMPLE.COM", password=PASSWORD)
    assert User.objects.count() == 1
    assert not Notification.objects.exists()


def test_do_create_user_losing_a_race_raises_email_taken(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another sign-up with this address commits between the look-up and the insert.
    with monkeypatch.context() as patched:
        patched.setattr(QuerySet, "exists", lambda self: False)
        with pytest.raises(services.EmailTaken):
            services.do_create_user(email="Alice@example.com", password=PASSWORD)
    assert User.objects.count() == 1
    assert not Notification.objects.exists()


# --- Email verification ---------------------------------------------------------------------------


def test_do_verify_email_marks_address_verified_once() -> None:
    user = UserFactory.create(email_verified_at=None)
    token = services.email_verification_token(user)
    assert services.do_verify_email(token) == user
    user.refresh_from_db()
    first = user.email_verified_at
    assert first is not None
    assert services.do_verify_email(token) == user
    user.refresh_from_db()
    assert user.email_verified_at == first
    assert AuditEvent.objects.filter(action="user.email_verified").count() == 1


def test_do_verify_email_refuses_tampered_token() -> None:
    user = UserFactory.create(email_verified_at=None)
    token = services.email_verification_token(user)
    assert services.do_verify_email(token[:-3] + "abc") is None
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_do_verify_email_refuses_token_for_previous_address() -> None:
    user = UserFactory.create(email="old@example.com", email_verified_at=None)
    token = services.email_verification_token(user)
    user.email = "new@example.com"
    user.save(update_fields=["email"])
    assert services.do_verify_email(token) is None
    user.refresh_from_db()
    assert user.email_verified_at is None


# --- Passwords and sessions -----------------------------------------------------------------------


def test_do_change_password_ends_other_sessions_and_keeps_given_one(
    alice: User, dave: User
) -> None:
    kept, other, daves = session_of(alice), session_of(alice), session_of(dave)
    ended = services.do_change_password(
        alice, "a brand new passphrase here", actor=alice, keep_session_key=kept.session_key
    )
    assert ended == 1
    assert set(Session.objects.values_list("session_key", flat=True)) == {
        kept.session_key,
        daves.session_key,
    }
    assert not Session.objects.filter(session_key=other.session_key).exists()
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase here")


def test_do_change_password_audits_and_emails_in_user_language() -> None:
    user = UserFactory.create(language="it")
    services.do_change_password(user, "un'altra frase lunga", actor=user, keep_session_key=None)
    event = AuditEvent.objects.get(action="user.password_changed")
    assert (event.actor, event.subject_user) == (user, user)
    notification = Notification.objects.get(kind="password_changed")
    assert (notification.to, notification.language) == (user.email, "it")
    # The email names no secret.
    assert "un'altra frase lunga" not in notification.body_text


def test_do_end_session_cannot_end_another_users_session(alice: User, dave: User) -> None:
    daves = session_of(dave)
    assert daves.session_key is not None
    assert services.do_end_session(alice, daves.session_key, actor=alice) is False
    assert Session.objects.filter(session_key=daves.session_key, user=dave).exists()
    assert not AuditEvent.objects.filter(action="user.session_ended").exists()


def test_do_update_profile_saves_and_audits_changed_fields_only(alice: User) -> None:
    services.do_update_profile(alice, actor=alice, first_name="Alicia", last_name="Rossi")
    alice.refresh_from_db()
    assert alice.first_name == "Alicia"
    event = AuditEvent.objects.get(action="user.profile_updated")
    assert event.data == {"fields": ["first_name"]}


def test_do_update_profile_without_change_writes_nothing(alice: User) -> None:
    services.do_update_profile(alice, actor=alice, first_name="Alice")
    assert not AuditEvent.objects.filter(action="user.profile_updated").exists()


def test_do_request_password_reset_for_unknown_email_sends_nothing(alice: User) -> None:
    services.do_request_password_reset("nobody@example.com", ip="198.51.100.7")
    assert not Notification.objects.exists()


def test_do_request_password_reset_for_inactive_user_sends_nothing() -> None:
    UserFactory.create(email="gone@example.com", is_active=False)
    services.do_request_password_reset("gone@example.com", ip="198.51.100.7")
    assert not Notification.objects.exists()


def test_do_request_password_reset_limits_emails_per_account(
    alice: User, clock: time_machine.Traveller
) -> None:
    for _ in range(8):
        services.do_request_password_reset("alice@example.com", ip="198.51.100.7")
        clock.shift(1)
    assert Notification.objects.filter(kind="password_reset").count() == 5
