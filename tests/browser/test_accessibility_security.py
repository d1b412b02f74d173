"""axe-core on every page of two-factor authentication (authenticator apps and emergency codes), in
each state a person meets them, plus the frame every page promises (UI.md): one <h1>, a <title>,
one <main>, a "Skip to content" link; and what axe cannot see: the second step used with the
keyboard, the QR code's name, the secret pages on a phone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from organizations.models import Organization
from security import services as security_services
from security.methods import public_id
from security.models import EmergencyCode, TOTPDevice
from tests.browser.conftest import (
    NewContext,
    add_authenticator,
    assert_accessible,
    axe_violations,
    frame_problems,
    label,
    sign_in,
    sign_in_with_authenticator,
    turn_on_two_factor,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Cast:
    acme: Organization
    alice: User  # legal representative of Acme, no two-factor authentication
    bob: User  # administrator of Acme: one authenticator app ("Phone") and emergency codes
    erin: User  # collaborator of Acme: two authenticator apps ("Phone", "Tablet")
    bob_phone: TOTPDevice
    erin_tablet: TOTPDevice
    alice_pending: TOTPDevice  # an app alice started to add, not confirmed yet


@dataclass(frozen=True)
class Visit:
    """A page as one person sees it: who is signed in (None: nobody), where they go, and what
    they do there first (for states such as a form with errors). `before` changes the data
    first; `second_step=False` stops after the password, on the second step of signing in."""

    who: str | None
    path: Callable[[Cast], str]
    then: Callable[[Page], None] | None = None
    in_organization: bool = False
    before: Callable[[Cast], None] | None = None
    second_step: bool = True


def _fill_and_submit(field: str, value: str, button: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        page.get_by_label(label(field)).fill(value)
        page.get_by_role("button", name=button).click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("There is a problem")
        expect(alert).to_be_focused()

    return act


def _try_another_way(page: Page) -> None:
    page.get_by_text("Try another way").click()
    expect(page.get_by_role("link", name="Use an emergency code")).to_be_visible()


def _replace_codes(page: Page) -> None:
    page.get_by_role("button", name="Replace my emergency codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your emergency codes")


def _require_two_factor(cast: Cast) -> None:
    security_services.do_set_organization_requirement(cast.acme, True, actor=cast.alice)


def _few_codes_left(cast: Cast) -> None:
    codes = EmergencyCode.objects.filter(device__user=cast.bob).order_by("pk")
    used = list(codes.values_list("pk", flat=True)[:8])
    EmergencyCode.objects.filter(pk__in=used).update(used_at="2025-01-01T00:00:00Z")


def _method(device: Callable[[Cast], TOTPDevice], action: str) -> Callable[[Cast], str]:
    return lambda c: f"/security/two-factor/{public_id(device(c).persistent_id)}/{action}/"


WRONG_CODE = "000000"

PAGES: dict[str, Visit] = {
    "two-factor, off": Visit("alice", lambda c: "/security/two-factor/"),
    "two-factor, on": Visit("bob", lambda c: "/security/two-factor/"),
    "two-factor, two methods": Visit("erin", lambda c: "/security/two-factor/"),
    "two-factor, few emergency codes left": Visit(
        "bob", lambda c: "/security/two-factor/", before=_few_codes_left
    ),
    "two-factor, sent by an organization that requires it": Visit(
        "alice", lambda c: f"/orgs/{c.acme.slug}/", before=_require_two_factor
    ),
    "add an authenticator app": Visit("alice", lambda c: "/security/two-factor/authenticator/"),
    "add an authenticator app with errors": Visit(
        "alice",
        lambda c: "/security/two-factor/authenticator/",
        _fill_and_submit("Name", "", "Continue"),
    ),
    "confirm with the QR code": Visit(
        "alice", lambda c: f"/security/two-factor/authenticator/{c.alice_pending.pk}/"
    ),
    "confirm with the QR code, wrong code": Visit(
        "alice",
        lambda c: f"/security/two-factor/authenticator/{c.alice_pending.pk}/",
        _fill_and_submit("Code", WRONG_CODE, "Turn on"),
    ),
    "emergency codes shown once": Visit(
        "bob", lambda c: "/security/two-factor/emergency-codes/regenerate/", _replace_codes
    ),
    "create new emergency codes": Visit(
        "bob", lambda c: "/security/two-factor/emergency-codes/regenerate/"
    ),
    "rename a method": Visit("bob", _method(lambda c: c.bob_phone, "rename")),
    "remove a method": Visit("erin", _method(lambda c: c.erin_tablet, "remove")),
    "remove the last method": Visit("bob", _method(lambda c: c.bob_phone, "remove")),
    "remove the last method, organization requires two-factor": Visit(
        "bob", _method(lambda c: c.bob_phone, "remove"), before=_require_two_factor
    ),
    "second step": Visit("bob", lambda c: "/security/verify/", second_step=False),
    "second step, try another way": Visit(
        "bob", lambda c: "/security/verify/", _try_another_way, second_step=False
    ),
    "second step, wrong code": Visit(
        "bob",
        lambda c: "/security/verify/",
        _fill_and_submit("Code", WRONG_CODE, "Continue"),
        second_step=False,
    ),
    "second step, emergency code": Visit(
        "bob", lambda c: "/security/verify/?method=emergency", second_step=False
    ),
    "second step, emergency code refused": Visit(
        "bob",
        lambda c: "/security/verify/?method=emergency",
        _fill_and_submit("Emergency code", "aaaaa-aaaaa", "Continue"),
        second_step=False,
    ),
    "second step, another method": Visit(
        "erin", lambda c: "/security/verify/", _try_another_way, second_step=False
    ),
    "organization security": Visit(
        "alice", lambda c: f"/orgs/{c.acme.slug}/security/", in_organization=True
    ),
    "organization security, two-factor required": Visit(
        "bob",
        lambda c: f"/orgs/{c.acme.slug}/security/",
        in_organization=True,
        before=_require_two_factor,
    ),
}


@pytest.fixture
def cast(acme: Organization, alice: User, bob: User, erin: User) -> Cast:
    bob_phone, _codes = turn_on_two_factor(bob, name="Phone")
    turn_on_two_factor(erin, name="Phone")
    erin_tablet = add_authenticator(erin, name="Tablet")
    return Cast(
        acme=acme,
        alice=alice,
        bob=bob,
        erin=erin,
        bob_phone=bob_phone,
        erin_tablet=erin_tablet,
        alice_pending=security_services.do_start_totp(alice, name="New phone"),
    )


def _open(page: Page, cast: Cast, visit: Visit) -> None:
    if visit.before:
        visit.before(cast)
    if visit.who:
        user: User = getattr(cast, visit.who)
        if visit.second_step and TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            sign_in_with_authenticator(page, user)
        else:
            sign_in(page, user)
    page.goto(visit.path(cast))
    if visit.then:
        visit.then(page)


@pytest.mark.parametrize("name", list(PAGES))
def test_visit_security_page_finds_no_serious_violation_and_the_whole_frame(
    page: Page, cast: Cast, name: str
) -> None:
    visit = PAGES[name]
    _open(page, cast, visit)

    assert_accessible(page, name, organization=cast.acme.name if visit.in_organization else None)


def test_axe_reports_a_qr_code_without_a_name(page: Page, cast: Cast) -> None:
    """The check above can fail: the QR code's accessible name is what keeps the page clean."""
    _open(page, cast, PAGES["confirm with the QR code"])
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert not axe_violations(page)[0]

    qr.evaluate("element => element.removeAttribute('aria-label')")

    assert "role-img-alt" in {v["id"] for v in axe_violations(page)[0]}


def test_frame_check_reports_a_missing_skip_link(page: Page, cast: Cast) -> None:
    """The frame check can fail too."""
    _open(page, cast, PAGES["second step"])
    assert frame_problems(page) == []

    page.evaluate("() => document.querySelector('.skip-link').remove()")

    assert frame_problems(page) == ["no 'Skip to content' link"]


def test_second_step_works_with_the_keyboard_alone(page: Page, cast: Cast) -> None:
    """The code field has focus on arrival; "Try another way" opens with Enter and leads to the
    emergency code, whose field has focus in turn."""
    sign_in(page, cast.bob)

    expect(page.get_by_label(label("Code"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continue")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Use an emergency code")
    expect(link).to_be_visible()
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_label(label("Emergency code"))).to_be_focused()


PHONE = {"width": 360, "height": 780}


def _sideways_scroll(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def test_secret_pages_fit_a_phone(new_context: NewContext, cast: Cast) -> None:
    """The QR code and the emergency codes fit a 360 px screen without scrolling sideways."""
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, cast.alice)
    page.goto(f"/security/two-factor/authenticator/{cast.alice_pending.pk}/")

    assert _sideways_scroll(page) <= 0
    for element in (
        page.get_by_role("img", name="QR code for your authenticator app"),
        page.get_by_label(label("Key")),
        page.get_by_label(label("Code")),
    ):
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"], box

    bob_page = new_context(viewport=PHONE).new_page()
    sign_in_with_authenticator(bob_page, cast.bob)
    bob_page.goto("/security/two-factor/emergency-codes/regenerate/")
    _replace_codes(bob_page)
    assert _sideways_scroll(bob_page) <= 0
    for code in bob_page.get_by_role("main").get_by_role("listitem").all():
        box = code.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PHONE["width"], box


def test_key_for_typing_by_hand_is_whole_on_a_phone(new_context: NewContext, cast: Cast) -> None:
    """A person who types the key into an app on another device reads all of it at once."""
    page = new_context(viewport=PHONE).new_page()
    sign_in(page, cast.alice)
    page.goto(f"/security/two-factor/authenticator/{cast.alice_pending.pk}/")

    key = page.get_by_label(label("Key"))
    hidden = key.evaluate("field => field.scrollWidth - field.clientWidth")

    assert hidden <= 0, f"{hidden}px of the key are out of sight"
