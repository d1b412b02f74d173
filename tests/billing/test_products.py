"""Products list, product page and its changes: each member sees only the products they may see
(another organization's is a 404, a product not given to a collaborator too), a lower role gets a
403 on every POST, the card says who owns, who manages and who pays, and the list makes the same
number of queries for 10 and for 1,000 products."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from billing import services
from billing.models import Contact, Product, ProductKind
from core.models import AuditEvent
from organizations.models import Organization, Role
from tests.conftest import ClientResponse, signed_in
from tests.factories import ContactFactory, ProductFactory
from tests.organizations.helpers import add_member


def _main(response: ClientResponse) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def _state() -> dict[str, Any]:
    """Everything the product pages could change."""
    return {
        "products": list(Product.objects.order_by("pk").values()),
        "assignees": sorted(Product.assignees.through.objects.values_list("product_id", "user_id")),
        "events": AuditEvent.objects.count(),
    }


@pytest.fixture
def acme_company(acme: Organization) -> Contact:
    """Acme itself as holder: products it owns are not flagged."""
    return ContactFactory.create(
        organization=acme, kind=Contact.Kind.COMPANY, name="Anna Acme", company="Acme SA"
    )


@pytest.fixture
def acme_domain(acme: Organization, acme_company: Contact) -> Product:
    """All Acme's: managed, owned and paid by Acme."""
    return ProductFactory.create(organization=acme, owner=acme_company, name="acme.ch")


@pytest.fixture
def family_domain(acme: Organization, studio_carol: Organization) -> Product:
    """Managed by Acme, owned by a person outside Acme, paid by the partner Studio Carol."""
    owner = ContactFactory.create(organization=acme, name="Paolo Rossi")
    return ProductFactory.create(
        organization=acme,
        owner=owner,
        payer=studio_carol,
        name="rossi-family.ch",
        expires_on=timezone.localdate() + timedelta(days=10),
        auto_renew=True,
    )


@pytest.fixture
def hosting(acme: Organization, acme_company: Contact) -> Product:
    return ProductFactory.create(
        organization=acme,
        owner=acme_company,
        kind=ProductKind.WEB_HOSTING,
        name="Acme Web",
        expires_on=timezone.localdate() + timedelta(days=70),
    )


@pytest.fixture
def keller_domain(dave: User) -> Product:
    keller = Organization.objects.get(slug="keller")
    return ProductFactory.create(organization=keller, name="keller.ch")


@pytest.fixture
def accountant(acme: Organization) -> User:
    """An Acme collaborator with the "manage accounting" right."""
    return add_member(acme, Role.COLLABORATOR, email="fiona@example.com", billing_rights=True).user


def _list(client: Client, **params: Any) -> ClientResponse:
    return client.get(reverse("billing:product-list", args=["acme"]), params)


def _detail_url(product: Product, slug: str = "acme") -> str:
    return reverse("billing:product-detail", args=[slug, product.pk])


def _edit_url(product: Product, slug: str = "acme") -> str:
    return reverse("billing:product-edit", args=[slug, product.pk])


def _renew_url(product: Product, slug: str = "acme") -> str:
    return reverse("billing:product-auto-renew", args=[slug, product.pk])


def _assignees_url(product: Product, slug: str = "acme") -> str:
    return reverse("billing:product-assignees", args=[slug, product.pk])


# --- Who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["product-list", "contact-verify", "details-edit"])
def test_org_pages_outsider_gets_404(as_dave: Client, acme: Organization, name: str) -> None:
    assert as_dave.get(reverse(f"billing:{name}", args=["acme"])).status_code == 404


def test_product_pages_outsider_gets_404(as_dave: Client, acme_domain: Product) -> None:
    before = _state()
    assert as_dave.get(_detail_url(acme_domain)).status_code == 404
    assert as_dave.get(_edit_url(acme_domain)).status_code == 404
    response = as_dave.post(_renew_url(acme_domain), {"auto_renew": "on"})
    assert response.status_code == 404
    assert _state() == before


def test_product_of_another_organization_gets_404(as_alice: Client, keller_domain: Product) -> None:
    before = _state()
    assert as_alice.get(_detail_url(keller_domain)).status_code == 404
    assert as_alice.get(_edit_url(keller_domain)).status_code == 404
    response = as_alice.post(_renew_url(keller_domain), {"auto_renew": "on"})
    assert response.status_code == 404
    assert _state() == before


def test_signed_out_visitor_is_sent_to_sign_in(acme_domain: Product) -> None:
    response = Client().get(_detail_url(acme_domain))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_list_collaborator_sees_only_products_given_to_them(
    as_erin: Client, erin: User, acme_domain: Product, family_domain: Product
) -> None:
    family_domain.assignees.add(erin)
    page = _main(_list(as_erin))
    assert "rossi-family.ch" in page
    assert "acme.ch" not in page
    assert "You see the products given to you." in page


def test_detail_collaborator_gets_404_for_product_not_given(
    as_erin: Client, acme_domain: Product
) -> None:
    assert as_erin.get(_detail_url(acme_domain)).status_code == 404
    assert as_erin.get(_edit_url(acme_domain)).status_code == 404


def test_list_collaborator_without_products_is_told_whom_to_ask(
    as_erin: Client, acme_domain: Product
) -> None:
    page = _main(_list(as_erin))
    assert "No product has been given to you yet" in page
    assert "acme.ch" not in page


# --- The list -----------------------------------------------------------------------------------


def test_list_shows_each_party_expiry_and_renewal(
    as_alice: Client, acme_domain: Product, family_domain: Product, hosting: Product
) -> None:
    page = _main(_list(as_alice))
    assert _detail_url(family_domain) in page
    assert "Paid by Studio Carol" in page
    assert "Paolo Rossi" in page
    assert "Anna Acme" in page
    assert "Web hosting" in page
    assert "Domain name" in page
    assert "in 10 days" in page
    assert "in 70 days" in page
    assert 'badge badge--ok">On<' in page  # rossi-family.ch renews automatically
    assert "3 products" in page
    # Soonest expiry first.
    assert page.index("rossi-family.ch") < page.index("Acme Web") < page.index(">acme.ch<")


def test_list_payer_is_the_organization_itself_without_paid_by(
    as_alice: Client, acme_domain: Product
) -> None:
    page = _main(_list(as_alice))
    assert "Paid by" not in page
    assert '<td data-label="Payer">Acme SA</td>' in page


def test_list_expired_product_says_how_long_ago(as_alice: Client, acme: Organization) -> None:
    ProductFactory.create(organization=acme, expires_on=timezone.localdate() - timedelta(days=3))
    assert "expired 3 days ago" in _main(_list(as_alice))


def test_list_search_finds_name_whatever_the_case(
    as_alice: Client, acme_domain: Product, family_domain: Product
) -> None:
    page = _main(_list(as_alice, q="ROSSI"))
    assert "rossi-family.ch" in page
    assert "acme.ch" not in page
    assert 'value="ROSSI"' in page


def test_list_filter_by_kind(as_alice: Client, acme_domain: Product, hosting: Product) -> None:
    page = _main(_list(as_alice, kind=ProductKind.WEB_HOSTING))
    assert "Acme Web" in page
    assert "acme.ch" not in page


def test_list_filter_expiring_within_30_days_leaves_out_expired_and_later(
    as_alice: Client, acme: Organization, family_domain: Product, hosting: Product
) -> None:
    today = timezone.localdate()
    ProductFactory.create(organization=acme, name="gone.ch", expires_on=today - timedelta(days=1))
    ProductFactory.create(organization=acme, name="today.ch", expires_on=today)
    ProductFactory.create(organization=acme, name="edge.ch", expires_on=today + timedelta(days=30))
    ProductFactory.create(organization=acme, name="later.ch", expires_on=today + timedelta(days=31))
    page = _main(_list(as_alice, expiring="30"))
    for name in ("rossi-family.ch", "today.ch", "edge.ch"):
        assert name in page
    for name in ("gone.ch", "later.ch", "Acme Web"):
        assert name not in page


def test_list_filter_by_automatic_renewal(
    as_alice: Client, acme_domain: Product, family_domain: Product
) -> None:
    on = _main(_list(as_alice, auto_renew="on"))
    assert "rossi-family.ch" in on
    assert "acme.ch" not in on
    off = _main(_list(as_alice, auto_renew="off"))
    assert "acme.ch" in off
    assert "rossi-family.ch" not in off


def test_list_invalid_filters_are_ignored(
    as_alice: Client, acme_domain: Product, family_domain: Product
) -> None:
    response = _list(
        as_alice, kind="spaceship", expiring="abc", auto_renew="maybe", page="x", q="   "
    )
    assert response.status_code == 200
    page = _main(response)
    assert "acme.ch" in page
    assert "rossi-family.ch" in page


def test_list_invalid_filter_keeps_the_valid_ones(
    as_alice: Client, acme_domain: Product, family_domain: Product
) -> None:
    page = _main(_list(as_alice, kind="spaceship", auto_renew="on"))
    assert "rossi-family.ch" in page
    assert "acme.ch" not in page


def test_list_pages_keep_the_filters(as_alice: Client, acme: Organization) -> None:
    owner = ContactFactory.create(organization=acme)
    Product.objects.bulk_create(
        Product(
            organization=acme,
            owner=owner,
            payer=acme,
            kind=ProductKind.DOMAIN,
            name=f"shop{n:02}.ch",
            expires_on=timezone.localdate() + timedelta(days=n + 1),
            price=Decimal("15.00"),
        )
        for n in range(30)
    )
    page = _main(_list(as_alice, q="shop", kind="domain"))
    assert "30 products" in page
    assert "Page 1 of 2" in page
    assert "?q=shop&amp;kind=domain&amp;page=2" in page
    second = _main(_list(as_alice, q="shop", kind="domain", page=2))
    assert "shop29.ch" in second
    assert "shop00.ch" not in second


def test_list_no_product_matches_offers_to_clear_the_filters(
    as_alice: Client, acme_domain: Product
) -> None:
    page = _main(_list(as_alice, q="nothing-like-this"))
    assert "No product matches these filters" in page
    assert f'href="{reverse("billing:product-list", args=["acme"])}"' in page


def test_list_without_products_says_so(as_alice: Client, acme: Organization) -> None:
    page = _main(_list(as_alice))
    assert "No products yet" in page
    assert "<table" not in page


def _bulk_products(org: Organization, owner: Contact, payer: Organization, count: int) -> None:
    today = timezone.localdate()
    Product.objects.bulk_create(
        Product(
            organization=org,
            owner=owner,
            payer=payer if n % 2 else org,
            kind=ProductKind.DOMAIN if n % 3 else ProductKind.KDRIVE,
            name=f"bulk{n:04}.ch",
            expires_on=today + timedelta(days=n % 400 - 20),
            auto_renew=bool(n % 2),
            price=Decimal("15.00"),
        )
        for n in range(count)
    )


@pytest.mark.parametrize("params", [{}, {"q": "bulk", "kind": "domain", "auto_renew": "on"}])
def test_list_makes_the_same_queries_for_10_and_1000_products(
    as_alice: Client,
    acme: Organization,
    studio_carol: Organization,
    django_assert_num_queries: Any,
    params: dict[str, str],
) -> None:
    owner = ContactFactory.create(organization=acme)
    _bulk_products(acme, owner, studio_carol, 10)
    _list(as_alice, **params)  # the first request of a session writes it
    with CaptureQueriesContext(connection) as ten:
        assert _list(as_alice, **params).status_code == 200
    _bulk_products(acme, owner, studio_carol, 990)
    assert Product.objects.count() == 1000
    with django_assert_num_queries(len(ten.captured_queries)):
        response = _list(as_alice, **params)
    assert "Page 1 of" in _main(response)


def test_list_collaborator_makes_the_same_queries_for_10_and_1000_products(
    as_erin: Client,
    erin: User,
    acme: Organization,
    studio_carol: Organization,
    django_assert_num_queries: Any,
) -> None:
    owner = ContactFactory.create(organization=acme)
    _bulk_products(acme, owner, studio_carol, 1000)
    through = Product.assignees.through
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    through.objects.bulk_create(through(product_id=pk, user_id=erin.pk) for pk in ids[:10])
    _list(as_erin)
    with CaptureQueriesContext(connection) as ten:
        assert "10 products" in _main(_list(as_erin))
    through.objects.bulk_create(through(product_id=pk, user_id=erin.pk) for pk in ids[10:])
    with django_assert_num_queries(len(ten.captured_queries)):
        assert "1000 products" in _main(_list(as_erin))


# --- The product page and the ownership card ----------------------------------------------------


def test_detail_shows_details_and_the_three_parties(
    as_alice: Client, family_domain: Product
) -> None:
    page = _main(as_alice.get(_detail_url(family_domain)))
    assert "<h1>rossi-family.ch</h1>" in page
    assert "Who owns · who manages · who pays" in page
    assert "Paolo Rossi" in page
    assert "Acme SA" in page
    assert "Studio Carol" in page
    assert "12 months for CHF 15.00" in page
    assert "in 10 days" in page


def test_detail_warns_when_a_partner_pays(
    as_alice: Client, acme: Organization, studio_carol: Organization, acme_company: Contact
) -> None:
    product = ProductFactory.create(organization=acme, owner=acme_company, payer=studio_carol)
    page = _main(as_alice.get(_detail_url(product)))
    assert (
        "Paying for a service does not make you its owner: Studio Carol pays for this product, "
        "Anna Acme (Acme SA) owns it." in page
    )
    assert 'class="banner banner--warning" role="status"' in page
    assert reverse("billing:contact-verify", args=["acme"]) in page
    assert "is neither Acme SA nor one of its members" not in page


def test_detail_warns_when_the_owner_is_outside(as_alice: Client, family_domain: Product) -> None:
    page = _main(as_alice.get(_detail_url(family_domain)))
    assert "Paolo Rossi, who owns this product, is neither Acme SA nor one of its members" in page
    assert page.count('class="banner banner--warning" role="status"') == 2


def test_detail_no_warning_when_all_is_acmes(as_alice: Client, acme_domain: Product) -> None:
    page = _main(as_alice.get(_detail_url(acme_domain)))
    assert "Who owns · who manages · who pays" in page
    assert "banner--warning" not in page


def test_detail_no_warning_when_a_member_owns_it(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    mine = ContactFactory.create(organization=acme, name="Alice Rossi", user=alice)
    product = ProductFactory.create(organization=acme, owner=mine)
    assert "banner--warning" not in _main(as_alice.get(_detail_url(product)))


def test_detail_warns_when_the_owner_left_the_organization(
    as_alice: Client, acme: Organization
) -> None:
    former = add_member(acme, Role.COLLABORATOR, email="gina@example.com")
    contact = ContactFactory.create(organization=acme, name="Gina", user=former.user)
    product = ProductFactory.create(organization=acme, owner=contact)
    former.delete()
    assert "Gina, who owns this product, is neither" in _main(as_alice.get(_detail_url(product)))


def test_detail_collaborator_sees_product_given_without_forms(
    as_erin: Client, erin: User, family_domain: Product
) -> None:
    family_domain.assignees.add(erin)
    page = _main(as_erin.get(_detail_url(family_domain)))
    assert "Who owns · who manages · who pays" in page
    assert "Turn automatic renewal" not in page
    assert "Choose who it is given to" not in page
    # erin may not open the verify page: no link to a 403.
    assert reverse("billing:contact-verify", args=["acme"]) not in page


# --- Automatic renewal --------------------------------------------------------------------------


def test_auto_renew_turned_on_by_billing_member(
    as_bob: Client, acme: Organization, acme_domain: Product
) -> None:
    response = as_bob.post(_renew_url(acme_domain), {"auto_renew": "on"})
    assert response.status_code == 302
    assert response["Location"] == _detail_url(acme_domain)
    acme_domain.refresh_from_db()
    assert acme_domain.auto_renew is True
    event = AuditEvent.objects.get(action="product.auto_renew_changed")
    assert event.organization_id == acme.pk
    assert event.data == {"auto_renew": True}
    page = _main(as_bob.get(response["Location"]))
    assert "Automatic renewal of acme.ch is on." in page
    assert "Turn automatic renewal off" in page


def test_auto_renew_turned_off_by_collaborator_with_accounting_rights(
    accountant: User, family_domain: Product
) -> None:
    family_domain.assignees.add(accountant)
    client = signed_in(accountant)
    response = client.post(_renew_url(family_domain), {"auto_renew": "off"})
    assert response.status_code == 302
    family_domain.refresh_from_db()
    assert family_domain.auto_renew is False


def test_auto_renew_same_value_twice_writes_one_event(
    as_alice: Client, acme_domain: Product
) -> None:
    for _ in range(2):
        as_alice.post(_renew_url(acme_domain), {"auto_renew": "on"})
    assert AuditEvent.objects.filter(action="product.auto_renew_changed").count() == 1


def test_auto_renew_invalid_value_changes_nothing(as_alice: Client, acme_domain: Product) -> None:
    before = _state()
    response = as_alice.post(_renew_url(acme_domain), {"auto_renew": "yes"})
    assert response.status_code == 200
    assert "field-error" in _main(response)
    assert _state() == before


def test_the_edit_page_takes_no_post(as_alice: Client, acme_domain: Product) -> None:
    """Each form posts to its own address; the page itself only shows them."""
    before = _state()
    assert as_alice.post(_edit_url(acme_domain), {"auto_renew": "off"}).status_code == 405
    assert as_alice.get(_renew_url(acme_domain)).status_code == 405
    assert as_alice.get(_assignees_url(acme_domain)).status_code == 405
    assert _state() == before


def test_lower_role_gets_403_on_every_post(
    as_erin: Client, erin: User, family_domain: Product
) -> None:
    family_domain.assignees.add(erin)
    before = _state()
    assert as_erin.post(_renew_url(family_domain), {"auto_renew": "off"}).status_code == 403
    assert as_erin.post(_assignees_url(family_domain), {"assignees": [erin.pk]}).status_code == 403
    assert as_erin.get(_edit_url(family_domain)).status_code == 403
    assert _state() == before


def test_accountant_gets_403_when_giving_products(
    accountant: User, erin: User, family_domain: Product
) -> None:
    family_domain.assignees.add(accountant)
    client = signed_in(accountant)
    before = _state()
    response = client.post(_assignees_url(family_domain), {"assignees": [erin.pk]})
    assert response.status_code == 403
    assert _state() == before
    page = _main(client.get(_edit_url(family_domain)))
    assert "Save automatic renewal" in page
    assert "Save who it is given to" not in page


def test_edit_page_get_changes_nothing(as_alice: Client, erin: User, acme_domain: Product) -> None:
    before = _state()
    response = as_alice.get(_edit_url(acme_domain), {"assignees": str(erin.pk), "auto_renew": "on"})
    assert response.status_code == 200
    page = _main(response)
    assert "Save automatic renewal" in page
    assert "Save who it is given to" in page
    assert _state() == before


# --- Giving a product to collaborators ----------------------------------------------------------


def test_assignees_set_by_legal_representative(
    as_alice: Client, erin: User, acme: Organization, acme_domain: Product
) -> None:
    external = add_member(acme, Role.EXTERNAL, email="xena@example.com").user
    page = _main(as_alice.get(_edit_url(acme_domain)))
    assert "erin@example.com" in page
    assert "xena@example.com" in page
    assert "alice@example.com" not in page  # sees every product anyway
    response = as_alice.post(_assignees_url(acme_domain), {"assignees": [erin.pk, external.pk]})
    assert response.status_code == 302
    assert set(acme_domain.assignees.all()) == {erin, external}
    event = AuditEvent.objects.get(action="product.assignees_changed")
    assert event.organization_id == acme.pk
    assert event.data == {"added": ["erin@example.com", "xena@example.com"], "removed": []}
    assert "acme.ch" in _main(_list(signed_in(erin)))


def test_assignees_cleared_by_administrator(
    as_bob: Client, erin: User, acme_domain: Product
) -> None:
    acme_domain.assignees.add(erin)
    response = as_bob.post(_assignees_url(acme_domain), {})
    assert response.status_code == 302
    assert not acme_domain.assignees.exists()
    assert signed_in(erin).get(_detail_url(acme_domain)).status_code == 404


@pytest.mark.parametrize("who", ["dave", "bob"])
def test_assignees_refuse_anyone_not_collaborator_of_the_organization(
    as_alice: Client, dave: User, bob: User, erin: User, acme_domain: Product, who: str
) -> None:
    outsider = {"dave": dave, "bob": bob}[who]
    before = _state()
    response = as_alice.post(_assignees_url(acme_domain), {"assignees": [erin.pk, outsider.pk]})
    assert response.status_code == 200
    page = _main(response)
    assert "field-error" in page
    assert f'value="{erin.pk}"' in page
    assert "checked" in page
    assert _state() == before


def test_service_refuses_collaborator_and_non_member(
    erin: User, dave: User, alice: User, family_domain: Product
) -> None:
    family_domain.assignees.add(erin)
    with pytest.raises(PermissionDenied):
        services.do_set_auto_renew(family_domain, False, actor=erin)
    with pytest.raises(PermissionDenied):
        services.do_set_product_assignees(family_domain, [], actor=erin)
    with pytest.raises(PermissionDenied):
        services.do_set_auto_renew(family_domain, False, actor=dave)
    with pytest.raises(services.NotAMember):
        services.do_set_product_assignees(family_domain, [dave], actor=alice)
    family_domain.refresh_from_db()
    assert family_domain.auto_renew is True
    assert list(family_domain.assignees.all()) == [erin]


def test_other_organization_payer_page_is_not_opened_to_the_partner(
    carol: User, family_domain: Product
) -> None:
    """Studio Carol pays for the product but does not manage it: no access through Acme's pages."""
    client = signed_in(carol)
    assert client.get(_detail_url(family_domain)).status_code == 404
    assert client.get(_detail_url(family_domain, "studio-carol")).status_code == 404


def test_the_detail_page_toggle_posts_to_the_auto_renew_address(
    as_alice: Client, acme_domain: Product
) -> None:
    """The product page's one-button form turns renewal on (a regression: it posted to the edit
    page, which takes no POST since each form has its own address)."""
    page = _main(as_alice.get(_detail_url(acme_domain)))
    action = re.search(r'<form method="post" action="([^"]+)">', page)
    assert action is not None
    assert action.group(1) == _renew_url(acme_domain)

    response = as_alice.post(action.group(1), {"auto_renew": "on"})

    assert response.status_code == 302
    acme_domain.refresh_from_db()
    assert acme_domain.auto_renew is True
