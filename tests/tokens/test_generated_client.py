"""A client generated from the served schema works against a running portal (issue 15).

openapi-python-client (a well-kept generator from PyPI) turns /api/schema/ into a Python package in
a temporary folder; the test imports it and, over real HTTP with an API token, creates, lists and
deletes mailing lists and subscribers, reads products and tags, and reads the typed error of a
refusal. A schema that drifts from what the API answers breaks the generation or these calls.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from accounts.models import User
from organizations.models import Organization
from tags.services import do_create_tag
from tests.conftest import membership
from tests.factories import ProductFactory
from tokens.services import do_create_token

PACKAGE = "portal_client"


@pytest.fixture
def generated(live_server: Any, tmp_path: Path) -> Iterator[ModuleType]:
    """The client package generated from the schema the running portal serves."""
    served = httpx.get(f"{live_server.url}/api/schema/?format=json")
    (tmp_path / "schema.json").write_bytes(served.raise_for_status().content)
    tools = str(Path(sys.executable).parent)  # the generator runs ruff on what it writes
    subprocess.run(
        [
            f"{tools}/openapi-python-client",
            "generate",
            "--path",
            "schema.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _api(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.api.v1.{name}")


def _model(package: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def _client(package: ModuleType, url: str, user: User, org: Organization, scope: str) -> Any:
    _row, secret = do_create_token(
        user, organization=org, name=scope, scope=scope, expires_at=None, actor=user
    )
    return package.AuthenticatedClient(base_url=url, token=secret)


def test_a_generated_client_runs_the_newsletter_and_reads_products_and_tags(
    generated: ModuleType, live_server: Any, alice: User, acme: Organization
) -> None:
    tag = do_create_tag(membership(alice, acme), "Client A", "#0b5cad", actor=alice)
    tag.products.add(ProductFactory.create(organization=acme, name="acme.ch"))
    newsletter = _client(generated, live_server.url, alice, acme, "newsletter")
    products = _client(generated, live_server.url, alice, acme, "products")

    created = _api(generated, "v1_newsletter_lists_create").sync(
        client=newsletter, body=_model(generated, "MailingListRequest")(name="Customers")
    )
    subscriber = _api(generated, "v1_newsletter_lists_subscribers_create").sync(
        created.id,
        client=newsletter,
        body=_model(generated, "SubscriberRequest")(email="ann@example.com", name="Ann"),
    )
    lists = _api(generated, "v1_newsletter_lists_list").sync(client=newsletter, limit=10)
    readers = _api(generated, "v1_newsletter_lists_subscribers_list").sync(
        created.id, client=newsletter
    )
    twin = _api(generated, "v1_newsletter_lists_create").sync_detailed(
        client=newsletter, body=_model(generated, "MailingListRequest")(name="Customers")
    )
    removed = _api(generated, "v1_newsletter_lists_subscribers_destroy").sync_detailed(
        created.id, subscriber.id, client=newsletter
    )
    deleted = _api(generated, "v1_newsletter_lists_destroy").sync_detailed(
        created.id, client=newsletter
    )
    tags = _api(generated, "v1_tags_list").sync(client=products)
    listed = _api(generated, "v1_products_list").sync(client=products, tag=[tag.slug])

    assert created.name == "Customers"
    assert [m.name for m in lists.results] == ["Customers"]
    assert [s.email for s in readers.results] == ["ann@example.com"]
    assert twin.status_code == 409
    assert twin.parsed.error == "already_exists"  # the typed Error of the schema
    assert (removed.status_code, deleted.status_code) == (204, 204)
    assert [(t.slug, t.products) for t in tags.results] == [(tag.slug, 1)]
    assert [p.name for p in listed.results] == ["acme.ch"]


def test_a_generated_client_reads_a_refusal_as_the_schemas_error(
    generated: ModuleType, live_server: Any, alice: User, acme: Organization
) -> None:
    wrong_scope = _client(generated, live_server.url, alice, acme, "products")

    refused = _api(generated, "v1_newsletter_lists_list").sync_detailed(client=wrong_scope)

    assert refused.status_code == 403
    assert refused.parsed.error == "out_of_scope"
    assert json.loads(refused.content)["error"] == "out_of_scope"
