"""Authenticator apps (security/models/totp.py) against an independent RFC 6238 implementation:
the tolerance of one step, each code accepted once, django-otp's growing delays after failures."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine

from accounts.models import User
from security.models import TOTPDevice
from tests.conftest import with_authenticator
from tests.security.helpers import code_for, secret_of, wrong_code

pytestmark = pytest.mark.django_db


def fresh(device: TOTPDevice) -> TOTPDevice:
    """The device as the next request loads it."""
    return TOTPDevice.objects.get(pk=device.pk)


# --- Tolerance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [-1, 0, 1], ids=["previous", "current", "next"])
def test_verify_code_within_one_step_is_accepted(
    clock: time_machine.Traveller, alice: User, steps: int
) -> None:
    device = with_authenticator(alice)
    assert fresh(device).verify_token(code_for(device, steps=steps))


@pytest.mark.parametrize("steps", [-2, 2, -10, 10])
def test_verify_code_two_steps_away_is_refused(
    clock: time_machine.Traveller, alice: User, steps: int
) -> None:
    device = with_authenticator(alice)
    code = code_for(device, steps=steps)
    assert code not in {code_for(device, steps=s) for s in (-1, 0, 1)}  # not by chance
    assert not fresh(device).verify_token(code)


def test_verify_code_in_the_middle_of_a_step_uses_that_step(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    clock.shift(29)  # the last second of the step
    assert fresh(device).verify_token(code_for(device))
    clock.shift(1)  # the next step: its code is new
    assert fresh(device).verify_token(code_for(device))


def test_verify_code_with_spaces_is_accepted(clock: time_machine.Traveller, alice: User) -> None:
    device = with_authenticator(alice)
    code = code_for(device)
    assert fresh(device).verify_token(f" {code[:3]} {code[3:]} ")


@pytest.mark.parametrize(
    "token", ["", "12345", "1234567", "abcdef", "12345a", "¹²³⁴⁵⁶", "١٢٣٤٥٦", "-12345"]
)
def test_verify_malformed_code_is_refused_and_counts_as_failure(
    clock: time_machine.Traveller, alice: User, token: str
) -> None:
    device = with_authenticator(alice)
    assert not fresh(device).verify_token(token)
    assert fresh(device).throttling_failure_count == 1


def test_verify_code_of_another_device_is_refused(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    mine, theirs = with_authenticator(alice), with_authenticator(bob)
    assert secret_of(mine) != secret_of(theirs)
    assert not fresh(mine).verify_token(code_for(theirs))


# --- Each code once -----------------------------------------------------------------------------


def test_verify_same_code_twice_is_refused_the_second_time(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    code = code_for(device)
    assert fresh(device).verify_token(code)
    assert not fresh(device).verify_token(code)
    assert fresh(device).last_t == int(time.time() // 30)


def test_verify_older_code_after_newer_one_is_refused(
    clock: time_machine.Traveller, alice: User
) -> None:
    """After the code of the next step, the current and previous ones are spent too."""
    device = with_authenticator(alice)
    assert fresh(device).verify_token(code_for(device, steps=1))
    assert not fresh(device).verify_token(code_for(device))
    assert not fresh(device).verify_token(code_for(device, steps=-1))


def test_verify_used_code_from_copy_loaded_before_is_still_refused(
    clock: time_machine.Traveller, alice: User
) -> None:
    """Two requests load the device; the first accepts the code. The second's refusal (and
    its failure count) must not write back the old replay marker and re-open the code."""
    device = with_authenticator(alice)
    code = code_for(device)
    first, second = fresh(device), fresh(device)
    assert first.verify_token(code)
    assert not second.verify_token(code)
    clock.shift(2)  # past the throttling delay of that failure, still in the same step
    assert not fresh(device).verify_token(code)


def test_verify_failure_from_stale_copy_keeps_name_and_confirmation(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    stale = fresh(device)
    TOTPDevice.objects.filter(pk=device.pk).update(name="Renamed meanwhile")
    assert not stale.verify_token(wrong_code(device))
    assert fresh(device).name == "Renamed meanwhile"


def test_verify_accepted_records_last_use(clock: time_machine.Traveller, alice: User) -> None:
    device = with_authenticator(alice)
    assert fresh(device).last_used_at is None
    assert fresh(device).verify_token(code_for(device))
    assert fresh(device).last_used_at is not None


# --- Throttling (django-otp: 1, 2, 4, 8... seconds after each failure) ---------------------------


@pytest.mark.usefixtures("throttled")
def test_verify_right_code_right_after_a_failure_is_refused(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    assert not fresh(device).verify_token(wrong_code(device))
    assert not fresh(device).verify_token(code_for(device))


@pytest.mark.usefixtures("throttled")
def test_verify_right_code_after_the_delay_is_accepted_and_resets_failures(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    for _ in range(3):
        assert not fresh(device).verify_token(wrong_code(device))
        clock.shift(timedelta(seconds=4))
    # Failures at 0, 4, 8 s; the third requires 4 s before the next try.
    assert fresh(device).throttling_failure_count == 3
    assert fresh(device).verify_token(code_for(device))
    assert fresh(device).throttling_failure_count == 0


@pytest.mark.usefixtures("throttled")
def test_verify_delays_double_after_each_failure(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    failures = 5
    for n in range(failures):
        clock.shift(timedelta(seconds=2**n))  # each delay passed before the next failure
        assert not fresh(device).verify_token(wrong_code(device))
    assert fresh(device).throttling_failure_count == failures
    allowed, info = fresh(device).verify_is_allowed()
    assert not allowed
    assert info is not None
    # Sixteen seconds (2^(5-1)) after the fifth failure.
    clock.shift(timedelta(seconds=15))
    assert not fresh(device).verify_token(code_for(device))
    clock.shift(timedelta(seconds=1))
    code = code_for(device)
    assert fresh(device).verify_token(code)


@pytest.mark.usefixtures("throttled")
def test_verify_while_throttled_does_not_count_another_failure(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    assert not fresh(device).verify_token(wrong_code(device))
    for _ in range(5):
        assert not fresh(device).verify_token(wrong_code(device))
    assert fresh(device).throttling_failure_count == 1


def test_failures_count_per_device(clock: time_machine.Traveller, alice: User, bob: User) -> None:
    mine, theirs = with_authenticator(alice), with_authenticator(bob)
    assert not fresh(theirs).verify_token(wrong_code(theirs))
    assert fresh(mine).verify_token(code_for(mine))


# --- The seed at rest ---------------------------------------------------------------------------


def test_seed_is_stored_sealed(alice: User) -> None:
    device = with_authenticator(alice)
    stored = TOTPDevice.objects.values_list("sealed_key", flat=True).get(pk=device.pk)
    assert len(device.bin_key) == 20
    assert device.bin_key.hex() not in stored
    assert secret_of(device) not in stored.upper()
    assert fresh(device).bin_key == device.bin_key


def test_seeds_are_different_for_every_device(alice: User) -> None:
    keys = {with_authenticator(alice).bin_key for _ in range(5)}
    assert len(keys) == 5
