"""kAuth, the JSON API the phone talks to: enrolment with the QR code's one-time code, fetching
the pending sign-in requests, approving (with the number shown in the browser) or denying them.

The device authenticates with `Authorization: KAuth <credential>`, never with cookies, so the
client here enforces CSRF checks as a browser's would: the API must not depend on them.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.crypto import digest
from core.models import AuditEvent, Notification
from security import kauth, services
from security.methods import has_two_factor, public_id
from security.models import KAuthChallenge, KAuthDevice, KAuthEnrollment
from tests.conftest import ClientResponse, signed_in
from tests.factories import PASSWORD

ENROLL_URL = reverse("security:kauth-api-enroll")
CHALLENGES_URL = reverse("security:kauth-api-challenges")
PHONE_IP = "198.51.100.20"
LOGIN_IP = "203.0.113.7"
LOGIN_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def next_full_hour() -> datetime:
    """The start of every rate-limit window."""
    return datetime.fromtimestamp((int(time.time()) // 3600 + 1) * 3600, tz=UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(next_full_hour(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def phone() -> Client:
    """What the kAuth app sends its requests with: no cookies, CSRF enforced as for a browser."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=PHONE_IP)


def call(
    client: Client,
    url: str,
    *,
    credential: str | None = None,
    body: Any = None,
    method: str = "post",
    authorization: str | None = None,
    ip: str = PHONE_IP,
) -> ClientResponse:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif credential is not None:
        headers["Authorization"] = f"KAuth {credential}"
    if method == "get":
        return client.get(url, headers=headers, REMOTE_ADDR=ip)
    data = body if isinstance(body, (str, bytes)) else json.dumps(body or {})
    return client.post(
        url, data=data, content_type="application/json", headers=headers, REMOTE_ADDR=ip
    )


def answer_url(challenge: KAuthChallenge, verb: str) -> str:
    return reverse("security:kauth-api-answer", args=[challenge.public_id, verb])


def enrolled(phone: Client, user: User, name: str = "Pixel") -> tuple[KAuthDevice, str, str]:
    """A phone registered through the API: (device, credential, seed in base32)."""
    _enrollment, code = kauth.do_start_enrollment(user, name=name)
    response = call(phone, ENROLL_URL, body={"code": code})
    assert response.status_code == 201, response.content
    payload = response.json()
    device = KAuthDevice.objects.get(credential_digest=digest(payload["credential"]))
    return device, payload["credential"], payload["seed"]


def with_kauth(phone: Client, user: User, name: str = "Pixel") -> tuple[KAuthDevice, str, str]:
    device, credential, seed = enrolled(phone, user, name)
    services.do_confirm_method(device, pyotp.TOTP(seed).now(), actor=user, keep_session_key=None)
    return device, credential, seed


def sign_in_with_password(user: User, *, ip: str = LOGIN_IP) -> Client:
    """A browser that typed the right password: kAuth being preferred, a request is pushed."""
    browser = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=LOGIN_BROWSER)
    response = browser.post(reverse("accounts:login"), {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("security:verify")
    return browser


def latest_challenge(device: KAuthDevice) -> KAuthChallenge:
    return KAuthChallenge.objects.filter(device=device).latest("created_at", "pk")


# --- Enrolment ----------------------------------------------------------------------------------


def test_enroll_with_the_code_returns_a_credential_and_the_seed(phone: Client, alice: User) -> None:
    enrollment, code = kauth.do_start_enrollment(alice, name="Alice's Pixel")

    response = call(phone, ENROLL_URL, body={"code": code})

    assert response.status_code == 201
    payload = response.json()
    assert set(payload) == {"credential", "seed", "account", "name"}
    assert payload["account"] == "alice@example.com"
    assert payload["name"] == "Alice's Pixel"
    device = KAuthDevice.objects.get(user=alice)
    assert device.credential_digest == digest(payload["credential"])
    assert base64.b32decode(payload["seed"]) == device.bin_key
    assert not device.confirmed
    enrollment.refresh_from_db()
    assert enrollment.device == device


def test_enroll_does_not_turn_two_factor_on_until_the_browser_confirms(
    phone: Client, alice: User
) -> None:
    device, _credential, seed = enrolled(phone, alice)
    assert not has_two_factor(alice)

    services.do_confirm_method(device, pyotp.TOTP(seed).now(), actor=alice, keep_session_key=None)

    assert has_two_factor(alice)


def test_enroll_with_the_same_code_again_is_refused(phone: Client, alice: User) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    assert call(phone, ENROLL_URL, body={"code": code}).status_code == 201

    response = call(phone, ENROLL_URL, body={"code": code})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_enrollment_code"}
    assert KAuthDevice.objects.filter(user=alice).count() == 1


def test_enroll_with_an_expired_code_is_refused(
    phone: Client, alice: User, frozen: time_machine.Traveller
) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    frozen.shift(timedelta(minutes=10, seconds=1))

    response = call(phone, ENROLL_URL, body={"code": code})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_enrollment_code"}
    assert not KAuthDevice.objects.exists()


def test_enroll_just_before_the_code_expires_works(
    phone: Client, alice: User, frozen: time_machine.Traveller
) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    frozen.shift(timedelta(minutes=9, seconds=59))

    assert call(phone, ENROLL_URL, body={"code": code}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2, 3]",
        '"a string"',
        "{}",
        '{"code": ""}',
        '{"code": null}',
        '{"code": ["x"]}',
        json.dumps({"code": "x" * 101}),
    ],
    ids=[
        "a-list",
        "a-string",
        "no-code",
        "empty-code",
        "null-code",
        "list-code",
        "long-code",
    ],
)
def test_enroll_with_a_malformed_body_is_refused(phone: Client, alice: User, body: Any) -> None:
    kauth.do_start_enrollment(alice, name="Pixel")

    response = call(phone, ENROLL_URL, body=body)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_enrollment_code"}
    assert not KAuthDevice.objects.exists()


@pytest.mark.parametrize(
    "body", ["this is not json", b"\xff\xfe\x00"], ids=["not-json", "not-utf8"]
)
def test_enroll_with_a_body_that_is_not_json_says_so(phone: Client, alice: User, body: Any) -> None:
    kauth.do_start_enrollment(alice, name="Pixel")

    response = call(phone, ENROLL_URL, body=body)

    assert response.status_code == 400
    assert response.json() == {"error": "malformed_json"}
    assert not KAuthDevice.objects.exists()


def test_enroll_with_get_is_not_allowed(phone: Client) -> None:
    assert call(phone, ENROLL_URL, method="get").status_code == 405


def test_enroll_is_limited_per_address(phone: Client, alice: User, frozen: object) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    for n in range(20):
        assert call(phone, ENROLL_URL, body={"code": f"guess-{n}"}).status_code == 400

    refused = call(phone, ENROLL_URL, body={"code": code})

    assert refused.status_code == 429
    assert refused.json() == {"error": "rate_limited", "retry_after": 3600}
    assert not KAuthDevice.objects.exists()
    # The limit is per address: the phone on another network still enrols with the code.
    assert call(phone, ENROLL_URL, body={"code": code}, ip="192.0.2.44").status_code == 201


# --- Authenticating the device ------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["", "KAuth", "KAuth ", "Bearer {credential}", "kauth {credential}", "{credential}"],
    ids=["empty", "scheme-only", "scheme-and-space", "bearer", "lowercase-scheme", "no-scheme"],
)
def test_api_without_a_kauth_credential_is_refused(
    phone: Client, alice: User, authorization: str
) -> None:
    _device, credential, _seed = with_kauth(phone, alice)

    response = call(
        phone,
        CHALLENGES_URL,
        method="get",
        authorization=authorization.format(credential=credential),
    )

    assert response.status_code == 401
    assert response.json() == {"error": "missing_credential"}


def test_api_without_authorization_header_is_refused(phone: Client, alice: User) -> None:
    with_kauth(phone, alice)

    response = call(phone, CHALLENGES_URL, method="get")

    assert response.status_code == 401
    assert response.json() == {"error": "missing_credential"}


@pytest.mark.parametrize("forged", ["kad_forged", "forged", "kad_" + "A" * 200])
def test_api_with_an_unknown_credential_is_refused_and_logged(
    phone: Client, alice: User, forged: str, caplog: pytest.LogCaptureFixture
) -> None:
    with_kauth(phone, alice)

    with caplog.at_level(logging.WARNING, logger="security.kauth_api"):
        response = call(phone, CHALLENGES_URL, method="get", credential=forged)

    assert response.status_code == 401
    assert response.json() == {"error": "unknown_credential"}
    assert any(PHONE_IP in r.getMessage() for r in caplog.records)
    assert all(forged not in r.getMessage() for r in caplog.records)


def test_api_with_the_credential_of_a_deleted_device_without_notice_is_unknown(
    phone: Client, alice: User
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    KAuthDevice.objects.filter(pk=device.pk).delete()

    response = call(phone, CHALLENGES_URL, method="get", credential=credential)

    assert response.status_code == 401
    assert response.json() == {"error": "unknown_credential"}


def test_api_with_the_credential_of_a_removed_device_with_notice_says_removed(
    phone: Client, alice: User
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    kauth.leave_removal_notice(device)
    device.delete()

    response = call(phone, CHALLENGES_URL, method="get", credential=credential)

    assert response.status_code == 410
    payload = response.json()
    assert payload["error"] == "account_removed"
    assert "alice@example.com" in payload["message"]


def test_remove_kauth_device_leaves_a_notice_the_device_sees_at_its_next_request(
    phone: Client, alice: User
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    with_kauth(phone, alice, "Second phone")
    as_alice = signed_in(alice)

    response = as_alice.post(
        reverse("security:method-remove", args=[public_id(device.persistent_id)])
    )

    assert response.status_code == 302
    assert not KAuthDevice.objects.filter(credential_digest=digest(credential)).exists()
    seen = call(phone, CHALLENGES_URL, method="get", credential=credential)
    assert seen.status_code == 410
    assert seen.json()["error"] == "account_removed"
    assert "alice@example.com" in seen.json()["message"]


# --- Pending requests ---------------------------------------------------------------------------


def test_challenges_lists_the_request_pushed_at_sign_in_with_origin(
    phone: Client, alice: User
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    sign_in_with_password(alice)
    challenge = latest_challenge(device)

    response = call(phone, CHALLENGES_URL, method="get", credential=credential)

    assert response.status_code == 200
    payload = response.json()
    assert payload["account"] == "alice@example.com"
    [listed] = payload["challenges"]
    assert listed["id"] == str(challenge.public_id)
    assert listed["ip"] == LOGIN_IP
    assert listed["browser"] == "Firefox · Linux"
    assert datetime.fromisoformat(listed["time"]) == challenge.created_at
    assert datetime.fromisoformat(listed["expires"]) == challenge.expires_at
    # The phone must not learn the number, nor a short list holding it: the person reads it in
    # the browser and types it on the phone, so a blind "approve" matches 1 time in 90.
    assert "number" not in listed
    assert "numbers" not in listed
    assert str(challenge.number) not in json.dumps(
        {k: v for k, v in listed.items() if k not in ("id", "time", "expires", "ip")}
    )
    device.refresh_from_db()
    assert device.last_seen_at is not None


def test_challenges_lists_only_this_devices_pending_unexpired_requests(
    phone: Client, alice: User, bob: User, frozen: time_machine.Traveller
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    other_phone, _credential, _seed = enrolled(phone, alice, "Tablet")
    bobs_device, _credential, _seed = with_kauth(phone, bob, "Bob's phone")
    denied = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    kauth.do_answer_challenge(device, str(denied.public_id), approve=False)
    expiring = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    kauth.do_push_challenge(other_phone, attempt_secret=kauth.new_attempt_secret())
    kauth.do_push_challenge(bobs_device, attempt_secret=kauth.new_attempt_secret())
    frozen.shift(timedelta(minutes=2))

    expired = call(phone, CHALLENGES_URL, method="get", credential=credential)
    # Listing changes nothing: the expired request is left as it was.
    assert KAuthChallenge.objects.get(pk=expiring.pk).status == KAuthChallenge.Status.PENDING
    waiting = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    response = call(phone, CHALLENGES_URL, method="get", credential=credential)

    assert expired.json()["challenges"] == []
    assert [c["id"] for c in response.json()["challenges"]] == [str(waiting.public_id)]


def test_challenges_with_none_pending_is_an_empty_list(phone: Client, alice: User) -> None:
    _device, credential, _seed = with_kauth(phone, alice)

    response = call(phone, CHALLENGES_URL, method="get", credential=credential)

    assert response.status_code == 200
    assert response.json() == {"account": "alice@example.com", "challenges": []}


def test_challenges_with_post_is_not_allowed(phone: Client, alice: User) -> None:
    _device, credential, _seed = with_kauth(phone, alice)

    assert call(phone, CHALLENGES_URL, credential=credential).status_code == 405


# --- Answers ------------------------------------------------------------------------------------


def test_approve_with_the_right_number_approves(phone: Client, alice: User) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    sign_in_with_password(alice)
    challenge = latest_challenge(device)

    response = call(
        phone,
        answer_url(challenge, "approve"),
        credential=credential,
        body={"number": challenge.number},
    )

    assert response.status_code == 200
    assert response.json() == {"status": "approved"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.APPROVED
    event = AuditEvent.objects.get(action="two_factor.kauth_approved")
    assert event.subject_user == alice
    assert event.ip_address == PHONE_IP
    assert event.data == {"ip": LOGIN_IP}


def test_approve_with_another_number_fails_the_request(phone: Client, alice: User) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    sign_in_with_password(alice)
    challenge = latest_challenge(device)
    decoy = 10 + (challenge.number - 10 + 1) % 90  # any other two-digit number

    response = call(
        phone, answer_url(challenge, "approve"), credential=credential, body={"number": decoy}
    )

    assert response.status_code == 200
    assert response.json() == {"status": "failed"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.FAILED


@pytest.mark.parametrize("body", [{}, {"number": None}, {"number": "42"}, {"number": 4.2}], ids=str)
def test_approve_without_a_number_is_refused(
    phone: Client, alice: User, body: dict[str, Any]
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    response = call(phone, answer_url(challenge, "approve"), credential=credential, body=body)

    assert response.status_code == 400
    assert response.json() == {"error": "number_required"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.PENDING


def test_deny_ends_the_request_emails_the_person_and_records_it(
    phone: Client, alice: User, settings: Any
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    sign_in_with_password(alice)
    challenge = latest_challenge(device)

    response = call(phone, answer_url(challenge, "deny"), credential=credential)

    assert response.status_code == 200
    assert response.json() == {"status": "denied"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.DENIED
    email = Notification.objects.get(kind="kauth_denied")
    assert email.to == "alice@example.com"
    assert LOGIN_IP in email.body_text
    assert f"{settings.PORTAL_BASE_URL}{reverse('compromised:password')}" in email.body_text
    event = AuditEvent.objects.get(action="two_factor.kauth_denied")
    assert event.subject_user == alice
    assert event.data == {"ip": LOGIN_IP}


def test_answer_twice_is_refused(phone: Client, alice: User) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    first = call(
        phone,
        answer_url(challenge, "approve"),
        credential=credential,
        body={"number": challenge.number},
    )
    assert first.status_code == 200

    again = call(phone, answer_url(challenge, "deny"), credential=credential)

    assert again.status_code == 409
    assert again.json() == {"error": "challenge_not_pending"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.APPROVED
    assert not Notification.objects.filter(kind="kauth_denied").exists()
    assert AuditEvent.objects.filter(action="two_factor.kauth_answer_refused").count() == 1


def test_answer_the_request_of_another_device_is_refused(
    phone: Client, alice: User, bob: User
) -> None:
    device, _credential, _seed = with_kauth(phone, alice)
    _bobs_device, bobs_credential, _seed = with_kauth(phone, bob, "Bob's phone")
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    response = call(
        phone,
        answer_url(challenge, "approve"),
        credential=bobs_credential,
        body={"number": challenge.number},
    )

    assert response.status_code == 409
    assert response.json() == {"error": "challenge_not_pending"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.PENDING


def test_answer_an_unknown_request_is_refused(phone: Client, alice: User) -> None:
    _device, credential, _seed = with_kauth(phone, alice)
    url = reverse(
        "security:kauth-api-answer", args=["00000000-0000-4000-8000-000000000000", "deny"]
    )

    response = call(phone, url, credential=credential)

    assert response.status_code == 409
    assert response.json() == {"error": "challenge_not_pending"}


def test_answer_after_two_minutes_is_refused(
    phone: Client, alice: User, frozen: time_machine.Traveller
) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    frozen.shift(timedelta(minutes=2))

    response = call(
        phone,
        answer_url(challenge, "approve"),
        credential=credential,
        body={"number": challenge.number},
    )

    assert response.status_code == 409
    assert response.json() == {"error": "challenge_not_pending"}


def test_answer_with_an_unknown_verb_is_not_found(phone: Client, alice: User) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    response = call(phone, answer_url(challenge, "maybe"), credential=credential)

    assert response.status_code == 404
    assert response.json() == {"error": "unknown_action"}
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.PENDING


def test_answer_without_credential_changes_nothing(phone: Client, alice: User) -> None:
    device, _credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    response = call(phone, answer_url(challenge, "deny"))

    assert response.status_code == 401
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.PENDING


def test_answer_with_get_is_not_allowed(phone: Client, alice: User) -> None:
    device, credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())

    response = call(phone, answer_url(challenge, "deny"), credential=credential, method="get")

    assert response.status_code == 405
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.PENDING


# --- Nothing in clear at rest -------------------------------------------------------------------


def _text_values(model: type[models.Model]) -> Iterator[tuple[str, str]]:
    """Every text-like value of every row of `model`, as stored."""
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, (models.CharField, models.TextField, models.JSONField, models.BinaryField))
    ]
    if not fields:
        return
    for row in model._default_manager.values_list(*fields):
        for name, value in zip(fields, row, strict=True):
            if value is None:
                continue
            if isinstance(value, (bytes, memoryview)):
                text = bytes(value).decode("latin-1")
            elif isinstance(value, str):
                text = value
            else:
                text = json.dumps(value)
            yield f"{model._meta.label}.{name}", text


def test_credential_enrolment_code_and_seed_are_never_stored_in_clear(
    phone: Client, alice: User
) -> None:
    """The whole journey through the pages and the API, then every text column of every model."""
    browser = signed_in(alice)
    browser.post(reverse("security:kauth-add"), {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    page = browser.get(reverse("security:kauth-enroll", args=[enrollment.pk])).content.decode()
    marker = "/security/kauth/enroll/"
    code = page.split(marker, 1)[1].split("/", 1)[0]
    assert enrollment.code_digest == digest(code)
    enrolled_response = call(phone, ENROLL_URL, body={"code": code})
    credential = enrolled_response.json()["credential"]
    seed_b32 = enrolled_response.json()["seed"]
    seed = base64.b32decode(seed_b32)
    confirmed = browser.post(
        reverse("security:kauth-enroll", args=[enrollment.pk]),
        {"code": pyotp.TOTP(seed_b32).now()},
    )
    assert confirmed.status_code == 302
    device = KAuthDevice.objects.get(user=alice, confirmed=True)
    sign_in_with_password(alice)
    challenge = latest_challenge(device)
    call(
        phone,
        answer_url(challenge, "approve"),
        credential=credential,
        body={"number": challenge.number},
    )
    call(phone, CHALLENGES_URL, method="get", credential=credential)
    secrets_in_clear = {
        "credential": credential,
        "credential without prefix": credential.removeprefix("kad_"),
        "enrolment code": code,
        "seed (base32)": seed_b32.rstrip("="),
        "seed (raw)": seed.decode("latin-1"),
        "seed (hex)": seed.hex(),
        "seed (base64)": base64.b64encode(seed).decode().rstrip("="),
        "seed (urlsafe base64)": base64.urlsafe_b64encode(seed).decode().rstrip("="),
    }

    found = [
        f"{what} in {column}"
        for model in apps.get_models(include_auto_created=True)
        for column, text in _text_values(model)
        for what, secret in secrets_in_clear.items()
        if secret in text or secret.lower() in text.lower()
    ]

    assert found == []
    assert KAuthDevice.objects.filter(credential_digest=digest(credential)).exists()


def test_challenges_show_a_parsed_browser_never_the_header_text(phone: Client, alice: User) -> None:
    """Issue 12, finding 12: the User-Agent is the attacker's text."""
    _device, credential, _seed = with_kauth(phone, alice)
    lure = "Portal IT: approve now to keep your mailbox active"
    Client(REMOTE_ADDR=LOGIN_IP, HTTP_USER_AGENT=f"{lure} (Windows NT 10.0) Chrome/120").post(
        reverse("accounts:login"), {"email": alice.email, "password": PASSWORD}
    )

    response = call(phone, CHALLENGES_URL, method="get", credential=credential)

    [listed] = response.json()["challenges"]
    assert listed["browser"] == "Chrome · Windows"
    assert "approve" not in response.content.decode()


# --- Flooding (issue 12 finding 15) -------------------------------------------------------------


def test_a_device_flooding_refused_answers_is_limited_and_recorded_once(
    phone: Client, alice: User, frozen: time_machine.Traveller
) -> None:
    """One device credential wrote 500 "answer refused" events in 1.7 s, pushing real events
    off the security review page."""
    device, credential, _seed = with_kauth(phone, alice)
    challenge = kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    kauth.do_answer_challenge(device, str(challenge.public_id), approve=False)
    events_before = AuditEvent.objects.count()

    statuses = [
        call(phone, answer_url(challenge, "deny"), credential=credential).status_code
        for _ in range(130)
    ]

    assert statuses == [409] * 120 + [429] * 10
    refused = AuditEvent.objects.get(action="two_factor.kauth_answer_refused")
    assert refused.repeats == 120
    assert AuditEvent.objects.count() == events_before + 1
    # The security review shows the flood as one line.
    phone.force_login(alice)
    review = phone.get(reverse("review:index")).content.decode()
    assert review.count("kAuth answer refused") == 1
    assert "(120 times)" in review


def test_a_device_past_its_limit_is_told_when_to_retry(
    phone: Client, alice: User, bob: User, frozen: time_machine.Traveller
) -> None:
    _device, credential, _seed = with_kauth(phone, alice)
    _bobs_device, bobs_credential, _seed = with_kauth(phone, bob, "Bob's phone")
    for _ in range(120):
        call(phone, CHALLENGES_URL, method="get", credential=credential)

    refused = call(phone, CHALLENGES_URL, method="get", credential=credential)

    assert refused.status_code == 429
    assert refused.json() == {"error": "rate_limited", "retry_after": 60}
    assert refused["Retry-After"] == "60"
    # Another device is not affected, and the window passes.
    assert call(phone, CHALLENGES_URL, method="get", credential=bobs_credential).status_code == 200
    frozen.shift(timedelta(minutes=1))
    assert call(phone, CHALLENGES_URL, method="get", credential=credential).status_code == 200
