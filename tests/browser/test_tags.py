"""The tag picker in a real browser: open it in place from the products list, create a tag with
a colour, put an existing tag on another product with a tick, close it, and filter the list by
the tag (a bookmarkable address); axe-core on the list with the picker open."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from organizations.models import Organization
from tags.models import Tag
from tags.services import do_create_tag
from tests.browser.conftest import NewContext, assert_accessible, label, sign_in
from tests.conftest import membership
from tests.factories import ProductFactory

pytestmark = pytest.mark.browser


def test_create_assign_and_filter_by_a_tag(page: Page, alice: User, acme: Organization) -> None:
    first = ProductFactory.create(organization=acme, name="acme.ch")
    second = ProductFactory.create(organization=acme, name="acme-shop.ch")
    ProductFactory.create(organization=acme, name="old-brand.ch")
    sign_in(page, alice)
    page.goto("/orgs/acme/products/")

    page.get_by_role("link", name="Tags of acme.ch").click()
    picker = page.get_by_role("group", name="Tags of acme.ch")
    expect(picker).to_be_visible()
    search = picker.get_by_label(label("Find or create a tag"))
    expect(search).to_be_focused()  # htmx has set the picker up (autofocus comes after)
    search.press_sequentially("Urgent", delay=30)
    picker.get_by_label("Red").check()
    picker.get_by_role("button", name="Create “Urgent”").click()
    expect(picker.get_by_role("status")).to_have_text("Tag “Urgent” created and added.")
    expect(picker.get_by_role("checkbox", name="Urgent")).to_be_checked()
    assert_accessible(page, "products list with the tag picker open", organization="Acme SA")
    picker.get_by_role("link", name="Done").click()
    expect(page.locator(f"#product-tags-{first.pk}")).to_contain_text("Urgent")

    page.get_by_role("link", name="Tags of acme-shop.ch").click()
    other = page.get_by_role("group", name="Tags of acme-shop.ch")
    other.get_by_role("checkbox", name="Urgent").check()
    expect(other.get_by_role("status")).to_have_text("“Urgent” added")
    other.get_by_role("link", name="Done").click()
    expect(page.locator(f"#product-tags-{second.pk}")).to_contain_text("Urgent")

    page.reload()  # the filter lists the tags that existed when the page was loaded
    page.get_by_role("group", name="Tags (products with every tag ticked)").get_by_role(
        "checkbox", name="Urgent"
    ).check()
    page.get_by_role("button", name="Show products").click()
    expect(page).to_have_url("/orgs/acme/products/?q=&kind=&expiring=&auto_renew=&tag=urgent")
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="acme.ch", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="acme-shop.ch", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="old-brand.ch", exact=True)).to_have_count(0)
    tag = Tag.objects.get()
    assert (tag.name, tag.colour) == ("Urgent", "#b3261e")
    assert set(tag.products.values_list("name", flat=True)) == {"acme.ch", "acme-shop.ch"}


@pytest.mark.parametrize("width", [1280, 390])
def test_the_last_rows_menu_opens_in_full_view(
    new_context: NewContext, alice: User, acme: Organization, width: int
) -> None:
    """Issue 13, defect 3: the ⋮ menu of the last row was clipped by the table's scrolling box
    (the point under "Delete" was the page itself), and its summary showed a "▶" too."""
    for name in ("Clienti VIP", "Rinnovi", "Spedizioni"):
        do_create_tag(membership(alice, acme), name, "#0b5cad", actor=alice)
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(page, alice)
    page.goto(f"/orgs/{acme.slug}/tags/")

    last_menu = page.locator("details.menu").last
    summary = last_menu.locator("summary")
    marker = summary.evaluate(
        "s => getComputedStyle(s).display === 'list-item' && getComputedStyle(s).listStyleType"
    )
    assert marker in (False, "none")  # no ▶ before the ⋮
    summary.click()
    delete = last_menu.get_by_role("link", name="Delete")
    expect(delete).to_be_visible()
    box = delete.bounding_box()
    assert box is not None
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.textContent?.trim()",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == "Delete"


def test_the_picker_opens_over_the_table_and_offers_a_tag_typed_without_spaces(
    page: Page, alice: User, acme: Organization
) -> None:
    """Issue 13, defect 4: the picker opened inside the Tags cell and squeezed every column, and
    "clientivip" found no "Clienti VIP". Now it is a popover, fully on screen, the columns keep
    their widths, the colours show as swatches, and the existing tag is offered."""
    ProductFactory.create(organization=acme, name="acme.ch")
    do_create_tag(membership(alice, acme), name="Clienti VIP", colour="#0b5cad", actor=alice)
    sign_in(page, alice)
    page.goto("/orgs/acme/products/")
    widths = page.locator("thead th").evaluate_all("ths => ths.map(th => th.offsetWidth)")

    page.get_by_role("link", name="Tags of acme.ch").click()
    picker = page.get_by_role("group", name="Tags of acme.ch")
    expect(picker).to_be_visible()

    assert page.locator("thead th").evaluate_all("ths => ths.map(th => th.offsetWidth)") == widths
    box = picker.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 1280
    picker.get_by_label(label("Find or create a tag")).press_sequentially("clientivip", delay=30)
    offered = picker.get_by_role("checkbox", name="Clienti VIP")
    expect(offered).to_be_visible()
    assert picker.locator(".tag-chip").count() >= 1  # the tag shows in its colour
    offered.check()
    expect(picker.get_by_role("status")).to_have_text("“Clienti VIP” added")
