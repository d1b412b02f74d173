"""What support staff change in the admin leaves a trace (issue 12, finding 11): a person's
details go through the profile service (audit event with the staff member as actor, in the
person's activity, and an email to the person); every other admin save, addition and deletion is
audited by the base admin, so an admin added tomorrow is traced without anyone remembering to."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from core.models import AuditEvent, Notification
from organizations.models import Organization
from organizations.support import SUPPORT_GROUP
from tests.conftest import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(db: Any) -> User:
    user = UserFactory.create(email="support@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return user


def _unchanged(form: Any, data: dict[str, Any]) -> None:
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        key = form.add_prefix(name)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[key] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = getattr(value, "pk", value)


def change_form_data(client: Client, url: str) -> dict[str, Any]:
    """The change form (and its inlines) as the browser would post them back unchanged."""
    response = client.get(url)
    assert response.status_code == 200
    data: dict[str, Any] = {}
    _unchanged(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _unchanged(formset.management_form, data)
        for form in formset.forms:
            _unchanged(form, data)
    return data


def test_support_changing_a_phone_is_audited_shown_to_the_person_and_emailed(
    support: User, bob: User
) -> None:
    client = signed_in(support)
    url = f"/admin/accounts/user/{bob.pk}/change/"
    data = change_form_data(client, url)
    data["phone"] = "+41 79 555 12 12"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    bob.refresh_from_db()
    assert bob.phone == "+41 79 555 12 12"
    event = AuditEvent.objects.get(action="user.profile_updated", subject_user=bob)
    assert event.actor == support
    assert event.data == {"fields": ["phone"]}
    activity = signed_in(bob).get("/accounts/activity/").content.decode()
    assert "support@example.com" in activity
    email = Notification.objects.get(kind="profile_changed_by_staff", recipient=bob)
    assert "Phone" in email.body_text
    assert "+41 79 555 12 12" not in email.body_text  # what changed, not the new value


def test_support_saving_unchanged_leaves_no_event_and_no_email(support: User, bob: User) -> None:
    client = signed_in(support)
    url = f"/admin/accounts/user/{bob.pk}/change/"

    client.post(url, change_form_data(client, url))

    assert not AuditEvent.objects.filter(subject_user=bob).exists()
    assert not Notification.objects.filter(kind="profile_changed_by_staff").exists()


def test_every_other_admin_change_is_audited_by_the_base_admin(
    acme: Organization, alice: User
) -> None:
    root = UserFactory.create(email="root@example.com", is_staff=True, is_superuser=True)
    client = signed_in(root)
    url = f"/admin/organizations/organization/{acme.pk}/change/"
    data = change_form_data(client, url)
    data["name"] = "Acme Holding SA"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="admin.changed")
    assert event.actor == root
    assert event.organization_id == acme.pk
    assert event.data["fields"] == ["name"]
    assert event.data["model"] == "organizations.organization"


# Admins that write otherwise than through the base admin's audited methods, and the service that
# records their changes instead. Overriding one of these methods elsewhere fails the test below.
WRITES_THROUGH_SERVICES = {
    ("accounts.user", "save_model"): "accounts.services.do_update_profile (and the base admin)",
    ("accounts.user", "delete_model"): "organizations.services.do_delete_user",
    ("accounts.user", "delete_queryset"): "organizations.services.do_delete_user, one by one",
    ("organizations.partnerprofile", "save_model"): "the base admin, then do_set_partner_status",
}
WRITING_METHODS = ("save_model", "delete_model", "delete_queryset", "save_formset", "save_related")


def test_no_admin_writes_around_the_audited_base() -> None:
    from django.contrib import admin

    from core.admin import PortalModelAdmin

    found = set()
    for model, model_admin in admin.site._registry.items():
        for klass in type(model_admin).__mro__:
            if klass is PortalModelAdmin:
                break
            for name in WRITING_METHODS:
                if name in vars(klass):
                    found.add((model._meta.label_lower, name))

    assert found == set(WRITES_THROUGH_SERVICES)
