"""Factories for the objects of the tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from factory.declarations import LazyFunction, PostGeneration, SelfAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory
from factory.faker import Faker

from accounts.models import User
from billing.models import Contact, Product
from organizations.models import Membership, Organization, Role

PASSWORD = "correct horse battery staple"


def _set_password(user: User, create: bool, extracted: Any, **kwargs: Any) -> None:
    user.set_password(extracted or PASSWORD)
    if create:
        user.save(update_fields=["password"])


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = Sequence(lambda n: f"user{n}@example.com")
    first_name = Faker("first_name")
    last_name = Faker("last_name")
    email_verified_at = LazyFunction(timezone.now)
    # What @factory.post_generation makes of a method, from a typed function.
    password = PostGeneration(_set_password)


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = Sequence(lambda n: f"Organization {n}")
    slug = Sequence(lambda n: f"org-{n}")


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    organization = SubFactory(OrganizationFactory)
    user = SubFactory(UserFactory)
    role = Role.COLLABORATOR


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    organization = SubFactory(OrganizationFactory)
    name = Faker("name")
    email = Sequence(lambda n: f"holder{n}@example.com")
    address = "Rue du Lac 1"
    postal_code = "1200"
    city = "Genève"
    country = "CH"


class ProductFactory(DjangoModelFactory[Product]):
    """A domain of an organization, owned by a contact of that organization and paid by it,
    expiring in 90 days, without automatic renewal."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    organization = SubFactory(OrganizationFactory)
    kind = "domain"
    name = Sequence(lambda n: f"example{n}.ch")
    owner = SubFactory(ContactFactory, organization=SelfAttribute("..organization"))
    payer = SelfAttribute("organization")
    expires_on = LazyFunction(lambda: timezone.localdate() + timedelta(days=90))
    auto_renew = False
    renewal_months = 12
    price = Decimal("15.00")
