"""Renewal reminders: each lead time once, on its day, to the right people, in one digest per
person, never after a renewal or when switched off — and the same under a re-run, a missed day or
two sweeps at once. Time is frozen with time_machine and moved a day at a time, as beat would."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from billing import reminders
from billing.models import NotificationPreference, Product, Reminder
from billing.reminders import queue_due_reminders, send_due_reminders, send_pending_reminders
from core.models import Notification
from organizations.models import Membership, Organization, Role
from tests.conftest import membership
from tests.factories import (
    ContactFactory,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
)

ZURICH = ZoneInfo("Europe/Zurich")
START = datetime(2026, 3, 2, 6, 0, tzinfo=ZURICH)  # the hourly sweep's first run of the day

pytestmark = pytest.mark.frozen_at(START)  # the `clock` fixture starts there


def choose(user: User, org: Organization, **fields: Any) -> NotificationPreference:
    """Store `user`'s choices in `org` (the defaults for what is not given)."""
    values: dict[str, Any] = {
        "renewal_reminders": True,
        "lead_days": [30, 15, 7],
        "auto_renew_reminder": True,
        "renewal_confirmation": True,
        "invoice_issued": True,
        **fields,
    }
    pref, _ = NotificationPreference.objects.update_or_create(
        membership=membership(user, org), defaults=values
    )
    return pref


def product_in(days: int, org: Organization, **fields: Any) -> Product:
    return ProductFactory.create(
        organization=org, expires_on=timezone.localdate() + timedelta(days=days), **fields
    )


def emails_to(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="renewal_reminder").order_by("pk"))


def walk(clock: time_machine.Traveller, days: int) -> dict[int, int]:
    """Run the sweep once a day for `days` days from today (today first); returns, per day
    offset, how many reminders were sent that day (days without any are left out)."""
    sent: dict[int, int] = {}
    for offset in range(days):
        if offset:
            clock.shift(timedelta(days=1))
        if count := send_due_reminders():
            sent[offset] = count
    return sent


# --- Lead times ---------------------------------------------------------------------------------


def test_sweep_each_lead_time_fires_once_on_its_day(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    choose(alice, acme, lead_days=[60, 30, 15, 7, 1])
    domain = product_in(61, acme, name="acme.ch")

    sent = walk(clock, 62)  # 61 days left ... 0 days left

    assert {61 - offset for offset in sent} == {60, 30, 15, 7, 1}
    assert all(count == 1 for count in sent.values())
    emails = emails_to(alice)
    assert len(emails) == 5
    assert all("acme.ch" in e.body_text for e in emails)
    assert sorted(
        Reminder.objects.filter(product=domain, state=Reminder.State.SENT).values_list(
            "lead_days", flat=True
        )
    ) == [1, 7, 15, 30, 60]


def test_sweep_with_default_choices_reminds_30_15_and_7_days_before(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    product_in(45, acme)

    sent = walk(clock, 46)

    assert sorted(45 - offset for offset in sent) == [7, 15, 30]


def test_sweep_switched_off_sends_nothing(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    choose(alice, acme, renewal_reminders=False, lead_days=[60, 30, 15, 7, 1])
    product_in(61, acme)

    assert walk(clock, 62) == {}
    assert emails_to(alice) == []
    assert not Reminder.objects.exists()


def test_switching_off_after_queueing_drops_the_reminder(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    domain = product_in(30, acme)
    assert queue_due_reminders() == 1

    choose(alice, acme, renewal_reminders=False)

    assert send_pending_reminders() == 0
    assert emails_to(alice) == []
    assert Reminder.objects.get(product=domain).state == Reminder.State.DROPPED


def test_removing_a_lead_time_after_queueing_drops_its_reminder(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    product_in(30, acme)
    queue_due_reminders()

    choose(alice, acme, lead_days=[15, 7])

    assert send_pending_reminders() == 0
    assert Reminder.objects.get().state == Reminder.State.DROPPED


def test_losing_billing_rights_after_queueing_drops_the_reminder(
    clock: time_machine.Traveller, acme: Organization, alice: User, bob: User
) -> None:
    product_in(30, acme)
    queue_due_reminders()
    Membership.objects.filter(user=bob).update(role=Role.COLLABORATOR)

    assert send_pending_reminders() == 1
    assert Reminder.objects.get(recipient=bob).state == Reminder.State.DROPPED
    assert len(emails_to(alice)) == 1
    assert emails_to(bob) == []


def test_no_reminder_once_the_product_was_renewed(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    domain = product_in(30, acme)
    queue_due_reminders()
    # Renewed between the queueing and the sending.
    Product.objects.filter(pk=domain.pk).update(expires_on=domain.expires_on + timedelta(days=365))

    assert send_pending_reminders() == 0
    assert Reminder.objects.get(product=domain).state == Reminder.State.DROPPED
    # Nothing more in the month that follows...
    assert walk(clock, 30) == {}
    # ...and the new cycle starts 30 days before the new date.
    clock.move_to(START + timedelta(days=365))
    assert send_due_reminders() == 1
    assert Reminder.objects.filter(product=domain, state=Reminder.State.SENT).get().lead_days == 30


def test_sweep_run_again_the_same_day_sends_nothing_more(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    product_in(30, acme)

    assert send_due_reminders() == 1
    assert send_due_reminders() == 0
    clock.shift(timedelta(hours=1))  # the next hourly run
    assert send_due_reminders() == 0

    assert len(emails_to(alice)) == 1
    assert Reminder.objects.count() == 1


def test_missed_day_catches_up_once(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    product_in(31, acme)
    assert send_due_reminders() == 0  # 31 days left: nothing yet

    clock.shift(timedelta(days=2))  # beat was down on the day with 30 days left
    assert send_due_reminders() == 1  # 29 days left: the 30-day reminder, late but once

    sent = walk(clock, 14)  # 29 ... 16 days left
    assert sent == {}
    clock.shift(timedelta(days=1))
    assert send_due_reminders() == 1  # 15 days left
    assert sorted(Reminder.objects.values_list("lead_days", flat=True)) == [15, 30]


def test_first_sweep_for_a_product_close_to_its_date_sends_one_reminder_not_a_burst(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    product_in(10, acme)

    assert send_due_reminders() == 1

    assert list(Reminder.objects.values_list("lead_days", flat=True)) == [15]
    assert len(emails_to(alice)) == 1


def test_auto_renew_products_only_get_the_14_day_reminder(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    choose(alice, acme, lead_days=[60, 30, 15, 7, 1])
    hosting = product_in(61, acme, name="www.acme.ch", auto_renew=True, kind="web_hosting")

    sent = walk(clock, 62)

    assert [61 - offset for offset in sent] == [14]
    reminder = Reminder.objects.get(product=hosting)
    assert (reminder.kind, reminder.lead_days) == (Reminder.Kind.AUTO_RENEW, 14)
    [email] = emails_to(alice)
    assert "www.acme.ch" in email.body_text
    assert "Automatic renewal: on" in email.body_text
    # One price format, the pages' (issue 13, defect 9): the currency first.
    assert f"Renewal price: CHF {hosting.price:.2f}" in email.body_text


def test_auto_renew_reminder_switched_off_sends_nothing(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    choose(alice, acme, auto_renew_reminder=False)
    product_in(20, acme, auto_renew=True)

    assert walk(clock, 21) == {}


# --- Digest, recipients, language ---------------------------------------------------------------


def test_three_products_due_the_same_day_arrive_in_one_email(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    for name in ("one.ch", "two.ch", "three.ch"):
        product_in(30, acme, name=name)

    assert send_due_reminders() == 3

    [email] = emails_to(alice)
    assert "3 products" in email.subject
    for name in ("one.ch", "two.ch", "three.ch"):
        assert name in email.body_text
        assert name in email.body_html


def test_digest_past_its_limit_is_split_and_sends_each_reminder_once(
    clock: time_machine.Traveller,
    acme: Organization,
    alice: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reminders, "DIGEST_LIMIT", 2)
    for i in range(5):
        product_in(30, acme, name=f"many{i}.ch")

    assert send_due_reminders() == 5

    emails = emails_to(alice)
    assert [e.subject for e in emails] == [
        "Renewal reminder: 2 products expire soon",
        "Renewal reminder: 2 products expire soon",
        "Renewal reminder: 1 product expires soon",
    ]
    assert sorted(n for e in emails for n in e.body_text.split() if n.startswith("many")) == [
        f"many{i}.ch" for i in range(5)
    ]
    assert send_due_reminders() == 0


def test_email_lists_each_products_details_and_links(
    clock: time_machine.Traveller, acme: Organization, alice: User
) -> None:
    domain = product_in(30, acme, name="acme.ch", price=Decimal("15.50"))

    send_due_reminders()

    [email] = emails_to(alice)
    assert email.subject == "Renewal reminder: 1 product expires soon"
    assert email.to == "alice@example.com"
    body = email.body_text
    assert "acme.ch (Domain name, Acme SA)" in body
    assert "in 30 days" in body
    assert "Automatic renewal: off" in body
    assert "CHF 15.50" in body
    assert f"/orgs/acme/products/{domain.pk}/" in body
    assert "/orgs/acme/billing/settings/" in body
    assert f'href="http://localhost:8000/orgs/acme/products/{domain.pk}/"' in email.body_html


def test_recipients_are_billing_members_of_the_manager_and_of_the_payer(
    clock: time_machine.Traveller,
    acme: Organization,
    studio_carol: Organization,
    alice: User,
    bob: User,
    carol: User,
    erin: User,
) -> None:
    accountant = MembershipFactory.create(
        organization=acme, role=Role.COLLABORATOR, billing_rights=True
    ).user
    external = MembershipFactory.create(organization=acme, role=Role.EXTERNAL).user
    paid_by_carol = product_in(30, acme, name="client.ch", payer=studio_carol)

    assert send_due_reminders() == 4

    assert {r.recipient for r in Reminder.objects.all()} == {alice, bob, carol, accountant}
    assert emails_to(erin) == []
    assert emails_to(external) == []
    # carol pays without managing it: her link is Studio Carol's billing page, and the
    # preferences link is her own in Studio Carol.
    [email] = emails_to(carol)
    assert "client.ch" in email.body_text
    assert "/orgs/studio-carol/billing/" in email.body_text
    assert f"/orgs/acme/products/{paid_by_carol.pk}/" not in email.body_text
    assert "/orgs/studio-carol/billing/settings/" in email.body_text
    # The accountant (a collaborator) may not open every product: the billing page instead.
    [email] = emails_to(accountant)
    assert "/orgs/acme/billing/\n" in email.body_text
    assert f"/orgs/acme/products/{paid_by_carol.pk}/" not in email.body_text


def test_person_in_both_organizations_gets_one_email_with_the_union_of_choices(
    clock: time_machine.Traveller, acme: Organization, studio_carol: Organization, alice: User
) -> None:
    MembershipFactory.create(organization=studio_carol, user=alice, role=Role.ADMINISTRATOR)
    choose(alice, acme, renewal_reminders=False)
    choose(alice, studio_carol, lead_days=[60, 7])
    product_in(61, acme, name="shared.ch", payer=studio_carol)

    sent = walk(clock, 62)

    assert [61 - offset for offset in sent] == [60, 7]
    assert len(emails_to(alice)) == 2
    assert Reminder.objects.count() == 2


def test_inactive_person_gets_nothing(
    clock: time_machine.Traveller, acme: Organization, alice: User, bob: User
) -> None:
    User.objects.filter(pk=bob.pk).update(is_active=False)
    product_in(30, acme)

    assert send_due_reminders() == 1
    assert emails_to(bob) == []


def test_email_is_in_the_recipients_language(
    clock: time_machine.Traveller, acme: Organization, alice: User, bob: User
) -> None:
    User.objects.filter(pk=alice.pk).update(language="it")
    product_in(30, acme, name="acme.ch")

    send_due_reminders()

    [italian] = emails_to(alice)
    assert italian.language == "it"
    assert "acme.ch" in italian.body_text
    assert "acme.ch" in italian.body_html
    [english] = emails_to(bob)
    assert english.language == "en"


# --- Scale and concurrency ----------------------------------------------------------------------


def test_queue_phase_costs_the_same_queries_for_10_and_200_products(
    clock: time_machine.Traveller,
    acme: Organization,
    alice: User,
    django_assert_max_num_queries: Any,
) -> None:
    owner = ContactFactory.create(organization=acme)
    today = timezone.localdate()

    def make(count: int) -> None:
        due = count * 6 // 10
        Product.objects.bulk_create(
            Product(
                organization=acme,
                owner=owner,
                payer=acme,
                kind="domain",
                name=f"p{count}-{i}.ch",
                expires_on=today + timedelta(days=1 + i % 30 if i < due else 31 + i % 30),
                price=Decimal("15.00"),
            )
            for i in range(count)
        )

    # 60% within 30 days (due with the default choices), the rest further away (read, nothing
    # due): few enough rows that SQLite's 999 parameters a statement do not split the insert.
    make(10)
    with CaptureQueriesContext(connection) as ten:
        assert queue_due_reminders() == 6
    Reminder.objects.all().delete()
    Product.objects.all().delete()

    make(200)
    with django_assert_max_num_queries(len(ten.captured_queries)):
        assert queue_due_reminders() == 120
    assert Reminder.objects.count() == 120


def test_queue_phase_walks_every_batch(
    clock: time_machine.Traveller,
    acme: Organization,
    studio_carol: Organization,
    alice: User,
    carol: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reminders, "BATCH_SIZE", 3)
    for i in range(7):
        product_in(30, acme if i % 2 else studio_carol, name=f"batch{i}.ch")
    product_in(61, acme)  # outside the window
    product_in(0, acme)  # expires today: too late for a reminder

    assert send_due_reminders() == 7
    assert len(emails_to(alice)) == 1
    assert len(emails_to(carol)) == 1


def _two_sweeps_at_once(today: date) -> list[int]:
    """Two sweeps for `today` started at the same instant from two threads, each with its own
    database connection, as two beat runs on two workers would."""
    results: list[Any] = [None, None]
    barrier = threading.Barrier(2, timeout=30)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = send_due_reminders(today)
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive(), "a sweep is stuck (deadlock?)"
    assert all(isinstance(r, int) for r in results), results
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writers, so "
    "the row locks this test proves are not exercised there",
)
def test_two_sweeps_at_once_send_each_reminder_once() -> None:
    acme = OrganizationFactory.create(name="Acme SA", slug="acme")
    partner = OrganizationFactory.create(name="Studio Carol", slug="studio-carol")
    members = [
        MembershipFactory.create(organization=acme, role=Role.ADMINISTRATOR) for _ in range(12)
    ]
    members.append(MembershipFactory.create(organization=partner, role=Role.LEGAL_REPRESENTATIVE))
    for m in members:
        NotificationPreference.objects.create(membership=m, lead_days=[60, 30, 15, 7])
    start = date(2026, 3, 2)
    for i in range(40):  # 60, 59 and 58 days left on the first day; one in four paid by partner
        ProductFactory.create(
            organization=acme,
            payer=partner if i % 4 == 0 else acme,
            expires_on=start + timedelta(days=60 - i % 3),
        )
    per_round = 40 * 12 + 10

    # Each lead time in turn (two of three products caught up a day or two late): every
    # reminder exactly once, and every person exactly one email a round, never two halves.
    for n, later in enumerate((0, 30, 45, 53)):
        results = _two_sweeps_at_once(start + timedelta(days=later))

        assert sum(results) == per_round, f"round {n}: {results}"
        emails = Notification.objects.filter(kind="renewal_reminder")
        assert emails.count() == len(members) * (n + 1), f"round {n}"

    assert Reminder.objects.filter(state=Reminder.State.SENT).count() == 4 * per_round
    assert not Reminder.objects.exclude(state=Reminder.State.SENT).exists()
    assert sorted(set(Reminder.objects.values_list("lead_days", flat=True))) == [7, 15, 30, 60]
