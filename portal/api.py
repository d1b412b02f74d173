"""REST API conventions: errors are JSON with a stable code, never an HTML page or a 500 body."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """{"error": <code>, "detail": <message>} for every error DRF knows, with the code of the
    exception (for example unknown_token, out_of_scope, not_found, invalid)."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    codes = getattr(exc, "get_codes", lambda: None)()
    if isinstance(response.data, dict) and "detail" in response.data:
        code = codes if isinstance(codes, str) else "error"
        response.data = {"error": code, "detail": response.data["detail"]}
    else:
        response.data = {"error": "invalid", "fields": response.data}
    return response
