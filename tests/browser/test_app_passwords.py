"""Application passwords in a real browser: generate one through the pages, see it once with the
warning, find it in the list, revoke all after the confirmation, and meet the empty list; axe-core
and the frame of UI.md on every page of the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from security import app_passwords
from security.models import ApplicationPassword
from tests.browser.conftest import (
    NewContext,
    axe_violations,
    confirm_password_if_asked,
    describe_violations,
    frame_problems,
    label,
    path_of,
    sign_in,
)

pytestmark = pytest.mark.browser

LIST_PATH = "/security/app-passwords/"
FORMAT = re.compile(r"^[a-z2-9]{6}(-[a-z2-9]{6}){4}$")
WARNING = "it will not be shown again once you leave this page"


def _generate_through_the_pages(page: Page, name: str) -> str:
    """From the list, generate an application password; returns it as the page shows it."""
    page.get_by_role("link", name="Generate an application password").click()
    confirm_password_if_asked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Generate an application password")
    page.get_by_label(label("Name")).fill(name)
    page.get_by_role("button", name="Generate an application password").click()
    page.wait_for_url(f"**{LIST_PATH}")
    shown = page.get_by_label(label("Application password"))
    expect(shown).to_be_visible()
    return shown.input_value()


def test_generate_see_once_then_revoke_all(new_context: NewContext, alice: User) -> None:
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, alice)
    page.goto(LIST_PATH)
    expect(page.get_by_text("No application password yet")).to_be_visible()

    secret = _generate_through_the_pages(page, "Thunderbird at home")

    assert FORMAT.match(secret), secret
    expect(
        page.get_by_role("heading", name="Your new application password for Thunderbird at home")
    ).to_be_visible()
    expect(page.get_by_text(WARNING)).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    table = page.get_by_role("table")
    expect(table.get_by_role("cell", name="Thunderbird at home", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="Never")).to_be_visible()
    expect(page.get_by_text("No application password yet")).to_have_count(0)
    row = ApplicationPassword.objects.get(user=alice)
    assert row.name == "Thunderbird at home"
    assert app_passwords.check_service_login(alice.email, secret, "mail", ip=None)

    page.reload()

    expect(page.get_by_label(label("Application password"))).to_have_count(0)
    expect(page.get_by_text(WARNING)).to_have_count(0)
    assert secret not in page.content()
    expect(table.get_by_role("cell", name="Thunderbird at home", exact=True)).to_be_visible()

    page.get_by_role("link", name="Revoke all").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke all application passwords")
    expect(page.get_by_text("1 application password will stop working at once")).to_be_visible()
    row.refresh_from_db()
    assert row.revoked_at is None  # the confirmation page changed nothing

    page.get_by_role("button", name="Revoke all").click()

    page.wait_for_url(f"**{LIST_PATH}")
    expect(page.get_by_text("1 application password is revoked.")).to_be_visible()
    expect(page.get_by_text("No application password yet")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    expect(page.get_by_role("link", name="Revoke all")).to_have_count(0)
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert not app_passwords.check_service_login(alice.email, secret, "mail", ip=None)


def test_cancel_revoke_all_keeps_every_password(page: Page, alice: User) -> None:
    for name in ("Phone", "Tablet"):
        app_passwords.do_create_app_password(alice, name=name, services=["mail"], actor=alice)
    sign_in(page, alice)
    page.goto(LIST_PATH)

    page.get_by_role("link", name="Revoke all").click()
    expect(page.get_by_text("2 application passwords will stop working at once")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()

    assert path_of(page) == LIST_PATH
    assert ApplicationPassword.objects.filter(user=alice, revoked_at=None).count() == 2
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)  # header and two


# --- Accessibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """Where alice goes (given her first application password, if she has one) and what she
    does there; `with_rows`: she has application passwords already."""

    path: Callable[[ApplicationPassword | None], str]
    then: Callable[[Page], None] | None = None
    with_rows: bool = True


def _generate(page: Page) -> None:
    _generate_through_the_pages(page, "Thunderbird")
    expect(page.get_by_text(WARNING)).to_be_visible()


def _submit_empty(page: Page) -> None:
    page.get_by_label(label("Name")).fill("")
    page.get_by_role("button", name="Generate an application password").click()
    # In the summary at the top (a link to the field) and next to the field itself.
    expect(page.get_by_role("link", name="Name: This field is required.")).to_be_visible()
    expect(page.locator("#id_name_error")).to_contain_text("This field is required.")


def _revoke_all(page: Page) -> None:
    page.get_by_role("button", name="Revoke all").click()
    expect(page.get_by_text("No application password yet")).to_be_visible()


PAGES: dict[str, Visit] = {
    "list, empty": Visit(lambda p: LIST_PATH, with_rows=False),
    "list, with rows": Visit(lambda p: LIST_PATH),
    "list, new password shown once": Visit(lambda p: LIST_PATH, _generate),
    "list, empty after revoke all": Visit(lambda p: "/security/app-passwords/revoke/", _revoke_all),
    "generate": Visit(lambda p: "/security/app-passwords/new/"),
    "generate, with errors": Visit(lambda p: "/security/app-passwords/new/", _submit_empty),
    "revoke one": Visit(lambda p: f"/security/app-passwords/{p.pk if p else 0}/revoke/"),
    "revoke all": Visit(lambda p: "/security/app-passwords/revoke/"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_visit_app_password_page_finds_no_serious_violation_and_the_whole_frame(
    page: Page, alice: User, name: str
) -> None:
    visit = PAGES[name]
    first = None
    if visit.with_rows:
        first, _secret = app_passwords.do_create_app_password(
            alice, name="Work laptop", services=["mail", "calendar"], actor=alice
        )
        app_passwords.do_create_app_password(alice, name="Phone", services=["mail"], actor=alice)
    sign_in(page, alice)
    page.goto(visit.path(first))
    confirm_password_if_asked(page)
    if visit.then:
        visit.then(page)

    blocking, lesser = axe_violations(page)
    frame = frame_problems(page)

    if lesser:
        print(f"{name}: axe found lesser problems (not failing):\n{describe_violations(lesser)}")
    assert not blocking, f"{name} ({page.url}), axe:\n{describe_violations(blocking)}"
    assert not frame, f"{name} ({page.url}): " + "; ".join(frame)


def test_the_rest_api_is_never_ticked_by_default(page: Page, alice: User) -> None:
    """Issue 13, defect 10: all four services, the REST API included, were ticked by default; a
    password for a mail client must not also open the API unless the person asks."""
    sign_in(page, alice)
    page.goto(LIST_PATH)
    page.get_by_role("link", name="Generate an application password").click()
    confirm_password_if_asked(page)

    expect(page.get_by_role("checkbox", name="REST API (HTTP Basic)")).not_to_be_checked()
    for service in ("Mail (IMAP, SMTP)", "Calendar (CalDAV)", "Contacts (CardDAV)"):
        expect(page.get_by_role("checkbox", name=service)).to_be_checked()

    page.get_by_label(label("Name")).fill("Thunderbird at home")
    page.get_by_role("button", name="Generate an application password").click()
    page.wait_for_url(f"**{LIST_PATH}")
    [created] = alice.application_passwords.all()
    assert sorted(created.services) == ["calendar", "contacts", "mail"]


def test_each_row_has_a_menu_with_revoke(page: Page, alice: User) -> None:
    """Issue 13, defect 10: the guide's ⋮ menu per row was a plain link."""
    app_passwords.do_create_app_password(alice, name="Phone", services=["mail"], actor=alice)
    sign_in(page, alice)
    page.goto(LIST_PATH)

    page.locator("details.menu summary", has_text="Actions for Phone").click()
    page.get_by_role("link", name="Revoke Phone").click()
    confirm_password_if_asked(page)
    page.get_by_role("button", name=re.compile("Revoke")).click()

    assert not alice.application_passwords.filter(revoked_at=None).exists()
