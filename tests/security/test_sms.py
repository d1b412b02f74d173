"""SMS codes: numbers of the supported countries only, verified before use, codes that work once
for five minutes and are never stored in clear."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.models import Notification
from security.models import SMSDevice
from tests.conftest import signed_in
from tests.factories import PASSWORD

SWISS_MOBILE = "+41 79 123 45 67"


@pytest.fixture(autouse=True)
def _sms_folder(settings: Any, tmp_path: Path) -> None:
    settings.SMS_DIR = tmp_path / "sms"


def _last_code() -> str:
    files = sorted(Path(settings.SMS_DIR).glob("*.txt"))
    assert files, "no SMS was sent"
    codes: list[str] = re.findall(r"\b(\d{6})\b", files[-1].read_text())
    return codes[-1]


def _sent_count() -> int:
    folder = Path(settings.SMS_DIR)
    return len(list(folder.glob("*.txt"))) if folder.exists() else 0


def _add_phone(client: Client, phone: str = SWISS_MOBILE) -> Any:
    return client.post("/security/two-factor/sms/", {"phone": phone})


@pytest.mark.parametrize("phone", ["+1 415 555 2671", "+39 347 123 4567", "12", "not a number"])
def test_numbers_outside_the_supported_countries_or_invalid_are_refused(
    as_alice: Client, alice: User, phone: str
) -> None:
    response = _add_phone(as_alice, phone)

    assert response.status_code == 200
    assert not SMSDevice.objects.filter(user=alice).exists()
    assert _sent_count() == 0


def test_number_is_verified_by_a_code_before_it_counts(as_alice: Client, alice: User) -> None:
    response = _add_phone(as_alice)
    device = SMSDevice.objects.get(user=alice)
    assert device.phone_number == "+41791234567"
    assert not device.confirmed
    assert response.url == f"/security/two-factor/sms/{device.pk}/"

    wrong = as_alice.post(response.url, {"code": "000000" if _last_code() != "000000" else "1"})
    assert wrong.status_code == 200
    device.refresh_from_db()
    assert not device.confirmed

    # django-otp makes the next try wait a second after a failure.
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        confirmed = as_alice.post(response.url, {"code": _last_code()})
    device.refresh_from_db()
    assert device.confirmed
    assert confirmed.url == "/security/two-factor/emergency-codes/"


def test_code_is_stored_only_as_a_digest_and_never_in_the_outbox(
    as_alice: Client, alice: User
) -> None:
    _add_phone(as_alice)
    code = _last_code()
    device = SMSDevice.objects.get(user=alice)

    assert code not in device.code_digest
    assert not Notification.objects.filter(body_text__contains=code).exists()


def _phone_user(alice: User) -> SMSDevice:
    return SMSDevice.objects.create(
        user=alice, name="Phone", phone_number="+41791234567", confirmed=True
    )


def test_sign_in_sends_a_code_that_works_once(alice: User) -> None:
    _phone_user(alice)
    client = Client()

    response = client.post("/accounts/login/", {"email": alice.email, "password": PASSWORD})
    assert response["Location"] == "/security/verify/"
    code = _last_code()

    done = client.post("/security/verify/", {"code": code})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)

    other = Client()
    other.post("/accounts/login/", {"email": alice.email, "password": PASSWORD})
    replay = other.post("/security/verify/", {"code": code})
    assert replay.status_code == 200
    assert "_auth_user_id" not in other.session


def test_code_expires_after_five_minutes(alice: User) -> None:
    device = _phone_user(alice)
    code = device.new_code()

    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        assert not device.verify_token(code)


def test_sending_is_rate_limited(as_alice: Client, alice: User) -> None:
    _add_phone(as_alice)
    device = SMSDevice.objects.get(user=alice)
    url = f"/security/two-factor/sms/{device.pk}/"

    for _ in range(4):
        as_alice.post(url, {"action": "resend"})

    assert _sent_count() == 3  # one at adding, two more, then refused
    page = as_alice.get(url, follow=True).content.decode()
    assert "Try again in" in page


def test_another_users_pending_number_is_not_found(
    as_alice: Client, bob: User, alice: User
) -> None:
    _add_phone(signed_in(bob))
    bobs = SMSDevice.objects.get(user=bob)

    assert as_alice.get(f"/security/two-factor/sms/{bobs.pk}/").status_code == 404
