"""Emergency codes (security/models/emergency.py): ten single-use codes, stored as salted slow
hashes, throttled like any other second factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from accounts.models import User
from security.models import EmergencyCode, EmergencyCodesDevice
from security.models.emergency import ALPHABET

pytestmark = pytest.mark.django_db


def new_codes(user: User) -> tuple[EmergencyCodesDevice, list[str]]:
    device = EmergencyCodesDevice.objects.create(user=user, name="Emergency codes")
    return device, device.replace_codes()


def fresh(device: EmergencyCodesDevice) -> EmergencyCodesDevice:
    return EmergencyCodesDevice.objects.get(pk=device.pk)


def test_replace_codes_makes_ten_different_readable_codes(alice: User) -> None:
    device, codes = new_codes(alice)
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        left, right = code.split("-")
        assert len(left) == len(right) == 5
        assert set(left + right) <= set(ALPHABET)
    assert fresh(device).remaining == 10


def test_codes_are_stored_as_salted_hashes(alice: User) -> None:
    _device, codes = new_codes(alice)
    stored = list(EmergencyCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    salts = {h.split("$")[2] for h in stored}
    assert len(salts) == 10
    for value in stored:
        assert value.startswith("pbkdf2_sha256_emergency$")
        for code in codes:
            assert code not in value
            assert code.replace("-", "") not in value


def test_verify_each_code_works_once(clock: time_machine.Traveller, alice: User) -> None:
    device, codes = new_codes(alice)
    assert fresh(device).verify_token(codes[3])
    assert fresh(device).remaining == 9
    clock.shift(timedelta(seconds=2))  # past any delay
    assert not fresh(device).verify_token(codes[3])
    assert fresh(device).remaining == 9


def test_verify_every_code_in_turn(alice: User) -> None:
    device, codes = new_codes(alice)
    for n, code in enumerate(codes, start=1):
        assert fresh(device).verify_token(code)
        assert fresh(device).remaining == 10 - n
    assert fresh(device).last_used_at is not None


@pytest.mark.parametrize(
    "typed", [lambda c: c.upper(), lambda c: c.replace("-", ""), lambda c: f" {c[:3]} {c[3:]} "]
)
def test_verify_code_typed_differently_is_accepted(alice: User, typed: object) -> None:
    device, codes = new_codes(alice)
    assert fresh(device).verify_token(typed(codes[0]))  # type: ignore[operator]


@pytest.mark.parametrize("token", ["", "abcde-fghij", "abcd", "abcdefghijk", "12345-67890"])
def test_verify_wrong_code_is_refused_and_counted(alice: User, token: str) -> None:
    device, _codes = new_codes(alice)
    assert not fresh(device).verify_token(token)
    assert fresh(device).throttling_failure_count == 1
    assert fresh(device).remaining == 10


def test_verify_code_of_another_person_is_refused(alice: User, bob: User) -> None:
    mine, _ = new_codes(alice)
    _, theirs = new_codes(bob)
    assert not fresh(mine).verify_token(theirs[0])


@pytest.mark.usefixtures("throttled")
def test_verify_right_code_right_after_a_failure_is_refused_then_accepted(
    clock: time_machine.Traveller, alice: User
) -> None:
    device, codes = new_codes(alice)
    assert not fresh(device).verify_token("zzzzz-zzzzz")
    assert not fresh(device).verify_token(codes[0])
    assert fresh(device).remaining == 10  # a throttled attempt spends nothing
    clock.shift(timedelta(seconds=1))
    assert fresh(device).verify_token(codes[0])
    assert fresh(device).throttling_failure_count == 0


@pytest.mark.usefixtures("throttled")
def test_verify_delays_double_after_each_failure(
    clock: time_machine.Traveller, alice: User
) -> None:
    device, codes = new_codes(alice)
    for n in range(4):
        clock.shift(timedelta(seconds=2**n))
        assert not fresh(device).verify_token("zzzzz-zzzzz")
    clock.shift(timedelta(seconds=7))  # 2^(4-1) = 8 seconds are needed
    assert not fresh(device).verify_token(codes[0])
    clock.shift(timedelta(seconds=1))
    assert fresh(device).verify_token(codes[0])


def test_replace_codes_stops_the_old_ones(alice: User) -> None:
    device, old = new_codes(alice)
    new = fresh(device).replace_codes()
    assert not set(old) & set(new)
    assert not fresh(device).verify_token(old[0])
    device.throttle_reset()
    assert fresh(device).verify_token(new[0])
    assert fresh(device).remaining == 9


def test_used_code_from_copy_loaded_before_is_still_refused(
    clock: time_machine.Traveller, alice: User
) -> None:
    device, codes = new_codes(alice)
    first, second = fresh(device), fresh(device)
    assert first.verify_token(codes[0])
    assert not second.verify_token(codes[0])
    clock.shift(timedelta(seconds=2))
    assert not fresh(device).verify_token(codes[0])
    assert fresh(device).remaining == 9
