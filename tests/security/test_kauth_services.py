"""kAuth, the service layer: enrolment codes, device registration, sign-in requests with number
matching, the device's answers, and the single use of an approved request.

Offline codes are computed with pyotp, an RFC 6238 implementation independent of the portal's.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from core.crypto import digest
from core.models import AuditEvent, Notification
from core.request_context import RequestMeta, reset_request_meta, set_request_meta
from security import kauth, services
from security.methods import has_two_factor, methods_for
from security.models import (
    EmergencyCodesDevice,
    KAuthChallenge,
    KAuthDevice,
    KAuthNotice,
)
from tests.conftest import clear_cache

LOGIN_IP = "203.0.113.7"
LOGIN_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def next_full_hour() -> datetime:
    """The start of every rate-limit window and of a 30-second step."""
    return datetime.fromtimestamp((int(time.time()) // 3600 + 1) * 3600, tz=UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    """Time stands still at the next full hour until the test moves it."""
    with time_machine.travel(next_full_hour(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def from_login_browser() -> Iterator[None]:
    """The services run as inside a request from this address and browser."""
    token = set_request_meta(RequestMeta(ip=LOGIN_IP, user_agent=LOGIN_BROWSER))
    yield
    reset_request_meta(token)


def enrolled(user: User, name: str = "Pixel") -> tuple[KAuthDevice, str, str]:
    """A phone registered with a fresh enrolment code: (device, credential, seed in base32)."""
    _enrollment, code = kauth.do_start_enrollment(user, name=name)
    result = kauth.do_enroll_device(code)
    assert result is not None
    device, credential, seed = result
    return device, credential, base64.b32encode(seed).decode()


def with_kauth(user: User, name: str = "Pixel") -> tuple[KAuthDevice, str, str]:
    """A registered phone, confirmed with its offline code: two-factor authentication is on."""
    device, credential, seed = enrolled(user, name)
    services.do_confirm_method(device, pyotp.TOTP(seed).now(), actor=user, keep_session_key=None)
    device.refresh_from_db()
    return device, credential, seed


def events(action: str, user: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, subject_user=user))


# --- Enrolment ----------------------------------------------------------------------------------


def test_start_enrollment_keeps_only_the_digest_of_the_code(alice: User, frozen: object) -> None:
    enrollment, code = kauth.do_start_enrollment(alice, name="  Alice's Pixel  ")

    enrollment.refresh_from_db()
    assert len(code) >= 32
    assert enrollment.code_digest == digest(code)
    assert code not in enrollment.code_digest
    assert enrollment.name == "Alice's Pixel"
    assert enrollment.expires_at - enrollment.created_at == timedelta(minutes=10)
    assert enrollment.is_usable


def test_start_enrollment_with_a_blank_name_uses_the_app_name(alice: User) -> None:
    enrollment, _code = kauth.do_start_enrollment(alice, name="   ")

    assert enrollment.name == "kAuth app"


def test_enroll_device_gives_its_own_credential_and_seed(alice: User) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")

    result = kauth.do_enroll_device(code)

    assert result is not None
    device, credential, seed = result
    device.refresh_from_db()
    assert device.user == alice
    assert device.name == "Pixel"
    assert credential.startswith("kad_")
    assert len(credential) > 40
    assert device.credential_digest == digest(credential)
    assert len(seed) == 20
    assert device.bin_key == seed
    assert seed not in device.sealed_key.encode()
    assert len(events("two_factor.kauth_registered", alice)) == 1


def test_enroll_device_is_not_a_method_before_the_browser_confirms(alice: User) -> None:
    enrolled(alice)

    assert not has_two_factor(alice)
    assert methods_for(alice) == []
    assert not EmergencyCodesDevice.objects.filter(user=alice).exists()


def test_enroll_device_with_a_used_code_is_refused(alice: User) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    assert kauth.do_enroll_device(code) is not None

    assert kauth.do_enroll_device(code) is None

    assert KAuthDevice.objects.filter(user=alice).count() == 1


def test_enroll_device_with_an_expired_code_is_refused(
    alice: User, frozen: time_machine.Traveller
) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    frozen.shift(timedelta(minutes=10))

    assert kauth.do_enroll_device(code) is None

    assert not KAuthDevice.objects.exists()


def test_enroll_device_with_an_unknown_code_is_refused(alice: User) -> None:
    kauth.do_start_enrollment(alice, name="Pixel")

    assert kauth.do_enroll_device("not-the-code") is None
    assert kauth.do_enroll_device("") is None


def test_confirm_kauth_with_its_offline_code_turns_two_factor_on(alice: User) -> None:
    device, _credential, seed = enrolled(alice)

    codes = services.do_confirm_method(
        device, pyotp.TOTP(seed).now(), actor=alice, keep_session_key=None
    )

    assert codes is not None
    assert len(codes) == 10
    assert has_two_factor(alice)
    assert methods_for(alice) == [device]
    assert Notification.objects.filter(kind="two_factor_method_added", recipient=alice).exists()


def test_confirm_kauth_with_a_wrong_code_keeps_it_unconfirmed(alice: User) -> None:
    device, _credential, seed = enrolled(alice)
    right = pyotp.TOTP(seed)
    near = {right.at(time.time() + s * 30) for s in range(-2, 3)}
    wrong = next(f"{n:06d}" for n in range(0, 1_000_000, 7919) if f"{n:06d}" not in near)

    with pytest.raises(services.WrongCode):
        services.do_confirm_method(device, wrong, actor=alice, keep_session_key=None)

    device.refresh_from_db()
    assert not device.confirmed
    assert not has_two_factor(alice)


def test_device_for_credential_finds_the_device_and_notes_when_it_was_seen(alice: User) -> None:
    device, credential, _seed = enrolled(alice)
    assert device.last_seen_at is None

    found = kauth.device_for_credential(credential)

    assert found == device
    device.refresh_from_db()
    assert device.last_seen_at is not None


@pytest.mark.parametrize(
    "forged", ["", "kad_", "kad_unknown", "abc", "kad_" + "x" * 200, "Bearer kad_abc"]
)
def test_device_for_credential_refuses_a_forged_credential(alice: User, forged: str) -> None:
    enrolled(alice)

    assert kauth.device_for_credential(forged) is None


def test_device_for_credential_refuses_the_credential_without_its_prefix(alice: User) -> None:
    _device, credential, _seed = enrolled(alice)

    assert kauth.device_for_credential(credential.removeprefix("kad_")) is None


# --- Sign-in requests ---------------------------------------------------------------------------


def test_push_challenge_has_a_two_digit_number_to_type_on_the_phone(
    alice: User, from_login_browser: None, frozen: object
) -> None:
    device, _credential, _seed = with_kauth(alice)

    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    challenge.refresh_from_db()
    assert 10 <= challenge.number <= 99
    assert challenge.status == KAuthChallenge.Status.PENDING
    assert challenge.expires_at - challenge.created_at == timedelta(minutes=2)
    assert (challenge.ip_address, challenge.user_agent) == (LOGIN_IP, LOGIN_BROWSER)


def test_push_challenge_keeps_only_the_digest_of_the_attempt(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()

    challenge = kauth.do_push_challenge(device, attempt_secret=secret)

    assert challenge.attempt_digest == digest(secret)
    assert secret not in challenge.attempt_digest


def test_push_challenge_again_for_the_same_attempt_fails_the_earlier_one(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    second_phone, _credential, _seed = enrolled(alice, "Old phone")
    secret = kauth.new_attempt_secret()
    first = kauth.do_push_challenge(device, attempt_secret=secret)
    on_second_phone = kauth.do_push_challenge(second_phone, attempt_secret=secret)

    second = kauth.do_push_challenge(device, attempt_secret=secret)

    first.refresh_from_db()
    on_second_phone.refresh_from_db()
    assert first.is_expired
    assert on_second_phone.is_expired
    assert kauth.pending_for_device(device) == [second]
    assert kauth.pending_for_device(second_phone) == []


def test_push_challenge_leaves_one_pending_per_device_whatever_the_attempt(
    alice: User, bob: User
) -> None:
    """Issue 12 finding 5: five sign-in attempts (the owner's and a stranger's who has the
    password) stacked five prompts on the phone at once."""
    device, _credential, _seed = with_kauth(alice)
    second_phone, _credential, _seed = enrolled(alice, "Old phone")
    bobs_device, _credential, _seed = with_kauth(bob, "Bob's phone")
    on_second_phone = kauth.do_push_challenge(second_phone, attempt_secret="another attempt")
    bobs = kauth.do_push_challenge(bobs_device, attempt_secret=kauth.new_attempt_secret())
    clear_cache()  # the five pushes below are within the limits on their own

    pushed = [
        kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret()) for _ in range(5)
    ]

    assert kauth.pending_for_device(device) == [pushed[-1]]
    for retired in pushed[:-1]:
        assert (
            kauth.do_answer_challenge(
                device, str(retired.public_id), approve=True, number=retired.number
            )
            == "refused"
        )
    # Other phones, the person's own and someone else's, keep their request.
    assert kauth.pending_for_device(second_phone) == [on_second_phone]
    assert kauth.pending_for_device(bobs_device) == [bobs]


class RecordingGateway:
    """A push gateway (as one for APNs/FCM would be) that remembers what it was given."""

    sent: list[KAuthChallenge] = []
    removals: list[KAuthNotice] = []

    def notify(self, challenge: KAuthChallenge) -> None:
        RecordingGateway.sent.append(challenge)

    def notify_removed(self, notice: KAuthNotice) -> None:
        RecordingGateway.removals.append(notice)


@override_settings(KAUTH_PUSH_GATEWAY="tests.security.test_kauth_services.RecordingGateway")
def test_removing_a_device_tells_the_phone_through_the_gateway_at_once(
    alice: User, django_capture_on_commit_callbacks: object
) -> None:
    """Issue 13, defect 8: the guide says a notification is sent to the phone; the phone learnt
    of the removal only at its next poll."""
    device, credential, _seed = with_kauth(alice)
    RecordingGateway.removals = []

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.do_remove_method(device, actor=alice)

    [notice] = RecordingGateway.removals
    assert notice.message == kauth.notice_for_credential(credential)


@override_settings(KAUTH_PUSH_GATEWAY="tests.security.test_kauth_services.RecordingGateway")
def test_push_challenge_goes_through_the_configured_gateway_after_commit(
    alice: User, django_capture_on_commit_callbacks: object
) -> None:
    device, _credential, _seed = with_kauth(alice)
    RecordingGateway.sent = []

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
        assert RecordingGateway.sent == []  # not before the challenge is committed

    assert RecordingGateway.sent == [challenge]


def test_push_challenge_is_limited_to_five_per_ten_minutes_per_account(
    alice: User, bob: User, frozen: time_machine.Traveller
) -> None:
    device, _credential, _seed = with_kauth(alice)
    bobs_device, _credential, _seed = with_kauth(bob, "Bob's phone")
    for _ in range(5):
        kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    with pytest.raises(kauth.PushRefused) as refused:
        kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    assert refused.value.retry_after == 600
    assert KAuthChallenge.objects.filter(device=device).count() == 5
    # Another account is not affected, and the window passes.
    kauth.do_push_challenge(bobs_device, attempt_secret=kauth.new_attempt_secret())
    frozen.shift(timedelta(minutes=10))
    kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    assert KAuthChallenge.objects.filter(device=device).count() == 6


def test_pending_for_device_lists_only_its_own_waiting_unexpired_request(
    alice: User, bob: User, frozen: time_machine.Traveller
) -> None:
    device, _credential, _seed = with_kauth(alice)
    second_phone, _credential, _seed = enrolled(alice, "Old phone")
    bobs_device, _credential, _seed = with_kauth(bob, "Bob's phone")
    answered = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    kauth.do_answer_challenge(device, str(answered.public_id), approve=False)
    waiting = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    kauth.do_push_challenge(second_phone, attempt_secret=kauth.new_attempt_secret())
    kauth.do_push_challenge(bobs_device, attempt_secret=kauth.new_attempt_secret())
    frozen.shift(timedelta(minutes=1, seconds=59))
    assert kauth.pending_for_device(device) == [waiting]

    frozen.shift(timedelta(seconds=1))

    assert kauth.pending_for_device(device) == []


# --- Answers from the device --------------------------------------------------------------------


def test_answer_challenge_with_the_right_number_approves_it(
    alice: User, from_login_browser: None
) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)

    status = kauth.do_answer_challenge(
        device, str(challenge.public_id), approve=True, number=challenge.number
    )

    assert status == "approved"
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.APPROVED
    assert challenge.answered_at is not None
    assert kauth.challenge_status(str(challenge.public_id), secret) == "approved"
    [event] = events("two_factor.kauth_approved", alice)
    assert event.data == {"ip": LOGIN_IP}


def test_answer_challenge_with_a_wrong_number_fails_it(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)
    decoy = 10 + (challenge.number - 10 + 1) % 90

    status = kauth.do_answer_challenge(device, str(challenge.public_id), approve=True, number=decoy)

    assert status == "failed"
    assert kauth.challenge_status(str(challenge.public_id), secret) == "failed"
    assert kauth.do_use_approved_challenge(str(challenge.public_id), secret) is None
    assert len(events("two_factor.kauth_failed", alice)) == 1


def test_answer_challenge_deny_emails_the_person_and_records_it(
    alice: User, from_login_browser: None, settings: object
) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)

    status = kauth.do_answer_challenge(device, str(challenge.public_id), approve=False)

    assert status == "denied"
    assert kauth.challenge_status(str(challenge.public_id), secret) == "denied"
    assert kauth.do_use_approved_challenge(str(challenge.public_id), secret) is None
    [event] = events("two_factor.kauth_denied", alice)
    assert event.data == {"ip": LOGIN_IP}
    note = Notification.objects.get(kind="kauth_denied", recipient=alice)
    assert note.to == alice.email
    assert LOGIN_IP in note.body_text
    link = f"{settings.PORTAL_BASE_URL}{reverse('compromised:password')}"  # type: ignore[attr-defined]
    assert link in note.body_text
    assert link in note.body_html


def test_answer_challenge_twice_is_refused_and_changes_nothing(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    kauth.do_answer_challenge(device, str(challenge.public_id), approve=False)

    status = kauth.do_answer_challenge(
        device, str(challenge.public_id), approve=True, number=challenge.number
    )

    assert status == "refused"
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.DENIED
    assert len(events("two_factor.kauth_answer_refused", alice)) == 1


def test_answer_challenge_of_another_device_is_refused(alice: User, bob: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    bobs_device, _credential, _seed = with_kauth(bob, "Bob's phone")
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    status = kauth.do_answer_challenge(
        bobs_device, str(challenge.public_id), approve=True, number=challenge.number
    )

    assert status == "refused"
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.PENDING
    assert events("two_factor.kauth_approved", alice) == []


def test_answer_challenge_after_two_minutes_is_refused(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)
    frozen.shift(timedelta(minutes=2))

    status = kauth.do_answer_challenge(
        device, str(challenge.public_id), approve=True, number=challenge.number
    )

    assert status == "refused"
    assert kauth.challenge_status(str(challenge.public_id), secret) == "expired"
    assert kauth.do_use_approved_challenge(str(challenge.public_id), secret) is None


# --- The browser's side of the request ----------------------------------------------------------


def test_use_approved_challenge_works_once(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)
    kauth.do_answer_challenge(
        device, str(challenge.public_id), approve=True, number=challenge.number
    )

    first = kauth.do_use_approved_challenge(str(challenge.public_id), secret)
    second = kauth.do_use_approved_challenge(str(challenge.public_id), secret)

    assert first == device
    assert second is None
    assert kauth.challenge_status(str(challenge.public_id), secret) == "used"
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_use_approved_challenge_needs_the_attempt_secret_of_its_browser(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)
    kauth.do_answer_challenge(
        device, str(challenge.public_id), approve=True, number=challenge.number
    )
    another_browser = kauth.new_attempt_secret()

    assert kauth.challenge_status(str(challenge.public_id), another_browser) is None
    assert kauth.do_use_approved_challenge(str(challenge.public_id), another_browser) is None
    assert kauth.do_use_approved_challenge(str(challenge.public_id), secret) == device


def test_use_approved_challenge_refuses_one_still_waiting(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)

    assert kauth.do_use_approved_challenge(str(challenge.public_id), secret) is None
    assert kauth.challenge_status(str(challenge.public_id), secret) == "pending"


# --- Removal ------------------------------------------------------------------------------------


def test_removal_notice_is_found_by_the_credential_of_the_removed_device(alice: User) -> None:
    device, credential, _seed = with_kauth(alice)

    kauth.leave_removal_notice(device)

    notice = kauth.notice_for_credential(credential)
    assert notice is not None
    assert alice.email in notice
    assert kauth.notice_for_credential("kad_someone-else") is None
    assert credential not in KAuthNotice.objects.get().credential_digest


def test_removal_notice_is_in_the_language_of_the_phones_owner(alice: User) -> None:
    alice.language = "it"
    alice.save(update_fields=["language"])
    device, credential, _seed = with_kauth(alice)

    kauth.leave_removal_notice(device)

    assert kauth.notice_for_credential(credential) == (
        "L'account alice@example.com è stato rimosso da questa app kAuth."
    )


def test_remove_kauth_device_ends_its_waiting_requests(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    with_kauth(alice, "Second phone")
    secret = kauth.new_attempt_secret()
    challenge = kauth.do_push_challenge(device, attempt_secret=secret)

    services.do_remove_method(device, actor=alice)

    assert not KAuthChallenge.objects.filter(pk=challenge.pk).exists()
    assert kauth.challenge_status(str(challenge.public_id), secret) is None
