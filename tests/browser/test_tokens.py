"""API tokens in a real browser: create one through the pages (after confirming the password),
see it once with the warning, select it in the list and revoke it after the confirmation; axe-core
and the frame of UI.md on every page of the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from accounts.reauth import SESSION_KEY as REAUTH_SESSION_KEY
from accounts.session_store import SessionStore
from core.crypto import digest
from organizations.models import Organization
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
from tokens import format as token_format
from tokens.models import ApiToken
from tokens.services import do_create_token

pytestmark = pytest.mark.browser

LIST_PATH = "/tokens/"
CREATE_PATH = "/tokens/new/"
WARNING = "Copy it now and keep it somewhere safe: it will not be shown again."
EMPTY = "No API token yet"


def _forget_password_confirmation(context: BrowserContext) -> None:
    """As if alice had signed in yesterday: her session no longer counts as a fresh password."""
    [cookie] = [c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME]
    session = SessionStore(session_key=cookie["value"])
    session.pop(REAUTH_SESSION_KEY)
    session.save()


def _create_through_the_pages(page: Page, name: str) -> str:
    """From the list, create an unlimited Newsletter token for Acme; returns it as shown."""
    page.get_by_role("link", name="Create a token").click()
    confirm_password_if_asked(page)
    return _fill_in_and_create(page, name)


def _fill_in_and_create(page: Page, name: str) -> str:
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a token")
    page.get_by_label(label("Name")).fill(name)
    page.get_by_label(label("Organization")).select_option(label="Acme SA")
    page.get_by_label(label("Application")).select_option(label="Newsletter")
    page.get_by_label("Unlimited", exact=True).check()
    page.get_by_role("button", name="Create a token").click()
    page.wait_for_url(f"**{LIST_PATH}")
    shown = page.get_by_label(label("Token"))
    expect(shown).to_be_visible()
    return shown.input_value()


def test_create_see_once_then_revoke_the_selected(
    new_context: NewContext, alice: User, acme: Organization
) -> None:
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, alice)
    _forget_password_confirmation(context)
    page.goto(LIST_PATH)
    expect(page.get_by_text(EMPTY)).to_be_visible()

    page.get_by_role("link", name="Create a token").click()
    assert confirm_password_if_asked(page), "creating a token must ask for the password"
    assert path_of(page) == CREATE_PATH
    secret = _fill_in_and_create(page, "Newsletter import")

    assert token_format.is_well_formed(secret), secret
    expect(page.get_by_role("heading", name="Your new token “Newsletter import”")).to_be_visible()
    expect(page.get_by_text(WARNING)).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    token = ApiToken.objects.get(user=alice)
    assert token.digest == digest(secret)
    assert (token.name, token.scope, token.organization, token.expires_at) == (
        "Newsletter import",
        "newsletter",
        acme,
        None,
    )
    table = page.get_by_role("table")
    row = table.get_by_role("row").filter(has_text="Newsletter import")
    expect(row.get_by_role("cell", name="Newsletter", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Unlimited")).to_be_visible()
    expect(row.get_by_role("cell", name="Never")).to_be_visible()

    page.reload()

    expect(page.get_by_label(label("Token"))).to_have_count(0)
    expect(page.get_by_text(WARNING)).to_have_count(0)
    assert secret not in page.content()
    expect(row).to_be_visible()

    page.get_by_label("Select Newsletter import").check()
    page.get_by_role("button", name="Revoke the selected tokens").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke tokens")
    expect(page.get_by_text("1 token will stop working at once")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Newsletter import")).to_be_visible()
    token.refresh_from_db()
    assert token.revoked_at is None  # the confirmation page changed nothing

    page.get_by_role("button", name="Revoke", exact=True).click()

    page.wait_for_url(f"**{LIST_PATH}")
    expect(page.get_by_text("1 token is revoked.")).to_be_visible()
    expect(page.get_by_text(EMPTY)).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
    token.refresh_from_db()
    assert token.status == ApiToken.Status.REVOKED


def test_cancel_revoke_keeps_every_token(page: Page, alice: User, acme: Organization) -> None:
    for name in ("Import script", "Export script"):
        do_create_token(
            alice, organization=acme, name=name, scope="newsletter", expires_at=None, actor=alice
        )
    sign_in(page, alice)
    page.goto(LIST_PATH)

    page.get_by_label("Select Import script").check()
    page.get_by_label("Select Export script").check()
    page.get_by_role("button", name="Revoke the selected tokens").click()
    expect(page.get_by_text("2 tokens will stop working at once")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()

    assert path_of(page) == LIST_PATH
    assert ApiToken.objects.filter(user=alice, revoked_at=None).count() == 2
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(3)  # header and two


def test_revoke_with_nothing_selected_says_so(page: Page, alice: User, acme: Organization) -> None:
    do_create_token(
        alice,
        organization=acme,
        name="Import script",
        scope="newsletter",
        expires_at=None,
        actor=alice,
    )
    sign_in(page, alice)
    page.goto(LIST_PATH)

    page.get_by_role("button", name="Revoke the selected tokens").click()

    expect(page.get_by_text("Select the tokens to revoke first.")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is None


def test_regenerate_a_deactivated_token_from_the_list(
    page: Page, alice: User, acme: Organization
) -> None:
    old, _secret = do_create_token(
        alice, organization=acme, name="Mail robot", scope="mail", expires_at=None, actor=alice
    )
    ApiToken.objects.filter(pk=old.pk).update(deactivated_at=timezone.now())
    sign_in(page, alice)
    page.goto(LIST_PATH)
    expect(page.get_by_text("Deactivated", exact=True)).to_be_visible()

    page.get_by_role("button", name="Regenerate Mail robot").click()

    page.wait_for_url(f"**{LIST_PATH}")
    secret = page.get_by_label(label("Token")).input_value()
    assert token_format.is_well_formed(secret)
    new = ApiToken.objects.get(digest=digest(secret))
    assert (new.name, new.scope, new.organization) == ("Mail robot", "mail", acme)
    assert ApiToken.objects.get(pk=old.pk).status == ApiToken.Status.REVOKED
    expect(page.get_by_role("button", name="Regenerate Mail robot")).to_have_count(0)


# --- Accessibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """Where alice goes and what she does there; `with_rows`: she has tokens already (one of
    them deactivated, so the list shows a Regenerate button)."""

    path: str
    then: Callable[[Page], None] | None = None
    with_rows: bool = True


def _create(page: Page) -> None:
    _create_through_the_pages(page, "Newsletter import")
    expect(page.get_by_text(WARNING)).to_be_visible()


def _submit_with_errors(page: Page) -> None:
    page.get_by_label(label("Name")).fill("")
    page.get_by_label("Until a date", exact=True).check()
    page.get_by_role("button", name="Create a token").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("Choose the last day of validity.")
    expect(alert).to_be_focused()


def _submit_a_past_day(page: Page) -> None:
    page.get_by_label(label("Name")).fill("Import script")
    page.get_by_label("Until a date", exact=True).check()
    page.get_by_label(label("Valid until")).fill("2020-01-01")
    page.get_by_role("button", name="Create a token").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a day after today.")


def _select_and_revoke(page: Page) -> None:
    page.get_by_label("Select Import script").check()
    page.get_by_role("button", name="Revoke the selected tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke tokens")


PAGES: dict[str, Visit] = {
    "list, empty": Visit(LIST_PATH, with_rows=False),
    "list, with rows": Visit(LIST_PATH),
    "list, new token shown once": Visit(LIST_PATH, _create),
    "create": Visit(CREATE_PATH),
    "create, with errors": Visit(CREATE_PATH, _submit_with_errors),
    "create, a past day": Visit(CREATE_PATH, _submit_a_past_day),
    "revoke confirmation": Visit(LIST_PATH, _select_and_revoke),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_visit_token_page_finds_no_serious_violation_and_the_whole_frame(
    page: Page, alice: User, acme: Organization, name: str
) -> None:
    visit = PAGES[name]
    if visit.with_rows:
        for token_name, scope in (("Import script", "newsletter"), ("Old sync", "domains")):
            do_create_token(
                alice,
                organization=acme,
                name=token_name,
                scope=scope,
                expires_at=None,
                actor=alice,
            )
        ApiToken.objects.filter(name="Old sync").update(deactivated_at=timezone.now())
    sign_in(page, alice)
    page.goto(visit.path)
    confirm_password_if_asked(page)
    if visit.then:
        visit.then(page)

    blocking, lesser = axe_violations(page)
    frame = frame_problems(page)

    if lesser:
        print(f"{name}: axe found lesser problems (not failing):\n{describe_violations(lesser)}")
    assert not blocking, f"{name} ({page.url}), axe:\n{describe_violations(blocking)}"
    assert not frame, f"{name} ({page.url}): " + "; ".join(frame)
