"""Tags: names unique per organization ignoring case and spaces, readable colours, roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from billing.models import Product
from core.models import AuditEvent
from organizations.models import Organization
from tags.models import Tag
from tags.services import (
    do_assign_tag,
    do_create_tag,
    do_delete_tag,
    do_merge_tags,
    do_unassign_tag,
    do_update_tag,
)
from tests.conftest import membership
from tests.factories import ProductFactory

BLUE = "#0b5cad"
GREEN = "#0e7a5f"


@pytest.fixture
def acme_products(acme: Organization) -> list[Product]:
    return ProductFactory.create_batch(3, organization=acme)


def test_create_trims_the_name_and_gives_a_slug(alice: User, acme: Organization) -> None:
    tag = do_create_tag(membership(alice, acme), "  Client   A ", BLUE, actor=alice)

    assert tag.name == "Client A"
    assert tag.slug == "client-a"
    assert AuditEvent.objects.filter(action="tag.created", organization_id=acme.pk).exists()


@pytest.mark.parametrize("twin", ["client a", "CLIENT A", " Client  A ", "ClientA", "client\ta"])
def test_names_that_differ_only_by_case_or_spaces_are_refused(
    alice: User, acme: Organization, twin: str
) -> None:
    do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)

    with pytest.raises(ValidationError) as refused:
        do_create_tag(membership(alice, acme), twin, GREEN, actor=alice)

    assert "exists already" in str(refused.value.message_dict["name"])
    assert Tag.objects.count() == 1


def test_the_same_name_in_another_organization_is_fine(
    alice: User, dave: User, acme: Organization
) -> None:
    keller = Organization.objects.get(slug="keller")
    do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    do_create_tag(membership(dave, keller), "client a", BLUE, actor=dave)

    assert Tag.objects.count() == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 31])
def test_empty_or_long_names_are_refused(alice: User, acme: Organization, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        do_create_tag(membership(alice, acme), name, BLUE, actor=alice)
    assert "name" in refused.value.message_dict


@pytest.mark.parametrize("colour", ["#7a7a7a", "red", "#12345"])
def test_unreadable_or_malformed_colours_are_refused(
    alice: User, acme: Organization, colour: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        do_create_tag(membership(alice, acme), "Client A", colour, actor=alice)
    assert "colour" in refused.value.message_dict


def test_a_collaborator_cannot_create_rename_recolour_merge_or_delete(
    alice: User, erin: User, acme: Organization
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    other = do_create_tag(membership(alice, acme), "Client B", BLUE, actor=alice)
    erins = membership(erin, acme)

    with pytest.raises(PermissionDenied):
        do_create_tag(erins, "Mine", BLUE, actor=erin)
    with pytest.raises(PermissionDenied):
        do_update_tag(erins, tag, name="Renamed", colour=BLUE, actor=erin)
    with pytest.raises(PermissionDenied):
        do_update_tag(erins, tag, name="Client A", colour=GREEN, actor=erin)
    with pytest.raises(PermissionDenied):
        do_merge_tags(erins, tag, other, actor=erin)
    with pytest.raises(PermissionDenied):
        do_delete_tag(erins, tag, actor=erin)
    tag.refresh_from_db()
    assert (tag.name, tag.colour) == ("Client A", BLUE)
    assert Tag.objects.count() == 2


def test_rename_keeps_the_products_and_moves_the_slug(
    bob: User, acme: Organization, acme_products: list[Product]
) -> None:
    tag = do_create_tag(membership(bob, acme), "Client A", BLUE, actor=bob)
    tag.products.add(*acme_products)

    do_update_tag(membership(bob, acme), tag, name="Key client", colour=GREEN, actor=bob)

    tag.refresh_from_db()
    assert (tag.name, tag.slug, tag.colour) == ("Key client", "key-client", GREEN)
    assert tag.products.count() == 3


def test_rename_to_another_tags_name_is_refused(alice: User, acme: Organization) -> None:
    do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    tag = do_create_tag(membership(alice, acme), "Client B", BLUE, actor=alice)

    with pytest.raises(ValidationError):
        do_update_tag(membership(alice, acme), tag, name="client a", colour=BLUE, actor=alice)


def test_delete_says_how_many_products_lost_it(
    alice: User, acme: Organization, acme_products: list[Product]
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    tag.products.add(*acme_products[:2])

    assert do_delete_tag(membership(alice, acme), tag, actor=alice) == 2
    assert not Tag.objects.exists()
    assert Product.objects.count() == 3


def test_merge_moves_every_product_once_and_removes_the_source(
    alice: User, acme: Organization, acme_products: list[Product]
) -> None:
    source = do_create_tag(membership(alice, acme), "Clients", BLUE, actor=alice)
    target = do_create_tag(membership(alice, acme), "Customers", GREEN, actor=alice)
    source.products.add(*acme_products)
    target.products.add(acme_products[0])

    moved = do_merge_tags(membership(alice, acme), source, target, actor=alice)

    assert moved == 2
    assert not Tag.objects.filter(pk=source.pk).exists()
    assert set(target.products.all()) == set(acme_products)


def test_a_collaborator_applies_existing_tags_to_products_given_to_them(
    alice: User, erin: User, acme: Organization, acme_products: list[Product]
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)
    given, not_given = acme_products[0], acme_products[1]
    given.assignees.add(erin)

    do_assign_tag(membership(erin, acme), tag, given.pk)
    with pytest.raises(Product.DoesNotExist):
        do_assign_tag(membership(erin, acme), tag, not_given.pk)
    do_unassign_tag(membership(erin, acme), tag, given.pk)

    assert not tag.products.exists()


def test_another_organizations_tag_or_product_is_not_found(
    alice: User, dave: User, acme: Organization, acme_products: list[Product]
) -> None:
    keller = Organization.objects.get(slug="keller")
    theirs = do_create_tag(membership(dave, keller), "Theirs", BLUE, actor=dave)
    ours = do_create_tag(membership(alice, acme), "Ours", BLUE, actor=alice)
    their_product = ProductFactory.create(organization=keller)

    with pytest.raises(Tag.DoesNotExist):
        do_assign_tag(membership(alice, acme), theirs, acme_products[0].pk)
    with pytest.raises(Product.DoesNotExist):
        do_assign_tag(membership(alice, acme), ours, their_product.pk)
    with pytest.raises(ValidationError):
        do_merge_tags(membership(alice, acme), ours, theirs, actor=alice)
    assert not theirs.products.exists()


def test_services_write_no_audit_event_for_a_no_op_update(alice: User, acme: Organization) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", BLUE, actor=alice)

    do_update_tag(membership(alice, acme), tag, name=" Client A ", colour=BLUE.upper(), actor=alice)

    assert not AuditEvent.objects.filter(action="tag.updated").exists()


def test_slugs_stay_unique_when_names_slugify_alike(alice: User, acme: Organization) -> None:
    first = do_create_tag(membership(alice, acme), "Client-A", BLUE, actor=alice)
    second = do_create_tag(membership(alice, acme), "Client A!", BLUE, actor=alice)

    assert {first.slug, second.slug} == {"client-a", "client-a-2"}
