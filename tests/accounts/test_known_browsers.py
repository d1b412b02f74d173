"""The "known browser" of the sign-in limits (accounts/login.py; issue 12, finding 6).

A browser that signed in to an account is spared that account's limit from anywhere, so a botnet
guessing bob's password cannot lock bob out of his own laptop. What spares it is a random token
in the `portal_known` cookie, kept on the server only as a digest, bound to the account and to
its password, for 180 days: a copy of the cookie is worth nothing once bob changes or resets his
password, and a forged or guessed one was never worth anything.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.login import KNOWN_BROWSER_COOKIE, KNOWN_BROWSER_MAX_AGE
from accounts.models import KnownBrowser, User
from accounts.tasks import purge_expired_known_browsers
from core.crypto import digest
from core.models import AuditEvent
from portal.celery import app as celery_app
from tests.accounts.helpers import OWNER_IP, is_signed_in, sign_in
from tests.conftest import page_html
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "seven purple owls read the morning paper"
HOTEL_IP = "198.51.100.200"
LIMITED = "Too many attempts"


def known_browser_of(user: User, *, ip: str = OWNER_IP) -> Client:
    """A browser in which `user` signed in (and then signed out)."""
    browser = Client()
    assert sign_in(browser, user.email, PASSWORD, ip=ip).status_code == 302
    browser.post(reverse("accounts:logout"))
    return browser


def copy_of(browser: Client) -> Client:
    """Another machine holding a copy of `browser`'s known-browser cookie."""
    other = Client()
    other.cookies[KNOWN_BROWSER_COOKIE] = browser.cookies[KNOWN_BROWSER_COOKIE].value
    return other


def guess_from_many_addresses(
    browser: Client, email: str, *, addresses: int, each: int, network: str = "198.18.0."
) -> int:
    """Wrong guesses from `browser`, `each` from every one of `addresses` addresses (under the
    account + address limit of 5). Returns how many were evaluated, that is, got as far as the
    password check (each evaluated wrong guess is audited as a failed sign-in)."""
    before = AuditEvent.objects.filter(action="user.login_failed").count()
    for n in range(addresses * each):
        sign_in(browser, email, "not the password at all", ip=f"{network}{n // each + 1}")
    return AuditEvent.objects.filter(action="user.login_failed").count() - before


def stuff_the_account_limit(email: str) -> None:
    """A botnet: 30 wrong guesses from fresh browsers spread over addresses fill the account-wide
    limit, so only a known browser still gets its guesses evaluated."""
    evaluated = guess_from_many_addresses(Client(), email, addresses=6, each=5, network="192.0.2.")
    assert evaluated == 30


# --- What the cookie is ---------------------------------------------------------------------


def test_known_browser_cookie_is_a_random_token_kept_only_as_a_digest(
    client: Client, bob: User
) -> None:
    response = sign_in(client, bob.email, PASSWORD)
    cookie = response.cookies[KNOWN_BROWSER_COOKIE]
    token = cookie.value
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == KNOWN_BROWSER_MAX_AGE == 180 * 24 * 3600
    assert str(bob.pk) not in token.split(":")  # no user id, signed or not
    [known] = KnownBrowser.objects.filter(user=bob)
    assert known.token_digest == digest(token)
    assert token not in {known.token_digest, known.password_fingerprint}
    assert known.expires_at - known.created_at == timedelta(seconds=KNOWN_BROWSER_MAX_AGE)


def test_known_browser_two_browsers_get_different_tokens(bob: User) -> None:
    first, second = known_browser_of(bob), known_browser_of(bob)
    assert first.cookies[KNOWN_BROWSER_COOKIE].value != second.cookies[KNOWN_BROWSER_COOKIE].value
    assert KnownBrowser.objects.filter(user=bob).count() == 2


# --- The exemption, while the cookie is valid ------------------------------------------------


def test_known_browser_is_spared_the_account_limit(
    clock: time_machine.Traveller, bob: User
) -> None:
    laptop = known_browser_of(bob)
    stuff_the_account_limit(bob.email)
    response = sign_in(laptop, bob.email, PASSWORD, ip=HOTEL_IP)
    assert response.status_code == 302
    assert is_signed_in(laptop)


def test_known_browser_cookie_copied_to_another_client_is_spared_only_while_valid(
    clock: time_machine.Traveller, bob: User
) -> None:
    laptop = known_browser_of(bob)
    copied = copy_of(laptop)
    stuff_the_account_limit(bob.email)
    # A bearer token: the copy is spared too, while it is valid.
    assert guess_from_many_addresses(copied, bob.email, addresses=2, each=2) == 4
    clock.shift(KNOWN_BROWSER_MAX_AGE + 1)
    stuff_the_account_limit(bob.email)
    assert guess_from_many_addresses(copied, bob.email, addresses=2, each=2) == 0
    assert LIMITED in page_html(sign_in(laptop, bob.email, PASSWORD, ip=HOTEL_IP))


@pytest.mark.parametrize("how", ["change", "reset"])
def test_known_browser_cookie_of_an_attacker_is_worthless_after_a_new_password(
    clock: time_machine.Traveller, bob: User, how: str
) -> None:
    # The attacker once signed in as bob and kept the browser's cookie.
    attacker = known_browser_of(bob, ip="203.0.113.66")
    if how == "change":
        services.do_change_password(bob, NEW_PASSWORD, actor=bob, keep_session_key=None)
    else:
        services.do_reset_password(bob, NEW_PASSWORD)

    # 45 guesses from 9 addresses: only the account-wide 30 are evaluated.
    evaluated = guess_from_many_addresses(attacker, bob.email, addresses=9, each=5)

    assert evaluated == 30
    assert LIMITED in page_html(sign_in(attacker, bob.email, NEW_PASSWORD, ip=HOTEL_IP))
    assert not KnownBrowser.objects.filter(user=bob).exists()


def test_known_browser_is_bound_to_the_password_even_when_it_changes_outside_the_services(
    clock: time_machine.Traveller, bob: User
) -> None:
    """`manage.py changepassword` and the like don't call the services: the binding to the
    password still voids the cookie."""
    laptop = known_browser_of(bob)
    bob.set_password(NEW_PASSWORD)
    bob.save(update_fields=["password"])
    stuff_the_account_limit(bob.email)
    assert LIMITED in page_html(sign_in(laptop, bob.email, NEW_PASSWORD, ip=HOTEL_IP))


def test_known_browser_signing_in_with_the_new_password_is_known_again(
    clock: time_machine.Traveller, bob: User
) -> None:
    laptop = known_browser_of(bob)
    services.do_change_password(bob, NEW_PASSWORD, actor=bob, keep_session_key=None)
    assert sign_in(laptop, bob.email, NEW_PASSWORD).status_code == 302
    laptop.post(reverse("accounts:logout"))
    stuff_the_account_limit(bob.email)
    assert sign_in(laptop, bob.email, NEW_PASSWORD, ip=HOTEL_IP).status_code == 302


def test_known_browser_of_one_account_is_not_spared_for_another(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    bobs_laptop = known_browser_of(bob)
    stuff_the_account_limit(alice.email)
    assert LIMITED in page_html(sign_in(bobs_laptop, alice.email, PASSWORD, ip=HOTEL_IP))


def test_known_browser_shared_by_two_people_is_known_for_both(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    family_pc = known_browser_of(alice)
    assert sign_in(family_pc, bob.email, PASSWORD).status_code == 302
    family_pc.post(reverse("accounts:logout"))
    stuff_the_account_limit(alice.email)
    stuff_the_account_limit(bob.email)
    assert sign_in(family_pc, alice.email, PASSWORD, ip=HOTEL_IP).status_code == 302
    family_pc.post(reverse("accounts:logout"))
    assert sign_in(family_pc, bob.email, PASSWORD, ip=HOTEL_IP).status_code == 302


# --- Forged, planted and old cookies -----------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        "garbage",
        "x" * 4000,
        "[1]",
        # The old format (a signed list of user ids) is no longer honoured.
        "old-format",
    ],
)
def test_known_browser_forged_or_garbage_cookie_is_ignored(
    clock: time_machine.Traveller, bob: User, forged: str
) -> None:
    if forged == "old-format":
        forged = signing.dumps([bob.pk], salt="accounts.known-browser")
    stuff_the_account_limit(bob.email)
    browser = Client()
    browser.cookies[KNOWN_BROWSER_COOKIE] = forged
    assert LIMITED in page_html(sign_in(browser, bob.email, PASSWORD, ip=HOTEL_IP))


def test_known_browser_token_planted_before_sign_in_is_replaced(
    clock: time_machine.Traveller, bob: User
) -> None:
    """An attacker who sets bob's cookie to a value they know (a cookie set from a sibling
    domain, say) learns nothing: every sign-in gives the browser a fresh token."""
    planted = "A" * 43
    laptop = Client()
    laptop.cookies[KNOWN_BROWSER_COOKIE] = planted
    assert sign_in(laptop, bob.email, PASSWORD).status_code == 302
    assert laptop.cookies[KNOWN_BROWSER_COOKIE].value != planted
    assert not KnownBrowser.objects.filter(token_digest=digest(planted)).exists()
    stuff_the_account_limit(bob.email)
    attacker = Client()
    attacker.cookies[KNOWN_BROWSER_COOKIE] = planted
    assert LIMITED in page_html(sign_in(attacker, bob.email, PASSWORD, ip=HOTEL_IP))


def test_known_browser_signing_in_again_retires_the_previous_token(
    clock: time_machine.Traveller, bob: User
) -> None:
    laptop = known_browser_of(bob)
    old_copy = copy_of(laptop)
    known_again = known_browser_of(bob)  # a second browser: its row must survive
    assert sign_in(laptop, bob.email, PASSWORD).status_code == 302
    stuff_the_account_limit(bob.email)
    assert LIMITED in page_html(sign_in(old_copy, bob.email, PASSWORD, ip=HOTEL_IP))
    assert sign_in(known_again, bob.email, PASSWORD, ip=HOTEL_IP).status_code == 302


def test_known_browser_remembers_at_most_ten_accounts(client: Client) -> None:
    people = [User.objects.create_user(f"person{n}@example.com", PASSWORD) for n in range(12)]
    for person in people:
        assert sign_in(client, person.email, PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
    token = client.cookies[KNOWN_BROWSER_COOKIE].value
    remembered = set(
        KnownBrowser.objects.filter(token_digest=digest(token)).values_list("user", flat=True)
    )
    assert remembered == {p.pk for p in people[2:]}


# --- Housekeeping ------------------------------------------------------------------------------


def test_purge_deletes_only_expired_known_browsers(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    known_browser_of(alice)
    clock.shift(timedelta(days=100))
    known_browser_of(bob)
    clock.shift(timedelta(days=81))
    assert purge_expired_known_browsers() == 1
    assert list(KnownBrowser.objects.values_list("user", flat=True)) == [bob.pk]


def test_purge_runs_daily_from_beat() -> None:
    entry = celery_app.conf.beat_schedule["purge-expired-known-browsers"]
    assert entry["task"] == purge_expired_known_browsers.name
    assert entry["schedule"] == 24 * 3600
