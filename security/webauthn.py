"""WebAuthn ceremonies with py_webauthn: options for the browser, verification of its answer.

The challenge of each ceremony is kept in the session and used once: it is taken before anything
else is looked at, so an answer that fails for any reason (an unknown key, a malformed body) uses
it up, and it is claimed in the cache, so the same answer sent twice at once is checked once.
A key's signature counter only moves forward, with a conditional UPDATE, so of two sign-ins
with the same counter (a cloned key, or a replay) only one wins.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
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
from core.crypto import digest
from core.json_body import parse_json
from security.models import WebAuthnCredential

logger = logging.getLogger(__name__)

CHALLENGE_KEY = "_portal_webauthn_challenge"
# How long a used challenge stays claimed in the cache: far longer than two requests racing with
# the same session take; later, the session no longer holds the challenge anyway.
CHALLENGE_CLAIM_SECONDS = 10 * 60


class WebAuthnFailed(Exception):
    pass


class AlreadyRegistered(WebAuthnFailed):
    """The key's credential id is stored already (for this person or someone else)."""


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
    """The session's challenge, used up. Two requests with the same session each read their
    own copy of it, so it is also claimed in the cache (atomic there): only the first gets it."""
    challenge = request.session.pop(CHALLENGE_KEY, None)
    if not isinstance(challenge, str):
        raise WebAuthnFailed("no challenge")
    if not cache.add(f"webauthn-used:{digest(challenge)}", 1, timeout=CHALLENGE_CLAIM_SECONDS):
        raise WebAuthnFailed("challenge already used")
    return base64url_to_bytes(challenge)


def register(request: HttpRequest, user: User, credential: Any, name: str) -> WebAuthnCredential:
    """Verify the browser's answer and store the key as an unconfirmed method."""
    rp_id, origin = relying_party()
    challenge = _take_challenge(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise WebAuthnFailed(str(exc)) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if WebAuthnCredential.objects.filter(credential_id=credential_id).exists():
        raise AlreadyRegistered(credential_id)
    try:
        with transaction.atomic():
            return WebAuthnCredential.objects.create(
                user=user,
                name=name.strip()[:64] or "Security key",
                confirmed=False,
                credential_id=credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
            )
    except IntegrityError as exc:  # registered at the same moment by another request
        raise AlreadyRegistered(credential_id) from exc


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
    challenge = _take_challenge(request)  # used up whatever the answer turns out to be
    try:
        data = parse_json(credential) if isinstance(credential, str) else credential
        stored = WebAuthnCredential.objects.get(
            user=user, confirmed=True, credential_id=str(data["id"])
        )
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=challenge,
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
    _move_counter(stored, verified.new_sign_count)
    return stored


def _move_counter(stored: WebAuthnCredential, new_count: int) -> None:
    """Store the key's new signature counter, only if it is still ahead of the stored one: the
    condition is in the UPDATE, so two sign-ins checked against the same stored counter cannot
    both write it. A key reporting 0 has no counter (WebAuthn allows that): it stays 0, and any
    other value already stored means it is not the key that was registered."""
    now = timezone.now()
    row = WebAuthnCredential.objects.filter(pk=stored.pk)
    row = row.filter(sign_count__lt=new_count) if new_count > 0 else row.filter(sign_count=0)
    if not row.update(sign_count=new_count, last_used_at=now):
        logger.warning(
            "Security key %s: signature counter %s did not move forward (a cloned key?)",
            stored.pk,
            new_count,
        )
        raise WebAuthnFailed("signature counter did not move forward")
    stored.sign_count = new_count
    stored.last_used_at = now
