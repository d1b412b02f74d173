"""The billing notification preferences page: only members who manage billing (an outsider gets
404, a collaborator without accounting rights 403), each member edits their own choices, saved
on every change with htmx (a small "Saved" fragment) or with the Save button (redirect and
message), and a refused post changes nothing and says why."""

from __future__ import annotations

from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import User
from billing.models import NotificationPreference
from billing.recipients import DEFAULTS, choices_of
from billing.reminders import do_update_billing_preferences
from core.models import AuditEvent
from organizations.models import Organization, Role
from tests.conftest import ClientResponse, membership, signed_in
from tests.factories import MembershipFactory

URL = "/orgs/acme/billing/settings/"
HTMX = {"HX-Request": "true"}

# What the form posts with the defaults: every box ticked but 60 and 1 days.
DEFAULT_POST: dict[str, Any] = {
    "renewal_reminders": "on",
    "lead_days": ["30", "15", "7"],
    "auto_renew_reminder": "on",
    "renewal_confirmation": "on",
    "invoice_issued": "on",
}


class _Inputs(HTMLParser):
    """The checkboxes of a page: {(name, value): checked}."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: dict[tuple[str, str], bool] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "checkbox":
            self.boxes[(a.get("name") or "", a.get("value") or "on")] = "checked" in a


def checked(response: ClientResponse) -> set[tuple[str, str]]:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return {box for box, on in parser.boxes.items() if on}


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="billing_preferences.updated").order_by("pk"))


def stored(user: User, org: Organization) -> Mapping[str, Any] | None:
    row = NotificationPreference.objects.filter(membership=membership(user, org)).values(
        "renewal_reminders",
        "lead_days",
        "auto_renew_reminder",
        "renewal_confirmation",
        "invoice_issued",
    )
    return row.first()


# --- Who may open it ----------------------------------------------------------------------------


def test_settings_page_for_an_outsider_is_404(as_dave: Client, alice: User) -> None:
    assert as_dave.get(URL).status_code == 404
    assert as_dave.post(URL, DEFAULT_POST).status_code == 404


def test_settings_page_for_a_collaborator_without_accounting_rights_is_403(
    as_erin: Client, erin: User, acme: Organization
) -> None:
    assert as_erin.get(URL).status_code == 403
    assert as_erin.post(URL, {**DEFAULT_POST, "invoice_issued": ""}).status_code == 403
    assert as_erin.post(URL, {}, headers=HTMX).status_code == 403
    assert stored(erin, acme) is None
    assert events() == []


def test_settings_page_signed_out_asks_to_sign_in(client: Client, alice: User) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_settings_page_opens_for_a_collaborator_with_accounting_rights(
    acme: Organization, alice: User
) -> None:
    accountant = MembershipFactory.create(
        organization=acme, role=Role.COLLABORATOR, billing_rights=True
    )

    response = signed_in(accountant.user).get(URL)

    assert response.status_code == 200
    assert "Billing notifications" in response.content.decode()


def test_settings_page_shows_the_defaults(as_alice: Client) -> None:
    response = as_alice.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "I want to receive reminder emails before the renewal due date" in page
    assert "A reminder 14 days before an automatic renewal" in page
    assert "60 days before (two months)" in page
    assert checked(response) == {
        ("renewal_reminders", "on"),
        ("lead_days", "30"),
        ("lead_days", "15"),
        ("lead_days", "7"),
        ("auto_renew_reminder", "on"),
        ("renewal_confirmation", "on"),
        ("invoice_issued", "on"),
    }
    # The live region that announces "Saved", and the form htmx posts on every change.
    assert 'id="billing-settings-status"' in page
    assert 'aria-live="polite"' in page
    assert 'hx-trigger="change, submit"' in page
    assert "<h1>Billing notifications</h1>" in page


def test_settings_page_get_changes_nothing(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    as_alice.get(URL, {"invoice_issued": ""})

    assert stored(alice, acme) is None
    assert events() == []


def test_settings_page_hides_the_lead_times_while_reminders_are_off(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    NotificationPreference.objects.create(
        membership=membership(alice, acme), renewal_reminders=False, lead_days=[30]
    )

    page = as_alice.get(URL).content.decode()

    assert 'id="billing-settings-lead-days"' in page
    fieldset = page[page.index('id="billing-settings-lead-days"') :].split(">", 1)[0]
    assert "hidden" in fieldset


# --- Saving -------------------------------------------------------------------------------------


def test_settings_save_with_htmx_answers_the_saved_fragment(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    response = as_alice.post(
        URL, {**DEFAULT_POST, "lead_days": ["60", "30", "1"], "invoice_issued": ""}, headers=HTMX
    )

    assert response.status_code == 200
    fragment = response.content.decode()
    assert "Saved" in fragment
    assert "<main" not in fragment
    assert "<html" not in fragment
    assert stored(alice, acme) == {
        "renewal_reminders": True,
        "lead_days": [60, 30, 1],
        "auto_renew_reminder": True,
        "renewal_confirmation": True,
        "invoice_issued": False,
    }
    [event] = events()
    assert event.organization_id == acme.pk
    assert event.actor == alice
    assert event.data == {"changed": {"lead_days": [60, 30, 1], "invoice_issued": False}}


def test_settings_switching_reminders_off_with_htmx_hides_the_lead_times(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    response = as_alice.post(URL, {**DEFAULT_POST, "renewal_reminders": ""}, headers=HTMX)

    fragment = response.content.decode()
    assert "Saved" in fragment
    # The lead times are swapped out of band, hidden, and keep what was chosen.
    assert 'hx-swap-oob="true"' in fragment
    assert "hidden" in fragment.split('id="billing-settings-lead-days"', 1)[1].split(">", 1)[0]
    assert stored(alice, acme)["lead_days"] == [30, 15, 7]  # type: ignore[index]

    # Ticking a lead time leaves the lead times where they are (the focus stays on the box).
    ticked = as_alice.post(
        URL, {**DEFAULT_POST, "renewal_reminders": "", "lead_days": ["30"]}, headers=HTMX
    )
    assert "Saved" in ticked.content.decode()
    assert "hx-swap-oob" not in ticked.content.decode()


def test_settings_save_without_htmx_redirects_with_a_message(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    response = as_alice.post(URL, {**DEFAULT_POST, "auto_renew_reminder": ""})

    assert response.status_code == 302
    assert response["Location"] == URL
    page = as_alice.get(URL)
    assert "Your notification preferences are saved." in page.content.decode()
    assert ("auto_renew_reminder", "on") not in checked(page)
    assert stored(alice, acme)["auto_renew_reminder"] is False  # type: ignore[index]


def test_settings_refused_without_htmx_shows_the_errors_once(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    """The autosave's "Not saved" line belongs to the htmx answer; the whole page has the error
    summary (a missing `saved` is not "saved is not None")."""
    response = as_alice.post(URL, {**DEFAULT_POST, "lead_days": ["nonsense"]})

    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert "Not saved:" not in page


def test_settings_save_without_a_change_writes_nothing(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    as_alice.post(URL, DEFAULT_POST, headers=HTMX)
    assert stored(alice, acme) is None  # the defaults, still not stored
    assert events() == []

    as_alice.post(URL, {**DEFAULT_POST, "invoice_issued": ""}, headers=HTMX)
    as_alice.post(URL, {**DEFAULT_POST, "invoice_issued": ""}, headers=HTMX)
    assert len(events()) == 1


@pytest.mark.parametrize("lead", ["45", "0", "-7", "61", "thirty"])
def test_settings_refuses_a_lead_time_not_offered_and_changes_nothing(
    as_alice: Client, alice: User, acme: Organization, lead: str
) -> None:
    post = {**DEFAULT_POST, "lead_days": ["30", lead], "invoice_issued": ""}

    page = as_alice.post(URL, post)
    assert page.status_code == 200
    text = page.content.decode()
    assert "There is a problem" in text
    assert "is not one of the lead times offered" in text
    assert 'id="id_lead_days_error"' in text  # next to the field
    # What was typed stays: the invoice box is still unticked.
    assert ("invoice_issued", "on") not in checked(page)

    fragment = as_alice.post(URL, post, headers=HTMX).content.decode()
    assert "Not saved" in fragment
    assert "is not one of the lead times offered" in fragment

    assert stored(alice, acme) is None
    assert events() == []


def test_settings_refuses_reminders_on_without_any_lead_time(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    post = {key: value for key, value in DEFAULT_POST.items() if key != "lead_days"}

    fragment = as_alice.post(URL, post, headers=HTMX).content.decode()
    assert "Choose at least one lead time" in fragment

    assert stored(alice, acme) is None
    # With reminders off, no lead time is fine.
    as_alice.post(URL, {**post, "renewal_reminders": ""}, headers=HTMX)
    assert stored(alice, acme)["renewal_reminders"] is False  # type: ignore[index]


def test_each_members_preferences_are_independent(
    as_alice: Client, as_bob: Client, alice: User, bob: User, acme: Organization
) -> None:
    as_alice.post(URL, {**DEFAULT_POST, "lead_days": ["1"]}, headers=HTMX)
    as_bob.post(URL, {**DEFAULT_POST, "renewal_confirmation": ""}, headers=HTMX)

    assert stored(alice, acme)["lead_days"] == [1]  # type: ignore[index]
    assert stored(alice, acme)["renewal_confirmation"] is True  # type: ignore[index]
    assert stored(bob, acme)["lead_days"] == [30, 15, 7]  # type: ignore[index]
    assert stored(bob, acme)["renewal_confirmation"] is False  # type: ignore[index]
    assert ("lead_days", "1") in checked(as_alice.get(URL))
    assert ("lead_days", "1") not in checked(as_bob.get(URL))
    assert [e.actor for e in events()] == [alice, bob]


def test_preferences_in_another_organization_are_separate(
    as_alice: Client, alice: User, acme: Organization, studio_carol: Organization
) -> None:
    MembershipFactory.create(organization=studio_carol, user=alice, role=Role.ADMINISTRATOR)

    as_alice.post("/orgs/studio-carol/billing/settings/", {**DEFAULT_POST, "lead_days": ["60"]})

    assert stored(alice, studio_carol)["lead_days"] == [60]  # type: ignore[index]
    assert stored(alice, acme) is None
    assert choices_of(membership(alice, acme)) == DEFAULTS


# --- The service --------------------------------------------------------------------------------


def test_update_preferences_for_someone_else_is_refused(
    alice: User, bob: User, acme: Organization
) -> None:
    with pytest.raises(PermissionDenied):
        do_update_billing_preferences(membership(bob, acme), {"invoice_issued": False}, actor=alice)
    assert stored(bob, acme) is None


def test_update_preferences_without_billing_rights_is_refused(
    erin: User, acme: Organization
) -> None:
    with pytest.raises(PermissionDenied):
        do_update_billing_preferences(membership(erin, acme), DEFAULT_POST, actor=erin)


def test_update_preferences_refuses_a_lead_time_not_offered(
    alice: User, acme: Organization
) -> None:
    with pytest.raises(ValueError, match="not offered"):
        do_update_billing_preferences(
            membership(alice, acme), {**DEFAULT_POST, "lead_days": [30, 45]}, actor=alice
        )
    assert stored(alice, acme) is None


def test_update_preferences_returns_what_changed(alice: User, acme: Organization) -> None:
    mine = membership(alice, acme)
    data = {**DEFAULT_POST, "renewal_reminders": False, "lead_days": [60, 7]}

    assert do_update_billing_preferences(mine, data, actor=alice) == [
        "renewal_reminders",
        "lead_days",
    ]
    assert do_update_billing_preferences(mine, data, actor=alice) == []
    assert choices_of(membership(alice, acme)).lead_days == (60, 7)
