"""A security key in software, for the tests: it answers WebAuthn registration and sign-in
challenges the way a hardware key does (attestation "none", ES256, a signature counter), so the
portal's checks run unchanged with py_webauthn. Its counter can be set, to play a cloned key.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

from security.webauthn import relying_party

FLAG_USER_PRESENT = 0x01
FLAG_ATTESTED_CREDENTIAL = 0x40


def challenge_of(options_json: str | bytes) -> str:
    """The challenge (base64url) in the options the portal gave the browser."""
    challenge: str = json.loads(options_json)["challenge"]
    return challenge


class SoftKey:
    def __init__(self, *, sign_count: int = 0, credential_id: bytes | None = None) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = credential_id or os.urandom(16)
        self.sign_count = sign_count

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        _rp_id, origin = relying_party()
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def _auth_data(self, flags: int, extra: bytes = b"") -> bytes:
        rp_id, _origin = relying_party()
        rp_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + extra

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # key type: EC2
                3: -7,  # algorithm: ES256
                -1: 1,  # curve: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def register(self, challenge: str) -> dict[str, Any]:
        """The browser's answer to a registration ceremony (navigator.credentials.create)."""
        attested = (
            bytes(16)  # AAGUID: none
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_public_key()
        )
        auth_data = self._auth_data(FLAG_USER_PRESENT | FLAG_ATTESTED_CREDENTIAL, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(
                    self._client_data("webauthn.create", challenge)
                ),
                "attestationObject": bytes_to_base64url(attestation),
            },
        }

    def sign(self, challenge: str) -> dict[str, Any]:
        """The browser's answer to a sign-in ceremony (navigator.credentials.get). The counter
        moves forward first unless the key has none (stays at 0), as on a real key."""
        if self.sign_count:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", challenge)
        auth_data = self._auth_data(FLAG_USER_PRESENT)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": None,
            },
        }
