from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from organizations.access import memberships_of_request


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The organization switcher of the top bar: the user's organizations and the current one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = memberships_of_request(request)
    match = getattr(request, "resolver_match", None)
    current_slug = (match.kwargs.get("slug") if match else None) or request.session.get(
        "current_org"
    )
    current = next((m for m in memberships if m.organization.slug == current_slug), None)
    return {"nav_memberships": memberships, "nav_current": current}
