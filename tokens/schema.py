"""How the OpenAPI schema describes the token authentication (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tokens.authentication.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ptk_<32 base62 characters><6-character checksum>",
            "description": (
                "An API token from /tokens/. 401 codes: malformed_token, unknown_token, "
                "expired_token, revoked_token, deactivated_token; 403 out_of_scope."
            ),
        }
