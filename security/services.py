"""Every change to a person's second factors and to an organization's 2FA requirement."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from accounts.models import User
from accounts.services import end_other_sessions
from core.audit import record_event
from core.models import AuditEvent
from core.outbox import send_email
from organizations.models import Membership, Organization
from security.audit_actions import SecurityAction
from security.kauth import leave_removal_notice
from security.methods import emergency_device, kind_label, methods_for, preferred_method
from security.models import (
    EmergencyCodesDevice,
    KAuthDevice,
    OrganizationSecurityPolicy,
    SMSDevice,
    TOTPDevice,
    TwoFactorPreference,
)
from security.sms import send_code


class TwoFactorRequired(Exception):
    """The last method cannot go: an organization of the person requires 2FA."""

    def __init__(self, organizations: list[Organization]) -> None:
        self.organizations = organizations
        names = ", ".join(o.name for o in organizations)
        super().__init__(
            _(
                "%(orgs)s requires two-factor authentication, so you cannot remove your last "
                "method. Add another method first, then remove this one."
            )
            % {"orgs": names}
        )


class SmsNotSent(Exception):
    """The first code of a new phone number was refused or failed; the message says why."""


class WrongCode(Exception):
    """The code typed does not prove the method (wrong, expired or already used). Its own class:
    a ValueError raised by anything else under the service would be shown as a wrong code."""


def organizations_requiring_two_factor(user: User) -> list[Organization]:
    return list(
        Organization.objects.filter(
            memberships__user=user, security_policy__require_two_factor=True
        ).order_by("name")
    )


def _notify(user: User, template: str, context: dict[str, object], *, event: AuditEvent) -> None:
    """One email per recorded event: the event's id makes the outbox key unique, where a
    timestamp repeats when two events come in the same instant (and the outbox keeps only one)."""
    send_email(
        template,
        to_user=user,
        key=f"{template}:{event.pk}",
        context={"name": user.get_short_name(), "url": reverse("security:two-factor"), **context},
    )


def do_start_totp(user: User, *, name: str) -> TOTPDevice:
    """An authenticator app waiting for its first code (not a method until confirmed)."""
    device = TOTPDevice(
        user=user, name=name.strip() or str(_("Authenticator app")), confirmed=False
    )
    device.set_key(TOTPDevice.new_key())
    device.save()
    return device


def do_start_sms(user: User, *, phone: str) -> SMSDevice:
    """A phone number waiting for its first code (not a method until confirmed). Kept only once a
    code reached it: a refused or failed send leaves no entry behind (SmsNotSent says why)."""
    device = SMSDevice.objects.create(user=user, name=phone, confirmed=False, phone_number=phone)
    refused = send_code(device)
    if refused is not None:
        device.delete()
        raise SmsNotSent(refused)
    return device


def do_confirm_method(
    device: Device, code: str, *, actor: User, keep_session_key: str | None
) -> list[str] | None:
    """Confirm a new method with a code it produced.

    Returns the new emergency codes (to show once) when this turns two-factor authentication on,
    None otherwise; raises WrongCode for a wrong code. Turning 2FA on signs out the other sessions:
    they were opened with the password alone.
    """
    if not device.verify_token(code):
        raise WrongCode
    return do_activate_method(device, actor=actor, keep_session_key=keep_session_key)


def do_activate_method(
    device: Device, *, actor: User, keep_session_key: str | None
) -> list[str] | None:
    """Make a method that proved itself (a code, a WebAuthn answer) count. Returns the new
    emergency codes when this turns two-factor authentication on, None otherwise."""
    with transaction.atomic():
        _lock_user(actor)
        first = not methods_for(actor)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = None
        if first:
            codes = _replace_emergency_codes(actor)
            end_other_sessions(actor, keep_session_key=keep_session_key)
        event = record_event(
            SecurityAction.TWO_FACTOR_METHOD_ADDED,
            actor=actor,
            target=device,
            subject_user=actor,
            data={"kind": device._meta.model_name, "enabled": first},
        )
        _notify(
            actor,
            "two_factor_method_added",
            {"method": kind_label(device), "device_name": device.name, "enabled": first},
            event=event,
        )
    return codes


def do_replace_method(old: Device, new: Device, code: str, *, actor: User) -> None:
    """Moving to a new phone: the new device, proven by its code, takes the old one's place in one
    transaction, so the account is never without two-factor authentication."""
    if not new.verify_token(code):
        raise WrongCode
    with transaction.atomic():
        _lock_user(actor)
        was_preferred = preferred_method(actor) == old
        new.confirmed = True
        new.save(update_fields=["confirmed"])
        if was_preferred:
            # The new phone takes the old one's place there too: the sign-in keeps offering it
            # first (issue 13, defect 6: the authenticator app became preferred).
            TwoFactorPreference.objects.update_or_create(
                user=actor, defaults={"preferred_device": new.persistent_id}
            )
        if isinstance(old, KAuthDevice):
            leave_removal_notice(old)
        old_name = old.name
        old.delete()
        event = record_event(
            SecurityAction.TWO_FACTOR_METHOD_REPLACED,
            actor=actor,
            target=new,
            subject_user=actor,
            data={"old": old_name, "new": new.name},
        )
        _notify(
            actor,
            "two_factor_method_added",
            {"method": kind_label(new), "device_name": new.name, "enabled": False},
            event=event,
        )


def _lock_user(user: User) -> User:
    """Serialise the changes to one person's methods (a row lock until the transaction ends)."""
    return User.objects.select_for_update().get(pk=user.pk)


def _replace_emergency_codes(user: User) -> list[str]:
    device, _created = EmergencyCodesDevice.objects.get_or_create(
        user=user, defaults={"name": str(_("Emergency codes"))}
    )
    return device.replace_codes()


def do_regenerate_emergency_codes(user: User, *, actor: User) -> list[str]:
    if not methods_for(user):
        raise PermissionDenied
    with transaction.atomic():
        codes = _replace_emergency_codes(user)
        event = record_event(
            SecurityAction.TWO_FACTOR_EMERGENCY_CODES_REGENERATED, actor=actor, subject_user=user
        )
        _notify(user, "emergency_codes_regenerated", {}, event=event)
    return codes


def record_emergency_code_used(user: User) -> None:
    """Tell the person an emergency code was used: if it was not them, they must act now."""
    device = emergency_device(user)
    remaining = device.remaining if device else 0
    with transaction.atomic():
        event = record_event(
            SecurityAction.TWO_FACTOR_EMERGENCY_CODE_USED,
            actor=user,
            subject_user=user,
            data={"remaining": remaining},
        )
        _notify(user, "emergency_code_used", {"remaining": remaining}, event=event)


def do_rename_method(device: Device, name: str, *, actor: User) -> None:
    with transaction.atomic():
        device.name = name.strip()[:64]
        device.save(update_fields=["name"])
        record_event(
            SecurityAction.TWO_FACTOR_METHOD_RENAMED, actor=actor, target=device, subject_user=actor
        )


def do_set_preferred_method(user: User, device: Device, *, actor: User) -> None:
    TwoFactorPreference.objects.update_or_create(
        user=user, defaults={"preferred_device": device.persistent_id}
    )


def do_remove_method(device: Device, *, actor: User) -> bool:
    """Remove a method. Returns True when it was the last one and 2FA is now off.

    The last method cannot go while an organization of the person requires 2FA. The person's
    row is locked first, so that two removals at the same moment cannot each count the other
    method as the one that remains.
    """
    with transaction.atomic():
        user = _lock_user(device.user)
        if not type(device).objects.filter(pk=device.pk).exists():
            return False  # removed by another request meanwhile: nothing more to record
        others = [m for m in methods_for(user) if m.persistent_id != device.persistent_id]
        turning_off = not others
        if turning_off:
            requiring = organizations_requiring_two_factor(user)
            if requiring:
                raise TwoFactorRequired(requiring)
        event = record_event(
            SecurityAction.TWO_FACTOR_DISABLED
            if turning_off
            else SecurityAction.TWO_FACTOR_METHOD_REMOVED,
            actor=actor,
            target=device,
            subject_user=user,
            data={"kind": device._meta.model_name, "name": device.name},
        )
        label, name = kind_label(device), device.name
        if isinstance(device, KAuthDevice):
            # The app shows "this account was removed" at its next request.
            leave_removal_notice(device)
        device.delete()
        if turning_off:
            EmergencyCodesDevice.objects.filter(user=user).delete()
        _notify(
            user,
            "two_factor_disabled" if turning_off else "two_factor_method_removed",
            {"method": label, "device_name": name},
            event=event,
        )
    return turning_off


def do_set_organization_requirement(org: Organization, required: bool, *, actor: User) -> None:
    """Legal representatives and administrators require 2FA for every member, or stop requiring."""
    with transaction.atomic():
        acting = Membership.objects.filter(organization=org, user=actor).first()
        if acting is None or not acting.can_manage_members:
            raise PermissionDenied
        policy, _created = OrganizationSecurityPolicy.objects.get_or_create(organization=org)
        if policy.require_two_factor == required:
            return
        policy.require_two_factor = required
        policy.changed_at = timezone.now()
        policy.save(update_fields=["require_two_factor", "changed_at"])
        record_event(
            SecurityAction.ORGANIZATION_TWO_FACTOR_REQUIRED
            if required
            else SecurityAction.ORGANIZATION_TWO_FACTOR_OPTIONAL,
            actor=actor,
            target=org,
            organization_id=org.pk,
        )
