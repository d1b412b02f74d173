from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    return {
        "DEBUG": settings.DEBUG,
        "LANGUAGES": settings.LANGUAGES,
        # Account pages show the account's side navigation.
        "account_nav": bool(
            match
            and (
                match.namespace in {"accounts", "tokens", "review", "compromised"}
                or (match.namespace == "security" and "slug" not in match.kwargs)
            )
            and user
            and user.is_authenticated
        ),
    }
