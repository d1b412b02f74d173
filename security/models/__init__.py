"""Second factors (django-otp devices) and the organization 2FA policy.

One module per kind of method; every device is a django-otp `Device` with a name, created and last
used times, and throttled verification.
"""

from __future__ import annotations

from security.models.app_passwords import ApplicationPassword, AppService
from security.models.emergency import EmergencyCode, EmergencyCodesDevice
from security.models.kauth import KAuthChallenge, KAuthDevice, KAuthEnrollment, KAuthNotice
from security.models.policy import OrganizationSecurityPolicy, TwoFactorPreference
from security.models.recovery import IdentityVerificationRequest
from security.models.sms import SMSDevice
from security.models.totp import TOTPDevice
from security.models.webauthn import WebAuthnCredential

__all__ = [
    "AppService",
    "ApplicationPassword",
    "EmergencyCode",
    "EmergencyCodesDevice",
    "IdentityVerificationRequest",
    "KAuthChallenge",
    "KAuthDevice",
    "KAuthEnrollment",
    "KAuthNotice",
    "OrganizationSecurityPolicy",
    "SMSDevice",
    "TOTPDevice",
    "TwoFactorPreference",
    "WebAuthnCredential",
]
