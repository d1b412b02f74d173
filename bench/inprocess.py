"""In-process measurements, without a server or a network in between.

Run by bench/run.py as `python -m bench.inprocess PLAN.json OUT.json` (DJANGO_SETTINGS_MODULE=
bench.settings, the seeded database):

- one argon2 check of the account password against one application-password check (digest +
  indexed look-up, `security.app_passwords.find_for_api`), with timeit;
- each authentication class's `authenticate()` on its own;
- for each endpoint of the plan, the SQL queries one request runs and its time through Django's
  test client (middleware, view, serializer, JSON): where the time of a request goes.
"""

from __future__ import annotations

import json
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django


def per_call(func: Callable[[], object], number: int, repeat: int = 5) -> float:
    """Seconds per call: the median over `repeat` rounds of `number` calls."""
    rounds = timeit.repeat(func, number=number, repeat=repeat)
    return statistics.median(rounds) / number


def password_checks(plan: dict[str, Any]) -> dict[str, Any]:
    from django.contrib.auth.hashers import check_password, get_hasher

    from accounts.models import User
    from core.crypto import digest
    from security.app_passwords import find_for_api, normalize

    creds = plan["credentials"]
    user = User.objects.get(email=creds["email"])
    assert check_password(creds["password"], user.password)
    assert find_for_api(creds["email"], creds["app_password"]) is not None
    assert lean_lookup(creds["email"], creds["app_password"])
    hasher = get_hasher()
    return {
        "hasher": hasher.algorithm,
        "hasher_params": {
            name: getattr(hasher, name)
            for name in ("time_cost", "memory_cost", "parallelism")
            if hasattr(hasher, name)
        },
        "argon2_s": per_call(lambda: check_password(creds["password"], user.password), 10),
        "app_password_s": per_call(
            lambda: find_for_api(creds["email"], creds["app_password"]), 300
        ),
        "digest_only_s": per_call(lambda: digest(normalize(creds["app_password"])), 20_000),
        "lean_lookup_s": per_call(lambda: lean_lookup(creds["email"], creds["app_password"]), 300),
    }


def lean_lookup(email: str, password: str) -> bool:
    """A prototype (not the app's code) of `find_for_api` reading only the four values it needs
    instead of two model instances: what the check would cost with a leaner query."""
    from accounts.models import User
    from core.crypto import digest
    from security.app_passwords import looks_like_app_password, normalize
    from security.models import ApplicationPassword, AppService

    if not looks_like_app_password(password):
        return False
    row = (
        ApplicationPassword.objects.filter(digest=digest(normalize(password)), revoked_at=None)
        .values_list("user__email", "user__is_active", "services")
        .first()
    )
    return (
        row is not None
        and row[1]
        and row[0] == User.objects.normalize_email(email)
        and AppService.API in row[2]
    )


def authenticate_times(plan: dict[str, Any]) -> dict[str, float]:
    from django.test import RequestFactory
    from rest_framework.authentication import BaseAuthentication, TokenAuthentication
    from rest_framework.request import Request

    from bench.views import UncachedBearerAuthentication
    from security.api_auth import AppPasswordBasicAuthentication
    from tokens.authentication import BearerTokenAuthentication

    headers = {variant["key"]: variant["headers"] for variant in plan["variants"]}
    classes: dict[str, tuple[type[BaseAuthentication], str]] = {
        "bearer": (BearerTokenAuthentication, "bearer"),
        "drf": (TokenAuthentication, "drf"),
        "basic": (AppPasswordBasicAuthentication, "basic"),
        "bearer_uncached": (UncachedBearerAuthentication, "bearer"),
    }
    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    times: dict[str, float] = {}
    for name, (auth_class, key) in classes.items():
        request = Request(
            factory.get("/", HTTP_AUTHORIZATION=headers[key]["Authorization"], REMOTE_ADDR="::1")
        )
        authenticator = auth_class()
        assert authenticator.authenticate(request) is not None
        times[name] = per_call(lambda a=authenticator, r=request: a.authenticate(r), 500)
    return times


def bearer_breakdown(plan: dict[str, Any]) -> dict[str, float]:
    """The steps of `BearerTokenAuthentication.authenticate()`, one by one, as it runs them."""
    from django.db.models import Exists, OuterRef

    from core.crypto import digest
    from organizations.models import Membership
    from tokens import format as token_format
    from tokens.authentication import find_token, recent_tokens
    from tokens.models import ApiToken

    secret = plan["credentials"]["bearer"]
    token_digest = digest(secret)
    member = Membership.objects.filter(user=OuterRef("user"), organization=OuterRef("organization"))
    lookup = (
        ApiToken.objects.select_related("user", "organization")
        .annotate(is_member=Exists(member))
        .filter(digest=token_digest)
    )

    def uncached() -> None:
        recent_tokens.clear()
        find_token(token_digest)

    find_token(token_digest)
    return {
        "format_and_digest": per_call(
            lambda: token_format.is_well_formed(secret) and digest(secret), 20_000
        ),
        "token_query": per_call(uncached, 300),
        "token_query_sql_only": per_call(lambda: str(lookup.all().query), 300),
        "token_kept": per_call(lambda: find_token(token_digest), 20_000),
        "round_trip": per_call(_select_one, 2_000),
    }


def _select_one() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def requests(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    found: dict[str, dict[str, Any]] = {}
    for variant in plan["variants"]:
        headers = variant["headers"]

        def get(path: str = variant["path"], headers: dict[str, str] = headers) -> Any:
            return client.get(path, headers=headers)

        response = get()
        assert response.status_code == 200, (variant["key"], response.status_code)
        with CaptureQueriesContext(connection) as queries:
            get()
        found[variant["key"]] = {
            "queries": [query["sql"] for query in queries.captured_queries],
            "request_s": per_call(get, 200, repeat=3),
        }
    return found


def main() -> None:
    django.setup()
    plan = json.loads(Path(sys.argv[1]).read_text())
    result = {
        "passwords": password_checks(plan),
        "authenticate": authenticate_times(plan),
        "bearer_steps": bearer_breakdown(plan),
        "requests": requests(plan),
    }
    Path(sys.argv[2]).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
