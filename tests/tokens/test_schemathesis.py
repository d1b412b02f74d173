"""Schemathesis reads the OpenAPI schema that /api/schema/ serves and sends what it describes —
valid and invalid bodies, odd path parameters, strange query strings — to every operation of the
portal's WSGI application, with a valid token of the application each operation belongs to, and
runs **all** its checks (issue 15): no server error, every status code and body documented,
schema-valid input accepted and schema-invalid input refused. The schema is the contract a
generated client is built on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.models import User
from organizations.models import Organization
from portal.wsgi import application
from tags.services import do_create_tag
from tests.conftest import membership
from tests.factories import ProductFactory
from tests.offers.conftest import make_offer, make_partner
from tokens.models import MailingList
from tokens.scopes import SCOPES
from tokens.services import do_create_token


def _served_schema() -> dict[str, Any]:
    """What /api/schema/ serves, built by the same generator without a request: the schema is
    loaded while tests are collected, when the database is not open yet (the test below checks
    it is the served one)."""
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


# A schema-valid request may still be refused by what exists (409: a name taken, a quota reached)
# or by a rule the schema cannot state (422: a tag colour no text reads on); the schema documents
# both, and nothing else is an acceptable answer to a valid request. Server errors never are.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            }
        }
    }
)
schema = schemathesis.openapi.from_dict(_served_schema(), config=CONFIG)
schema.app = application


@pytest.fixture
def tokens(
    alice: User, acme: Organization, carol: User, studio_carol: Organization
) -> dict[str, str]:
    """A token of the right application for each part of the API, and something to find: Acme's
    newsletter and tagged products, and an offer request Studio Carol (a partner) can read."""
    MailingList.objects.create(organization=acme, name="Customers")
    do_create_tag(membership(alice, acme), "Client A", "#0b5cad", actor=alice).products.add(
        ProductFactory.create(organization=acme)
    )
    make_partner(studio_carol)
    make_offer(acme, created_by=alice)
    made = {
        scope: do_create_token(
            alice, organization=acme, name=scope, scope=scope, expires_at=None, actor=alice
        )[1]
        for scope in ("newsletter", "products")
    }
    made["offers"] = do_create_token(
        carol,
        organization=studio_carol,
        name="offers",
        scope="offers",
        expires_at=None,
        actor=carol,
    )[1]
    return made


def _scope(path: str) -> str:
    if path.startswith(("/api/v1/tags", "/api/v1/products")):
        return "products"
    return "offers" if path.startswith("/api/v1/offers") else "newsletter"


@pytest.fixture
def keep_connection_open() -> Iterator[None]:
    """As in Django's test client: the test's transaction holds the data, so the WSGI requests
    must not close the database connection when they end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_fuzzed_schema_is_the_served_one(db: Any) -> None:
    served = Client().get("/api/schema/")

    assert served.status_code == 200
    assert yaml.safe_load(served.content) == _served_schema()


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_operation_keeps_the_contract_of_the_schema(
    case: Any, tokens: dict[str, str], keep_connection_open: None
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {tokens[_scope(case.path)]}"})


@pytest.mark.parametrize("scope", sorted(SCOPES))
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_operation_keeps_the_contract_with_a_token_of_any_scope(
    case: Any, scope: str, alice: User, acme: Organization, keep_connection_open: None
) -> None:
    """As a program with a token of another application meets the API: its refusals (403
    `out_of_scope`, 405 on a read-only scope...) are documented answers too."""
    _row, secret = do_create_token(
        alice, organization=acme, name=scope, scope=scope, expires_at=None, actor=alice
    )
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"})
