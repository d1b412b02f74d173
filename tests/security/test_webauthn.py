"""Security keys: registering one, and signing in with it, answered by a key in software
(tests/security/soft_key.py) and checked by py_webauthn as in production.

Issue 12 finding 13: registering a credential id already stored answered 500; a challenge was not
used up when the answer named an unknown credential; the signature counter was written without a
condition (the race itself is replayed on PostgreSQL in test_webauthn_concurrency.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from security.models import WebAuthnCredential
from tests.conftest import signed_in
from tests.security.helpers import VERIFY_URL, is_signed_in, sign_in
from tests.security.soft_key import SoftKey, challenge_of

ADD_OPTIONS_URL = reverse("security:security-key-options")
REGISTER_URL = reverse("security:security-key-register")
SIGN_IN_OPTIONS_URL = reverse("security:verify-security-key-options")
SIGN_IN_URL = reverse("security:verify-security-key")


def post_json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def add_key(client: Client, key: SoftKey, name: str = "YubiKey") -> Any:
    """The security key page: options, then the key's answer."""
    challenge = challenge_of(client.post(ADD_OPTIONS_URL).content)
    return post_json(client, REGISTER_URL, {"credential": key.register(challenge), "name": name})


def with_key(user: User, key: SoftKey) -> WebAuthnCredential:
    """A confirmed security key of `user`, as the page leaves it."""
    return WebAuthnCredential.objects.create(
        user=user,
        name="YubiKey",
        confirmed=True,
        credential_id=key.id,
        public_key=key.cose_public_key(),
        sign_count=key.sign_count,
    )


def at_second_step(user: User) -> Client:
    """A browser that typed the right password and is asked for the second factor."""
    client = Client()
    response = sign_in(client, user)
    assert response["Location"] == VERIFY_URL
    return client


def sign_in_options(client: Client) -> str:
    return challenge_of(client.post(SIGN_IN_OPTIONS_URL).content)


def answer(client: Client, assertion: dict[str, Any]) -> Any:
    return post_json(client, SIGN_IN_URL, {"credential": assertion})


# --- Registering --------------------------------------------------------------------------------


def test_add_a_security_key_turns_two_factor_on(alice: User) -> None:
    client = signed_in(alice)
    key = SoftKey(sign_count=1)

    response = add_key(client, key)

    assert response.status_code == 200, response.content
    stored = WebAuthnCredential.objects.get(user=alice)
    assert stored.confirmed
    assert stored.credential_id == key.id
    assert stored.sign_count == 1


def test_add_a_security_key_already_registered_to_someone_else_is_a_clear_refusal(
    alice: User, bob: User
) -> None:
    """Registering an existing credential id answered 500 (the unique index)."""
    key = SoftKey()
    with_key(alice, key)
    client = signed_in(bob)

    response = add_key(client, SoftKey(credential_id=key.credential_id))

    assert response.status_code == 400
    assert response.json() == {"message": "This security key is already registered."}
    assert not WebAuthnCredential.objects.filter(user=bob).exists()
    assert WebAuthnCredential.objects.get(credential_id=key.id).user == alice


def test_add_the_same_security_key_twice_is_a_clear_refusal(alice: User) -> None:
    """The browser is asked to exclude keys already registered; one that ignores it is told."""
    client = signed_in(alice)
    key = SoftKey()
    assert add_key(client, key).status_code == 200

    response = add_key(client, key)

    assert response.status_code == 400
    assert response.json() == {"message": "This security key is already registered."}
    assert WebAuthnCredential.objects.filter(user=alice).count() == 1


def test_add_a_security_key_with_an_answer_to_an_old_challenge_is_refused(alice: User) -> None:
    client = signed_in(alice)
    old = challenge_of(client.post(ADD_OPTIONS_URL).content)
    client.post(ADD_OPTIONS_URL)

    response = post_json(client, REGISTER_URL, {"credential": SoftKey().register(old)})

    assert response.status_code == 400
    assert not WebAuthnCredential.objects.exists()


# --- Signing in ---------------------------------------------------------------------------------


def test_sign_in_with_the_security_key_works(alice: User) -> None:
    key = SoftKey(sign_count=7)
    stored = with_key(alice, key)
    client = at_second_step(alice)

    response = answer(client, key.sign(sign_in_options(client)))

    assert response.status_code == 200, response.content
    assert is_signed_in(client)
    stored.refresh_from_db()
    assert stored.sign_count == 8
    assert stored.last_used_at is not None


def test_sign_in_with_a_key_without_a_counter_works_each_time(alice: User) -> None:
    """Keys that report 0 (many passkeys) have no counter to move: 0 stays allowed."""
    key = SoftKey(sign_count=0)
    stored = with_key(alice, key)

    for _ in range(2):
        client = at_second_step(alice)
        assert answer(client, key.sign(sign_in_options(client))).status_code == 200
        assert is_signed_in(client)

    stored.refresh_from_db()
    assert stored.sign_count == 0


def test_sign_in_with_a_counter_that_did_not_move_forward_is_refused(alice: User) -> None:
    """A cloned key repeats a counter the original already used."""
    key = SoftKey(sign_count=5)
    with_key(alice, key)
    client = at_second_step(alice)
    assert answer(client, key.sign(sign_in_options(client))).status_code == 200  # counter 6
    clone = at_second_step(alice)
    key.sign_count = 5  # the clone's next signature carries 6 again

    response = answer(clone, key.sign(sign_in_options(clone)))

    assert response.status_code == 400
    assert not is_signed_in(clone)
    assert WebAuthnCredential.objects.get(user=alice).sign_count == 6


def test_sign_in_with_an_unknown_key_uses_up_the_challenge(alice: User) -> None:
    """The challenge stayed in the session when the answer named an unknown credential, so it
    could be tried again with other keys."""
    key = SoftKey(sign_count=1)
    with_key(alice, key)
    client = at_second_step(alice)
    challenge = sign_in_options(client)

    unknown = answer(client, SoftKey().sign(challenge))
    replayed = answer(client, key.sign(challenge))

    assert unknown.status_code == 400
    assert replayed.status_code == 400
    assert not is_signed_in(client)
    # A new challenge works.
    assert answer(client, key.sign(sign_in_options(client))).status_code == 200


@pytest.mark.parametrize("body", [{}, {"credential": "not json"}, {"credential": {"id": 1}}])
def test_sign_in_with_a_malformed_answer_uses_up_the_challenge(
    alice: User, body: dict[str, Any]
) -> None:
    key = SoftKey(sign_count=1)
    with_key(alice, key)
    client = at_second_step(alice)
    challenge = sign_in_options(client)

    malformed = post_json(client, SIGN_IN_URL, body)
    replayed = answer(client, key.sign(challenge))

    assert malformed.status_code == 400
    assert replayed.status_code == 400
    assert not is_signed_in(client)


def test_sign_in_with_the_same_answer_twice_works_once(alice: User) -> None:
    key = SoftKey(sign_count=0)
    with_key(alice, key)
    client = at_second_step(alice)
    assertion = key.sign(sign_in_options(client))
    session_before = client.cookies["sessionid"].value

    assert answer(client, assertion).status_code == 200
    # Replayed in the session as it was before the sign-in (a copied cookie).
    other = Client()
    other.cookies["sessionid"] = session_before
    assert answer(other, assertion).status_code in {400, 403}
    assert not is_signed_in(other)
