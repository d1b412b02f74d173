"""kAuth in the browser: adding the app (QR code, confirmation with its offline code), and the
second step of signing in with it (the number to pick, htmx polling, deny, a wrong number,
expiry, the binding to one browser, the push limit, the offline code).

The phone is played by HTTP requests to its API, as the app makes them; offline codes come from
pyotp, an RFC 6238 implementation independent of the portal's.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import services as accounts_services
from accounts.models import User
from core.crypto import digest
from core.models import AuditEvent, Notification
from security import kauth, services
from security.kauth_views import ENROLLMENT_CODE_KEY
from security.methods import has_two_factor
from security.models import KAuthChallenge, KAuthDevice, KAuthEnrollment
from security.second_step import KAUTH_ATTEMPT_KEY
from tests.conftest import ClientResponse, signed_in, unescaped_html
from tests.factories import PASSWORD

VERIFY_URL = reverse("security:verify")
ADD_URL = reverse("security:kauth-add")
ENROLL_API = reverse("security:kauth-api-enroll")
LOGIN_IP = "203.0.113.7"
OTHER_IP = "192.0.2.99"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
DASHBOARD = "/orgs/acme/"

DENIED = "The request was denied on your phone."
WRONG_NUMBER = "A different number was typed on the phone. Send a new request."
EXPIRED = "The request expired. Send a new request."
NOT_YET = "The request is not approved yet. Check your phone."
CODE_REFUSED = "This code is not right, or it was already used."


def next_full_hour() -> datetime:
    """The start of every rate-limit window and of a 30-second step."""
    return datetime.fromtimestamp((int(time.time()) // 3600 + 1) * 3600, tz=UTC)


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(next_full_hour(), tick=False) as traveller:
        yield traveller


class Phone:
    """The kAuth app: registers with the QR code's link and answers through the API."""

    def __init__(self) -> None:
        self.client = Client(REMOTE_ADDR="198.51.100.20")
        self.credential = ""
        self.seed = ""

    def _post(self, url: str, body: dict[str, Any]) -> ClientResponse:
        return self.client.post(
            url,
            data=json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"KAuth {self.credential}"} if self.credential else {},
        )

    def enroll(self, code: str) -> ClientResponse:
        response = self._post(ENROLL_API, {"code": code})
        if response.status_code == 201:
            self.credential = response.json()["credential"]
            self.seed = response.json()["seed"]
        return response

    def code(self) -> str:
        return pyotp.TOTP(self.seed).now()

    def pending(self) -> list[dict[str, Any]]:
        response = self.client.get(
            reverse("security:kauth-api-challenges"),
            headers={"Authorization": f"KAuth {self.credential}"},
        )
        assert response.status_code == 200, response.content
        challenges: list[dict[str, Any]] = response.json()["challenges"]
        return challenges

    def answer(self, challenge_id: str, verb: str, number: int | None = None) -> ClientResponse:
        url = reverse("security:kauth-api-answer", args=[challenge_id, verb])
        return self._post(url, {"number": number} if verb == "approve" else {})

    def approve(self, number: int) -> ClientResponse:
        [waiting] = self.pending()
        return self.answer(waiting["id"], "approve", number)

    def deny(self) -> ClientResponse:
        [waiting] = self.pending()
        return self.answer(waiting["id"], "deny")


def with_kauth(user: User) -> tuple[KAuthDevice, Phone]:
    """`user` has kAuth, registered and confirmed with its offline code (no other method)."""
    phone = Phone()
    _enrollment, code = kauth.do_start_enrollment(user, name="Pixel")
    assert phone.enroll(code).status_code == 201
    device = KAuthDevice.objects.get(credential_digest=digest(phone.credential))
    services.do_confirm_method(device, phone.code(), actor=user, keep_session_key=None)
    return device, phone


def browser(ip: str = LOGIN_IP, user_agent: str = FIREFOX) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)


def pass_password(client: Client, user: User, *, next_url: str | None = None) -> ClientResponse:
    data = {"email": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 302, unescaped_html(response)
    assert response["Location"] == VERIFY_URL
    return response


def verify_post(
    client: Client, device: KAuthDevice, action: str, *, htmx: bool = False
) -> ClientResponse:
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        VERIFY_URL, {"action": action, "method": device.persistent_id}, headers=headers
    )


def attempt_of(client: Client) -> dict[str, str]:
    attempt: dict[str, str] = client.session[KAUTH_ATTEMPT_KEY]
    return attempt


def challenge_of(client: Client) -> KAuthChallenge:
    return KAuthChallenge.objects.get(public_id=attempt_of(client)["challenge"])


def shown_number(page: str) -> int:
    match = re.search(r'class="match-number"[^>]*>\s*(\d{2})\s*<', page)
    assert match, "no number to pick on the page"
    return int(match.group(1))


def is_verified(client: Client) -> bool:
    response = client.get(reverse("accounts:profile"))
    user = response.wsgi_request.user
    return response.status_code == 200 and bool(user.is_authenticated and user.is_verified())  # type: ignore[attr-defined]  # django-otp's middleware adds it


def is_signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:profile"))
    return response.status_code == 200 and response.wsgi_request.user.is_authenticated


def enroll_link_code(page: str) -> str | None:
    match = re.search(r"/security/kauth/enroll/([A-Za-z0-9_-]+)/", page)
    return match.group(1) if match else None


# --- Adding kAuth -------------------------------------------------------------------------------


def test_kauth_add_get_creates_nothing(as_alice: Client, alice: User) -> None:
    response = as_alice.get(ADD_URL)

    assert response.status_code == 200
    assert "Add the kAuth app" in unescaped_html(response)
    assert not KAuthEnrollment.objects.exists()


def test_kauth_add_needs_a_recent_password(alice: User) -> None:
    client = signed_in(alice, recent_password=False)

    response = client.post(ADD_URL, {"name": "Pixel"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert not KAuthEnrollment.objects.exists()


def test_kauth_add_post_shows_the_qr_code_and_link_not_to_be_kept(
    as_alice: Client, alice: User, settings: Any
) -> None:
    response = as_alice.post(ADD_URL, {"name": "Alice's Pixel"})

    enrollment = KAuthEnrollment.objects.get(user=alice)
    assert enrollment.name == "Alice's Pixel"
    assert response.status_code == 302
    assert response["Location"] == reverse("security:kauth-enroll", args=[enrollment.pk])
    page = as_alice.get(response["Location"])
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    body = unescaped_html(page)
    assert 'aria-label="QR code to connect kAuth"><svg' in body
    code = enroll_link_code(body)
    assert code is not None
    assert f'value="{settings.PORTAL_BASE_URL}/security/kauth/enroll/{code}/"' in body
    assert digest(code) == enrollment.code_digest
    assert "The code works once, for 10 minutes." in body


def test_kauth_enroll_link_opened_in_a_browser_explains_and_changes_nothing(
    as_alice: Client, alice: User
) -> None:
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    code = enroll_link_code(
        unescaped_html(as_alice.get(reverse("security:kauth-enroll", args=[enrollment.pk])))
    )
    assert code is not None

    response = Client().get(reverse("security:kauth-enroll-link", args=[code]))

    assert response.status_code == 200
    assert "This link is for the kAuth app" in unescaped_html(response)
    enrollment.refresh_from_db()
    assert enrollment.is_usable


def test_kauth_enroll_page_after_the_app_registered_no_longer_shows_the_code(
    as_alice: Client, alice: User
) -> None:
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    url = reverse("security:kauth-enroll", args=[enrollment.pk])
    code = enroll_link_code(unescaped_html(as_alice.get(url)))
    assert code is not None
    assert Phone().enroll(code).status_code == 201

    page = unescaped_html(as_alice.get(url))

    assert "QR code to connect kAuth" not in page
    assert enroll_link_code(page) is None
    assert code not in page
    assert 'name="code"' in page  # the person now types the code the app shows


def test_kauth_enroll_page_ten_minutes_later_says_start_again(
    as_alice: Client, alice: User, settings: Any, frozen: time_machine.Traveller
) -> None:
    # The frozen clock may stand up to an hour after the real time of the password confirmation.
    settings.REAUTH_MAX_AGE = timedelta(hours=3)
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    url = reverse("security:kauth-enroll", args=[enrollment.pk])
    code = enroll_link_code(unescaped_html(as_alice.get(url)))
    assert code is not None
    frozen.shift(timedelta(minutes=10))

    response = as_alice.get(url)

    page = unescaped_html(response)
    assert "QR code to connect kAuth" not in page
    assert code not in page
    assert "This QR code is no longer shown: it expired or was used." in page
    assert f'href="{ADD_URL}"' in page
    assert "Start again" in page
    assert Phone().enroll(code).status_code == 400


def test_kauth_enroll_page_in_another_session_does_not_show_the_code(
    as_alice: Client, alice: User
) -> None:
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    url = reverse("security:kauth-enroll", args=[enrollment.pk])
    code = enroll_link_code(unescaped_html(as_alice.get(url)))
    assert code is not None

    page = unescaped_html(signed_in(alice).get(url))

    assert "QR code to connect kAuth" not in page
    assert code not in page


def test_kauth_enroll_page_of_another_person_is_not_found(
    as_alice: Client, alice: User, bob: User
) -> None:
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)

    response = signed_in(bob).get(reverse("security:kauth-enroll", args=[enrollment.pk]))

    assert response.status_code == 404


def test_kauth_confirm_before_the_app_registered_is_refused(as_alice: Client, alice: User) -> None:
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)

    response = as_alice.post(
        reverse("security:kauth-enroll", args=[enrollment.pk]), {"code": "123456"}
    )

    assert response.status_code == 200
    assert "kAuth has not registered yet: scan the QR code with the app first." in unescaped_html(
        response
    )
    assert not has_two_factor(alice)


def test_kauth_confirm_with_a_wrong_code_is_refused(as_alice: Client, alice: User) -> None:
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    url = reverse("security:kauth-enroll", args=[enrollment.pk])
    code = enroll_link_code(unescaped_html(as_alice.get(url)))
    phone = Phone()
    phone.enroll(str(code))
    totp = pyotp.TOTP(phone.seed)
    near = {totp.at(time.time() + s * 30) for s in range(-2, 3)}
    wrong = next(f"{n:06d}" for n in range(0, 1_000_000, 7919) if f"{n:06d}" not in near)

    response = as_alice.post(url, {"code": wrong})

    assert response.status_code == 200
    assert "This code is not right. Enter the code kAuth shows now." in unescaped_html(response)
    assert not KAuthDevice.objects.get(user=alice).confirmed
    assert not has_two_factor(alice)


def test_kauth_confirm_with_the_offline_code_turns_two_factor_on(
    as_alice: Client, alice: User
) -> None:
    other_session = signed_in(alice)
    as_alice.post(ADD_URL, {"name": "Pixel"})
    enrollment = KAuthEnrollment.objects.get(user=alice)
    url = reverse("security:kauth-enroll", args=[enrollment.pk])
    code = enroll_link_code(unescaped_html(as_alice.get(url)))
    phone = Phone()
    assert phone.enroll(str(code)).status_code == 201
    assert not has_two_factor(alice)

    response = as_alice.post(url, {"code": phone.code()})

    assert response.status_code == 302
    assert response["Location"] == reverse("security:emergency-codes-new")
    assert has_two_factor(alice)
    assert KAuthDevice.objects.get(user=alice).confirmed
    assert ENROLLMENT_CODE_KEY not in as_alice.session
    codes_page = unescaped_html(as_alice.get(response["Location"]))
    assert len(re.findall(r"<li><code>[a-z0-9]{5}-[a-z0-9]{5}</code></li>", codes_page)) == 10
    assert is_verified(as_alice)
    assert not is_signed_in(other_session)  # opened with the password alone
    methods_page = unescaped_html(as_alice.get(reverse("security:two-factor")))
    assert "Two-factor authentication is on, with 1 method." in methods_page
    assert "kAuth app" in methods_page
    assert "Pixel" in methods_page
    assert Notification.objects.filter(kind="two_factor_method_added", recipient=alice).exists()


def test_sign_in_with_kauth_registered_but_not_confirmed_needs_no_second_step(
    alice: User,
) -> None:
    _enrollment, code = kauth.do_start_enrollment(alice, name="Pixel")
    assert Phone().enroll(code).status_code == 201
    client = browser()

    response = client.post(reverse("accounts:login"), {"email": alice.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] != VERIFY_URL
    assert is_signed_in(client)
    assert not KAuthChallenge.objects.exists()


# --- Signing in: the request and its number -----------------------------------------------------


def test_sign_in_pushes_a_request_and_shows_its_number(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()

    pass_password(client, alice)

    challenge = challenge_of(client)
    assert challenge.device == device
    assert challenge.status == KAuthChallenge.Status.PENDING
    [waiting] = phone.pending()
    assert (waiting["ip"], waiting["browser"]) == (LOGIN_IP, "Firefox · Linux")
    page = unescaped_html(client.get(VERIFY_URL))
    assert "Approve the sign-in on your kAuth app by typing this number there:" in page
    assert shown_number(page) == challenge.number
    assert 'hx-trigger="every 2s"' in page
    assert not is_signed_in(client)


def test_sign_in_approved_with_the_right_number_completes_once(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    number = shown_number(unescaped_html(client.get(VERIFY_URL)))
    assert phone.approve(number).json() == {"status": "approved"}
    challenge = challenge_of(client)

    response = verify_post(client, device, "complete")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_verified(client)
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.USED
    device.refresh_from_db()
    assert device.last_used_at is not None
    # Nothing is left to complete: the sign-in attempt is over.
    again = verify_post(client, device, "complete")
    assert again.status_code == 302
    assert again["Location"] == reverse("accounts:login")
    assert phone.pending() == []


def test_sign_in_with_a_used_request_is_refused_in_a_later_attempt(alice: User) -> None:
    device, phone = with_kauth(alice)
    first = browser()
    pass_password(first, alice)
    stolen = attempt_of(first)
    phone.approve(challenge_of(first).number)
    assert verify_post(first, device, "complete").status_code == 302
    later = browser(OTHER_IP, SAFARI)
    pass_password(later, alice)
    session = later.session
    session[KAUTH_ATTEMPT_KEY] = stolen
    session.save()

    response = verify_post(later, device, "complete")

    assert response.status_code == 200
    assert not is_signed_in(later)


def test_sign_in_approved_with_a_wrong_number_cannot_complete(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    challenge = challenge_of(client)
    decoy = 10 + (challenge.number - 10 + 1) % 90
    assert phone.approve(decoy).json() == {"status": "failed"}

    response = verify_post(client, device, "complete")

    assert response.status_code == 200
    assert WRONG_NUMBER in unescaped_html(response)
    assert not is_signed_in(client)
    assert WRONG_NUMBER in unescaped_html(client.get(VERIFY_URL))


def test_sign_in_denied_cannot_complete_and_warns_the_person(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)

    assert phone.deny().json() == {"status": "denied"}

    response = verify_post(client, device, "complete")
    assert response.status_code == 200
    assert DENIED in unescaped_html(response)
    assert not is_signed_in(client)
    email = Notification.objects.get(kind="kauth_denied", recipient=alice)
    assert LOGIN_IP in email.body_text
    assert reverse("compromised:password") in email.body_text
    event = AuditEvent.objects.get(action="two_factor.kauth_denied")
    assert event.subject_user == alice


def test_sign_in_denied_ends_the_attempt(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    phone.deny()

    verify_post(client, device, "push")

    assert KAuthChallenge.objects.filter(status=KAuthChallenge.Status.PENDING).count() == 0
    assert phone.pending() == []


def test_sign_in_request_expires_after_two_minutes(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    challenge = challenge_of(client)
    frozen.shift(timedelta(minutes=2))

    late = phone.answer(str(challenge.public_id), "approve", challenge.number)

    assert late.status_code == 409
    assert phone.pending() == []
    response = verify_post(client, device, "complete")
    assert EXPIRED in unescaped_html(response)
    polled = verify_post(client, device, "complete", htmx=True)
    assert EXPIRED in unescaped_html(polled)
    assert "hx-post" not in unescaped_html(polled)
    assert not is_signed_in(client)


def test_sign_in_approved_but_completed_too_late_says_expired(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    frozen.shift(timedelta(seconds=110))
    phone.approve(challenge_of(client).number)
    frozen.shift(timedelta(seconds=15))

    polled = verify_post(client, device, "complete", htmx=True)

    assert not is_signed_in(client)
    assert EXPIRED in unescaped_html(polled)


def test_sign_in_request_of_browser_a_cannot_be_completed_by_browser_b(alice: User) -> None:
    device, phone = with_kauth(alice)
    browser_b = browser(OTHER_IP, SAFARI)
    pass_password(browser_b, alice)
    browser_a = browser()
    pass_password(browser_a, alice)  # its request replaces B's: one pending per phone
    request_a, request_b = challenge_of(browser_a), challenge_of(browser_b)
    assert request_a != request_b
    approved = phone.answer(str(request_a.public_id), "approve", request_a.number)
    assert approved.json() == {"status": "approved"}

    # B completes its own attempt: nothing approved it, and it was replaced.
    response = verify_post(browser_b, device, "complete")
    assert "The request expired. Send a new request." in unescaped_html(response)
    assert not is_signed_in(browser_b)
    # B presents A's request with its own attempt secret: not its request.
    session = browser_b.session
    session[KAUTH_ATTEMPT_KEY] = {
        "challenge": str(request_a.public_id),
        "secret": attempt_of(browser_b)["secret"],
    }
    session.save()
    assert verify_post(browser_b, device, "complete").status_code == 200
    assert not is_signed_in(browser_b)
    # A still completes.
    assert verify_post(browser_a, device, "complete").status_code == 302
    assert is_verified(browser_a)


# --- Sending a new request, and the limit -------------------------------------------------------


def test_send_a_new_request_shows_the_new_number(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    first = challenge_of(client)

    response = verify_post(client, device, "push")

    assert response.status_code == 200
    second = challenge_of(client)
    assert second != first
    assert second.status == KAuthChallenge.Status.PENDING
    assert str(second.public_id) in [c["id"] for c in phone.pending()]
    assert shown_number(unescaped_html(response)) == second.number
    assert "Send a new request" in unescaped_html(response)
    # The browser follows the new request only: approving the old one does not sign it in.
    phone.answer(str(first.public_id), "approve", first.number)
    assert verify_post(client, device, "complete").status_code == 200
    assert not is_signed_in(client)


def test_send_a_new_request_retires_the_waiting_one(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    first = challenge_of(client)

    verify_post(client, device, "push")

    second = challenge_of(client)
    assert [c["id"] for c in phone.pending()] == [str(second.public_id)]
    first.refresh_from_db()
    assert first.is_expired
    assert phone.answer(str(first.public_id), "approve", first.number).status_code == 409


def test_send_a_new_request_is_limited_and_says_when_to_retry(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, _phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)  # the first request
    for _ in range(4):
        assert verify_post(client, device, "push").status_code == 200
    last = challenge_of(client)

    refused = verify_post(client, device, "push")

    assert "Too many sign-in requests were sent to your phone from this address." in unescaped_html(
        refused
    )
    assert "Try again in 10 minutes" in unescaped_html(refused)
    assert KAuthChallenge.objects.filter(device=device).count() == 5
    assert challenge_of(client) == last
    frozen.shift(timedelta(minutes=10))
    verify_post(client, device, "push")
    assert challenge_of(client) != last


def test_sign_in_when_requests_are_exhausted_says_when_to_retry(
    alice: User, frozen: time_machine.Traveller
) -> None:
    with_kauth(alice)
    ceiling, _window = settings.RATE_LIMITS["kauth-push"]
    per_address, _window = settings.RATE_LIMITS["kauth-push-address"]
    for n in range(ceiling // per_address):  # the per-person ceiling, from several addresses
        exhaust_pushes_from(f"192.0.2.{n + 10}", alice)
    client = browser()

    pass_password(client, alice)

    page = unescaped_html(client.get(VERIFY_URL))
    assert "Too many sign-in requests were sent to your phone. Try again in 10 minutes" in page


# --- The offline code ---------------------------------------------------------------------------


def test_sign_in_with_the_offline_code_works_once(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, phone = with_kauth(alice)
    frozen.shift(timedelta(seconds=30))  # the code that confirmed kAuth is used already
    code = phone.code()
    first = browser()
    pass_password(first, alice)

    response = first.post(VERIFY_URL, {"method": device.persistent_id, "code": code})

    assert response.status_code == 302
    assert is_verified(first)
    replay = browser(OTHER_IP, SAFARI)
    pass_password(replay, alice)
    refused = replay.post(VERIFY_URL, {"method": device.persistent_id, "code": code})
    assert refused.status_code == 200
    assert CODE_REFUSED in unescaped_html(refused)
    assert not is_signed_in(replay)
    assert AuditEvent.objects.filter(action="two_factor.failed", subject_user=alice).exists()


# --- htmx polling -------------------------------------------------------------------------------


def test_polling_while_waiting_returns_the_status_partial(alice: User) -> None:
    device, _phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)

    response = verify_post(client, device, "complete", htmx=True)

    assert response.status_code == 200
    partial = unescaped_html(response)
    assert "<html" not in partial
    assert partial.lstrip().startswith('<div id="kauth-status"')
    assert 'hx-trigger="every 2s"' in partial
    assert shown_number(partial) == challenge_of(client).number
    assert "HX-Redirect" not in response
    assert not is_signed_in(client)


def test_polling_after_approval_redirects_with_htmx(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice, next_url="/accounts/profile/")
    phone.approve(challenge_of(client).number)

    response = verify_post(client, device, "complete", htmx=True)

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/profile/"
    assert is_verified(client)


def test_polling_after_deny_stops_and_says_denied(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    phone.deny()

    response = verify_post(client, device, "complete", htmx=True)

    partial = unescaped_html(response)
    assert DENIED in partial
    assert "hx-post" not in partial
    assert "HX-Redirect" not in response
    assert not is_signed_in(client)


def test_polling_after_a_wrong_number_stops_and_says_so(alice: User) -> None:
    device, phone = with_kauth(alice)
    client = browser()
    pass_password(client, alice)
    challenge = challenge_of(client)
    phone.approve(10 + (challenge.number - 10 + 1) % 90)

    partial = unescaped_html(verify_post(client, device, "complete", htmx=True))

    assert WRONG_NUMBER in partial
    assert "hx-post" not in partial
    assert not is_signed_in(client)


# --- Issue 11, finding 9: a stranger with the password cannot break or block the owner's kAuth --


def exhaust_pushes_from(ip: str, user: User) -> None:
    """What a stranger who knows the password does: sign in again and again from one address."""
    for _ in range(8):
        pass_password(browser(ip, SAFARI), user)


def test_offline_code_works_when_pushes_are_exhausted(
    alice: User, frozen: time_machine.Traveller
) -> None:
    """Every POST to the second step answered 500 once the pushes were used up."""
    device, phone = with_kauth(alice)
    exhaust_pushes_from(OTHER_IP, alice)
    frozen.shift(timedelta(seconds=30))
    client = browser(OTHER_IP, SAFARI)
    pass_password(client, alice)
    assert not client.session.get(KAUTH_ATTEMPT_KEY)  # no request reached the phone

    for action in ("complete", "push"):
        assert verify_post(client, device, action).status_code == 200
    response = client.post(VERIFY_URL, {"method": device.persistent_id, "code": phone.code()})

    assert response.status_code == 302
    assert is_verified(client)


@pytest.mark.parametrize("public_id", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_challenge_status_of_a_malformed_id_is_none(db: Any, public_id: str) -> None:
    assert kauth.challenge_status(public_id, "secret") is None
    assert kauth.do_use_approved_challenge(public_id, "secret") is None


def test_a_stranger_elsewhere_does_not_stop_the_owners_pushes(
    alice: User, frozen: time_machine.Traveller
) -> None:
    with_kauth(alice)
    exhaust_pushes_from(OTHER_IP, alice)

    owner = browser(LOGIN_IP)
    pass_password(owner, alice)

    assert owner.session.get(KAUTH_ATTEMPT_KEY)  # the owner's request reached the phone
    assert "Too many" not in unescaped_html(owner.get(VERIFY_URL))


def test_refused_pushes_say_what_was_limited(alice: User, frozen: time_machine.Traveller) -> None:
    with_kauth(alice)
    exhaust_pushes_from(OTHER_IP, alice)
    client = browser(OTHER_IP, SAFARI)
    pass_password(client, alice)

    page = unescaped_html(client.get(VERIFY_URL))

    assert "Too many sign-in requests were sent to your phone from this address." in page
    assert "Try again in 10 minutes, or use another way." in page


def test_every_address_together_meets_a_ceiling_per_person(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, _phone = with_kauth(alice)
    ceiling, _window = settings.RATE_LIMITS["kauth-push"]
    per_address, _window = settings.RATE_LIMITS["kauth-push-address"]
    for n in range(ceiling // per_address + 1):
        exhaust_pushes_from(f"192.0.2.{n + 10}", alice)

    assert KAuthChallenge.objects.filter(device=device).count() == ceiling


def exhaust_the_push_ceiling(user: User) -> None:
    ceiling, _window = settings.RATE_LIMITS["kauth-push"]
    per_address, _window = settings.RATE_LIMITS["kauth-push-address"]
    for n in range(ceiling // per_address + 1):
        exhaust_pushes_from(f"192.0.2.{n + 10}", user)


def reaches_the_phone(client: Client, user: User) -> bool:
    pass_password(client, user)
    return bool(client.session.get(KAUTH_ATTEMPT_KEY))


def test_the_push_ceiling_spares_the_owners_known_browser(
    alice: User, frozen: time_machine.Traveller
) -> None:
    """Issue 12, finding 5: password entries from everywhere stopped the owner's pushes too."""
    device, phone = with_kauth(alice)
    laptop = browser(LOGIN_IP)
    pass_password(laptop, alice)
    phone.approve(challenge_of(laptop).number)
    assert verify_post(laptop, device, "complete").status_code == 302  # a known browser now
    laptop.post(reverse("accounts:logout"))
    exhaust_the_push_ceiling(alice)
    assert not reaches_the_phone(browser("198.51.100.1"), alice)  # the ceiling is reached

    assert reaches_the_phone(laptop, alice)


def test_a_new_password_restarts_the_push_ceiling(
    alice: User, frozen: time_machine.Traveller
) -> None:
    with_kauth(alice)
    exhaust_the_push_ceiling(alice)
    assert not reaches_the_phone(browser("198.51.100.1"), alice)
    accounts_services.do_change_password(
        alice, "seven purple owls read the morning paper", actor=alice, keep_session_key=None
    )

    owner = browser("198.51.100.1")
    response = owner.post(
        reverse("accounts:login"),
        {"email": alice.email, "password": "seven purple owls read the morning paper"},
    )

    assert response["Location"] == VERIFY_URL
    assert owner.session.get(KAUTH_ATTEMPT_KEY)


def test_wrong_codes_from_a_strangers_address_leave_the_owners_code_working(
    alice: User, frozen: time_machine.Traveller
) -> None:
    device, phone = with_kauth(alice)
    stranger = browser(OTHER_IP, SAFARI)
    pass_password(stranger, alice)
    per_address, _window = settings.RATE_LIMITS["two-factor-address"]
    per_attempt, _window = settings.RATE_LIMITS["two-factor-attempt"]
    for n in range(per_address):
        if n and n % per_attempt == 0:
            pass_password(stranger, alice)  # the attempt is used up: the password again
        stranger.post(VERIFY_URL, {"method": device.persistent_id, "code": "000000"})
    pass_password(stranger, alice)
    refused = stranger.post(VERIFY_URL, {"method": device.persistent_id, "code": "000000"})
    assert "Too many wrong codes from this address." in unescaped_html(refused)

    frozen.shift(timedelta(seconds=30))  # the next step: the code used at enrolment is spent
    owner = browser(LOGIN_IP)
    pass_password(owner, alice)
    response = owner.post(VERIFY_URL, {"method": device.persistent_id, "code": phone.code()})

    assert response.status_code == 302


def test_sign_in_approved_before_a_password_change_cannot_complete_after_it(
    alice: User,
) -> None:
    """Issue 12, finding 4: the attacker stopped at the second step with the old password; the
    approval on the phone (a blind tap) does not outlive alice's new password."""
    device, phone = with_kauth(alice)
    attacker = browser()
    pass_password(attacker, alice)
    phone.approve(challenge_of(attacker).number)
    challenge = challenge_of(attacker)
    accounts_services.do_change_password(
        alice, "seven purple owls read the morning paper", actor=alice, keep_session_key=None
    )

    response = verify_post(attacker, device, "complete", htmx=True)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert not is_signed_in(attacker)
    challenge.refresh_from_db()
    assert challenge.status == KAuthChallenge.Status.APPROVED  # not used up by the attempt
