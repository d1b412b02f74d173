"""The fixed cast of the tests (ARCHITECTURE.md, where tests go): alice is legal representative of
Acme, bob an Acme administrator, carol a partner (legal representative of Studio Carol), dave an
outsider with an organization of his own. Everyone's password is `factories.PASSWORD`."""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connections
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test import Client
from django.test.signals import template_rendered
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import User
from accounts.reauth import SESSION_KEY as REAUTH_SESSION_KEY
from organizations.models import Membership, Organization, Role
from portal.celery import app as celery_app
from security.models import TOTPDevice
from security.second_step import SECOND_FACTOR_AT_SIGN_IN
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tokens.authentication import recent_tokens

if TYPE_CHECKING:
    # What the test client returns: an HttpResponse with what the client adds (.json(), .context,
    # .templates, .redirect_chain, .request...). django-stubs names it; Django has no such class.
    # (Not "TestResponse": pytest would try to collect it in every test module that imports it.)
    from typing import TypeAlias

    from django.test.client import _MonkeyPatchedWSGIResponse

    ClientResponse: TypeAlias = _MonkeyPatchedWSGIResponse
else:
    from django.http import HttpResponse as ClientResponse

# The test process's own share of Redis (CI): pytest-xdist runs several test processes against the
# same Redis database, and a real Celery worker's queue may be in it too (tests/portal/
# test_celery_worker.py). Each process prefixes its cache keys and its broker keys with this.
REDIS_KEY_PREFIX = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def pytest_configure(config: pytest.Config) -> None:
    if settings.REDIS_URL:
        # Read when the cache is first used, which no test has done yet.
        settings.CACHES["default"]["KEY_PREFIX"] = REDIS_KEY_PREFIX
        # The tasks the tests queue wait under the prefix, where no real worker takes them.
        celery_app.conf.broker_transport_options = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "global_keyprefix": f"{REDIS_KEY_PREFIX}:",
        }


def clear_cache() -> None:
    """Forget the rate-limit counters (and whatever else is cached) of this test process.

    On Redis, `cache.clear()` empties the whole database: the counters of the tests that the other
    pytest-xdist workers run at that moment, and a real Celery worker's queue. Only the keys of
    this process's prefix go, with the tasks it queued (dropped by `cache.clear()` before too)."""
    if not settings.REDIS_URL:
        cache.clear()
        return
    client = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
    keys = list(client.scan_iter(match=f"{REDIS_KEY_PREFIX}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def _statement_timeout(on: bool) -> None:
    """Put the web requests' statement timeout (settings, PostgreSQL only) on this process's
    database connections, or take it off; the next connection opened gets it."""
    db = connections["default"].settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        return
    options = re.sub(r"\s*-c statement_timeout=\d+", "", db["OPTIONS"].get("options", ""))
    if on:
        options = f"{options} -c statement_timeout={settings.STATEMENT_TIMEOUT_MS}"
    db["OPTIONS"]["options"] = options.strip()
    connections["default"].close()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings: None) -> None:
    """Creating and dropping the test database are not web requests: with several pytest-xdist
    workers doing it at once on a busy machine, DROP DATABASE took longer than the 5 s of the
    statement timeout, and the database was left behind for the next run to trip on."""
    _statement_timeout(on=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The tests run with the statement timeout (tests/portal/test_statement_timeout.py checks
    it); the database is dropped without it."""
    with django_db_blocker.unblock():
        _statement_timeout(on=True)
    yield
    with django_db_blocker.unblock():
        _statement_timeout(on=False)


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Rate-limit counters and the API tokens each process keeps for a few seconds must not leak
    from one test into the next."""
    clear_cache()
    recent_tokens.clear()
    yield
    clear_cache()
    recent_tokens.clear()


@pytest.fixture(autouse=True)
def _jinja2_pages_tell_the_test_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's test client learns a page's context from the `template_rendered` signal, which
    only Django's template engine sends: the Jinja2 pages send it too in tests, so
    `response.context["form"]` works for every page."""
    render = Jinja2Template.render

    def render_and_tell(self: Jinja2Template, context: Any = None, request: Any = None) -> str:
        template_rendered.send(sender=self, template=self.template, context=dict(context or {}))
        return render(self, context, request)

    monkeypatch.setattr(Jinja2Template, "render", render_and_tell)


@pytest.fixture(autouse=True)
def _static_files_without_manifest(settings: Any) -> None:
    """Production serves hashed files from collectstatic's manifest; tests render pages without
    running collectstatic, so they use the plain storage."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 costs a third of a second a password here, and the tests create hundreds of users
    and sign-in attempts. tests/accounts/test_services.py checks that the project's own setting
    puts Argon2 first."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def next_full_hour() -> datetime:
    """The next o'clock: the start of every fixed rate-limit window (15 minutes, one hour), so a
    test's attempts all fall in one window and "try again in" is exact."""
    return datetime.fromtimestamp((int(time.time()) // 3600 + 1) * 3600, tz=UTC)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller]:
    """Time stands still until the test moves it (`clock.shift(...)`, `clock.move_to(...)`): at
    the next full hour (the start of a 30-second step and of every rate-limit window), or at the
    moment a `frozen_at(moment)` mark on the test or its module names."""
    mark = request.node.get_closest_marker("frozen_at")
    start = mark.args[0] if mark else next_full_hour()
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def acme(db: Any) -> Organization:
    return OrganizationFactory.create(name="Acme SA", slug="acme")


@pytest.fixture
def studio_carol(db: Any) -> Organization:
    return OrganizationFactory.create(name="Studio Carol", slug="studio-carol")


@pytest.fixture
def alice(acme: Organization) -> User:
    user = UserFactory.create(email="alice@example.com", first_name="Alice", last_name="Rossi")
    MembershipFactory.create(organization=acme, user=user, role=Role.LEGAL_REPRESENTATIVE)
    return user


@pytest.fixture
def bob(acme: Organization) -> User:
    user = UserFactory.create(email="bob@example.com", first_name="Bob", last_name="Meier")
    MembershipFactory.create(organization=acme, user=user, role=Role.ADMINISTRATOR)
    return user


@pytest.fixture
def carol(studio_carol: Organization) -> User:
    user = UserFactory.create(email="carol@example.com", first_name="Carol", last_name="Dubois")
    MembershipFactory.create(organization=studio_carol, user=user, role=Role.LEGAL_REPRESENTATIVE)
    return user


@pytest.fixture
def dave(db: Any) -> User:
    user = UserFactory.create(email="dave@example.com", first_name="Dave", last_name="Keller")
    org = OrganizationFactory.create(name="Keller Consulting", slug="keller")
    MembershipFactory.create(organization=org, user=user, role=Role.LEGAL_REPRESENTATIVE)
    return user


@pytest.fixture
def erin(acme: Organization) -> User:
    """An Acme collaborator without accounting rights: the lower role of Acme's pages."""
    user = UserFactory.create(email="erin@example.com", first_name="Erin", last_name="Weber")
    MembershipFactory.create(organization=acme, user=user, role=Role.COLLABORATOR)
    return user


# --- What a page says: three readings of a response, each for a kind of assertion ----------------


def page_html(response: ClientResponse) -> str:
    """The page exactly as sent: markup and character references (`&#x27;`) as they are."""
    return response.content.decode()


def unescaped_html(response: ClientResponse) -> str:
    """The page's markup with character references decoded, so that a sentence with an apostrophe
    or a secret shown in an attribute is found as a person reads it."""
    return html.unescape(response.content.decode())


def visible_text(response: ClientResponse) -> str:
    """The page's words without the tags, runs of white space as one space (character references
    kept): a sentence split over several lines or elements of the template is found whole."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def membership(user: User, org: Organization) -> Membership:
    return Membership.objects.get(user=user, organization=org)


def with_authenticator(user: User) -> TOTPDevice:
    """Give `user` a confirmed authenticator app (two-factor authentication on)."""
    device = TOTPDevice(user=user, name="Phone", confirmed=True)
    device.set_key(TOTPDevice.new_key())
    device.save()
    return device


def signed_in(user: User, *, recent_password: bool = True, verified: bool | None = None) -> Client:
    """A client signed in as `user`, who (by default) confirmed the password a moment ago.

    `verified`: the session passed a second factor at sign-in (django-otp, and the mark the
    sign-in's second step leaves). Staff need it for the admin, so it defaults to True for them;
    the user gets an authenticator app if they have no method.
    """
    client = Client()
    client.force_login(user)
    session = client.session
    if recent_password:
        session[REAUTH_SESSION_KEY] = time.time()
    if verified if verified is not None else user.is_staff:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        session[DEVICE_ID_SESSION_KEY] = (device or with_authenticator(user)).persistent_id
        session[SECOND_FACTOR_AT_SIGN_IN] = True
    session.save()
    return client


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def as_bob(bob: User) -> Client:
    return signed_in(bob)


@pytest.fixture
def as_dave(dave: User) -> Client:
    return signed_in(dave)


@pytest.fixture
def as_erin(erin: User) -> Client:
    return signed_in(erin)
