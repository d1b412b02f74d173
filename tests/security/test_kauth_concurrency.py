"""kAuth under concurrency, on PostgreSQL (issue 12 finding 5): sign-in requests pushed to one
phone at the same moment, from different attempts, leave one request pending, not several.

A push locks the device row before retiring the earlier requests, so simultaneous pushes take
turns. SQLite serialises writers, so the race cannot happen there and the module is skipped.
"""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from security import kauth
from tests.conftest import clear_cache
from tests.security.test_concurrency import race
from tests.security.test_kauth_services import with_kauth

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, "
        "so the pushes this test races are not parallel there",
    ),
]

ROUNDS = 10
PARALLEL = 4


def test_pushes_at_the_same_moment_leave_one_pending_request(alice: User) -> None:
    device, _credential, _seed = with_kauth(alice)
    for round_ in range(ROUNDS):
        clear_cache()  # the rounds together would pass the push limits

        outcomes = race(
            *(
                lambda: kauth.do_push_challenge(device, attempt_secret=kauth.new_attempt_secret())
                for _ in range(PARALLEL)
            )
        )

        assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
        assert len(kauth.pending_for_device(device)) == 1, f"round {round_}"
