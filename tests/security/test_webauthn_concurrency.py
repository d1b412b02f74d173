"""Security keys under concurrency, on PostgreSQL (issue 12 finding 13): six sign-ins sent at the
same moment with the same signature counter were accepted four times.

Each round loads the stored key in every thread, as each request does, then checks at once. The
counter moves with a conditional UPDATE (ahead of the stored value), so only one UPDATE matches;
the same answer replayed with copies of one session is stopped by the challenge's claim in the
cache. SQLite serialises writers, so the race cannot happen there and the module is skipped.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.db import connection
from django.http import HttpRequest

from accounts.models import User
from security import webauthn
from security.models import WebAuthnCredential
from tests.security.soft_key import SoftKey, challenge_of
from tests.security.test_concurrency import race
from tests.security.test_webauthn import with_key

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, "
        "so the conditional update this test proves is not raced there",
    ),
]

ROUNDS = 10
PARALLEL = 6


class Ceremony:
    """Stands for one request of the sign-in: the WebAuthn service reads only its session."""

    def __init__(self, session: dict[str, Any]) -> None:
        self.session = session


def request_with(session: dict[str, Any]) -> HttpRequest:
    return cast(HttpRequest, Ceremony(session))


def new_challenge(user: User) -> tuple[dict[str, Any], str]:
    """A session holding a fresh sign-in challenge, and that challenge."""
    session: dict[str, Any] = {}
    options = webauthn.authentication_options(request_with(session), user)
    return session, challenge_of(options)


def signed_in_once(outcomes: list[Any]) -> int:
    unexpected = [
        o for o in outcomes if not isinstance(o, (WebAuthnCredential, webauthn.WebAuthnFailed))
    ]
    assert not unexpected, unexpected
    return sum(isinstance(o, WebAuthnCredential) for o in outcomes)


def test_parallel_sign_ins_with_the_same_counter_succeed_once(alice: User) -> None:
    """A cloned key: each copy answers its own challenge, all with the same next counter."""
    key = SoftKey(sign_count=1)
    stored = with_key(alice, key)
    for round_ in range(ROUNDS):
        counter = key.sign_count
        attempts = []
        for _ in range(PARALLEL):
            session, challenge = new_challenge(alice)
            key.sign_count = counter  # every copy signs with the same counter
            attempts.append((request_with(session), key.sign(challenge)))

        outcomes = race(
            *(
                lambda request=request, assertion=assertion: webauthn.authenticate(
                    request, alice, assertion
                )
                for request, assertion in attempts
            )
        )

        assert signed_in_once(outcomes) == 1, f"round {round_}: {outcomes}"
        stored.refresh_from_db()
        assert stored.sign_count == counter + 1


def test_the_same_answer_sent_in_parallel_succeeds_once(alice: User) -> None:
    """A key without a counter (it reports 0) has nothing to move: the challenge, claimed once,
    is what stops copies of one session from using the same answer."""
    key = SoftKey(sign_count=0)
    with_key(alice, key)
    for round_ in range(ROUNDS):
        session, challenge = new_challenge(alice)
        assertion = key.sign(challenge)

        outcomes = race(
            *(
                lambda copy=dict(session), assertion=assertion: webauthn.authenticate(
                    request_with(copy), alice, assertion
                )
                for _ in range(PARALLEL)
            )
        )

        assert signed_in_once(outcomes) == 1, f"round {round_}: {outcomes}"
