"""Factories for the objects of the tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
from organizations.models import Membership, Organization, Role

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email_verified_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.COLLABORATOR


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.Contact"

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"holder{n}@example.com")
    address = "Rue du Lac 1"
    postal_code = "1200"
    city = "Genève"
    country = "CH"


class ProductFactory(factory.django.DjangoModelFactory):
    """A domain of an organization, owned by a contact of that organization and paid by it,
    expiring in 90 days, without automatic renewal."""

    class Meta:
        model = "billing.Product"
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    kind = "domain"
    name = factory.Sequence(lambda n: f"example{n}.ch")
    owner = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    payer = factory.SelfAttribute("organization")
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90))
    auto_renew = False
    renewal_months = 12
    price = Decimal("15.00")
