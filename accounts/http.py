"""The request of a signed-in person, for type checking (healthchecks' `hc/accounts/http.py`
pattern): behind `login_required` (and every organization page's guard), `request.user` is a
`User`, not `User | AnonymousUser`, and a view says so in its signature."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in person of a request that must have one (an admin page, a view that checked
    `is_authenticated`); anything else is a programming error, not a 403."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise TypeError("This request has no signed-in person.")
    return user
