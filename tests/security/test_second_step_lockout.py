"""Whoever knows the password must not be able to lock the owner out of the second step
(issue 12, finding 5): wrong codes are counted per sign-in attempt and per address first, then
against a looser ceiling for the person that a browser the owner signed in with before is
spared, and that a new password starts afresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User
from core.models import AuditEvent, Notification
from security import services
from security.models import TOTPDevice
from tests.conftest import unescaped_html, with_authenticator
from tests.factories import PASSWORD
from tests.security.helpers import VERIFY_URL, code_for, is_verified, wrong_code

pytestmark = pytest.mark.django_db

OWNER_IP = "203.0.113.7"
ATTACKER_IPS = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"]
NEW_PASSWORD = "seven purple owls read the morning paper"
WRONG_CODE = "This code is not right, or it was already used."


_clock: list[time_machine.Traveller] = []


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    """Time stands still from the start of the next hour (the limits' windows start afresh) and
    moves only when a test waits."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with time_machine.travel(start, tick=False) as traveller:
        _clock.append(traveller)
        yield traveller
        _clock.clear()


def wait(seconds: float) -> None:
    _clock[0].shift(timedelta(seconds=seconds))


def browser(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def pass_password(client: Client, user: User, password: str = PASSWORD) -> None:
    response = client.post(reverse("accounts:login"), {"email": user.email, "password": password})
    assert response.status_code == 302, unescaped_html(response)
    assert response["Location"] == VERIFY_URL, response["Location"]


def post_code(client: Client, code: str, *, emergency: bool = False) -> str:
    data = {"code": code, **({"method": "emergency"} if emergency else {})}
    return unescaped_html(client.post(VERIFY_URL, data, follow=True))


def signs_in_with(client: Client, code: str, *, emergency: bool = False) -> bool:
    data = {"code": code, **({"method": "emergency"} if emergency else {})}
    response = client.post(VERIFY_URL, data)
    return response.status_code == 302 and is_verified(client)


def wrong_codes_from(
    ip: str, user: User, count: int, code: str, *, emergency: bool = False, pace: bool = False
) -> int:
    """An attacker with the password at `ip` tries to get `count` wrong codes checked, entering
    the password again whenever a sign-in attempt is used up, until the address is refused.
    `pace`: wait out django-otp's growing delay after each failure (2^(n-1) s), as a patient
    attacker would. Returns how many codes were checked."""
    client = browser(ip)
    pass_password(client, user)
    checked = 0
    while checked < count:
        if pace and checked:
            wait(2 ** (checked - 1) + 1)  # past the delay the previous failure set
        page = post_code(client, code, emergency=emergency)
        if WRONG_CODE in page:
            checked += 1
        elif "Enter your password again" in page:
            pass_password(client, user)
        else:
            break  # this address, or the person, is refused
    return checked


def known_browser_of(user: User, device: TOTPDevice) -> Client:
    """The owner's laptop: signed in with both factors once, so the browser is known."""
    laptop = browser(OWNER_IP)
    pass_password(laptop, user)
    assert signs_in_with(laptop, code_for(device))
    laptop.post(reverse("accounts:logout"))
    wait(31)  # the next TOTP step: the code just used is spent
    return laptop


# --- The replay of the finding ----------------------------------------------------------------


def test_paced_wrong_codes_from_one_address_leave_the_owners_code_working(alice: User) -> None:
    device = with_authenticator(alice)
    per_address, _window = settings.RATE_LIMITS["two-factor-address"]
    wrong_codes_from(ATTACKER_IPS[0], alice, per_address, wrong_code(device), pace=True)

    owner = browser(OWNER_IP)
    pass_password(owner, alice)

    assert signs_in_with(owner, code_for(device))


def test_wrong_emergency_codes_from_the_attacker_leave_the_owners_emergency_code_working(
    alice: User,
) -> None:
    with_authenticator(alice)
    codes = services.do_regenerate_emergency_codes(alice, actor=alice)
    per_address, _window = settings.RATE_LIMITS["two-factor-address"]
    wrong_codes_from(ATTACKER_IPS[0], alice, per_address, "aaaaa-aaaaa", emergency=True, pace=True)

    owner = browser(OWNER_IP)
    pass_password(owner, alice)

    assert signs_in_with(owner, codes[0], emergency=True)


# --- Per sign-in attempt --------------------------------------------------------------------------


def test_a_sign_in_attempt_takes_a_few_codes_then_asks_for_the_password_again(
    alice: User,
) -> None:
    device = with_authenticator(alice)
    per_attempt, _window = settings.RATE_LIMITS["two-factor-attempt"]
    attacker = browser(ATTACKER_IPS[0])
    pass_password(attacker, alice)
    for _ in range(per_attempt):
        assert WRONG_CODE in post_code(attacker, wrong_code(device))

    response = attacker.post(VERIFY_URL, {"code": code_for(device)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Too many wrong codes. Enter your password again." in unescaped_html(response)
    assert not is_verified(attacker)
    # The attempt is over: the right code in that session no longer signs in.
    assert attacker.get(VERIFY_URL)["Location"] == reverse("accounts:login")


# --- The person's ceiling ----------------------------------------------------------------------


def exhaust_the_person_ceiling(user: User, device: TOTPDevice) -> None:
    """Wrong codes from address after address until the person's ceiling refuses them."""
    for ip in ATTACKER_IPS:
        wrong_codes_from(ip, user, settings.RATE_LIMITS["two-factor"][0], wrong_code(device))


def refused_to_a_new_browser(user: User, device: TOTPDevice) -> bool:
    newcomer = browser("198.51.100.1")
    pass_password(newcomer, user)
    return "Too many wrong codes for this account." in post_code(newcomer, code_for(device))


def test_the_person_ceiling_refuses_a_new_browser_and_tells_the_owner_once(alice: User) -> None:
    device = with_authenticator(alice)
    exhaust_the_person_ceiling(alice, device)

    stranger_browser = browser("198.51.100.1")
    pass_password(stranger_browser, alice)
    page = post_code(stranger_browser, code_for(device))
    assert "Too many wrong codes for this account." in page
    assert not is_verified(stranger_browser)
    post_code(stranger_browser, code_for(device))  # refused again: still one email

    [email] = Notification.objects.filter(kind="two_factor_codes_refused", recipient=alice)
    assert "knows your password" in email.body_text
    assert reverse("compromised:password") in email.body_text
    assert (
        AuditEvent.objects.filter(action="two_factor.codes_limited", subject_user=alice).count()
        == 1
    )


def test_the_person_ceiling_spares_the_owners_known_browser(alice: User) -> None:
    device = with_authenticator(alice)
    laptop = known_browser_of(alice, device)
    exhaust_the_person_ceiling(alice, device)
    assert refused_to_a_new_browser(alice, device)

    pass_password(laptop, alice)

    assert signs_in_with(laptop, code_for(device))


def test_a_new_password_gives_the_owner_fresh_counters(alice: User) -> None:
    device = with_authenticator(alice)
    exhaust_the_person_ceiling(alice, device)
    assert refused_to_a_new_browser(alice, device)
    accounts_services.do_change_password(alice, NEW_PASSWORD, actor=alice, keep_session_key=None)

    new_phone_browser = browser("198.51.100.1")
    pass_password(new_phone_browser, alice, NEW_PASSWORD)

    assert signs_in_with(new_phone_browser, code_for(device))


def test_the_device_keeps_no_growing_delay_anyone_can_set_off(alice: User) -> None:
    """django-otp's delay after wrong codes is kept on the device, for everyone at once: the
    counters above replace it."""
    device = with_authenticator(alice)
    attacker = browser(ATTACKER_IPS[0])
    pass_password(attacker, alice)
    post_code(attacker, wrong_code(device))
    device.refresh_from_db()

    allowed, _info = device.verify_is_allowed()

    assert allowed
