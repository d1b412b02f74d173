"""axe-core on every page of the accounts and organizations issue, signed in as the role that
uses the page, plus the frame every page promises (UI.md): one <h1>, a <title>, one <main>,
a "Skip to content" link, visible keyboard focus, and a layout that holds from 360 px up."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from organizations import services
from organizations.models import Membership, Organization, Role
from tests.browser.conftest import (
    NewContext,
    assert_accessible,
    axe_violations,
    frame_problems,
    label,
    sign_in,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(tempfile.gettempdir()) / "portal-browser-screenshots"


@dataclass(frozen=True)
class Cast:
    acme: Organization
    alice: User
    bob: User
    erin: User
    bob_membership: Membership
    invitation_token: str


@dataclass(frozen=True)
class Visit:
    """A page as one person sees it: who is signed in (None: nobody), where they go, and what
    they do there first (for states such as a form with errors)."""

    who: str | None
    path: Callable[[Cast], str]
    then: Callable[[Page], None] | None = None
    in_organization: bool = False


def _submit_empty(button: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        page.get_by_role("button", name=button).click()
        expect(page.get_by_role("alert")).to_be_visible()

    return act


def _leave_refused(page: Page) -> None:
    page.get_by_role("button", name="Leave the organization").click()
    expect(page.get_by_role("alert")).to_contain_text("must keep at least one legal representative")


def _wrong_password(page: Page) -> None:
    page.get_by_label(label("Password")).fill("not the password at all")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_be_visible()


def _another_session(page: Page) -> None:
    """Sign in from a second browser too, so the page lists a session to sign out."""
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin
    browser = page.context.browser
    assert browser
    other = browser.new_context(base_url=origin.group(0))
    try:
        sign_in(other.new_page(), "alice@example.com")
    finally:
        other.close()
    page.reload()
    expect(page.get_by_role("button", name="Sign out of all other sessions")).to_be_visible()


def _form_expired(page: Page) -> None:
    page.context.clear_cookies()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The form expired")


PAGES: dict[str, Visit] = {
    "login": Visit(None, lambda c: "/accounts/login/"),
    "login with errors": Visit(None, lambda c: "/accounts/login/", _submit_empty("Sign in")),
    "signup": Visit(None, lambda c: "/accounts/signup/"),
    "signup with errors": Visit(
        None, lambda c: "/accounts/signup/", _submit_empty("Create my account")
    ),
    "password reset request": Visit(None, lambda c: "/accounts/password/reset/"),
    "password reset sent": Visit(None, lambda c: "/accounts/password/reset/sent/"),
    "password reset link not valid": Visit(None, lambda c: "/accounts/password/reset/MQ/nope/"),
    "profile": Visit("alice", lambda c: "/accounts/profile/"),
    "password change": Visit("alice", lambda c: "/accounts/password/"),
    "password change with errors": Visit(
        "alice", lambda c: "/accounts/password/", _submit_empty("Change my password")
    ),
    "sessions": Visit("alice", lambda c: "/accounts/sessions/"),
    "sessions, two browsers": Visit("alice", lambda c: "/accounts/sessions/", _another_session),
    "account activity": Visit("alice", lambda c: "/accounts/activity/"),
    "confirm password": Visit(
        "alice", lambda c: f"/accounts/confirm-password/?next=/orgs/{c.acme.slug}/members/"
    ),
    "confirm password with errors": Visit(
        "alice",
        lambda c: f"/accounts/confirm-password/?next=/orgs/{c.acme.slug}/members/",
        _wrong_password,
    ),
    "organization list": Visit("alice", lambda c: "/orgs/"),
    "organization list empty": Visit("erin", lambda c: "/orgs/"),
    "create organization": Visit("alice", lambda c: "/orgs/new/"),
    "dashboard": Visit("alice", lambda c: f"/orgs/{c.acme.slug}/", in_organization=True),
    "members": Visit("alice", lambda c: f"/orgs/{c.acme.slug}/members/", in_organization=True),
    "members as administrator": Visit(
        "bob", lambda c: f"/orgs/{c.acme.slug}/members/", in_organization=True
    ),
    "invite": Visit(
        "alice", lambda c: f"/orgs/{c.acme.slug}/members/invite/", in_organization=True
    ),
    "invite with errors": Visit(
        "alice",
        lambda c: f"/orgs/{c.acme.slug}/members/invite/",
        _submit_empty("Send the invitation"),
        in_organization=True,
    ),
    "member role": Visit(
        "alice",
        lambda c: f"/orgs/{c.acme.slug}/members/{c.bob_membership.pk}/role/",
        in_organization=True,
    ),
    "member remove": Visit(
        "alice",
        lambda c: f"/orgs/{c.acme.slug}/members/{c.bob_membership.pk}/remove/",
        in_organization=True,
    ),
    "leave": Visit("alice", lambda c: f"/orgs/{c.acme.slug}/leave/", in_organization=True),
    "leave refused": Visit(
        "alice", lambda c: f"/orgs/{c.acme.slug}/leave/", _leave_refused, in_organization=True
    ),
    "organization settings": Visit(
        "alice", lambda c: f"/orgs/{c.acme.slug}/settings/", in_organization=True
    ),
    "organization activity": Visit(
        "alice", lambda c: f"/orgs/{c.acme.slug}/activity/", in_organization=True
    ),
    "invitation accept": Visit("erin", lambda c: f"/accounts/invitations/{c.invitation_token}/"),
    "invitation accept signed out": Visit(
        None, lambda c: f"/accounts/invitations/{c.invitation_token}/"
    ),
    "invitation not valid": Visit("erin", lambda c: "/accounts/invitations/not-a-token/"),
    "403 page": Visit("bob", lambda c: f"/orgs/{c.acme.slug}/activity/"),
    "404 page": Visit("alice", lambda c: "/orgs/no-such-organization/"),
    "404 page signed out": Visit(None, lambda c: "/no-such-page/"),
    "form expired (CSRF) page": Visit(None, lambda c: "/accounts/login/", _form_expired),
}


@pytest.fixture
def cast(acme: Organization, alice: User, bob: User) -> Cast:
    """Acme with alice (legal representative) and bob (administrator); erin has no
    organization yet and holds a pending invitation to Acme."""
    from tests.factories import UserFactory

    erin = UserFactory.create(email="erin@example.com", first_name="Erin", last_name="Weber")
    invitation = services.do_invite_member(
        acme, email=erin.email, role=Role.COLLABORATOR, actor=alice
    )
    return Cast(
        acme=acme,
        alice=alice,
        bob=bob,
        erin=erin,
        bob_membership=Membership.objects.get(organization=acme, user=bob),
        invitation_token=services.invitation_token(invitation),
    )


def _open(page: Page, cast: Cast, visit: Visit) -> None:
    if visit.who:
        sign_in(page, getattr(cast, visit.who))
    page.goto(visit.path(cast))
    if visit.then:
        visit.then(page)


@pytest.mark.parametrize("name", list(PAGES))
def test_visit_page_finds_no_serious_violation_and_the_whole_frame(
    page: Page, cast: Cast, name: str
) -> None:
    visit = PAGES[name]
    _open(page, cast, visit)

    assert_accessible(page, name, organization=cast.acme.name if visit.in_organization else None)


def test_axe_reports_a_field_without_label(page: Page) -> None:
    """The check above can fail: the same page with a field nobody labelled is reported."""
    page.goto("/accounts/login/")
    assert not axe_violations(page)[0]

    page.evaluate(
        """() => document.querySelector("main form").insertAdjacentHTML(
            "afterbegin", '<input type="text" name="unlabelled">')"""
    )

    assert "label" in {v["id"] for v in axe_violations(page)[0]}


def test_frame_check_reports_a_second_heading(page: Page, cast: Cast) -> None:
    """The frame check can fail too."""
    visit = PAGES["login"]
    _open(page, cast, visit)
    assert frame_problems(page) == []

    page.evaluate("() => document.querySelector('main').append(document.createElement('h1'))")

    assert frame_problems(page) == ["2 <h1> elements instead of one"]


def test_skip_link_is_first_on_tab_and_moves_focus_to_content(page: Page) -> None:
    page.goto("/accounts/login/")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label(label("Email address"))).to_be_focused()


def _tab_to(page: Page, name: str, limit: int = 30) -> None:
    """Press Tab until the element named `name` has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '').trim()"
        )
        if focused == name:
            return
    pytest.fail(f"{name!r} was not reached with {limit} presses of Tab")


def _focus_ring(page: Page) -> dict[str, str]:
    ring: dict[str, str] = page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return {style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor};
        }"""
    )
    return ring


def test_keyboard_focus_on_a_link_is_visible(page: Page, cast: Cast) -> None:
    sign_in(page, cast.alice)
    page.goto(f"/orgs/{cast.acme.slug}/")

    _tab_to(page, "See the members")

    ring = _focus_ring(page)
    assert ring["style"] != "none", ring
    assert float(ring["width"].removesuffix("px")) >= 2, ring
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members")


def test_keyboard_focus_on_a_button_is_visible(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(label("Password")).focus()

    page.keyboard.press("Tab")

    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    ring = _focus_ring(page)
    assert ring["style"] != "none", ring


def test_members_page_fits_a_phone_and_a_desktop(new_context: NewContext, cast: Cast) -> None:
    """Screenshots for a person to look at, and what can be checked without eyes: no sideways
    scrolling, the side navigation folded away on a phone and open on a desktop."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = f"/orgs/{cast.acme.slug}/members/"
    nav_name = f"{cast.acme.name} navigation"

    for width, height in ((360, 780), (1280, 900)):
        page = new_context(viewport={"width": width, "height": height}).new_page()
        sign_in(page, cast.alice)
        page.goto(path)
        page.screenshot(path=SCREENSHOTS / f"members-{width}.png", full_page=True)

        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{width}px: the page scrolls sideways by {overflow}px"
        nav = page.get_by_role("navigation", name=nav_name)
        members_link = nav.get_by_role("link", name="Members")
        if width < 720:
            expect(members_link).to_be_hidden()
            nav.get_by_text(cast.acme.name, exact=True).click()
            expect(members_link).to_be_visible()
        else:
            expect(members_link).to_be_visible()
