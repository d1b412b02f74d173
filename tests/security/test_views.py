"""The pages under /security/two-factor/: enrolling an authenticator app, the emergency codes
shown once, renaming, preferring and removing methods."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import Session, User
from core.models import AuditEvent, Notification
from organizations.models import Organization
from security import services
from security.activation import NEW_CODES_KEY
from security.methods import has_two_factor, public_id
from security.models import (
    EmergencyCode,
    EmergencyCodesDevice,
    OrganizationSecurityPolicy,
    TOTPDevice,
    TwoFactorPreference,
)
from tests.conftest import signed_in, unescaped_html, with_authenticator
from tests.security.helpers import (
    TWO_FACTOR_URL,
    code_at,
    is_signed_in,
    is_verified,
    secret_of,
    shown_codes,
    shown_secret,
    wrong_code,
)

pytestmark = pytest.mark.django_db

ADD_URL = reverse("security:totp-add")
CODES_URL = reverse("security:emergency-codes-new")
REGENERATE_URL = reverse("security:emergency-codes-regenerate")
TURNED_OFF_WARNING = "two-factor authentication will be turned off"
TURNED_OFF_BANNER = (
    "Two-factor authentication is now off. We strongly recommend protecting your account again "
    "with a new method."
)


def confirm_url(device: TOTPDevice) -> str:
    return reverse("security:totp-confirm", args=[device.pk])


def method_url(action: str, device: Any) -> str:
    return reverse(f"security:method-{action}", args=[public_id(device.persistent_id)])


def start(client: Client, name: str = "Pixel") -> tuple[TOTPDevice, str]:
    """Name the app and open the page with the QR code: the device and the page."""
    response = client.post(ADD_URL, {"name": name})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert response["Location"] == confirm_url(device)
    return device, unescaped_html(client.get(confirm_url(device)))


def enrol(client: Client, name: str = "Pixel") -> tuple[TOTPDevice, list[str]]:
    """The whole enrolment as a person does it, with the key read from the page. Returns the
    device and the emergency codes shown (none when it was not the first method)."""
    device, page = start(client, name)
    response = client.post(confirm_url(device), {"code": code_at(shown_secret(page))})
    assert response.status_code == 302, unescaped_html(response)
    if response["Location"] != CODES_URL:
        return device, []
    return device, shown_codes(unescaped_html(client.get(CODES_URL)))


def require_two_factor(org: Organization) -> None:
    OrganizationSecurityPolicy.objects.update_or_create(
        organization=org, defaults={"require_two_factor": True}
    )


# --- Enrolling an authenticator app -------------------------------------------------------------


def test_add_page_creates_nothing(as_alice: Client) -> None:
    response = as_alice.get(ADD_URL)
    assert response.status_code == 200
    assert 'name="name"' in unescaped_html(response)
    assert not TOTPDevice.objects.exists()


def test_add_without_recent_password_asks_for_it(alice: User) -> None:
    client = signed_in(alice, recent_password=False)
    response = client.post(ADD_URL, {"name": "Pixel"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert not TOTPDevice.objects.exists()


def test_add_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.post(ADD_URL, {"name": "Pixel"})
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not TOTPDevice.objects.exists()


def test_add_creates_an_unconfirmed_device(as_alice: Client, alice: User) -> None:
    device, _page = start(as_alice, "Pixel 8")
    assert (device.user, device.name, device.confirmed) == (alice, "Pixel 8", False)
    assert not has_two_factor(alice)
    assert not EmergencyCodesDevice.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="two_factor").exists()


def test_confirm_page_shows_qr_code_secret_and_link_and_is_not_stored(
    as_alice: Client, alice: User
) -> None:
    device, _ = start(as_alice)
    response = as_alice.get(confirm_url(device))
    page = unescaped_html(response)
    assert "no-store" in response["Cache-Control"]
    assert 'aria-label="QR code for your authenticator app"><svg' in page
    secret = shown_secret(page)
    assert secret == secret_of(device)
    link = re.search(r'href="(otpauth://[^"]+)"', page)
    assert link, "no otpauth:// link"
    uri = urlsplit(link.group(1))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/Portal:alice@example.com"
    query = parse_qs(uri.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Portal"]
    assert query.get("digits", ["6"]) == ["6"]
    assert query.get("period", ["30"]) == ["30"]


def test_confirm_page_of_another_persons_device_is_not_found(as_alice: Client, bob: User) -> None:
    bobs = services.do_start_totp(bob, name="Bob's")
    assert as_alice.get(confirm_url(bobs)).status_code == 404
    assert as_alice.post(confirm_url(bobs), {"code": "123456"}).status_code == 404
    assert not TOTPDevice.objects.get(pk=bobs.pk).confirmed


def test_confirm_page_of_a_confirmed_device_is_not_found(as_alice: Client, alice: User) -> None:
    device = with_authenticator(alice)
    assert as_alice.get(confirm_url(device)).status_code == 404


def test_confirm_with_wrong_code_does_not_turn_on(
    clock: time_machine.Traveller, as_alice: Client, alice: User
) -> None:
    device, _ = start(as_alice)
    response = as_alice.post(confirm_url(device), {"code": wrong_code(device)})
    assert response.status_code == 200
    assert "This code is not right." in unescaped_html(response)
    # the QR code stays, to try again
    assert 'QR code for your authenticator app"><svg' in unescaped_html(response)
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert not has_two_factor(alice)
    assert not EmergencyCode.objects.exists()


def test_confirm_with_right_code_turns_on_and_shows_ten_codes(
    clock: time_machine.Traveller, as_alice: Client, alice: User
) -> None:
    device, codes = enrol(as_alice)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert has_two_factor(alice)
    assert len(codes) == 10 == len(set(codes))
    # The codes shown are the ones that work.
    assert EmergencyCodesDevice.objects.get(user=alice).verify_token(codes[0])
    assert is_verified(as_alice)


def test_confirm_records_and_tells_the_person(
    clock: time_machine.Traveller, as_alice: Client, alice: User
) -> None:
    enrol(as_alice, "Pixel 8")
    event = AuditEvent.objects.get(action="two_factor.method_added")
    assert (event.actor, event.subject_user, event.data["enabled"]) == (alice, alice, True)
    email = Notification.objects.get(kind="two_factor_method_added")
    assert email.to == alice.email
    assert "Pixel 8" in email.body_text


def test_confirm_signs_out_the_other_sessions(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    laptop, phone, bobs = signed_in(alice), signed_in(alice), signed_in(bob)
    enrol(laptop)
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert is_signed_in(bobs)
    assert Session.objects.filter(user=alice).count() == 1


def first_view_of_codes(client: Client) -> Any:
    """Turn 2FA on in `client` up to the redirect to the codes page, then open it (once)."""
    device, page = start(client)
    response = client.post(confirm_url(device), {"code": code_at(shown_secret(page))})
    assert response["Location"] == CODES_URL
    return client.get(CODES_URL)


def download_link(page: str) -> tuple[str, str]:
    """The "Download as a text file" link: its file name and the text it downloads."""
    found = re.search(
        r'<a [^>]*href="data:text/plain;charset=utf-8,([^"]*)" download="([^"]*)"', page
    )
    assert found, "no download link"
    return found.group(2), unquote(found.group(1))


def test_codes_are_shown_once_with_a_warning_and_no_store(
    clock: time_machine.Traveller, as_alice: Client
) -> None:
    response = first_view_of_codes(as_alice)
    assert len(shown_codes(unescaped_html(response))) == 10
    assert "they will not be shown again" in unescaped_html(response)
    assert "no-store" in response["Cache-Control"]


def test_codes_page_reloaded_says_they_were_shown_and_offers_new_ones(
    clock: time_machine.Traveller, as_alice: Client, alice: User
) -> None:
    """The review found the codes still there on reload, until "I saved them" was clicked."""
    codes = shown_codes(unescaped_html(first_view_of_codes(as_alice)))

    again = as_alice.get(CODES_URL)

    page = unescaped_html(again)
    assert again.status_code == 200
    assert not any(code in page for code in codes)
    assert "Your emergency codes were shown once, when they were made" in page
    assert f'href="{REGENERATE_URL}"' in page
    assert "no-store" in again["Cache-Control"]
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10  # nothing changed


def test_codes_leave_the_session_as_they_are_shown(
    clock: time_machine.Traveller, as_alice: Client
) -> None:
    device, page = start(as_alice)
    as_alice.post(confirm_url(device), {"code": code_at(shown_secret(page))})
    assert NEW_CODES_KEY in as_alice.session  # sealed, waiting for the page
    as_alice.get(CODES_URL)
    assert NEW_CODES_KEY not in as_alice.session


def test_codes_download_is_on_the_page_that_shows_them(
    clock: time_machine.Traveller, as_alice: Client
) -> None:
    """The download needs no second request: it is the page's own copy (a data: link), so no
    code is kept anywhere for it."""
    page = unescaped_html(first_view_of_codes(as_alice))
    name, body = download_link(page)
    assert name == "emergency-codes.txt"
    assert all(code in body for code in shown_codes(page))
    assert "alice@example.com" in body
    assert "Each code works once" in body


def test_codes_page_after_saving_goes_to_the_two_factor_page(
    clock: time_machine.Traveller, as_alice: Client
) -> None:
    codes = shown_codes(unescaped_html(first_view_of_codes(as_alice)))
    response = as_alice.post(CODES_URL, follow=True)
    assert response.redirect_chain[-1][0] == TWO_FACTOR_URL
    page = unescaped_html(response)
    assert not any(code in page for code in codes)
    assert "10 unused codes left." in page


def test_codes_of_another_session_are_not_shown(
    clock: time_machine.Traveller, as_alice: Client, alice: User
) -> None:
    start(as_alice)  # codes are made only for the session that confirms
    device = TOTPDevice.objects.get(user=alice)
    as_alice.post(confirm_url(device), {"code": code_at(secret_of(device))})
    other = signed_in(alice)
    page = unescaped_html(other.get(CODES_URL))
    assert not shown_codes(page)
    assert "data:text/plain" not in page
    assert (
        len(shown_codes(unescaped_html(as_alice.get(CODES_URL)))) == 10
    )  # still waiting for their owner


def test_codes_page_without_two_factor_goes_to_the_two_factor_page(as_bob: Client) -> None:
    assert as_bob.get(CODES_URL)["Location"] == TWO_FACTOR_URL


def test_second_method_shows_no_new_codes_and_keeps_sessions(
    clock: time_machine.Traveller, as_alice: Client, alice: User
) -> None:
    _first, _codes = enrol(as_alice, "Pixel")
    other = signed_in(alice, verified=True)
    clock.shift(60)
    _second, none = enrol(as_alice, "Tablet")
    assert none == []
    assert is_signed_in(other)
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10
    page = unescaped_html(as_alice.get(TWO_FACTOR_URL))
    assert "Two-factor authentication is on, with 2 methods." in page
    assert "Pixel" in page
    assert "Tablet" in page


# --- The security page --------------------------------------------------------------------------


def test_two_factor_page_without_methods_says_off(as_bob: Client) -> None:
    page = unescaped_html(as_bob.get(TWO_FACTOR_URL))
    assert "Two-factor authentication is off." in page
    assert "Emergency codes" not in page


def test_two_factor_page_warns_when_few_codes_remain(alice: User) -> None:
    with_authenticator(alice)
    codes = services.do_regenerate_emergency_codes(alice, actor=alice)
    device = EmergencyCodesDevice.objects.get(user=alice)
    client = signed_in(alice)
    assert "Few codes are left" not in unescaped_html(client.get(TWO_FACTOR_URL))
    for code in codes[:7]:
        assert EmergencyCodesDevice.objects.get(pk=device.pk).verify_token(code)
    page = unescaped_html(client.get(TWO_FACTOR_URL))
    assert "3 unused codes left." in page
    assert "Few codes are left" in page


def test_two_factor_page_lists_only_own_methods(alice: User, bob: User) -> None:
    with_authenticator(alice)
    bobs = with_authenticator(bob)
    TOTPDevice.objects.filter(pk=bobs.pk).update(name="Bob's secret phone")
    page = unescaped_html(signed_in(alice).get(TWO_FACTOR_URL))
    assert "Bob's secret phone" not in page
    assert bobs.persistent_id not in page


# --- Renaming and preferring --------------------------------------------------------------------


def test_rename_method_changes_its_name(alice: User) -> None:
    device = with_authenticator(alice)
    client = signed_in(alice)
    assert 'value="Phone"' in unescaped_html(client.get(method_url("rename", device)))
    response = client.post(method_url("rename", device), {"name": "Work phone"}, follow=True)
    assert "The method is renamed." in unescaped_html(response)
    assert TOTPDevice.objects.get(pk=device.pk).name == "Work phone"


def test_rename_with_empty_name_shows_error(alice: User) -> None:
    device = with_authenticator(alice)
    response = signed_in(alice).post(method_url("rename", device), {"name": ""})
    assert response.status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).name == "Phone"


def test_make_preferred_remembers_it(alice: User) -> None:
    with_authenticator(alice)
    second = with_authenticator(alice)
    client = signed_in(alice)
    response = client.post(method_url("preferred", second), follow=True)
    assert "is now offered first when you sign in." in unescaped_html(response)
    assert TwoFactorPreference.objects.get(user=alice).preferred_device == second.persistent_id


def test_make_preferred_by_get_changes_nothing(alice: User) -> None:
    device = with_authenticator(alice)
    assert signed_in(alice).get(method_url("preferred", device)).status_code == 405
    assert not TwoFactorPreference.objects.exists()


# --- Another person's method --------------------------------------------------------------------


@pytest.mark.parametrize("action", ["rename", "preferred", "remove"])
def test_another_persons_method_is_not_found(alice: User, bob: User, action: str) -> None:
    with_authenticator(alice)
    bobs = with_authenticator(bob)
    client = signed_in(alice)
    assert client.get(method_url(action, bobs)).status_code in {404, 405}
    assert client.post(method_url(action, bobs), {"name": "Mine now"}).status_code == 404
    bobs.refresh_from_db()
    assert bobs.name == "Phone"
    assert not TwoFactorPreference.objects.exists()


@pytest.mark.parametrize("action", ["rename", "remove"])
def test_emergency_codes_are_not_a_method_to_manage(alice: User, action: str) -> None:
    with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    codes = EmergencyCodesDevice.objects.get(user=alice)
    client = signed_in(alice)
    assert client.post(method_url(action, codes), {"name": "x"}).status_code == 404
    assert EmergencyCodesDevice.objects.get(pk=codes.pk).remaining == 10


@pytest.mark.parametrize(
    "method",
    [
        "app-99999",
        "nonsense",
        "group-1",
        "security.totpdevice/1",
        "a/b/c",
        "auth.group/1",
    ],
)
def test_unknown_method_is_not_found(as_alice: Client, method: str) -> None:
    assert as_alice.get(f"/security/two-factor/{method}/rename/").status_code == 404


# --- Removing -----------------------------------------------------------------------------------


def test_remove_without_recent_password_asks_for_it(alice: User) -> None:
    device = with_authenticator(alice)
    client = signed_in(alice, recent_password=False)
    for response in (
        client.get(method_url("remove", device)),
        client.post(method_url("remove", device)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_2fa_pages_link_each_method_by_a_public_id_naming_no_model(alice: User) -> None:
    """Issue 13, defect 8: "/security.kauthdevice/2/remove/" exposed an internal model name."""
    device = with_authenticator(alice)
    client = signed_in(alice)
    page = unescaped_html(client.get(reverse("security:two-factor")))

    assert f"/security/two-factor/app-{device.pk}/remove/" in page
    assert "security.totpdevice" not in page
    assert client.get(f"/security/two-factor/app-{device.pk}/remove/").status_code == 200
    old = f"/security/two-factor/{device.persistent_id}/remove/"
    assert client.get(old).status_code == 404


def test_a_public_id_of_another_persons_method_or_an_unknown_kind_finds_nothing(
    alice: User, bob: User
) -> None:
    bobs = with_authenticator(bob)
    client = signed_in(alice)
    for method_id in (f"app-{bobs.pk}", f"kauth-{bobs.pk}", "app-", "app-x", f"totp-{bobs.pk}"):
        assert client.post(f"/security/two-factor/{method_id}/remove/").status_code == 404
    assert TOTPDevice.objects.filter(pk=bobs.pk).exists()


def test_remove_last_method_warns_before_the_click(alice: User) -> None:
    device = with_authenticator(alice)
    page = unescaped_html(signed_in(alice).get(method_url("remove", device)))
    assert TURNED_OFF_WARNING in page
    assert "Remove this method" in page
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_remove_one_of_two_methods_does_not_warn(alice: User) -> None:
    with_authenticator(alice)
    device = with_authenticator(alice)
    client = signed_in(alice)
    assert TURNED_OFF_WARNING not in unescaped_html(client.get(method_url("remove", device)))
    response = client.post(method_url("remove", device), follow=True)
    assert "The method is removed." in unescaped_html(response)
    assert has_two_factor(alice)
    assert Notification.objects.filter(kind="two_factor_method_removed").count() == 1


def test_remove_last_method_turns_off_and_says_so(alice: User) -> None:
    device = with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    client = signed_in(alice)
    response = client.post(method_url("remove", device), follow=True)
    assert response.redirect_chain[-1][0] == TWO_FACTOR_URL
    page = unescaped_html(response)
    assert TURNED_OFF_BANNER in page
    assert "Two-factor authentication is off." in page
    assert not has_two_factor(alice)
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not EmergencyCodesDevice.objects.filter(user=alice).exists()
    assert not EmergencyCode.objects.exists()
    email = Notification.objects.get(kind="two_factor_disabled")
    assert email.to == alice.email
    assert AuditEvent.objects.filter(action="two_factor.disabled", subject_user=alice).exists()


def test_remove_last_method_when_organization_requires_it_says_why(
    alice: User, acme: Organization
) -> None:
    require_two_factor(acme)
    device = with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    client = signed_in(alice)
    page = unescaped_html(client.get(method_url("remove", device)))
    assert (
        "Acme SA requires two-factor authentication, so you cannot remove your last method." in page
    )
    assert "Remove this method" not in page
    response = client.post(method_url("remove", device))
    assert response.status_code == 409
    assert "Acme SA requires two-factor authentication" in unescaped_html(response)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10
    assert not Notification.objects.filter(kind="two_factor_disabled").exists()
    assert not AuditEvent.objects.filter(action="two_factor.disabled").exists()


def test_two_factor_page_names_the_organization_requiring_it(
    alice: User, acme: Organization
) -> None:
    require_two_factor(acme)
    with_authenticator(alice)
    assert "Required by: Acme SA." in unescaped_html(signed_in(alice).get(TWO_FACTOR_URL))


# --- Emergency codes again ----------------------------------------------------------------------


def test_regenerate_page_creates_nothing_until_posted(alice: User) -> None:
    with_authenticator(alice)
    old = services.do_regenerate_emergency_codes(alice, actor=alice)
    client = signed_in(alice)
    assert "Replace my emergency codes" in unescaped_html(client.get(REGENERATE_URL))
    device = EmergencyCodesDevice.objects.get(user=alice)
    assert device.verify_token(old[0])


def test_regenerate_shows_new_codes_once(alice: User) -> None:
    with_authenticator(alice)
    old = services.do_regenerate_emergency_codes(alice, actor=alice)
    client = signed_in(alice)
    response = client.post(REGENERATE_URL, follow=True)
    new = shown_codes(unescaped_html(response))
    assert len(new) == 10
    assert not set(new) & set(old)
    assert EmergencyCodesDevice.objects.get(user=alice).verify_token(new[0])


def test_regenerate_without_recent_password_asks_for_it(alice: User) -> None:
    with_authenticator(alice)
    client = signed_in(alice, recent_password=False)
    response = client.post(REGENERATE_URL)
    assert response["Location"].startswith(reverse("accounts:confirm-password"))
    assert not EmergencyCode.objects.exists()


def test_regenerate_without_two_factor_is_refused(as_bob: Client) -> None:
    assert as_bob.post(REGENERATE_URL).status_code == 403
    assert not EmergencyCode.objects.exists()


def test_removing_the_method_that_verified_the_session_keeps_it_verified(alice: User) -> None:
    first = with_authenticator(alice)
    second = with_authenticator(alice)
    client = signed_in(alice, verified=True)
    assert client.session["otp_device_id"] == first.persistent_id

    client.post(f"/security/two-factor/{public_id(first.persistent_id)}/remove/")

    assert client.session["otp_device_id"] == second.persistent_id
    user = client.get("/security/two-factor/").wsgi_request.user
    assert user.is_verified()  # type: ignore[union-attr]  # django-otp's middleware adds it


def test_remove_one_of_two_names_what_remains_before_the_click(alice: User) -> None:
    """Issue 13, defect 8: the confirmation says which method goes and what the person keeps."""
    phone = with_authenticator(alice)
    laptop = TOTPDevice(user=alice, name="Laptop", confirmed=True)
    laptop.set_key(TOTPDevice.new_key())
    laptop.save()

    page = signed_in(alice).get(method_url("remove", phone)).content.decode()

    assert "Remove Phone" in page
    assert "Two-factor authentication stays on" in page
    assert "Laptop (Authenticator app)" in page
    assert "Phone (Authenticator app)" not in page
