"""The admin for support staff: deleting and deactivating users keep the legal-representative rule,
and the "support" group has the least permissions it needs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory

from accounts.models import User
from billing.apps import SUPPORT_PERMISSIONS as BILLING_SUPPORT_PERMISSIONS
from core.models import AuditEvent
from offers.apps import SUPPORT_PERMISSIONS as OFFERS_SUPPORT_PERMISSIONS
from organizations.models import Membership, Organization
from organizations.support import SUPPORT_GROUP, SUPPORT_PERMISSIONS
from security.apps import REVIEWER_PERMISSIONS
from tests.conftest import signed_in
from tests.factories import UserFactory
from tests.organizations.helpers import add_legal_representative

USERS = "/admin/accounts/user/"


@pytest.fixture
def superuser(db: Any) -> User:
    return UserFactory.create(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def as_superuser(superuser: User) -> Client:
    return signed_in(superuser)


@pytest.fixture
def support(db: Any) -> User:
    user = UserFactory.create(email="support@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return user


def _user_admin() -> Any:
    return admin.site._registry[User]


def _request(user: User) -> Any:
    request = RequestFactory().post("/admin/")
    request.user = user
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]  # as MessageMiddleware
    return request


# --- Deleting -----------------------------------------------------------------------------------


def test_delete_page_lists_rule_for_last_legal_representative(
    as_superuser: Client, alice: User
) -> None:
    response = as_superuser.get(f"{USERS}{alice.pk}/delete/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "alice@example.com is the last legal representative of Acme SA." in page
    assert 'name="post"' not in page  # no form that would delete


def test_delete_post_keeps_last_legal_representative(
    as_superuser: Client, alice: User, acme: Organization
) -> None:
    response = as_superuser.post(f"{USERS}{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    assert "is the last legal representative of Acme SA" in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()
    assert Membership.objects.filter(user=alice, organization=acme).exists()
    assert not AuditEvent.objects.filter(action="user.deleted").exists()


def test_bulk_delete_keeps_last_legal_representative(
    as_superuser: Client, alice: User, bob: User
) -> None:
    response = as_superuser.post(
        USERS,
        {"action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"},
    )

    assert "is the last legal representative of Acme SA" in response.content.decode()
    assert User.objects.filter(pk__in=[alice.pk, bob.pk]).count() == 2


def test_delete_page_allows_when_another_legal_representative(
    as_superuser: Client, alice: User, acme: Organization
) -> None:
    add_legal_representative(acme)

    response = as_superuser.post(f"{USERS}{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert AuditEvent.objects.filter(action="user.deleted").count() == 1


def test_delete_model_leaves_last_legal_representative(
    superuser: User, alice: User, acme: Organization
) -> None:
    request = _request(superuser)

    _user_admin().delete_model(request, alice)

    assert User.objects.filter(pk=alice.pk).exists()
    assert Membership.objects.filter(user=alice, organization=acme).exists()
    errors = [str(m) for m in get_messages(request)]
    assert any("must keep at least one legal representative" in m for m in errors)


def test_delete_queryset_deletes_only_those_that_may_go(
    superuser: User, alice: User, bob: User, erin: User
) -> None:
    request = _request(superuser)

    _user_admin().delete_queryset(request, User.objects.filter(pk__in=[alice.pk, bob.pk]))

    assert User.objects.filter(pk=alice.pk).exists()
    assert not User.objects.filter(pk=bob.pk).exists()
    assert User.objects.filter(pk=erin.pk).exists()


def test_delete_model_refused_with_inactive_second_legal_representative(
    superuser: User, alice: User, acme: Organization
) -> None:
    add_legal_representative(acme, active=False)

    _user_admin().delete_model(_request(superuser), alice)

    assert User.objects.filter(pk=alice.pk).exists()


# --- Deactivating -------------------------------------------------------------------------------


def _deactivate(client: Client, *users: User) -> Any:
    return client.post(
        USERS,
        {"action": "deactivate_users", "_selected_action": [u.pk for u in users]},
        follow=True,
    )


def test_deactivate_action_refuses_last_legal_representative(
    as_superuser: Client, alice: User, bob: User
) -> None:
    response = _deactivate(as_superuser, alice, bob)

    page = response.content.decode().lower()  # the admin capitalises messages
    assert "alice@example.com: acme sa must keep at least one legal representative" in page
    assert "bob@example.com is deactivated." in page
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.is_active
    assert not bob.is_active
    assert list(
        AuditEvent.objects.filter(action="user.deactivated").values_list(
            "subject_user__email", flat=True
        )
    ) == ["bob@example.com"]


def test_deactivate_action_allowed_with_another_legal_representative(
    as_superuser: Client, superuser: User, alice: User, acme: Organization
) -> None:
    add_legal_representative(acme)

    _deactivate(as_superuser, alice)

    alice.refresh_from_db()
    assert not alice.is_active
    assert AuditEvent.objects.get(action="user.deactivated").actor == superuser


def test_deactivate_action_refused_when_other_legal_representative_inactive(
    as_superuser: Client, alice: User, acme: Organization
) -> None:
    add_legal_representative(acme, active=False)

    _deactivate(as_superuser, alice)

    alice.refresh_from_db()
    assert alice.is_active


def test_is_active_not_editable_in_form(as_superuser: Client, alice: User) -> None:
    """Deactivation goes through the action (and the rule), not through a checkbox."""
    page = as_superuser.get(f"{USERS}{alice.pk}/change/").content.decode()

    assert 'name="is_active"' not in page


# --- The support group --------------------------------------------------------------------------


def test_support_group_has_exactly_listed_permissions(db: Any) -> None:
    group = Group.objects.get(name=SUPPORT_GROUP)

    granted = set(group.permissions.values_list("content_type__app_label", "codename"))

    # The security app adds the review of identity documents (security/apps.py), billing its own
    # (billing/apps.py).
    expected = (
        set(SUPPORT_PERMISSIONS)
        | set(REVIEWER_PERMISSIONS)
        | {("billing", code) for code in BILLING_SUPPORT_PERMISSIONS}
        | {("offers", code) for code in OFFERS_SUPPORT_PERMISSIONS}
    )
    assert granted == expected
    assert len(expected) == Permission.objects.filter(group=group).count()


def test_support_permissions_grant_no_deletion_or_edit_of_organizations(db: Any) -> None:
    codenames = {code for _app, code in SUPPORT_PERMISSIONS}

    assert not any(code.startswith(("delete_", "add_")) for code in codenames)
    assert "change_organization" not in codenames
    assert "change_membership" not in codenames


def test_support_searches_users_by_email(support: User, alice: User, bob: User) -> None:
    client = signed_in(support)

    response = client.get(USERS, {"q": "alice@example"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "alice@example.com" in page
    assert "bob@example.com" not in page


def test_support_sees_changelist_and_organizations(
    support: User, alice: User, acme: Organization
) -> None:
    client = signed_in(support)

    assert client.get(USERS).status_code == 200
    assert client.get(f"{USERS}{alice.pk}/change/").status_code == 200
    assert client.get(f"/admin/organizations/organization/{acme.pk}/change/").status_code == 200
    assert client.get("/admin/portal/auditevent/").status_code == 200


def test_support_cannot_delete_users_or_organizations(
    support: User, alice: User, bob: User, acme: Organization
) -> None:
    client = signed_in(support)

    assert client.get(f"{USERS}{bob.pk}/delete/").status_code == 403
    assert client.post(f"{USERS}{bob.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"/admin/organizations/organization/{acme.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()


def test_support_can_deactivate_through_action(support: User, alice: User, bob: User) -> None:
    _deactivate(signed_in(support), bob)

    bob.refresh_from_db()
    assert not bob.is_active


def test_view_only_staff_cannot_deactivate(alice: User, bob: User) -> None:
    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = signed_in(viewer)

    assert client.get(USERS).status_code == 200
    assert "deactivate_users" not in client.get(USERS).content.decode()
    _deactivate(client, bob)

    bob.refresh_from_db()
    assert bob.is_active


def test_non_staff_cannot_open_admin(alice: User) -> None:
    response = signed_in(alice).get(USERS)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _change_form(user: User, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": "",
        "language": "en",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Save",
        **(extra or {}),
    }


def test_support_cannot_make_themselves_superuser(support: User) -> None:
    client = signed_in(support)

    response = client.post(
        f"{USERS}{support.pk}/change/",
        _change_form(support, {"is_staff": "on", "is_superuser": "on"}),
    )

    assert response.status_code == 403
    support.refresh_from_db()
    assert not support.is_superuser


def test_support_cannot_grant_admin_rights_to_customer(support: User, bob: User) -> None:
    client = signed_in(support)
    page = client.get(f"{USERS}{bob.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' not in page

    response = client.post(
        f"{USERS}{bob.pk}/change/",
        _change_form(
            bob,
            {
                "is_staff": "on",
                "is_superuser": "on",
                "groups": [Group.objects.get(name=SUPPORT_GROUP).pk],
                "phone": "+41 79 000 00 00",
            },
        ),
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.phone == "+41 79 000 00 00"  # the rest of the form still works
    assert (bob.is_staff, bob.is_superuser, bob.groups.count()) == (False, False, 0)


def test_support_cannot_change_other_staff(support: User, superuser: User) -> None:
    client = signed_in(support)

    assert client.get(f"{USERS}{superuser.pk}/change/").status_code == 200  # view only
    response = client.post(
        f"{USERS}{superuser.pk}/change/", _change_form(superuser, {"email": "me@evil.example"})
    )
    assert response.status_code == 403
    assert client.get(f"{USERS}{superuser.pk}/password/").status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@example.com"


def test_superuser_can_grant_staff(as_superuser: Client, bob: User) -> None:
    response = as_superuser.post(f"{USERS}{bob.pk}/change/", _change_form(bob, {"is_staff": "on"}))

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.is_staff


def test_support_cannot_deactivate_staff(support: User, superuser: User, bob: User) -> None:
    response = signed_in(support).post(
        USERS, {"action": "deactivate_users", "_selected_action": [bob.pk, superuser.pk]}
    )

    assert response.status_code == 403
    superuser.refresh_from_db()
    bob.refresh_from_db()
    assert superuser.is_active
    assert bob.is_active


def test_support_cannot_change_a_customers_email(support: User, bob: User) -> None:
    client = signed_in(support)

    response = client.post(
        f"{USERS}{bob.pk}/change/", _change_form(bob, {"email": "attacker@example.com"})
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"


def test_support_cannot_set_a_customers_password(support: User, bob: User) -> None:
    client = signed_in(support)

    response = client.post(
        f"{USERS}{bob.pk}/password/",
        {"password1": "a new password for bob", "password2": "a new password for bob"},
    )

    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.check_password("correct horse battery staple")


def test_support_reactivates_a_deactivated_user(support: User, bob: User) -> None:
    bob.is_active = False
    bob.save(update_fields=["is_active"])

    signed_in(support).post(
        USERS, {"action": "reactivate_users", "_selected_action": [bob.pk]}, follow=True
    )

    bob.refresh_from_db()
    assert bob.is_active
    assert AuditEvent.objects.filter(action="user.reactivated", subject_user=bob).exists()


def test_view_only_staff_cannot_reactivate(bob: User) -> None:
    viewer = UserFactory.create(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    bob.is_active = False
    bob.save(update_fields=["is_active"])

    signed_in(viewer).post(USERS, {"action": "reactivate_users", "_selected_action": [bob.pk]})

    bob.refresh_from_db()
    assert not bob.is_active
