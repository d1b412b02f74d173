"""Changes to a person's second factors (security/services.py): what each one leaves in the
database, the audit log and the outbox, and the rules that refuse them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import Session, User
from core.models import AuditEvent, Notification
from organizations.models import Organization
from security import services
from security.methods import has_two_factor
from security.models import (
    EmergencyCode,
    EmergencyCodesDevice,
    OrganizationSecurityPolicy,
    TOTPDevice,
    TwoFactorPreference,
)
from tests.conftest import signed_in, with_authenticator
from tests.security.helpers import code_for, wrong_code

pytestmark = pytest.mark.django_db


def require_two_factor(org: Organization) -> None:
    OrganizationSecurityPolicy.objects.update_or_create(
        organization=org, defaults={"require_two_factor": True}
    )


def started(user: User, name: str = "Pixel") -> TOTPDevice:
    return services.do_start_totp(user, name=name)


# --- Starting and confirming --------------------------------------------------------------------


def test_start_totp_makes_an_unconfirmed_device_that_is_no_method(alice: User) -> None:
    device = started(alice, name="  Pixel 8  ")
    assert device.name == "Pixel 8"
    assert not device.confirmed
    assert not has_two_factor(alice)
    assert len(device.bin_key) == 20


def test_start_totp_with_blank_name_uses_the_kind(alice: User) -> None:
    assert started(alice, name="   ").name == "Authenticator app"


def test_confirm_first_method_turns_two_factor_on(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = started(alice)
    codes = services.do_confirm_method(device, code_for(device), actor=alice, keep_session_key=None)
    assert codes is not None
    assert len(codes) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert has_two_factor(alice)
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10
    event = AuditEvent.objects.get(action="two_factor.method_added")
    assert (event.actor, event.subject_user) == (alice, alice)
    assert event.data == {"kind": "totpdevice", "enabled": True}
    email = Notification.objects.get(kind="two_factor_method_added")
    assert email.to == "alice@example.com"
    assert "Pixel" in email.body_text


def test_confirm_first_method_ends_the_other_sessions(
    clock: time_machine.Traveller, alice: User, bob: User
) -> None:
    mine, other = signed_in(alice), signed_in(alice)
    bobs = signed_in(bob)
    device = started(alice)
    services.do_confirm_method(
        device, code_for(device), actor=alice, keep_session_key=mine.session.session_key
    )
    assert list(Session.objects.filter(user=alice).values_list("session_key", flat=True)) == [
        mine.session.session_key
    ]
    assert other.get("/accounts/profile/").status_code == 302
    assert mine.get("/accounts/profile/").status_code == 200
    assert bobs.get("/accounts/profile/").status_code == 200


def test_confirm_second_method_keeps_codes_and_sessions(
    clock: time_machine.Traveller, alice: User
) -> None:
    first = started(alice, "First")
    codes = services.do_confirm_method(first, code_for(first), actor=alice, keep_session_key=None)
    assert codes
    other: Client = signed_in(alice)
    second = started(alice, "Second")
    again = services.do_confirm_method(second, code_for(second), actor=alice, keep_session_key=None)
    assert again is None
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10
    assert other.get("/accounts/profile/").status_code == 200
    added = AuditEvent.objects.filter(action="two_factor.method_added").order_by("pk")
    assert [e.data["enabled"] for e in added] == [True, False]
    emails = Notification.objects.filter(kind="two_factor_method_added").order_by("pk")
    assert len(emails) == 2
    assert "Second" in emails[1].body_text


def test_confirm_with_wrong_code_confirms_nothing(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = started(alice)
    with pytest.raises(services.WrongCode):
        services.do_confirm_method(device, wrong_code(device), actor=alice, keep_session_key=None)
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert not has_two_factor(alice)
    assert not EmergencyCodesDevice.objects.filter(user=alice).exists()
    assert not AuditEvent.objects.filter(action__startswith="two_factor").exists()
    assert not Notification.objects.exists()


# --- Emergency codes ----------------------------------------------------------------------------


def test_regenerate_emergency_codes_replaces_them(
    clock: time_machine.Traveller, alice: User
) -> None:
    device = started(alice)
    old = services.do_confirm_method(device, code_for(device), actor=alice, keep_session_key=None)
    assert old
    new = services.do_regenerate_emergency_codes(alice, actor=alice)
    assert len(new) == 10
    assert not set(old) & set(new)
    codes_device = EmergencyCodesDevice.objects.get(user=alice)
    assert not codes_device.verify_token(old[0])
    clock.shift(timedelta(seconds=2))
    assert EmergencyCodesDevice.objects.get(user=alice).verify_token(new[0])
    assert EmergencyCode.objects.filter(device__user=alice).count() == 10
    assert AuditEvent.objects.filter(action="two_factor.emergency_codes_regenerated").exists()
    assert Notification.objects.filter(kind="emergency_codes_regenerated").exists()


def test_regenerate_emergency_codes_without_two_factor_is_refused(alice: User) -> None:
    with pytest.raises(PermissionDenied):
        services.do_regenerate_emergency_codes(alice, actor=alice)
    assert not EmergencyCode.objects.exists()


def test_emergency_code_used_twice_sends_two_emails(
    clock: time_machine.Traveller, alice: User
) -> None:
    """Each use is told, even two in the same instant."""
    with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    services.record_emergency_code_used(alice)
    services.record_emergency_code_used(alice)
    assert Notification.objects.filter(kind="emergency_code_used").count() == 2
    assert AuditEvent.objects.filter(action="two_factor.emergency_code_used").count() == 2


# --- Renaming, preferring, removing -------------------------------------------------------------


def test_rename_method_trims_and_audits(alice: User) -> None:
    device = with_authenticator(alice)
    services.do_rename_method(device, "  Work phone ", actor=alice)
    assert TOTPDevice.objects.get(pk=device.pk).name == "Work phone"
    assert AuditEvent.objects.filter(action="two_factor.method_renamed").count() == 1


def test_set_preferred_method_remembers_it(alice: User) -> None:
    with_authenticator(alice)
    second = with_authenticator(alice)
    services.do_set_preferred_method(alice, second, actor=alice)
    assert TwoFactorPreference.objects.get(user=alice).preferred_device == second.persistent_id


def test_remove_one_of_two_methods_keeps_two_factor_on(alice: User) -> None:
    keep, drop = with_authenticator(alice), with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    assert services.do_remove_method(drop, actor=alice) is False
    assert list(TOTPDevice.objects.filter(user=alice)) == [keep]
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10
    assert AuditEvent.objects.filter(action="two_factor.method_removed").count() == 1
    assert Notification.objects.filter(kind="two_factor_method_removed").count() == 1


def test_remove_last_method_turns_two_factor_off(alice: User) -> None:
    device = with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    assert services.do_remove_method(device, actor=alice) is True
    assert not has_two_factor(alice)
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not EmergencyCodesDevice.objects.filter(user=alice).exists()
    assert not EmergencyCode.objects.exists()
    event = AuditEvent.objects.get(action="two_factor.disabled")
    assert event.data == {"kind": "totpdevice", "name": "Phone"}
    email = Notification.objects.get(kind="two_factor_disabled")
    assert email.to == "alice@example.com"
    assert "two-factor authentication is now off" in email.body_text


def test_remove_last_method_when_organization_requires_it_is_refused(
    alice: User, acme: Organization
) -> None:
    require_two_factor(acme)
    device = with_authenticator(alice)
    services.do_regenerate_emergency_codes(alice, actor=alice)
    with pytest.raises(services.TwoFactorRequired) as refused:
        services.do_remove_method(device, actor=alice)
    assert refused.value.organizations == [acme]
    assert "Acme SA requires two-factor authentication" in str(refused.value)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert EmergencyCodesDevice.objects.get(user=alice).remaining == 10
    assert not AuditEvent.objects.filter(action="two_factor.disabled").exists()
    assert not Notification.objects.filter(kind="two_factor_disabled").exists()


def test_remove_one_of_two_methods_when_organization_requires_it_is_allowed(
    alice: User, acme: Organization
) -> None:
    require_two_factor(acme)
    with_authenticator(alice)
    drop = with_authenticator(alice)
    assert services.do_remove_method(drop, actor=alice) is False
    assert has_two_factor(alice)


def test_remove_last_method_when_other_organization_requires_it_is_allowed(
    alice: User, carol: User, studio_carol: Organization
) -> None:
    require_two_factor(studio_carol)
    device = with_authenticator(alice)
    assert services.do_remove_method(device, actor=alice) is True


def test_organizations_requiring_two_factor_lists_only_the_persons(
    alice: User, dave: User, acme: Organization, studio_carol: Organization
) -> None:
    require_two_factor(acme)
    require_two_factor(studio_carol)
    assert services.organizations_requiring_two_factor(alice) == [acme]
    assert services.organizations_requiring_two_factor(dave) == []


# --- Organization requirement -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_set_organization_requirement_by_manager_is_recorded(
    request: pytest.FixtureRequest, acme: Organization, who: str
) -> None:
    actor: User = request.getfixturevalue(who)
    services.do_set_organization_requirement(acme, True, actor=actor)
    assert OrganizationSecurityPolicy.objects.get(organization=acme).require_two_factor
    event = AuditEvent.objects.get(action="organization.two_factor_required")
    assert (event.actor, event.organization_id) == (actor, acme.pk)
    services.do_set_organization_requirement(acme, False, actor=actor)
    assert not OrganizationSecurityPolicy.objects.get(organization=acme).require_two_factor
    assert AuditEvent.objects.filter(action="organization.two_factor_optional").count() == 1


def test_set_organization_requirement_unchanged_records_nothing(
    alice: User, acme: Organization
) -> None:
    services.do_set_organization_requirement(acme, True, actor=alice)
    services.do_set_organization_requirement(acme, True, actor=alice)
    assert AuditEvent.objects.filter(action="organization.two_factor_required").count() == 1


@pytest.mark.parametrize("who", ["erin", "dave"])
def test_set_organization_requirement_by_collaborator_or_outsider_is_refused(
    request: pytest.FixtureRequest, acme: Organization, who: str
) -> None:
    actor: User = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.do_set_organization_requirement(acme, True, actor=actor)
    assert not OrganizationSecurityPolicy.objects.filter(
        organization=acme, require_two_factor=True
    ).exists()
    assert not AuditEvent.objects.filter(action__startswith="organization.two_factor").exists()
