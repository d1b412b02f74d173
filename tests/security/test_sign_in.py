"""The second step of signing in (security/second_step.py and the `verify` page): after the
right password, a person with two-factor authentication is signed in only once a code is
accepted, and the session is then verified."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import User
from core.models import AuditEvent, Notification
from security import second_step, services
from security.models import EmergencyCodesDevice, TOTPDevice
from tests.accounts.helpers import link_in
from tests.conftest import unescaped_html, with_authenticator
from tests.security.helpers import (
    VERIFY_URL,
    code_for,
    is_signed_in,
    is_verified,
    sign_in,
    wrong_code,
)

pytestmark = pytest.mark.django_db

WRONG_CODE_ERROR = "This code is not right, or it was already used."
NEW_PASSWORD = "seven purple owls read the morning paper"


def submit(client: Client, code: str, method: str | None = None) -> Any:
    data = {"code": code}
    if method is not None:
        data["method"] = method
    return client.post(VERIFY_URL, data)


def emergency_codes(user: User) -> list[str]:
    return services.do_regenerate_emergency_codes(user, actor=user)


# --- The password alone does not sign in ---------------------------------------------------------


def test_sign_in_with_two_factor_asks_for_a_code(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    with_authenticator(alice)
    response = sign_in(client, alice)
    assert response.status_code == 302
    assert response["Location"] == VERIFY_URL
    assert not is_signed_in(client)
    page = client.get(VERIFY_URL)
    assert page.status_code == 200
    assert "Enter the 6-digit code shown by your authenticator app (Phone)." in unescaped_html(page)


def test_sign_in_without_two_factor_signs_in_at_once(client: Client, bob: User) -> None:
    response = sign_in(client, bob)
    assert response["Location"] == reverse("home")
    assert is_signed_in(client)
    assert not is_verified(client)


def test_sign_in_with_wrong_password_never_reaches_the_second_step(
    client: Client, alice: User
) -> None:
    with_authenticator(alice)
    response = client.post(
        reverse("accounts:login"), {"email": alice.email, "password": "not the password"}
    )
    assert response.status_code == 200
    assert client.get(VERIFY_URL)["Location"] == reverse("accounts:login")


def test_verify_page_without_a_password_first_sends_to_sign_in(client: Client) -> None:
    response = client.get(VERIFY_URL, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Please sign in again." in unescaped_html(response)


# --- The code -----------------------------------------------------------------------------------


def test_sign_in_with_right_code_signs_in_verified(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice)
    response = submit(client, code_for(device))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert is_signed_in(client)
    assert is_verified(client)
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert TOTPDevice.objects.get(pk=device.pk).last_used_at is not None


def test_sign_in_with_right_code_keeps_next(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    response = sign_in(client, alice, next_url="/accounts/sessions/")
    assert response["Location"] == VERIFY_URL
    response = submit(client, code_for(device))
    assert response["Location"] == "/accounts/sessions/"


def test_sign_in_with_external_next_goes_home(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice, next_url="https://evil.example/")
    assert submit(client, code_for(device))["Location"] == reverse("home")


def test_sign_in_changes_the_session_key_at_each_step(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    client.get(reverse("accounts:login"))
    before = client.session.session_key
    sign_in(client, alice)
    pending = client.session.session_key
    submit(client, code_for(device))
    assert len({before, pending, client.session.session_key}) == 3


def test_sign_in_with_wrong_code_shows_error_and_records_it(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice)
    response = submit(client, wrong_code(device))
    assert response.status_code == 200
    assert WRONG_CODE_ERROR in unescaped_html(response)
    assert not is_signed_in(client)
    event = AuditEvent.objects.get(action="two_factor.failed")
    assert (event.subject_user, event.actor) == (alice, None)
    assert event.target_id == str(device.pk)


def test_sign_in_with_empty_code_shows_error(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    with_authenticator(alice)
    sign_in(client, alice)
    response = submit(client, "")
    assert response.status_code == 200
    assert not is_signed_in(client)


@pytest.mark.parametrize("steps", [-1, 1])
def test_sign_in_with_code_of_neighbour_step_is_accepted(
    clock: time_machine.Traveller, client: Client, alice: User, steps: int
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice)
    submit(client, code_for(device, steps=steps))
    assert is_verified(client)


def test_sign_in_with_code_two_steps_old_is_refused(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice)
    assert WRONG_CODE_ERROR in unescaped_html(submit(client, code_for(device, steps=-2)))
    assert not is_signed_in(client)


def test_sign_in_with_code_used_in_an_earlier_sign_in_is_refused(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    code = code_for(device)
    first = Client()
    sign_in(first, alice)
    submit(first, code)
    assert is_verified(first)
    clock.shift(timedelta(seconds=10))  # same step: an eavesdropper replays the code
    second = Client()
    sign_in(second, alice)
    assert WRONG_CODE_ERROR in unescaped_html(submit(second, code))
    assert not is_signed_in(second)


# --- Throttling ---------------------------------------------------------------------------------


def test_sign_in_after_ten_tries_is_limited_per_account_and_address(
    clock: time_machine.Traveller, settings: Any, alice: User
) -> None:
    """The "two-factor-address" limit counts every try of the account from one address, from
    any browser there, over several sign-in attempts."""
    device = with_authenticator(alice)
    attacker = Client()
    sign_in(attacker, alice)
    for n in range(10):
        if n == 5:  # a sign-in attempt takes 5 codes: then the password again
            sign_in(attacker, alice)
        assert WRONG_CODE_ERROR in unescaped_html(submit(attacker, wrong_code(device)))
    sign_in(attacker, alice)
    response = submit(attacker, code_for(device))
    assert "Too many wrong codes from this address. Try again in 15 minutes." in unescaped_html(
        response
    )
    assert not is_signed_in(attacker)
    other = Client()
    sign_in(other, alice)
    assert "Too many wrong codes from this address." in unescaped_html(
        submit(other, code_for(device))
    )
    assert not is_signed_in(other)
    # The right code was never tried, so it still works when the window is over (the pending
    # sign-in has expired by then: the password comes first again).
    clock.shift(timedelta(minutes=15))
    sign_in(other, alice)
    submit(other, code_for(device))
    assert is_verified(other)


def test_sign_in_limit_of_one_account_spares_another(
    clock: time_machine.Traveller, settings: Any, alice: User, bob: User
) -> None:
    alices, bobs = with_authenticator(alice), with_authenticator(bob)
    attacker = Client()
    sign_in(attacker, alice)
    for _ in range(11):
        submit(attacker, wrong_code(alices))
    client = Client()
    sign_in(client, bob)
    submit(client, code_for(bobs))
    assert is_verified(client)


# --- The pending step expires -------------------------------------------------------------------


def test_sign_in_code_just_before_the_pending_step_expires_is_accepted(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice)
    clock.shift(timedelta(seconds=second_step.PENDING_MAX_AGE - 1))
    submit(client, code_for(device))
    assert is_verified(client)


def test_sign_in_code_after_the_pending_step_expired_asks_for_the_password_again(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    sign_in(client, alice)
    clock.shift(timedelta(seconds=second_step.PENDING_MAX_AGE + 1))
    response = client.post(VERIFY_URL, {"code": code_for(device)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Please sign in again." in unescaped_html(response)
    assert not is_signed_in(client)
    assert TOTPDevice.objects.get(pk=device.pk).last_t == -1  # the code was not even tried


def test_pending_step_lasts_minutes_not_hours() -> None:
    assert 60 <= second_step.PENDING_MAX_AGE <= 15 * 60


# --- Choosing the method ------------------------------------------------------------------------


def test_sign_in_offers_the_preferred_method_first(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    with_authenticator(alice)
    tablet = with_authenticator(alice)
    TOTPDevice.objects.filter(pk=tablet.pk).update(name="Tablet")
    tablet.refresh_from_db()
    services.do_set_preferred_method(alice, tablet, actor=alice)
    sign_in(client, alice)
    page = unescaped_html(client.get(VERIFY_URL))
    assert "your authenticator app (Tablet)" in page
    assert "Authenticator app: Phone" in page  # under "try another way"


def test_sign_in_with_another_of_own_methods(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    with_authenticator(alice)
    tablet = with_authenticator(alice)
    sign_in(client, alice)
    page = client.get(VERIFY_URL, {"method": tablet.persistent_id})
    assert f'value="{tablet.persistent_id}"' in unescaped_html(page)
    submit(client, code_for(tablet), method=tablet.persistent_id)
    assert is_verified(client)


def test_sign_in_with_another_persons_device_id_is_ignored(
    clock: time_machine.Traveller, client: Client, alice: User, bob: User
) -> None:
    mine, bobs = with_authenticator(alice), with_authenticator(bob)
    sign_in(client, alice)
    page = unescaped_html(client.get(VERIFY_URL, {"method": bobs.persistent_id}))
    assert f'value="{mine.persistent_id}"' in page
    assert bobs.persistent_id not in page
    # Bob's device is never asked: his code does not sign in as Alice, and his device records
    # neither a use nor a failure.
    submit(client, code_for(bobs), method=bobs.persistent_id)
    assert not is_signed_in(client)
    bobs.refresh_from_db()
    assert (bobs.last_t, bobs.throttling_failure_count) == (-1, 0)
    event = AuditEvent.objects.get(action="two_factor.failed")
    assert event.target_id == str(mine.pk)


@pytest.mark.parametrize(
    "method",
    [
        "security.totpdevice/99999",
        "nonsense",
        "security.totpdevice/x",
        "nosuchapp.model/1",
        "auth.group/1",
    ],
)
def test_sign_in_with_unknown_method_falls_back_to_own(
    clock: time_machine.Traveller, client: Client, alice: User, method: str
) -> None:
    mine = with_authenticator(alice)
    sign_in(client, alice)
    page = client.get(VERIFY_URL, {"method": method})
    assert page.status_code == 200
    assert f'value="{mine.persistent_id}"' in unescaped_html(page)


def test_sign_in_with_unconfirmed_own_device_is_ignored(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    mine = with_authenticator(alice)
    pending = services.do_start_totp(alice, name="Half set up")
    sign_in(client, alice)
    page = unescaped_html(client.get(VERIFY_URL, {"method": pending.persistent_id}))
    assert f'value="{mine.persistent_id}"' in page
    submit(client, code_for(pending), method=pending.persistent_id)
    assert not is_signed_in(client)


# --- Emergency codes ----------------------------------------------------------------------------


def test_sign_in_with_emergency_code_signs_in_once(
    clock: time_machine.Traveller, alice: User
) -> None:
    with_authenticator(alice)
    codes = emergency_codes(alice)
    client = Client()
    sign_in(client, alice)
    page = client.get(VERIFY_URL, {"method": "emergency"})
    assert "Enter one of your emergency codes." in unescaped_html(page)
    response = submit(client, codes[0], method="emergency")
    assert response["Location"] == reverse("home")
    assert is_verified(client)
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 9
    email = Notification.objects.get(kind="emergency_code_used")
    assert email.to == alice.email
    assert "9 codes are left" in email.body_text
    assert AuditEvent.objects.filter(action="two_factor.emergency_code_used").count() == 1

    clock.shift(timedelta(seconds=5))
    again = Client()
    sign_in(again, alice)
    assert WRONG_CODE_ERROR in unescaped_html(submit(again, codes[0], method="emergency"))
    assert not is_signed_in(again)
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 9
    assert Notification.objects.filter(kind="emergency_code_used").count() == 1


def test_sign_in_with_two_emergency_codes_tells_each_use(
    clock: time_machine.Traveller, alice: User
) -> None:
    with_authenticator(alice)
    codes = emergency_codes(alice)
    for code in codes[:2]:
        client = Client()
        sign_in(client, alice)
        submit(client, code, method="emergency")
        assert is_verified(client)
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 8
    bodies = Notification.objects.filter(kind="emergency_code_used").values_list(
        "body_text", flat=True
    )
    assert sorted("8 codes are left" in b for b in bodies) == [False, True]


def test_sign_in_with_code_from_the_app_in_the_emergency_form_is_refused(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    emergency_codes(alice)
    sign_in(client, alice)
    assert WRONG_CODE_ERROR in unescaped_html(submit(client, code_for(device), method="emergency"))
    assert not is_signed_in(client)


def test_sign_in_with_emergency_code_in_the_app_form_is_refused(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    with_authenticator(alice)
    codes = emergency_codes(alice)
    sign_in(client, alice)
    submit(client, codes[0])
    assert not is_signed_in(client)
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10


def test_sign_in_with_another_persons_emergency_code_is_refused(
    clock: time_machine.Traveller, client: Client, alice: User, bob: User
) -> None:
    with_authenticator(alice)
    with_authenticator(bob)
    emergency_codes(alice)
    bobs = emergency_codes(bob)
    sign_in(client, alice)
    submit(client, bobs[0], method="emergency")
    assert not is_signed_in(client)
    assert EmergencyCodesDevice.objects.get(user=bob).remaining == 10


# --- A password reset does not bypass the second factor ----------------------------------------


def test_password_reset_then_sign_in_still_asks_for_the_code(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    client.post(reverse("accounts:password-reset"), {"email": alice.email})
    link = link_in(Notification.objects.get(kind="password_reset"))
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in(client)
    response = client.post(
        reverse("accounts:login"), {"email": alice.email, "password": NEW_PASSWORD}
    )
    assert response["Location"] == VERIFY_URL
    assert not is_signed_in(client)
    submit(client, code_for(device))
    assert is_verified(client)


# --- A half-finished sign-in dies with the password (issue 12, finding 4) ---------------------


def reset_password_by_email(user: User) -> None:
    """The owner follows "forgot your password" in her own browser and sets a new one."""
    owner = Client()
    owner.post(reverse("accounts:password-reset"), {"email": user.email})
    link = link_in(Notification.objects.filter(kind="password_reset").latest("pk"))
    form_url = owner.get(link)["Location"]
    response = owner.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == reverse("accounts:login")


def test_pending_sign_in_refuses_the_right_code_after_a_password_reset(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    attacker = Client()
    assert sign_in(attacker, alice)["Location"] == VERIFY_URL
    reset_password_by_email(alice)

    response = attacker.post(VERIFY_URL, {"code": code_for(device)}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Please sign in again." in unescaped_html(response)
    assert not is_signed_in(attacker)
    assert TOTPDevice.objects.get(pk=device.pk).last_t == -1  # the code was not even tried


def test_pending_sign_in_refuses_the_right_code_after_a_password_change(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = with_authenticator(alice)
    attacker = Client()
    sign_in(attacker, alice)
    accounts_services.do_change_password(alice, NEW_PASSWORD, actor=alice, keep_session_key=None)

    response = submit(attacker, code_for(device))

    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in(attacker)


def test_pending_sign_in_refuses_security_keys_after_a_password_reset(
    clock: time_machine.Traveller, alice: User
) -> None:
    with_authenticator(alice)
    attacker = Client()
    sign_in(attacker, alice)
    options_url = reverse("security:verify-security-key-options")
    assert attacker.post(options_url).status_code != 403
    reset_password_by_email(alice)

    assert attacker.post(options_url).status_code == 403
    response = attacker.post(
        reverse("security:verify-security-key"), "{}", content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == {"message": "Please sign in again."}


def test_pending_sign_in_cannot_ask_for_assistance_after_a_password_reset(
    clock: time_machine.Traveller, alice: User
) -> None:
    with_authenticator(alice)
    attacker = Client()
    sign_in(attacker, alice)
    assert attacker.get(reverse("security:recovery")).status_code == 200
    reset_password_by_email(alice)

    assert attacker.get(reverse("security:recovery"))["Location"] == reverse("accounts:login")


def test_pending_sign_in_with_the_new_password_still_works_after_a_reset(
    clock: time_machine.Traveller, client: Client, alice: User
) -> None:
    device = with_authenticator(alice)
    reset_password_by_email(alice)
    client.post(reverse("accounts:login"), {"email": alice.email, "password": NEW_PASSWORD})
    submit(client, code_for(device))
    assert is_verified(client)
