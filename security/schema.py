"""How the OpenAPI schema describes HTTP Basic with an application password (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AppPasswordBasicScheme(OpenApiAuthenticationExtension):
    target_class = "security.api_auth.AppPasswordBasicAuthentication"
    name = "applicationPassword"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": (
                "Your email address and an application password made for the REST API; name "
                "the organization with ?organization=<slug>. 401 codes: malformed_credentials, "
                "invalid_credentials."
            ),
        }
