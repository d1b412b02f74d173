"""The second-factor methods of a person, whatever their kind.

Each kind is a django-otp device model; `METHOD_MODELS` lists the ones a person signs in with.
Emergency codes are a fallback, not a method: two-factor authentication is on while at least one
method is confirmed, and the codes go when the last method does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Model
from django_otp.models import Device, TimestampMixin

from accounts.models import User
from security.models import (
    EmergencyCodesDevice,
    KAuthDevice,
    SMSDevice,
    TOTPDevice,
    TwoFactorPreference,
    WebAuthnCredential,
)

MethodModel = type[KAuthDevice] | type[WebAuthnCredential] | type[TOTPDevice] | type[SMSDevice]
METHOD_MODELS: list[MethodModel] = [KAuthDevice, WebAuthnCredential, TOTPDevice, SMSDevice]


def methods_for(user: User) -> list[Device]:
    """Confirmed methods, oldest first."""
    found: list[Device] = []
    for model in METHOD_MODELS:
        found.extend(model.objects.filter(user=user, confirmed=True))
    return sorted(found, key=lambda d: (added_at(d) is None, added_at(d), d.pk))


def added_at(device: Device) -> datetime | None:
    """When a method was added (the method models have django-otp's TimestampMixin)."""
    return device.created_at if isinstance(device, TimestampMixin) else None


def last_used_at(device: Device) -> datetime | None:
    return device.last_used_at if isinstance(device, TimestampMixin) else None


def has_two_factor(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return any(m.objects.filter(user=user, confirmed=True).exists() for m in METHOD_MODELS)


def users_with_two_factor(user_ids: list[int]) -> set[int]:
    """Which of these users have at least one confirmed method (one query per kind)."""
    found: set[int] = set()
    for model in METHOD_MODELS:
        found.update(
            model.objects.filter(user_id__in=user_ids, confirmed=True).values_list(
                "user_id", flat=True
            )
        )
    return found


def emergency_device(user: User) -> EmergencyCodesDevice | None:
    return EmergencyCodesDevice.objects.filter(user=user, confirmed=True).first()


# How a method's kind reads in its public id ("app-12", in the URLs of the 2FA pages), so that no
# URL names an internal model; `find_method` takes that or django-otp's persistent id
# ("security.totpdevice/12", which the sign-in form and the session keep).
PUBLIC_KINDS = {
    "security.kauthdevice": "kauth",
    "security.webauthncredential": "key",
    "security.totpdevice": "app",
    "security.smsdevice": "sms",
    "security.emergencycodesdevice": "emergency-codes",
}
_LABELS_BY_PUBLIC_KIND = {kind: label for label, kind in PUBLIC_KINDS.items()}


def public_id(persistent_id: str) -> str:
    """The public id of a method from its persistent id: "security.totpdevice/12" -> "app-12"."""
    label, _slash, pk = persistent_id.partition("/")
    return f"{PUBLIC_KINDS[label]}-{pk}"


def find_method(user: User, method_id: str) -> Device | None:
    """A method of this user by its public id ("app-12") or persistent id
    ("security.totpdevice/12"); None otherwise, so another person's device is never found."""
    if "/" in method_id:
        label, _slash, pk = method_id.partition("/")
    else:
        kind, _dash, pk = method_id.rpartition("-")
        label = _LABELS_BY_PUBLIC_KIND.get(kind, "")
    models: list[Any] = [*METHOD_MODELS, EmergencyCodesDevice]
    model = next((m for m in models if m.model_label() == label), None)
    if model is None or not pk.isascii() or not pk.isdigit():
        return None
    device: Device | None = model._default_manager.filter(
        pk=int(pk), user=user, confirmed=True
    ).first()
    return device


def preferred_method(user: User) -> Device | None:
    methods = methods_for(user)
    if not methods:
        return None
    pref = TwoFactorPreference.objects.filter(user=user).values_list("preferred_device", flat=True)
    wanted = next(iter(pref), "")
    return next((m for m in methods if m.persistent_id == wanted), methods[0])


def kind_label(device: Model) -> str:
    return str(getattr(device, "kind_label", device._meta.verbose_name))
