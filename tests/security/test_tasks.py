"""The daily clean-up of abandoned two-factor set-ups."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from accounts.models import User
from security import kauth
from security.models import KAuthChallenge, KAuthEnrollment, SMSDevice, TOTPDevice
from security.services import do_start_totp
from security.tasks import purge_stale_two_factor_records
from tests.conftest import with_authenticator


def test_purge_removes_abandoned_set_ups_and_keeps_methods(alice: User) -> None:
    method = with_authenticator(alice)
    abandoned = do_start_totp(alice, name="Never confirmed")
    SMSDevice.objects.create(user=alice, name="SMS", phone_number="+41791234567", confirmed=False)
    _enrollment, code = kauth.do_start_enrollment(alice, name="Phone")
    device, _credential, _seed = kauth.do_enroll_device(code)  # type: ignore[misc]
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
    fresh = do_start_totp(alice, name="Being set up now")

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        fresh.created_at = timezone.now()
        fresh.save(update_fields=["created_at"])
        purge_stale_two_factor_records()
        purge_stale_two_factor_records()  # re-runnable

    assert TOTPDevice.objects.filter(pk=method.pk).exists()
    assert TOTPDevice.objects.filter(pk=fresh.pk).exists()
    assert not TOTPDevice.objects.filter(pk=abandoned.pk).exists()
    assert not SMSDevice.objects.exists()
    assert not KAuthEnrollment.objects.exists()
    assert not KAuthChallenge.objects.exists()
    assert device.__class__.objects.filter(pk=device.pk).exists()
