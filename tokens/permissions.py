"""The one place that checks an API token's scope (ARCHITECTURE.md rule 1).

A view declares `required_scope` (one scope, or a tuple of scopes any of which will do, such as a
read-write scope and its read-only twin); a token made for another application gets 403, a
read-only scope may only read. Requests authenticated otherwise (an application password over
HTTP Basic) have no scope and reach only views that declare `allow_app_passwords`.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from tokens.models import ApiToken
from tokens.scopes import SCOPES


class TokenScopePermission(BasePermission):
    message = "This token's application does not include this API."
    code = "out_of_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return bool(getattr(view, "allow_app_passwords", False))
        required = getattr(view, "required_scope", None) or ()
        allowed = (required,) if isinstance(required, str) else tuple(required)
        if token.scope not in allowed:
            return False
        return request.method in SAFE_METHODS or not SCOPES[token.scope].read_only
