"""Issue 11, findings 1 and 2, and ARCHITECTURE.md rule 11: support staff see no secret in the
admin.

Every admin of the project derives from `core.admin.PortalModelAdmin` (inlines from
`PortalInlineMixin`), so two rules hold on every admin page: only the lookups an admin offers as
filters are accepted in the query string, and no secret field is rendered. A support agent then
opens every changelist and change page of the demo data, and none shows a session key, a digest,
a sealed key or a one-time link.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import Session, User
from core import outbox
from core.admin import PortalInlineMixin, PortalModelAdmin
from core.models import Notification
from organizations.support import SUPPORT_GROUP, ensure_support_group
from portal import demo
from security.models import KAuthDevice, TOTPDevice
from tests.conftest import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Apps of this project (Django's own `auth.Group` is re-registered with the base admin too).
PROJECT_APPS = {"accounts", "auth", "billing", "offers", "organizations", "portal", "security"}
PROJECT_APPS |= {"tags", "tokens"}


def test_every_admin_derives_from_the_base_admin() -> None:
    forgotten = [
        f"{model._meta.label}: {type(model_admin).__name__}"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS and not isinstance(model_admin, PortalModelAdmin)
    ]
    assert not forgotten, f"admins without core.admin.PortalModelAdmin: {forgotten}"


def test_every_inline_derives_from_the_base_inline() -> None:
    forgotten = [
        f"{type(model_admin).__name__}.{inline.__name__}"
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
        if not issubclass(inline, PortalInlineMixin)
    ]
    assert not forgotten, f"inlines without core.admin.PortalInlineMixin: {forgotten}"


# --- The support agent's crawl ------------------------------------------------------------------


@pytest.fixture
def agent(db: Any) -> User:
    ensure_support_group()
    user = UserFactory.create(email="agent@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return user


@pytest.fixture
def world(db: Any) -> dict[str, list[str]]:
    """The demo data, a signed-in customer session and an email with a one-time link, and the
    secrets they hold (what must never reach a support agent's screen)."""
    demo.seed()
    alice = User.objects.get(email="alice@example.com")
    customer = signed_in(alice)
    customer.get("/")
    with_link = outbox.send_email(
        "password_reset",
        to_user=alice,
        key="crawl:reset",
        context={"name": "Alice", "url": "/accounts/password/reset/MQ/secret-reset-token/"},
        one_time_link=True,
    )
    return {
        "session keys": list(Session.objects.values_list("session_key", flat=True)),
        "sealed keys": [
            *TOTPDevice.objects.values_list("sealed_key", flat=True),
            *KAuthDevice.objects.values_list("sealed_key", flat=True),
        ],
        "digests": list(KAuthDevice.objects.values_list("credential_digest", flat=True)),
        "one-time links": ["secret-reset-token", with_link.body_text[:40]],
        "password hashes": list(User.objects.values_list("password", flat=True)),
    }


def _admin_urls() -> list[str]:
    urls = []
    for model, _admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        for pk in model._default_manager.values_list("pk", flat=True)[:3]:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
    return urls


def test_support_crawl_shows_no_secret(agent: User, world: dict[str, list[str]]) -> None:
    client = signed_in(agent)
    opened, leaks = 0, []
    for url in _admin_urls():
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code in (302, 403, 404), url
            continue
        opened += 1
        page = response.content.decode()
        for kind, secrets in world.items():
            leaks += [f"{url}: {kind}" for s in secrets if s and s in page]
    assert opened >= 10  # the crawl really saw the support agent's pages
    assert not leaks, leaks


def test_superuser_crawl_shows_no_secret_either(world: dict[str, list[str]]) -> None:
    client = signed_in(
        UserFactory.create(email="root@example.com", is_staff=True, is_superuser=True)
    )
    leaks = []
    for url in _admin_urls():
        page = client.get(url).content.decode()
        for kind, secrets in world.items():
            leaks += [f"{url}: {kind}" for s in secrets if s and s in page]
    assert not leaks, leaks


UNDECLARED_LOOKUPS = [
    "/admin/portal/notification/?body_text__regex=.",
    "/admin/portal/notification/?body_text__startswith=Hello",
    "/admin/portal/notification/?body_html__contains=reset",
    "/admin/security/kauthdevice/?credential_digest__startswith=a",
    "/admin/security/kauthdevice/?sealed_key__startswith=g",
    "/admin/security/totpdevice/?sealed_key__regex=.",
    "/admin/accounts/user/?password__startswith=argon2",
    "/admin/accounts/user/?phone__startswith=%2B41",  # a field, but not an offered filter
    "/admin/portal/notification/?to__startswith=alice",
    "/admin/portal/notification/?status__regex=.",  # an offered filter, with another operator
]


@pytest.mark.parametrize("url", UNDECLARED_LOOKUPS)
def test_filtering_on_an_undeclared_lookup_is_refused(
    agent: User, world: dict[str, list[str]], url: str
) -> None:
    response = signed_in(agent).get(url)
    assert response.status_code == 400


def test_filtering_on_undeclared_lookups_is_refused_for_superusers_too(
    world: dict[str, list[str]],
) -> None:
    client = signed_in(
        UserFactory.create(email="root@example.com", is_staff=True, is_superuser=True)
    )
    assert client.get("/admin/portal/notification/?body_text__regex=.").status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/admin/portal/notification/?status__exact=pending",
        "/admin/portal/notification/?channel__exact=email&kind__exact=password_reset",
        "/admin/portal/auditevent/?created_at__year=2026",
        "/admin/accounts/user/?is_active__exact=1&is_staff__exact=0",
        "/admin/accounts/user/?q=alice",
    ],
)
def test_declared_filters_still_work(agent: User, world: dict[str, list[str]], url: str) -> None:
    assert signed_in(agent).get(url).status_code == 200


# --- Finding 1: sessions ------------------------------------------------------------------------


def test_sessions_have_no_admin(agent: User, world: dict[str, list[str]]) -> None:
    client = signed_in(agent)
    assert Session not in admin.site._registry
    assert client.get("/admin/accounts/session/").status_code == 404
    key = world["session keys"][0]
    assert client.get(f"/admin/accounts/session/{key}/change/").status_code == 404


def test_support_group_no_longer_has_session_permissions(agent: User) -> None:
    group = Group.objects.get(name=SUPPORT_GROUP)
    group.permissions.add(*Permission.objects.filter(codename="view_session"))
    ensure_support_group()  # what the next migrate does on an existing installation
    assert not group.permissions.filter(codename__endswith="_session").exists()


def test_a_persons_page_lists_their_sessions_without_keys(
    agent: User, world: dict[str, list[str]]
) -> None:
    alice = User.objects.get(email="alice@example.com")
    page = signed_in(agent).get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "Sessions" in page
    assert "Not signed in anywhere." not in page
    assert not any(key in page for key in world["session keys"])


def test_sign_out_everywhere_ends_a_persons_sessions(
    agent: User, world: dict[str, list[str]]
) -> None:
    alice = User.objects.get(email="alice@example.com")
    assert Session.objects.filter(user=alice).exists()
    response = signed_in(agent).post(
        "/admin/accounts/user/",
        {"action": "sign_out_everywhere", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not Session.objects.filter(user=alice).exists()


# --- One-time links are not kept after delivery -------------------------------------------------


def test_a_delivered_one_time_link_is_not_kept(
    world: dict[str, list[str]], settings: Any, mailoutbox: list[Any]
) -> None:
    settings.OUTBOX_KEEP_SENT_LINKS = False
    notification = Notification.objects.get(key="crawl:reset")

    assert outbox.deliver(notification.pk)

    notification.refresh_from_db()
    assert "secret-reset-token" in mailoutbox[-1].body  # the person got the link
    assert (notification.status, notification.body_text, notification.body_html) == ("sent", "", "")
    assert notification.subject


def test_other_emails_keep_their_text(world: dict[str, list[str]], settings: Any) -> None:
    settings.OUTBOX_KEEP_SENT_LINKS = False
    alice = User.objects.get(email="alice@example.com")
    plain = outbox.send_email(
        "member_removed",
        to_user=alice,
        key="crawl:removed",
        context={"organization": "Acme SA", "removed_by": "Bob"},
    )
    assert outbox.deliver(plain.pk)
    plain.refresh_from_db()
    assert plain.body_text


@pytest.mark.parametrize(
    ("service", "kind"),
    [
        ("reset", "password_reset"),
        ("verify", "verify_email"),
        ("invite", "member_invited"),
    ],
)
def test_services_mark_their_one_time_links(
    world: dict[str, list[str]], service: str, kind: str
) -> None:
    from accounts.services import do_request_password_reset, send_verification_email
    from organizations.models import Organization, Role
    from organizations.services import do_invite_member

    alice = User.objects.get(email="alice@example.com")
    if service == "reset":
        do_request_password_reset(alice.email, ip="127.0.0.1")
    elif service == "verify":
        send_verification_email(alice)
    else:
        do_invite_member(
            Organization.objects.get(slug="acme"),
            email="new@example.com",
            role=Role.EXTERNAL,
            actor=alice,
        )
    latest = Notification.objects.filter(kind=kind).latest("created_at")
    assert latest.holds_one_time_link
    assert re.search(r"https?://\S+", latest.body_text)
