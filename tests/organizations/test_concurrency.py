"""The legal-representative rule under concurrency, on PostgreSQL.

Two legal representatives act against each other at the same instant, from two threads with their
own database connections, many times over. The services lock the organization's row before
counting, so one of the two changes wins and the other is refused: afterwards exactly one legal
representative remains and no organization is ever left without one.

The refusal the loser gets depends on what the winner did:
- both leave: the loser would be the last one -> LegalRepresentativeRequired;
- A removes B while B removes A: the loser is no longer a member -> PermissionDenied;
- A demotes B while B demotes A: the loser is an administrator now, who may not touch a legal
  representative -> PermissionDenied.
Each case expects exactly its own refusal for the loser (and checks who remains), so any other
exception, a deadlock or a lost update fails it.

SQLite serialises writers with a database-wide lock, so the race cannot happen there and the
test is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.models import User
from organizations import services
from organizations.models import Membership, Organization, Role
from organizations.services import LegalRepresentativeRequired
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, "
        "so the row locks this test proves are not exercised there",
    ),
]

ROUNDS = 30
TIMEOUT = 30  # seconds a round may take before it counts as a deadlock

Action = Callable[[Membership, Membership], None]  # (mine, theirs)


def _remove_other(mine: Membership, theirs: Membership) -> None:
    services.do_remove_member(theirs, actor=mine.user)


def _leave(mine: Membership, theirs: Membership) -> None:
    services.do_leave_organization(mine, actor=mine.user)


def _demote_other(mine: Membership, theirs: Membership) -> None:
    services.do_change_role(theirs, role=Role.ADMINISTRATOR, actor=mine.user)


def _round(n: int, action: Action) -> tuple[Organization, list[BaseException | None], list[int]]:
    """One organization with legal representatives A and B; both act at once. Returns the
    organization, what each thread raised (None: its change was made) and the users A and B."""
    org = OrganizationFactory.create(name=f"Race {n}", slug=f"race-{n}")
    a = MembershipFactory.create(organization=org, role=Role.LEGAL_REPRESENTATIVE)
    b = MembershipFactory.create(organization=org, role=Role.LEGAL_REPRESENTATIVE)
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    outcomes: list[BaseException | None] = [None, None]

    def run(index: int, mine_pk: int, theirs_pk: int) -> None:
        try:
            # Each thread reads its own copies, as two web requests would.
            mine = Membership.objects.select_related("user", "organization").get(pk=mine_pk)
            theirs = Membership.objects.select_related("user", "organization").get(pk=theirs_pk)
            barrier.wait()
            action(mine, theirs)
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(0, a.pk, b.pk)),
        threading.Thread(target=run, args=(1, b.pk, a.pk)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), f"round {n}: a thread is stuck (deadlock?)"
    return org, outcomes, [a.user_id, b.user_id]


def _legal_users(org: Organization) -> set[int]:
    return set(
        Membership.objects.filter(organization=org)
        .legal_representatives()
        .values_list("user_id", flat=True)
    )


def _organizations_without_legal_representative() -> int:
    with_one = Membership.objects.legal_representatives().values("organization_id")
    return Organization.objects.exclude(pk__in=with_one).count()


@pytest.mark.parametrize(
    ("action", "loser_refusal"),
    [
        (_leave, LegalRepresentativeRequired),
        (_remove_other, PermissionDenied),
        (_demote_other, PermissionDenied),
    ],
    ids=["both-leave", "remove-each-other", "demote-each-other"],
)
def test_two_legal_representatives_racing_leave_one(
    action: Action, loser_refusal: type[Exception]
) -> None:
    for n in range(ROUNDS):
        org, outcomes, users = _round(n, action)

        legal = _legal_users(org)
        assert len(legal) == 1, f"round {n}: {len(legal)} legal representatives, {outcomes}"
        unexpected = [
            e
            for e in outcomes
            if e is not None and not isinstance(e, (LegalRepresentativeRequired, PermissionDenied))
        ]
        assert not unexpected, f"round {n}: {unexpected!r}"
        failed = [i for i, e in enumerate(outcomes) if e is not None]
        assert len(failed) == 1, f"round {n}: exactly one change must win, got {outcomes}"
        loser = failed[0]
        assert isinstance(outcomes[loser], loser_refusal), f"round {n}: {outcomes[loser]!r}"
        # Who remains: the one who left first is gone; otherwise the winner removed or demoted
        # the loser.
        remaining = users[loser] if action is _leave else users[1 - loser]
        assert legal == {remaining}, f"round {n}"

    assert _organizations_without_legal_representative() == 0


def test_deactivating_both_legal_representatives_at_once_leaves_one() -> None:
    """Support deactivates A while, at the same moment, someone deactivates B."""
    for n in range(ROUNDS):
        org = OrganizationFactory.create(name=f"Deactivate {n}", slug=f"deactivate-{n}")
        users = [UserFactory.create(), UserFactory.create()]
        for user in users:
            MembershipFactory.create(organization=org, user=user, role=Role.LEGAL_REPRESENTATIVE)
        barrier = threading.Barrier(2, timeout=TIMEOUT)
        outcomes: list[BaseException | None] = [None, None]

        def run(index: int, user_pk: int, barrier: Any = barrier, outcomes: Any = outcomes) -> None:
            try:
                user = User.objects.get(pk=user_pk)
                barrier.wait()
                services.do_deactivate_user(user, actor=None)
            except BaseException as exc:
                outcomes[index] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i, u.pk)) for i, u in enumerate(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
            assert not t.is_alive(), f"round {n}: a thread is stuck (deadlock?)"

        assert len(_legal_users(org)) == 1, f"round {n}: {outcomes}"
        assert sum(isinstance(e, LegalRepresentativeRequired) for e in outcomes) == 1, outcomes
        assert sum(e is None for e in outcomes) == 1, outcomes

    assert _organizations_without_legal_representative() == 0
