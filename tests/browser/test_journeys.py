"""What a person does in a real browser: sign up, invite bob, bob accepts, the legal-representative
rule explained, the language switch. Elements are found by role and accessible name."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from core.models import Notification
from organizations import services
from organizations.models import Membership, Organization, Role
from tests.browser.conftest import (
    NewContext,
    confirm_password_if_asked,
    label,
    path_of,
    sign_in,
)
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser

FOUNDER_EMAIL = "founder@example.com"
ORG_NAME = "Rossi Consulting"
# Long after the "confirm your password" window (10 minutes), well inside the idle timeout.
LATER = timedelta(minutes=15)


def fill_in_sign_up(page: Page, *, email: str = FOUNDER_EMAIL, org_name: str = ORG_NAME) -> None:
    """Fill in the sign-up form like a newcomer, up to "Check your inbox"."""
    page.goto("/accounts/signup/")
    page.get_by_label(label("First name")).fill("Giulia")
    page.get_by_label(label("Last name")).fill("Rossi")
    page.get_by_label(label("Email address")).fill(email)
    page.get_by_label(label("Organization name")).fill(org_name)
    page.get_by_label(label("New password")).fill(PASSWORD)
    page.get_by_label(label("Confirm the new password")).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")


def sign_up(page: Page, *, email: str = FOUNDER_EMAIL, org_name: str = ORG_NAME) -> User:
    """Sign up, verify the address with the emailed link, sign in; return the new user."""
    fill_in_sign_up(page, email=email, org_name=org_name)
    page.goto(email_link("verify_email", email))
    page.get_by_role("button", name="Verify my email address").click()
    expect(
        page.get_by_role("status").filter(has_text="Your email address is verified.")
    ).to_be_visible()
    sign_in(page, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(org_name)
    return User.objects.get(email=email)


def email_link(kind: str, email: str) -> str:
    """The portal link of the latest email of this kind to `email` (the outbox page is off in
    tests)."""
    notification = Notification.objects.filter(kind=kind, to=email).latest("created_at")
    match = re.search(r"https?://\S+?(/accounts/\S+/)", notification.body_text)
    assert match, notification.body_text
    return match.group(1)


def side_nav(page: Page, org_name: str = ORG_NAME) -> Any:
    return page.get_by_role("navigation", name=f"{org_name} navigation")


def member_row(page: Page, email: str) -> Any:
    return page.get_by_role("row").filter(has_text=email)


def invitation_link(email: str) -> str:
    """The link of the invitation email in the outbox (DEBUG's outbox page is off in tests)."""
    notification = Notification.objects.get(kind="member_invited", to=email)
    match = re.search(r"https?://\S+/accounts/invitations/\S+/", notification.body_text)
    assert match, notification.body_text
    return match.group(0)


# --- 1. Sign up ----------------------------------------------------------------------------------


def test_sign_up_says_check_your_inbox_and_signs_nobody_in(page: Page) -> None:
    fill_in_sign_up(page)

    expect(page.get_by_text(f"We sent an email to {FOUNDER_EMAIL}.")).to_be_visible()
    page.goto("/orgs/")
    assert path_of(page) == "/accounts/login/"


def test_sign_up_with_a_taken_address_looks_the_same_and_creates_nothing(page: Page) -> None:
    UserFactory.create(email=FOUNDER_EMAIL)

    fill_in_sign_up(page)

    expect(page.get_by_text(f"We sent an email to {FOUNDER_EMAIL}.")).to_be_visible()
    assert not Organization.objects.filter(name=ORG_NAME).exists()
    assert Notification.objects.filter(kind="sign_up_attempt", to=FOUNDER_EMAIL).exists()


def test_sign_up_then_verify_and_sign_in_lands_on_dashboard_as_legal_representative(
    page: Page,
) -> None:
    user = sign_up(page)

    org = Organization.objects.get(name=ORG_NAME)
    assert path_of(page) == f"/orgs/{org.slug}/"
    assert user.is_email_verified
    expect(page.get_by_text("Your role: Legal representative")).to_be_visible()
    membership = Membership.objects.get(organization=org, user=user)
    assert membership.role == Role.LEGAL_REPRESENTATIVE
    assert user.get_full_name() == "Giulia Rossi"
    assert user.check_password(PASSWORD)


def test_sign_up_with_different_passwords_shows_the_problem_and_creates_nothing(
    page: Page,
) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label(label("First name")).fill("Giulia")
    page.get_by_label(label("Last name")).fill("Rossi")
    page.get_by_label(label("Email address")).fill(FOUNDER_EMAIL)
    page.get_by_label(label("Organization name")).fill(ORG_NAME)
    page.get_by_label(label("New password")).fill(PASSWORD)
    page.get_by_label(label("Confirm the new password")).fill(PASSWORD + " typo")
    page.get_by_role("button", name="Create my account").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("The two passwords are not the same")).click()
    expect(page.get_by_label(label("Confirm the new password"))).to_be_focused()
    # What was typed is kept, except the passwords.
    expect(page.get_by_label(label("Organization name"))).to_have_value(ORG_NAME)
    assert not User.objects.filter(email=FOUNDER_EMAIL).exists()
    assert not Organization.objects.filter(name=ORG_NAME).exists()


# --- 2. Invite bob, bob accepts ---------------------------------------------------------------


def test_invite_member_is_accepted_by_bob_in_his_own_browser(
    page: Page, new_context: NewContext
) -> None:
    founder = sign_up(page)
    org = Organization.objects.get(name=ORG_NAME)
    bob = UserFactory.create(email="bob@example.com", first_name="Bob", last_name="Meier")

    side_nav(page).get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label(label("Email address")).fill("bob@example.com")
    page.get_by_role("radio", name="Administrator").check()
    page.get_by_role("button", name="Send the invitation").click()

    expect(
        page.get_by_role("status").filter(has_text="We sent an invitation to bob@example.com")
    ).to_be_visible()
    expect(member_row(page, "bob@example.com")).to_contain_text("Administrator")
    link = invitation_link("bob@example.com")

    bob_page = new_context().new_page()
    sign_in(bob_page, bob)
    bob_page.goto(link)
    expect(bob_page.get_by_role("heading", level=1)).to_have_text(f"Join {ORG_NAME}")
    bob_page.get_by_role("button", name="Accept the invitation").click()

    expect(bob_page.get_by_role("heading", level=1)).to_have_text(ORG_NAME)
    assert path_of(bob_page) == f"/orgs/{org.slug}/"
    expect(
        bob_page.get_by_role("status").filter(has_text=f"Welcome to {ORG_NAME}.")
    ).to_be_visible()
    expect(bob_page.get_by_text("Your role: Administrator")).to_be_visible()

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")
    bob_row = member_row(page, "bob@example.com").filter(has_text="Bob Meier")
    expect(bob_row).to_contain_text("Administrator")
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
    assert Membership.objects.get(organization=org, user=bob).role == Role.ADMINISTRATOR
    assert Membership.objects.get(organization=org, user=founder).role == Role.LEGAL_REPRESENTATIVE

    # The link works once.
    bob_page.goto(link)
    expect(bob_page.get_by_role("heading", level=1)).to_have_text("This invitation is not valid")
    expect(bob_page.get_by_role("button", name="Accept the invitation")).to_have_count(0)


def test_an_invitee_without_an_account_signs_up_from_the_invitation_and_joins_only_it(
    page: Page, new_context: NewContext, alice: User, acme: Organization
) -> None:
    """Issue 13, defect 5: the invited address was not filled in, an organization name was
    required (the invitee ended up with an organization they never wanted), and the email said
    to "open the link again". Signing up from an invitation joins the inviting organization and
    creates nothing else, as on GitHub."""
    services.do_invite_member(acme, email="frank@example.com", role=Role.COLLABORATOR, actor=alice)
    link = invitation_link("frank@example.com")

    frank = new_context().new_page()
    frank.goto(link)
    # Both "Create an account" links, the page's and the top bar's, keep the invitation.
    for create in frank.get_by_role("link", name="Create an account").all():
        assert "next=/accounts/invitations/" in (create.get_attribute("href") or "")
    frank.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(frank.get_by_label(label("Email address"))).to_have_value("frank@example.com")
    expect(frank.get_by_label(label("Organization name"))).to_have_count(0)
    frank.get_by_label(label("First name")).fill("Frank")
    frank.get_by_label(label("Last name")).fill("Huber")
    frank.get_by_label(label("New password")).fill(PASSWORD)
    frank.get_by_label(label("Confirm the new password")).fill(PASSWORD)
    frank.get_by_role("button", name="Create my account").click()
    expect(frank.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    verify = Notification.objects.filter(kind="verify_email", to="frank@example.com").latest(
        "created_at"
    )
    assert "open the link again" not in verify.body_text
    frank.goto(email_link("verify_email", "frank@example.com"))
    frank.get_by_role("button", name="Verify my email address").click()
    sign_in(frank, "frank@example.com")
    frank.goto(link)
    frank.get_by_role("button", name="Accept the invitation").click()

    expect(frank.get_by_role("heading", level=1)).to_have_text("Acme SA")
    user = User.objects.get(email="frank@example.com")
    assert [m.organization.slug for m in Membership.objects.filter(user=user)] == ["acme"]


def test_invitation_opened_by_another_account_offers_no_accept_button(
    page: Page, new_context: NewContext
) -> None:
    sign_up(page)
    org = Organization.objects.get(name=ORG_NAME)
    side_nav(page).get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label(label("Email address")).fill("bob@example.com")
    page.get_by_role("radio", name="Collaborator").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(
        page.get_by_role("status").filter(has_text="We sent an invitation to bob@example.com")
    ).to_be_visible()
    dave = UserFactory.create(email="dave@example.com")

    dave_page = new_context().new_page()
    sign_in(dave_page, dave)
    dave_page.goto(invitation_link("bob@example.com"))

    expect(dave_page.get_by_role("alert")).to_contain_text(
        "You are signed in as dave@example.com, but the invitation was sent to another address"
    )
    expect(dave_page.get_by_role("button", name="Accept the invitation")).to_have_count(0)
    assert not Membership.objects.filter(organization=org, user=dave).exists()


def test_invite_without_email_shows_the_problem_and_sends_nothing(page: Page) -> None:
    sign_up(page)
    side_nav(page).get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_role("radio", name="Administrator").check()
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a member")
    assert not Notification.objects.filter(kind="member_invited").exists()


# --- 3. The legal-representative rule ---------------------------------------------------------


def test_leave_as_only_legal_representative_explains_the_rule_and_changes_nothing(
    page: Page,
) -> None:
    founder = sign_up(page)
    org = Organization.objects.get(name=ORG_NAME)
    side_nav(page).get_by_role("link", name="Members").click()
    expect(
        page.get_by_role("status").filter(has_text="You are the only legal representative")
    ).to_be_visible()

    member_row(page, FOUNDER_EMAIL).get_by_role("link", name="Leave").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Leave {ORG_NAME}")
    page.get_by_role("button", name="Leave the organization").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("must keep at least one legal representative")
    expect(alert).to_contain_text("Appoint another legal representative first")
    expect(alert.get_by_role("link", name="Invite a new legal representative")).to_be_visible()
    expect(alert.get_by_role("link", name="Give the role to an existing member")).to_be_visible()
    membership = Membership.objects.get(organization=org, user=founder)
    assert membership.role == Role.LEGAL_REPRESENTATIVE
    assert Membership.objects.filter(organization=org).count() == 1

    alert.get_by_role("link", name="Invite a new legal representative").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a member")
    expect(page.get_by_role("radio", name="Legal representative")).to_be_checked()


def test_leave_after_giving_the_role_to_an_existing_member_succeeds(
    page: Page, acme: Organization, alice: User, bob: User
) -> None:
    """The way out: promote bob (through "Confirm your password"), then leave."""
    sign_in(page, alice)
    page.goto(f"/orgs/{acme.slug}/leave/")
    page.get_by_role("button", name="Leave the organization").click()
    page.get_by_role("alert").get_by_role(
        "link", name="Give the role to an existing member"
    ).click()

    with time_machine.travel(timezone.now() + LATER, tick=True):
        member_row(page, bob.email).get_by_role("link", name="Change role").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
        assert confirm_password_if_asked(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Change the role of Bob Meier")
        page.get_by_role("radio", name="Legal representative").check()
        page.get_by_role("button", name="Change the role").click()
        expect(
            page.get_by_role("status").filter(has_text="The role of Bob Meier is changed.")
        ).to_be_visible()
        expect(member_row(page, bob.email)).to_contain_text("Legal representative")

        member_row(page, alice.email).get_by_role("link", name="Leave").click()
        page.get_by_role("button", name="Leave the organization").click()
        expect(page.get_by_role("status").filter(has_text="You left Acme SA.")).to_be_visible()

    assert not Membership.objects.filter(organization=acme, user=alice).exists()
    assert Membership.objects.get(organization=acme, user=bob).role == Role.LEGAL_REPRESENTATIVE


def test_remove_legal_representative_as_administrator_is_refused_and_changes_nothing(
    page: Page, acme: Organization, alice: User, bob: User
) -> None:
    sign_in(page, bob)
    page.goto(f"/orgs/{acme.slug}/members/")
    # No way to remove the legal representative is offered to an administrator...
    alice_row = member_row(page, alice.email)
    expect(alice_row).to_contain_text("Legal representative")
    expect(alice_row.get_by_role("link", name=re.compile("^Remove"))).to_have_count(0)

    # ...and typing the address leads, after the password, to a refusal that changes nothing.
    alice_membership = Membership.objects.get(organization=acme, user=alice)
    with time_machine.travel(timezone.now() + LATER, tick=True):
        page.goto(f"/orgs/{acme.slug}/members/{alice_membership.pk}/remove/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
        assert confirm_password_if_asked(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("You are not allowed to do this")
    expect(page.get_by_role("button", name="Remove this member")).to_have_count(0)
    alice_membership.refresh_from_db()
    assert alice_membership.role == Role.LEGAL_REPRESENTATIVE
    assert Membership.objects.filter(organization=acme).count() == 2


def test_confirm_password_with_wrong_password_stays_and_explains(
    page: Page, acme: Organization, alice: User, bob: User
) -> None:
    sign_in(page, alice)
    bob_membership = Membership.objects.get(organization=acme, user=bob)
    with time_machine.travel(timezone.now() + LATER, tick=True):
        page.goto(f"/orgs/{acme.slug}/members/{bob_membership.pk}/remove/")
        page.get_by_label(label("Password")).fill("not the password at all")
        page.get_by_role("button", name="Confirm").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        expect(page.get_by_role("button", name="Remove this member")).to_have_count(0)
    assert Membership.objects.filter(pk=bob_membership.pk).exists()


# --- 4. Language ------------------------------------------------------------------------------


def test_switch_language_to_italian_from_top_bar_changes_the_page_language(
    page: Page, acme: Organization, alice: User
) -> None:
    sign_in(page, alice)
    page.goto(f"/orgs/{acme.slug}/members/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("banner").get_by_label(label("Language")).select_option(label="Italiano")

    expect(page.locator("html")).to_have_attribute("lang", "it")
    assert path_of(page) == f"/orgs/{acme.slug}/members/"
    alice.refresh_from_db()
    assert alice.language == "it"
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "it")


def test_switch_language_signed_out_is_kept_for_the_next_page(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(label("Language")).select_option(label="Italiano")
    expect(page.locator("html")).to_have_attribute("lang", "it")

    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "it")
