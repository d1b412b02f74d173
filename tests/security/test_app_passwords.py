"""Application passwords: the pages under /security/app-passwords/ (generate behind the password
confirmation, shown once, list, revoke one or all) and the login check that mail, CalDAV and
CardDAV servers call, POST /api/v1/auth/app-password/verify."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Session, User
from accounts.session_store import SessionStore
from core.models import AuditEvent, Notification
from security import app_passwords
from security.models import ApplicationPassword
from tests.conftest import ClientResponse, signed_in, unescaped_html, with_authenticator
from tests.factories import PASSWORD
from tests.security.helpers import is_signed_in

pytestmark = pytest.mark.django_db

LIST_URL = reverse("security:app-passwords")
NEW_URL = reverse("security:app-password-new")
REVOKE_ALL_URL = reverse("security:app-password-revoke-all")
VERIFY_URL = "/api/v1/auth/app-password/verify"
CONFIRM_PASSWORD_URL = reverse("accounts:confirm-password")

SERVICE_KEY = "mail-server-key-0123456789abcdefghijkl"
OTHER_SERVICE_KEY = "dav-server-key-0123456789abcdefghijklmn"
ALL_SERVICES = ["mail", "calendar", "contacts"]
# What a phone keyboard makes easy: lowercase letters and digits, none that looks like another.
LOOK_ALIKES = set("01iloIO")
FORMAT = re.compile(r"^[a-z2-9]{6}(-[a-z2-9]{6}){4}$")
SERVER_IP = "198.51.100.25"
DENY = {"allow": False}
ALLOW = {"allow": True}


@pytest.fixture(autouse=True)
def _service_keys(settings: Any) -> None:
    settings.APP_PASSWORD_SERVICE_KEYS = [SERVICE_KEY, OTHER_SERVICE_KEY]


def revoke_url(row: ApplicationPassword) -> str:
    return reverse("security:app-password-revoke", args=[row.pk])


def create(
    user: User, name: str = "Thunderbird", services: list[str] | None = None
) -> tuple[ApplicationPassword, str]:
    """An application password made through the service, as the page does."""
    return app_passwords.do_create_app_password(
        user, name=name, services=ALL_SERVICES if services is None else services, actor=user
    )


def generate(
    client: Client, name: str = "Thunderbird", services: list[str] | None = None
) -> ClientResponse:
    return client.post(NEW_URL, {"name": name, "services": services or ALL_SERVICES})


def shown_password(page: str) -> str | None:
    match = re.search(r'id="new-app-password"[^>]*\bvalue="([^"]*)"', page)
    return match.group(1) if match else None


def verify(
    body: Any,
    *,
    key: str | None = SERVICE_KEY,
    ip: str = SERVER_IP,
    client: Client | None = None,
) -> ClientResponse:
    """Ask the login check as a mail server does. `body` is sent as JSON unless it is bytes."""
    headers: dict[str, Any] = {} if key is None else {"HTTP_AUTHORIZATION": f"Service {key}"}
    payload = body if isinstance(body, bytes) else json.dumps(body)
    return (client or Client()).post(
        VERIFY_URL, payload, content_type="application/json", REMOTE_ADDR=ip, **headers
    )


def allowed(email: str, password: str, service: str = "mail") -> bool:
    response = verify({"email": email, "password": password, "service": service})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer in (ALLOW, DENY), answer
    return bool(answer["allow"])


def every_stored_value() -> list[tuple[str, str]]:
    """(model.field, value as text) for every concrete field of every row of every model, and
    the sessions as the server decodes them (their data is signed, not encrypted)."""
    found: list[tuple[str, str]] = []
    for model in apps.get_models(include_auto_created=True):
        fields = list(model._meta.concrete_fields)
        for row in model._default_manager.all().values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, (bytes, memoryview)):
                    value = bytes(value).hex()
                elif isinstance(value, (dict, list)):
                    value = json.dumps(value)
                found.append((f"{model._meta.label}.{field.name}", str(value)))
    store: Any = SessionStore()
    for session in Session.objects.all():
        found.append(("session (decoded)", json.dumps(store.decode(session.session_data))))
    return found


# --- Generating ---------------------------------------------------------------------------------


def test_generate_without_recent_password_asks_for_it_first(alice: User) -> None:
    client = signed_in(alice, recent_password=False)

    for response in (client.get(NEW_URL), generate(client)):
        assert response.status_code == 302
        assert (
            response["Location"]
            == f"{CONFIRM_PASSWORD_URL}?next=%2Fsecurity%2Fapp-passwords%2Fnew%2F"
        )

    assert not ApplicationPassword.objects.exists()
    assert not Notification.objects.filter(kind="app_password_created").exists()


def test_generate_anonymous_is_sent_to_sign_in() -> None:
    for url in (LIST_URL, NEW_URL, REVOKE_ALL_URL):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_open_new_page_creates_nothing(alice: User) -> None:
    response = signed_in(alice).get(NEW_URL)

    assert response.status_code == 200
    page = unescaped_html(response)
    assert "Generate an application password" in page
    assert 'name="name"' in page
    assert not ApplicationPassword.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="app_password").exists()


def test_generate_shows_password_once_and_not_on_reload(alice: User) -> None:
    client = signed_in(alice)

    response = generate(client, "Thunderbird at home")

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    first = client.get(LIST_URL)
    page = unescaped_html(first)
    secret = shown_password(page)
    assert secret is not None, page
    assert FORMAT.match(secret), secret
    assert "no-store" in first["Cache-Control"]
    assert "Your new application password for Thunderbird at home" in page
    assert "it will not be shown again once you leave this page" in page

    again = unescaped_html(client.get(LIST_URL))
    assert shown_password(again) is None
    assert secret not in again
    assert "Thunderbird at home" in again  # still listed, by its name only
    assert allowed(alice.email, secret)


def test_generate_without_name_or_service_shows_errors_and_creates_nothing(alice: User) -> None:
    client = signed_in(alice)

    for data in ({"name": "", "services": ALL_SERVICES}, {"name": "   "}, {"name": "Phone"}):
        response = client.post(NEW_URL, data)
        assert response.status_code == 200
        assert "This field is required." in unescaped_html(response)

    assert not ApplicationPassword.objects.exists()
    assert not Notification.objects.exists()


def test_generate_format_is_five_groups_of_six_without_look_alikes(alice: User) -> None:
    secrets = {app_passwords.generate() for _ in range(400)}

    assert len(secrets) == 400
    for secret in secrets:
        assert FORMAT.match(secret), secret
    used = set("".join(secrets).replace("-", ""))
    assert not used & LOOK_ALIKES
    # Every character of the alphabet turns up: the randomness is not from a smaller set.
    assert used == set(app_passwords.ALPHABET)
    bits = 30 * math.log2(len(used))
    assert 148 <= bits < 149


def test_generate_stores_only_a_digest_in_every_table(alice: User) -> None:
    client = signed_in(alice)
    generate(client, "Phone mail")
    waiting = every_stored_value()  # the password waits in the session for the next page
    secret = shown_password(unescaped_html(client.get(LIST_URL)))
    assert secret is not None
    assert allowed(alice.email, secret)  # last use, audit, sessions: every table has its rows
    row = ApplicationPassword.objects.get()
    compact = secret.replace("-", "")

    assert re.fullmatch(r"[0-9a-f]{64}", row.digest)
    assert any("_portal_new_app_password" in value for _where, value in waiting)
    leaks = [
        f"{what} in {where}"
        for where, value in waiting + every_stored_value()
        for what, needle in (("password", secret), ("password without dashes", compact))
        if needle in value.lower()
    ]
    assert leaks == []
    # The check must still be able to find it by its digest: the scan above looked at real data.
    assert ApplicationPassword.objects.filter(last_used_service="mail").count() == 1


def test_generate_queues_email_and_writes_audit_event(alice: User) -> None:
    client = signed_in(alice)
    generate(client, "Thunderbird")
    secret = shown_password(unescaped_html(client.get(LIST_URL)))
    assert secret is not None
    row = ApplicationPassword.objects.get()

    mail = Notification.objects.get(kind="app_password_created")
    assert mail.recipient == alice
    assert mail.to == alice.email
    assert mail.subject == "A new application password was created"
    assert 'An application password named "Thunderbird" was created' in mail.body_text
    assert f"{settings.PORTAL_BASE_URL}{LIST_URL}" in mail.body_text
    assert secret not in mail.body_text + mail.body_html
    event = AuditEvent.objects.get(action="app_password.created")
    assert event.actor == alice
    assert event.subject_user == alice
    assert event.target_id == str(row.pk)
    assert secret not in json.dumps(event.data) + event.target_repr


def test_generate_for_mail_only_is_refused_for_contacts(alice: User) -> None:
    client = signed_in(alice)
    generate(client, "iPhone mail", services=["mail"])
    secret = shown_password(unescaped_html(client.get(LIST_URL)))
    assert secret is not None

    assert not allowed(alice.email, secret, "contacts")
    assert not allowed(alice.email, secret, "calendar")
    assert allowed(alice.email, secret, "mail")
    assert ApplicationPassword.objects.get().services == ["mail"]


# --- The list -----------------------------------------------------------------------------------


def test_list_shows_own_active_passwords_only(alice: User, bob: User) -> None:
    create(alice, "Thunderbird")
    revoked, _secret = create(alice, "Old laptop")
    revoked.revoked_at = timezone.now()
    revoked.save()
    create(bob, "Bob's phone")

    response = signed_in(alice).get(LIST_URL)

    page = unescaped_html(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Thunderbird" in page
    assert "Old laptop" not in page
    assert "Bob's phone" not in page
    assert "Never" in page  # not used yet
    assert shown_password(page) is None


def test_list_empty_says_there_is_none(alice: User) -> None:
    page = unescaped_html(signed_in(alice).get(LIST_URL))

    assert "No application password yet" in page
    assert REVOKE_ALL_URL not in page


def test_list_shows_last_use_time_ip_and_service(alice: User) -> None:
    _row, secret = create(alice, "Calendar on the Mac")
    with time_machine.travel("2031-03-04 10:20:00+00:00", tick=False):
        response = verify(
            {"email": alice.email, "password": secret, "service": "calendar"}, ip="203.0.113.9"
        )
    assert response.json() == ALLOW

    row = ApplicationPassword.objects.get()
    assert row.last_used_at is not None
    assert row.last_used_at.isoformat() == "2031-03-04T10:20:00+00:00"
    assert row.last_used_ip == "203.0.113.9"
    assert row.last_used_service == "calendar"
    page = unescaped_html(signed_in(alice).get(LIST_URL))
    assert "203.0.113.9" in page
    assert "2031" in page


def test_list_names_last_used_service_by_its_label(alice: User) -> None:
    _row, secret = create(alice, "Calendar on the Mac")
    assert allowed(alice.email, secret, "calendar")

    page = unescaped_html(signed_in(alice).get(LIST_URL))

    last_used = re.search(rf"<td[^>]*>([^<]*{re.escape(SERVER_IP)}[^<]*)</td>", page)
    assert last_used is not None, page
    assert "Calendar (CalDAV)" in last_used.group(1)


# --- Revoking -----------------------------------------------------------------------------------


def test_revoke_another_users_password_is_404_and_revokes_nothing(alice: User, bob: User) -> None:
    bobs, secret = create(bob, "Bob's phone")
    create(alice, "Thunderbird")
    client = signed_in(alice)

    assert client.get(revoke_url(bobs)).status_code == 404
    assert client.post(revoke_url(bobs)).status_code == 404

    assert ApplicationPassword.objects.filter(revoked_at=None).count() == 2
    assert not AuditEvent.objects.filter(action="app_password.revoked").exists()
    assert allowed(bob.email, secret)


def test_revoke_one_asks_first_then_revokes_only_that_one(alice: User) -> None:
    target, target_secret = create(alice, "Old phone")
    _other, other_secret = create(alice, "Thunderbird")
    client = signed_in(alice)

    confirmation = client.get(revoke_url(target))

    assert confirmation.status_code == 200
    assert "Revoke Old phone" in unescaped_html(confirmation)
    assert ApplicationPassword.objects.filter(revoked_at=None).count() == 2

    response = client.post(revoke_url(target), follow=True)

    page = unescaped_html(response)
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "1 application password is revoked." in page
    assert "Old phone" not in page
    assert "Thunderbird" in page
    target.refresh_from_db()
    assert target.revoked_at is not None
    assert not allowed(alice.email, target_secret)
    assert allowed(alice.email, other_secret)
    event = AuditEvent.objects.get(action="app_password.revoked")
    assert event.actor == alice
    assert event.data == {"count": 1}


def test_revoke_one_already_revoked_is_404(alice: User) -> None:
    row, _secret = create(alice)
    client = signed_in(alice)
    client.post(revoke_url(row))

    assert client.get(revoke_url(row)).status_code == 404
    assert client.post(revoke_url(row)).status_code == 404
    assert AuditEvent.objects.filter(action="app_password.revoked").count() == 1


def test_revoke_all_confirmation_names_how_many_and_get_changes_nothing(
    alice: User, bob: User
) -> None:
    secrets = [create(alice, name)[1] for name in ("Phone", "Tablet", "Laptop")]
    old, _old_secret = create(alice, "Revoked long ago")
    old.revoked_at = timezone.now()
    old.save()
    _bobs, bob_secret = create(bob, "Bob's phone")
    client = signed_in(alice)

    confirmation = client.get(REVOKE_ALL_URL)

    assert confirmation.status_code == 200
    assert "3 application passwords will stop working at once" in unescaped_html(confirmation)
    assert ApplicationPassword.objects.filter(revoked_at=None).count() == 4
    assert not AuditEvent.objects.filter(action="app_password.revoked").exists()

    response = client.post(REVOKE_ALL_URL, follow=True)

    page = unescaped_html(response)
    assert "3 application passwords are revoked." in page
    assert "No application password yet" in page
    assert list(ApplicationPassword.objects.filter(revoked_at=None)) == [_bobs]
    assert not any(allowed(alice.email, s) for s in secrets)
    assert allowed(bob.email, bob_secret)
    assert AuditEvent.objects.get(action="app_password.revoked").data == {"count": 3}


def test_revoke_all_with_one_says_one(alice: User) -> None:
    create(alice)

    page = unescaped_html(signed_in(alice).get(REVOKE_ALL_URL))

    assert "1 application password will stop working at once, in every app that uses it." in page


def test_revoke_all_with_none_goes_back_to_the_list(alice: User) -> None:
    client = signed_in(alice)

    for response in (client.get(REVOKE_ALL_URL), client.post(REVOKE_ALL_URL)):
        assert response.status_code == 302
        assert response["Location"] == LIST_URL
    assert not AuditEvent.objects.filter(action="app_password.revoked").exists()


# --- The login check for mail, CalDAV and CardDAV servers ---------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Service",
        "Service ",
        "Service wrong-key-0123456789abcdefghijklmnop",
        f"Service {SERVICE_KEY[:-1]}",
        f"Service {SERVICE_KEY}x",
        f"Bearer {SERVICE_KEY}",
        f"Basic {SERVICE_KEY}",
        SERVICE_KEY,
    ],
)
def test_verify_without_right_service_key_is_401(alice: User, authorization: str | None) -> None:
    _row, secret = create(alice)
    headers: dict[str, Any] = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}

    response = Client().post(
        VERIFY_URL,
        json.dumps({"email": alice.email, "password": secret, "service": "mail"}),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "invalid_service_key"}
    assert ApplicationPassword.objects.get().last_used_at is None


def test_verify_with_no_service_key_configured_refuses_every_server(
    settings: Any, alice: User
) -> None:
    settings.APP_PASSWORD_SERVICE_KEYS = []
    _row, secret = create(alice)

    for key in ("", SERVICE_KEY):
        response = verify({"email": alice.email, "password": secret, "service": "mail"}, key=key)
        assert response.status_code == 401


def test_verify_app_password_allows_with_any_configured_key_without_csrf(alice: User) -> None:
    _row, secret = create(alice)
    server = Client(enforce_csrf_checks=True)

    for key in (SERVICE_KEY, OTHER_SERVICE_KEY):
        response = verify(
            {"email": alice.email, "password": secret, "service": "mail"}, key=key, client=server
        )
        assert response.status_code == 200
        assert response.json() == ALLOW


def test_verify_get_is_not_allowed() -> None:
    response = Client().get(VERIFY_URL, HTTP_AUTHORIZATION=f"Service {SERVICE_KEY}")

    assert response.status_code == 405


MALFORMED_BODIES: dict[str, Callable[[str, str], Any]] = {
    "empty body": lambda e, p: b"",
    "not JSON": lambda e, p: b"email=alice&password=x",
    "truncated JSON": lambda e, p: json.dumps({"email": e, "password": p}).encode()[:-3],
    "not UTF-8": lambda e, p: b'{"email": "\xff\xfe"}',
    "a list": lambda e, p: [e, p, "mail"],
    "a string": lambda e, p: f"{e}:{p}",
    "null": lambda e, p: None,
    "a number": lambda e, p: 42,
    "no email": lambda e, p: {"password": p, "service": "mail"},
    "no password": lambda e, p: {"email": e, "service": "mail"},
    "no service": lambda e, p: {"email": e, "password": p},
    "empty email": lambda e, p: {"email": "", "password": p, "service": "mail"},
    "empty password": lambda e, p: {"email": e, "password": "", "service": "mail"},
    "null fields": lambda e, p: {"email": None, "password": None, "service": None},
    "unknown service": lambda e, p: {"email": e, "password": p, "service": "ftp"},
    "service in capitals": lambda e, p: {"email": e, "password": p, "service": "MAIL"},
    "service as a list": lambda e, p: {"email": e, "password": p, "service": ["mail"]},
    "service as an object": lambda e, p: {"email": e, "password": p, "service": {"mail": 1}},
    "email as a list": lambda e, p: {"email": [e], "password": p, "service": "mail"},
    "email as a number": lambda e, p: {"email": 7, "password": p, "service": "mail"},
    "email as an object": lambda e, p: {"email": {"a": e}, "password": p, "service": "mail"},
    "password as a number": lambda e, p: {"email": e, "password": 123456, "service": "mail"},
    "password as true": lambda e, p: {"email": e, "password": True, "service": "mail"},
    "password as an object": lambda e, p: {"email": e, "password": {"p": p}, "service": "mail"},
    "password too long": lambda e, p: {"email": e, "password": p * 20, "service": "mail"},
    "NUL in the email": lambda e, p: {"email": f"{e}\x00", "password": p, "service": "mail"},
    "NUL in the password": lambda e, p: {"email": e, "password": f"{p}\x00x", "service": "mail"},
}


@pytest.mark.parametrize(
    "case",
    [name for name in MALFORMED_BODIES],
)
def test_verify_malformed_request_denies_without_error(alice: User, case: str) -> None:
    _row, secret = create(alice)

    response = verify(MALFORMED_BODIES[case](alice.email, secret))

    assert response.status_code == 200
    assert response.json() == DENY
    assert ApplicationPassword.objects.get().last_used_at is None


def test_verify_password_as_a_list_is_denied(alice: User) -> None:
    _row, secret = create(alice)

    response = verify({"email": alice.email, "password": [secret], "service": "mail"})

    assert response.json() == DENY


def test_verify_form_encoded_body_denies(alice: User) -> None:
    _row, secret = create(alice)

    response = Client().post(
        VERIFY_URL,
        {"email": alice.email, "password": secret, "service": "mail"},
        HTTP_AUTHORIZATION=f"Service {SERVICE_KEY}",
    )

    assert response.status_code == 200
    assert response.json() == DENY


def test_verify_app_password_records_last_use(alice: User) -> None:
    row, secret = create(alice)
    before = timezone.now()

    assert allowed(alice.email, secret, "contacts")

    row.refresh_from_db()
    assert row.last_used_at is not None
    assert row.last_used_at >= before
    assert row.last_used_ip == SERVER_IP
    assert row.last_used_service == "contacts"


def test_verify_refusal_records_no_use(alice: User) -> None:
    row, secret = create(alice, services=["mail"])

    assert not allowed(alice.email, secret, "calendar")
    assert not allowed("someone@example.com", secret)

    row.refresh_from_db()
    assert (row.last_used_at, row.last_used_ip, row.last_used_service) == (None, None, "")


def test_verify_unknown_email_denies(alice: User) -> None:
    _row, secret = create(alice)

    assert not allowed("nobody@example.com", secret)
    assert not allowed("nobody@example.com", PASSWORD)


def test_verify_wrong_password_denies(alice: User) -> None:
    _row, secret = create(alice)
    wrong = "-".join(["abcdef"] * 5)
    other = secret[:-1] + ("a" if secret[-1] != "a" else "b")

    assert not allowed(alice.email, wrong)
    assert not allowed(alice.email, other)
    assert not allowed(alice.email, secret[:-2])
    assert not allowed(alice.email, "not the password")


def test_verify_another_users_app_password_denies(alice: User, bob: User) -> None:
    _row, bob_secret = create(bob)

    assert not allowed(alice.email, bob_secret)
    assert allowed(bob.email, bob_secret)


def test_verify_inactive_user_denies(alice: User) -> None:
    _row, secret = create(alice)
    alice.is_active = False
    alice.save()

    assert not allowed(alice.email, secret)
    assert not allowed(alice.email, PASSWORD)


def test_verify_ignores_case_of_email_and_app_password(alice: User) -> None:
    _row, secret = create(alice)

    assert allowed("ALICE@Example.COM", secret)
    assert allowed(f"  {alice.email}  ", secret)
    assert allowed(alice.email, secret.upper())
    assert allowed(alice.email, secret.replace("-", ""))
    assert allowed(alice.email, secret.replace("-", " "))


def test_verify_account_password_keeps_its_case(alice: User) -> None:
    assert allowed(alice.email, PASSWORD)
    assert not allowed(alice.email, PASSWORD.swapcase())


def test_verify_account_password_allowed_only_without_two_factor(alice: User, bob: User) -> None:
    with_authenticator(bob)
    _row, bob_secret = create(bob)

    assert allowed(alice.email, PASSWORD)
    assert not allowed(bob.email, PASSWORD)
    assert allowed(bob.email, bob_secret)


def test_verify_unknown_email_costs_one_password_hash_like_a_known_one(
    monkeypatch: pytest.MonkeyPatch, alice: User
) -> None:
    """The same argon2 cost whether or not the address has an account: no timing oracle."""
    calls: list[str] = []
    real = check_password

    def counting(password: str, encoded: str, *args: Any, **kwargs: Any) -> bool:
        calls.append(encoded)
        return real(password, encoded, *args, **kwargs)

    monkeypatch.setattr(app_passwords, "check_password", counting)

    assert not allowed(alice.email, "a wrong password")
    assert not allowed("nobody@example.com", "a wrong password")

    assert len(calls) == 2
    assert calls[0] == alice.password
    assert calls[1]
    assert calls[1] != alice.password


def test_verify_refusals_are_limited_per_account_and_address(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    attempts, window = settings.RATE_LIMITS["app-password-check"]
    row, secret = create(alice)
    _bobs, bob_secret = create(bob)

    # Successes do not count: a person's many devices never lock the account.
    assert all(allowed(alice.email, secret) for _ in range(attempts + 5))
    for _ in range(attempts):
        assert not allowed(alice.email, "wrong-password")
    row.refresh_from_db()
    used_at = row.last_used_at

    assert not allowed(alice.email, secret)
    assert not allowed("ALICE@example.com", secret)  # the same account, whatever the case
    assert allowed(bob.email, bob_secret)  # other accounts are not held up
    other_address = verify(
        {"email": alice.email, "password": secret, "service": "mail", "client_ip": "198.51.100.7"}
    )
    assert other_address.json() == ALLOW  # the owner, elsewhere, is not held up either
    row.refresh_from_db()
    assert row.last_used_ip == "198.51.100.7"
    assert row.last_used_at is not None
    assert used_at is not None
    assert row.last_used_at >= used_at

    clock.shift(window)

    assert allowed(alice.email, secret)


FAILURES: dict[str, Callable[[User, str], dict[str, Any] | bytes]] = {
    "unknown email": lambda u, s: {"email": "nobody@example.com", "password": s, "service": "mail"},
    "wrong password": lambda u, s: {"email": u.email, "password": "nope", "service": "mail"},
    "wrong app password": lambda u, s: {"email": u.email, "password": "a" * 30, "service": "mail"},
    "service not allowed": lambda u, s: {"email": u.email, "password": s, "service": "contacts"},
    "unknown service": lambda u, s: {"email": u.email, "password": s, "service": "ftp"},
    "malformed": lambda u, s: b"{",
    "account password with two-factor": lambda u, s: {
        "email": "bob@example.com",
        "password": PASSWORD,
        "service": "mail",
    },
}


def test_verify_answers_every_failure_the_same_way(alice: User, bob: User) -> None:
    with_authenticator(bob)
    _row, secret = create(alice, services=["mail"])
    responses = {name: verify(body(alice, secret)) for name, body in FAILURES.items()}
    revoked, revoked_secret = create(alice, "Revoked")
    revoked.revoked_at = timezone.now()
    revoked.save()
    responses["revoked"] = verify(
        {"email": alice.email, "password": revoked_secret, "service": "mail"}
    )
    alice.is_active = False
    alice.save()
    responses["inactive"] = verify({"email": alice.email, "password": secret, "service": "mail"})

    expected = responses["unknown email"]
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert response.content == b'{"allow": false}', name
        assert response["Content-Type"] == expected["Content-Type"], name
        assert sorted(response.headers) == sorted(expected.headers), name


def test_verify_rate_limited_answer_looks_like_any_failure(alice: User) -> None:
    attempts, _window = settings.RATE_LIMITS["app-password-check"]
    _row, secret = create(alice)
    for _ in range(attempts):
        verify({"email": alice.email, "password": "wrong", "service": "mail"})

    limited = verify({"email": alice.email, "password": secret, "service": "mail"})
    wrong = verify({"email": "nobody@example.com", "password": "wrong", "service": "mail"})

    assert limited.status_code == wrong.status_code == 200
    assert limited.content == wrong.content == b'{"allow": false}'
    assert sorted(limited.headers) == sorted(wrong.headers)


# --- Never a browser session --------------------------------------------------------------------


def test_sign_in_with_app_password_fails(alice: User) -> None:
    _row, secret = create(alice)
    browser = Client()

    for password in (secret, secret.upper(), secret.replace("-", "")):
        response = browser.post(
            reverse("accounts:login"), {"email": alice.email, "password": password}
        )
        assert response.status_code == 200
        assert "The email address or the password is not right." in unescaped_html(response)

    assert not is_signed_in(browser)
    assert ApplicationPassword.objects.get().last_used_at is None
