"""Single use under concurrency, on PostgreSQL: the same TOTP code or emergency code sent twice
at the same moment, from two threads with their own database connections, succeeds once; and
two removals at once cannot leave a person whose organization requires 2FA without any method.

Each case runs many rounds. A code is claimed with a conditional UPDATE (TOTP: `last_t` below the
step; emergency code: `used_at` still empty), so the loser's UPDATE matches no row. SQLite
serialises writers with a database-wide lock, so the race cannot happen there and the module is
skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from organizations.models import Organization, Role
from security import services
from security.models import EmergencyCodesDevice, OrganizationSecurityPolicy, TOTPDevice
from security.models.emergency import EmergencyCodeHasher
from tests.conftest import with_authenticator
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.security.helpers import VERIFY_URL, code_for, sign_in

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, "
        "so the conditional updates this test proves are not raced there",
    ),
]

ROUNDS = 30
PAGE_ROUNDS = 8
TIMEOUT = 30  # seconds a round may take before it counts as stuck


@pytest.fixture(autouse=True)
def _quick_emergency_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer PBKDF2 rounds for the codes made here: the race is what is tested, and both
    threads reach their UPDATE closer together when hashing is quick."""
    monkeypatch.setattr(EmergencyCodeHasher, "iterations", 1_000)


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at the same moment, one thread each; what each returned or raised."""
    barrier = threading.Barrier(len(actions), timeout=TIMEOUT)
    outcomes: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = action()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread is stuck (deadlock?)"
    return outcomes


def loaded_totp(pk: int) -> Callable[[str], Callable[[], bool]]:
    """Each thread loads its own copy first, as a request does, then verifies."""

    def with_code(code: str) -> Callable[[], bool]:
        device = TOTPDevice.objects.get(pk=pk)
        return lambda: device.verify_token(code)

    return with_code


# --- TOTP ---------------------------------------------------------------------------------------


def test_same_totp_code_twice_at_once_is_accepted_once() -> None:
    user = UserFactory.create()
    for n in range(ROUNDS):
        device = with_authenticator(user)
        code = code_for(device)
        step = int(time.time() // 30)
        load = loaded_totp(device.pk)
        outcomes = race(load(code), load(code))
        assert sorted(outcomes) == [False, True], f"round {n}: {outcomes}"
        # The loser's refusal did not write back the old marker (which would re-open the code).
        assert TOTPDevice.objects.get(pk=device.pk).last_t >= step - 1, f"round {n}"


def test_same_totp_code_in_two_browsers_at_once_signs_in_one() -> None:
    for n in range(PAGE_ROUNDS):
        user = UserFactory.create()
        device = with_authenticator(user)
        browsers = [Client(), Client()]
        for browser in browsers:
            assert sign_in(browser, user)["Location"] == VERIFY_URL
        code = code_for(device)
        responses = race(*(lambda b=b, c=code: b.post(VERIFY_URL, {"code": c}) for b in browsers))
        signed_in = [r.status_code == 302 for r in responses]
        assert sorted(signed_in) == [False, True], f"round {n}: {responses}"
        assert sum(b.session.get("_auth_user_id") == str(user.pk) for b in browsers) == 1


# --- Emergency codes ----------------------------------------------------------------------------


def test_same_emergency_code_twice_at_once_is_accepted_once() -> None:
    user = UserFactory.create()
    for n in range(ROUNDS):
        device = EmergencyCodesDevice.objects.create(user=user, name=f"Codes {n}")
        codes = device.replace_codes()
        code = codes[n % len(codes)]
        copies = [EmergencyCodesDevice.objects.get(pk=device.pk) for _ in range(2)]
        outcomes = race(*(lambda c=c, t=code: c.verify_token(t) for c in copies))
        assert sorted(outcomes) == [False, True], f"round {n}: {outcomes}"
        assert EmergencyCodesDevice.objects.get(pk=device.pk).remaining == 9, f"round {n}"
        device.delete()


def test_same_emergency_code_in_two_browsers_at_once_signs_in_one() -> None:
    for n in range(PAGE_ROUNDS):
        user = UserFactory.create()
        with_authenticator(user)
        code = services.do_regenerate_emergency_codes(user, actor=user)[0]
        browsers = [Client(), Client()]
        for browser in browsers:
            sign_in(browser, user)
        data = {"code": code, "method": "emergency"}
        responses = race(*(lambda b=b, d=data: b.post(VERIFY_URL, d) for b in browsers))
        assert sorted(r.status_code for r in responses) == [200, 302], f"round {n}"
        assert EmergencyCodesDevice.objects.get(user=user).remaining == 9, f"round {n}"


# --- Removing the last methods at once ----------------------------------------------------------


@pytest.fixture
def requiring_org(db: Any) -> Organization:
    org = OrganizationFactory.create(name="Strict SA", slug="strict")
    OrganizationSecurityPolicy.objects.create(organization=org, require_two_factor=True)
    return org


def test_removing_both_methods_at_once_keeps_one_when_required(
    requiring_org: Organization,
) -> None:
    for n in range(ROUNDS):
        user: User = UserFactory.create()
        MembershipFactory.create(organization=requiring_org, user=user, role=Role.COLLABORATOR)
        devices = [with_authenticator(user), with_authenticator(user)]
        copies = [TOTPDevice.objects.get(pk=d.pk) for d in devices]
        outcomes = race(
            *(lambda d=d, u=user: services.do_remove_method(d, actor=u) for d in copies)
        )
        refused = [o for o in outcomes if isinstance(o, services.TwoFactorRequired)]
        assert len(refused) == 1, f"round {n}: {outcomes}"
        assert False in outcomes, f"round {n}: {outcomes}"
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1, f"round {n}"
