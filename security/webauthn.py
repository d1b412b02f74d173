"""WebAuthn ceremonies with py_webauthn: options for the browser, verification of its answer.

The challenge of each ceremony is kept in the session and used once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import User
from portal.json_body import parse_json
from security.models import WebAuthnCredential

CHALLENGE_KEY = "_portal_webauthn_challenge"


class WebAuthnFailed(Exception):
    pass


def relying_party() -> tuple[str, str]:
    """(RP id, expected origin): the portal's public host and address."""
    origin = settings.PORTAL_BASE_URL
    return urlsplit(origin).hostname or "localhost", origin


def registration_options(request: HttpRequest, user: User) -> str:
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Portal",
        user_name=user.email,
        user_id=str(user.pk).encode(),
        user_display_name=user.get_full_name(),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
            for c in WebAuthnCredential.objects.filter(user=user)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.DISCOURAGED,
        ),
    )
    request.session[CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def _take_challenge(request: HttpRequest) -> bytes:
    challenge = request.session.pop(CHALLENGE_KEY, None)
    if not isinstance(challenge, str):
        raise WebAuthnFailed("no challenge")
    return base64url_to_bytes(challenge)


def register(request: HttpRequest, user: User, credential: Any, name: str) -> WebAuthnCredential:
    """Verify the browser's answer and store the key as an unconfirmed method."""
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_take_challenge(request),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise WebAuthnFailed(str(exc)) from exc
    return WebAuthnCredential.objects.create(
        user=user,
        name=name.strip()[:64] or "Security key",
        confirmed=False,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


def authentication_options(request: HttpRequest, user: User) -> str:
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
            for c in WebAuthnCredential.objects.filter(user=user, confirmed=True)
        ],
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    request.session[CHALLENGE_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def authenticate(request: HttpRequest, user: User, credential: Any) -> WebAuthnCredential:
    """The key of `user` that answered the challenge; its signature counter must move forward
    (a cloned key would repeat it)."""
    rp_id, origin = relying_party()
    try:
        data = parse_json(credential) if isinstance(credential, str) else credential
        stored = WebAuthnCredential.objects.get(
            user=user, confirmed=True, credential_id=str(data["id"])
        )
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=_take_challenge(request),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(stored.public_key),
            credential_current_sign_count=stored.sign_count,
        )
    except (
        InvalidAuthenticationResponse,
        WebAuthnCredential.DoesNotExist,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        raise WebAuthnFailed(str(exc)) from exc
    with transaction.atomic():
        stored.sign_count = verified.new_sign_count
        stored.set_last_used_timestamp(commit=False)
        stored.save(update_fields=["sign_count", "last_used_at"])
    return stored
