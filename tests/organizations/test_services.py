"""The services of organizations: who may change whom, the legal-representative rule on every path
that could break it, the audit events and the emails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Session, User
from core.models import AuditEvent, Notification
from organizations import services
from organizations.models import Membership, Organization, Role
from organizations.services import LegalRepresentativeRequired, MembershipError
from tests.conftest import membership, signed_in
from tests.factories import UserFactory
from tests.organizations.helpers import add_legal_representative, add_member


def _state(org: Organization) -> dict[str, Any]:
    """What a refused change must leave untouched."""
    return {
        "members": sorted(
            Membership.objects.filter(organization=org).values_list(
                "user__email", "role", "billing_rights", "user__is_active"
            )
        ),
        "users": sorted(User.objects.values_list("email", "is_active")),
        "events": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _legal_count(org: Organization) -> int:
    return Membership.objects.filter(organization=org).legal_representatives().count()


# --- The rule: every path refuses to leave an organization without a legal representative -------


def test_leave_refused_for_last_legal_representative(alice: User, acme: Organization) -> None:
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired) as info:
        services.do_leave_organization(membership(alice, acme), actor=alice)

    assert "Appoint another legal representative first" in str(info.value)
    assert "Acme SA" in str(info.value)
    assert _state(acme) == before


def test_leave_allowed_with_another_legal_representative(alice: User, acme: Organization) -> None:
    add_legal_representative(acme)

    services.do_leave_organization(membership(alice, acme), actor=alice)

    assert not Membership.objects.filter(organization=acme, user=alice).exists()
    assert _legal_count(acme) == 1
    event = AuditEvent.objects.get(action="member.left")
    assert (event.actor, event.subject_user, event.organization_id) == (alice, alice, acme.pk)


def test_leave_refused_when_other_legal_representative_is_inactive(
    alice: User, acme: Organization
) -> None:
    add_legal_representative(acme, active=False)
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_leave_organization(membership(alice, acme), actor=alice)

    assert _state(acme) == before


def test_leave_allowed_for_administrator(alice: User, bob: User, acme: Organization) -> None:
    services.do_leave_organization(membership(bob, acme), actor=bob)

    assert not Membership.objects.filter(organization=acme, user=bob).exists()


def test_leave_refused_for_someone_else(alice: User, bob: User, acme: Organization) -> None:
    with pytest.raises(PermissionDenied):
        services.do_leave_organization(membership(bob, acme), actor=alice)

    assert Membership.objects.filter(organization=acme, user=bob).exists()


def test_remove_member_refused_when_only_inactive_legal_representative_would_remain(
    alice: User, acme: Organization
) -> None:
    """The service counts active legal representatives whoever asks: an inactive legal
    representative (for example one whose account support just deactivated, acting through an
    older request) cannot remove the last active one."""
    inactive = add_legal_representative(acme, active=False)
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_remove_member(membership(alice, acme), actor=inactive.user)

    assert _state(acme) == before


def test_remove_member_allowed_with_another_active_legal_representative(
    alice: User, acme: Organization
) -> None:
    frank = add_legal_representative(acme)

    services.do_remove_member(membership(alice, acme), actor=frank.user)

    assert not Membership.objects.filter(organization=acme, user=alice).exists()
    assert list(Membership.objects.filter(organization=acme).legal_representatives()) == [frank]


def test_demote_refused_when_only_inactive_legal_representative_would_remain(
    alice: User, acme: Organization
) -> None:
    inactive = add_legal_representative(acme, active=False)
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_change_role(
            membership(alice, acme), role=Role.ADMINISTRATOR, actor=inactive.user
        )

    assert _state(acme) == before


def test_demote_allowed_with_another_active_legal_representative(
    alice: User, acme: Organization
) -> None:
    frank = add_legal_representative(acme)

    services.do_change_role(membership(alice, acme), role=Role.ADMINISTRATOR, actor=frank.user)

    assert membership(alice, acme).role == Role.ADMINISTRATOR
    assert _legal_count(acme) == 1


def test_deactivate_user_refused_for_last_legal_representative(
    alice: User, acme: Organization
) -> None:
    client = signed_in(alice)
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_deactivate_user(alice, actor=None)

    alice.refresh_from_db()
    assert alice.is_active
    assert _state(acme) == before
    assert client.get("/orgs/acme/").status_code == 200  # still signed in


def test_deactivate_user_refused_when_other_legal_representative_is_inactive(
    alice: User, acme: Organization
) -> None:
    add_legal_representative(acme, active=False)
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_deactivate_user(alice, actor=None)

    assert _state(acme) == before


def test_deactivate_user_refused_if_last_in_any_organization(
    alice: User, acme: Organization
) -> None:
    """alice is one of two legal representatives of Acme but the only one of a second
    organization: nothing happens anywhere."""
    add_legal_representative(acme)
    sister = Organization.objects.create(name="Acme Sister", slug="acme-sister")
    Membership.objects.create(organization=sister, user=alice, role=Role.LEGAL_REPRESENTATIVE)
    before = (_state(acme), _state(sister))

    with pytest.raises(LegalRepresentativeRequired) as info:
        services.do_deactivate_user(alice, actor=None)

    assert info.value.organization == sister
    assert (_state(acme), _state(sister)) == before


def test_deactivate_user_allowed_with_another_legal_representative(
    alice: User, acme: Organization
) -> None:
    add_legal_representative(acme)
    client = signed_in(alice)
    assert Session.objects.filter(user=alice).exists()

    services.do_deactivate_user(alice, actor=None)

    alice.refresh_from_db()
    assert not alice.is_active
    assert not Session.objects.filter(user=alice).exists()
    assert client.get("/orgs/acme/").status_code == 302  # signed out
    assert _legal_count(acme) == 1
    assert AuditEvent.objects.filter(action="user.deactivated", subject_user=alice).count() == 1


def test_deactivate_user_allowed_for_non_legal_member(bob: User, acme: Organization) -> None:
    services.do_deactivate_user(bob, actor=None)

    bob.refresh_from_db()
    assert not bob.is_active


def test_delete_user_refused_for_last_legal_representative(alice: User, acme: Organization) -> None:
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_delete_user(alice, actor=None)

    assert User.objects.filter(pk=alice.pk).exists()
    assert _state(acme) == before


def test_delete_user_refused_when_other_legal_representative_is_inactive(
    alice: User, acme: Organization
) -> None:
    add_legal_representative(acme, active=False)
    before = _state(acme)

    with pytest.raises(LegalRepresentativeRequired):
        services.do_delete_user(alice, actor=None)

    assert _state(acme) == before


def test_delete_user_allowed_with_another_legal_representative(
    alice: User, acme: Organization
) -> None:
    add_legal_representative(acme)

    services.do_delete_user(alice, actor=None)

    assert not User.objects.filter(email="alice@example.com").exists()
    assert _legal_count(acme) == 1
    event = AuditEvent.objects.get(action="user.deleted")
    assert event.data == {"email": "alice@example.com"}


def test_organizations_left_without_legal_representative_names_them(
    alice: User, acme: Organization, bob: User
) -> None:
    assert services.organizations_left_without_legal_representative(alice) == [acme]
    assert services.organizations_left_without_legal_representative(bob) == []
    add_legal_representative(acme)
    assert services.organizations_left_without_legal_representative(alice) == []


# --- Who may change whom ------------------------------------------------------------------------


def test_administrator_changes_collaborator_role(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    services.do_change_role(membership(erin, acme), role=Role.ADMINISTRATOR, actor=bob)

    assert membership(erin, acme).role == Role.ADMINISTRATOR
    event = AuditEvent.objects.get(action="member.role_changed")
    assert (event.actor, event.subject_user, event.organization_id) == (bob, erin, acme.pk)
    assert event.data == {"from": "collaborator", "to": "administrator", "billing_rights": False}


def test_administrator_removes_collaborator(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    services.do_remove_member(membership(erin, acme), actor=bob)

    assert not Membership.objects.filter(organization=acme, user=erin).exists()
    event = AuditEvent.objects.get(action="member.removed")
    assert (event.actor, event.subject_user, event.organization_id) == (bob, erin, acme.pk)
    email = Notification.objects.get(kind="member_removed")
    assert (email.recipient, email.to) == (erin, "erin@example.com")
    assert "Acme SA" in email.subject
    assert "Bob Meier" in email.body_text


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.COLLABORATOR, Role.EXTERNAL])
def test_administrator_cannot_grant_legal_representative(
    alice: User, bob: User, acme: Organization, role: str
) -> None:
    target = add_member(acme, role)
    before = _state(acme)

    with pytest.raises(PermissionDenied):
        services.do_change_role(target, role=Role.LEGAL_REPRESENTATIVE, actor=bob)

    assert _state(acme) == before


def test_administrator_cannot_demote_legal_representative(
    alice: User, bob: User, acme: Organization
) -> None:
    add_legal_representative(acme)  # even when the rule would allow it
    before = _state(acme)

    with pytest.raises(PermissionDenied):
        services.do_change_role(membership(alice, acme), role=Role.ADMINISTRATOR, actor=bob)

    assert _state(acme) == before


def test_administrator_cannot_remove_legal_representative(
    alice: User, bob: User, acme: Organization
) -> None:
    add_legal_representative(acme)
    before = _state(acme)

    with pytest.raises(PermissionDenied):
        services.do_remove_member(membership(alice, acme), actor=bob)

    assert _state(acme) == before


def test_legal_representative_appoints_another(alice: User, bob: User, acme: Organization) -> None:
    services.do_change_role(membership(bob, acme), role=Role.LEGAL_REPRESENTATIVE, actor=alice)

    assert membership(bob, acme).is_legal_representative
    # ... after which alice may go.
    services.do_leave_organization(membership(alice, acme), actor=alice)
    assert _legal_count(acme) == 1


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.EXTERNAL])
@pytest.mark.parametrize(
    "attempt",
    [
        lambda target, actor: services.do_remove_member(target, actor=actor),
        lambda target, actor: services.do_change_role(target, role=Role.EXTERNAL, actor=actor),
    ],
    ids=["remove", "change-role"],
)
def test_lower_roles_cannot_manage_members(
    alice: User,
    bob: User,
    acme: Organization,
    role: str,
    attempt: Callable[[Membership, User], Any],
) -> None:
    actor = add_member(acme, role).user
    target = add_member(acme, Role.COLLABORATOR)
    before = _state(acme)

    with pytest.raises(PermissionDenied):
        attempt(target, actor)

    assert _state(acme) == before


def test_outsider_cannot_manage_members(
    alice: User, erin: User, dave: User, acme: Organization
) -> None:
    before = _state(acme)

    with pytest.raises(PermissionDenied):
        services.do_remove_member(membership(erin, acme), actor=dave)
    with pytest.raises(PermissionDenied):
        services.do_change_role(membership(erin, acme), role=Role.EXTERNAL, actor=dave)

    assert _state(acme) == before


@pytest.mark.parametrize("role", list(Role))
def test_nobody_changes_own_role(acme: Organization, alice: User, role: str) -> None:
    me = alice if role == Role.LEGAL_REPRESENTATIVE else add_member(acme, role).user
    add_legal_representative(acme)  # the rule is not what refuses here
    before = _state(acme)

    with pytest.raises(MembershipError, match="your own role"):
        services.do_change_role(membership(me, acme), role=Role.EXTERNAL, actor=me)

    assert _state(acme) == before


def test_remove_self_points_to_leave(alice: User, bob: User, acme: Organization) -> None:
    with pytest.raises(MembershipError, match="Leave"):
        services.do_remove_member(membership(bob, acme), actor=bob)

    assert Membership.objects.filter(organization=acme, user=bob).exists()


def test_remove_member_already_gone_is_explained(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    stale = membership(erin, acme)
    services.do_remove_member(stale, actor=alice)

    with pytest.raises(MembershipError, match="no longer a member"):
        services.do_remove_member(stale, actor=bob)

    assert AuditEvent.objects.filter(action="member.removed").count() == 1


# --- Emails and audit of a role change -----------------------------------------------------------


def test_role_change_emails_member_in_their_language(
    alice: User, bob: User, acme: Organization
) -> None:
    bob.language = "it"
    bob.save()

    services.do_change_role(membership(bob, acme), role=Role.EXTERNAL, actor=alice)

    email = Notification.objects.get(kind="member_role_changed")
    assert (email.recipient, email.to, email.language) == (bob, "bob@example.com", "it")
    with translation.override("it"):
        subject = gettext("Your role in %(organization)s changed") % {"organization": "Acme SA"}
        old, new = str(Role.ADMINISTRATOR.label), str(Role.EXTERNAL.label)
    assert email.subject == subject
    assert old in email.body_text
    assert new in email.body_text
    assert "Alice Rossi" in email.body_text


def test_role_change_email_only_to_the_member(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    services.do_change_role(membership(erin, acme), role=Role.EXTERNAL, actor=bob)

    assert list(Notification.objects.values_list("kind", "to")) == [
        ("member_role_changed", "erin@example.com")
    ]


def test_role_unchanged_writes_nothing(alice: User, bob: User, acme: Organization) -> None:
    before = _state(acme)

    services.do_change_role(membership(bob, acme), role=Role.ADMINISTRATOR, actor=alice)

    assert _state(acme) == before


def test_billing_rights_only_for_collaborators(alice: User, erin: User, acme: Organization) -> None:
    services.do_change_role(
        membership(erin, acme), role=Role.COLLABORATOR, billing_rights=True, actor=alice
    )
    assert membership(erin, acme).can_manage_billing

    services.do_change_role(
        membership(erin, acme), role=Role.EXTERNAL, billing_rights=True, actor=alice
    )
    erin_membership = membership(erin, acme)
    assert erin_membership.billing_rights is False
    assert not erin_membership.can_manage_billing


def test_removal_writes_no_role_change_email(
    alice: User, bob: User, erin: User, acme: Organization
) -> None:
    services.do_remove_member(membership(erin, acme), actor=alice)

    assert list(Notification.objects.values_list("kind", flat=True)) == ["member_removed"]


# --- Organizations ------------------------------------------------------------------------------


def test_create_organization_makes_creator_legal_representative(dave: User) -> None:
    org = services.do_create_organization("Keller Consulting", creator=dave)

    assert org.slug == "keller-consulting"
    assert membership(dave, org).is_legal_representative
    event = AuditEvent.objects.get(action="organization.created", organization_id=org.pk)
    assert event.actor == dave


def test_create_organization_slug_is_unique_and_not_reserved(dave: User) -> None:
    first = services.do_create_organization("New", creator=dave)
    second = services.do_create_organization("New", creator=dave)
    third = services.do_create_organization("!!!", creator=dave)

    assert (first.slug, second.slug, third.slug) == ("new-2", "new-3", "organization")


def test_sign_up_creates_user_and_organization(db: Any) -> None:
    user = services.do_sign_up(
        email="Grace@Example.com",
        password="a long passphrase for grace",
        first_name="Grace",
        last_name="Hopper",
        organization_name="Hopper GmbH",
        language="it",
    )

    assert user is not None
    assert user.email == "grace@example.com"
    assert user.language == "it"
    org = Organization.objects.get(slug="hopper-gmbh")
    assert membership(user, org).is_legal_representative


def test_update_organization_by_administrator(alice: User, bob: User, acme: Organization) -> None:
    services.do_update_organization(acme, actor=bob, city="Lugano")

    acme.refresh_from_db()
    assert acme.city == "Lugano"
    event = AuditEvent.objects.get(action="organization.updated")
    assert (event.organization_id, event.data) == (acme.pk, {"fields": ["city"]})


@pytest.mark.parametrize("role", [Role.COLLABORATOR, Role.EXTERNAL])
def test_update_organization_refused_for_lower_roles(
    alice: User, acme: Organization, role: str
) -> None:
    actor = add_member(acme, role).user

    with pytest.raises(PermissionDenied):
        services.do_update_organization(acme, actor=actor, city="Lugano")

    acme.refresh_from_db()
    assert acme.city == ""
    assert not AuditEvent.objects.filter(action="organization.updated").exists()


def test_update_organization_refused_for_outsider(
    alice: User, dave: User, acme: Organization
) -> None:
    with pytest.raises(PermissionDenied):
        services.do_update_organization(acme, actor=dave, name="Pwned")

    acme.refresh_from_db()
    assert acme.name == "Acme SA"


def test_deleting_user_keeps_their_audit_trail(alice: User, acme: Organization) -> None:
    frank = add_legal_representative(acme).user
    services.do_change_role(membership(alice, acme), role=Role.EXTERNAL, actor=frank)
    other = UserFactory.create()

    services.do_delete_user(alice, actor=other)

    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.subject_user is None
    assert event.organization_id == acme.pk
