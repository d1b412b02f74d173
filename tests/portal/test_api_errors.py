"""Issue 11, finding 11: the API's bad input and unknown addresses answer JSON with a stable code,
never a 500 or an HTML page, and never name a model. HTML pages keep their HTML 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from core.json_body import MAX_JSON_DEPTH, MalformedJSON, parse_json
from organizations.models import Organization
from tokens.models import MailingList
from tokens.services import do_create_token

pytestmark = pytest.mark.django_db

SERVICE_KEY = "a service key of the mail server, 32+ characters long"
DEEP_BODIES = {
    "array": "[" * 100_000,
    "object": '{"a":' * 100_000,
    "closed": "[" * 5_000 + "]" * 5_000,  # valid JSON, nested beyond any payload of ours
}


def _post_json(path: str, body: str, **headers: Any) -> Any:
    return Client().post(path, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_deeply_nested_json_on_revoke_leaked_is_a_400_json(body: str) -> None:
    response = _post_json("/api/v1/tokens/revoke-leaked", body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "malformed_json"


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_deeply_nested_json_on_kauth_enroll_is_a_400_json(body: str) -> None:
    response = _post_json("/security/kauth/api/enroll", body)

    assert response.status_code == 400
    assert response.json() == {"error": "malformed_json"}


@pytest.mark.parametrize("body", list(DEEP_BODIES.values()), ids=list(DEEP_BODIES))
def test_deeply_nested_json_on_the_service_login_check_is_a_plain_refusal(
    body: str, settings: Any
) -> None:
    settings.APP_PASSWORD_SERVICE_KEYS = [SERVICE_KEY]

    response = _post_json(
        "/api/v1/auth/app-password/verify", body, authorization=f"Service {SERVICE_KEY}"
    )

    assert response.status_code == 200
    assert response.json() == {"allow": False}


@pytest.mark.parametrize("body", ["{", '{"tokens": NaN}', b"\xff\xfe{".decode("latin-1")])
def test_invalid_json_on_the_api_has_the_same_code(body: str) -> None:
    response = _post_json("/api/v1/tokens/revoke-leaked", body)

    assert response.status_code == 400
    assert response.json()["error"] == "malformed_json"


def test_json_at_the_depth_bound_is_read_and_one_deeper_is_refused() -> None:
    at_bound = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(at_bound) is not None
    with pytest.raises(MalformedJSON):
        parse_json("[" + at_bound + "]")
    with pytest.raises(MalformedJSON):
        parse_json('{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1))


def test_a_body_over_the_limit_is_a_413_that_says_so(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000

    response = _post_json("/api/v1/tokens/revoke-leaked", json.dumps({"tokens": ["x" * 2_000]}))

    assert response.status_code == 413
    assert response.json() == {
        "error": "payload_too_large",
        "detail": "The body is too large: at most 1000 bytes.",
    }


def test_ordinary_json_still_works_on_the_api() -> None:
    response = _post_json("/api/v1/tokens/revoke-leaked", json.dumps({"tokens": ["ptk_nothing"]}))

    assert response.status_code == 202
    assert response.json() == {"status": "received"}


# --- Not found ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here/", "/api/v2/", "/api/v1/newsletter/lists/not-a-number/", "/api/"],
)
def test_unknown_api_address_is_a_404_json(path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "not_found", "detail": "Not found."}


@pytest.mark.parametrize("method", ["get", "delete", "post"])
def test_unknown_api_address_is_json_under_debug_too(settings: Any, method: str) -> None:
    """`portal up` runs with DEBUG, where Django answered a missing route with its HTML debug
    page (issue 15: DELETE /api/v1/newsletter/lists/null,null/)."""
    settings.DEBUG = True

    response = getattr(Client(), method)("/api/v1/newsletter/lists/null,null/")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


@pytest.fixture
def newsletter(alice: User, acme: Organization) -> Client:
    _token, secret = do_create_token(
        alice, organization=acme, name="Script", scope="newsletter", expires_at=None, actor=alice
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/newsletter/lists/{other}/", "/api/v1/newsletter/lists/999999/subscribers/"],
)
def test_unknown_object_is_a_404_that_names_no_model(
    newsletter: Client, dave: User, path: str
) -> None:
    other = MailingList.objects.create(
        organization=Organization.objects.get(slug="keller"), name="Dave's"
    )

    response = newsletter.get(path.format(other=other.pk))

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}
    assert b"MailingList" not in response.content


def test_html_pages_keep_their_html_404(alice: User) -> None:
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"<html" in response.content
