"""Helpers of the API token tests."""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from organizations.models import Organization
from tokens.models import ApiToken
from tokens.services import do_create_token


def make_token_and_secret(
    user: User,
    org: Organization,
    *,
    name: str = "Import script",
    scope: str = "newsletter",
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """An API token `user` created for `org` through the service, as the tokens page does, with
    the secret shown that once."""
    return do_create_token(
        user, organization=org, name=name, scope=scope, expires_at=expires_at, actor=user
    )


def make_token(user: User, org: Organization, *, name: str = "Import script") -> ApiToken:
    """An API token of `user` for `org` (newsletter scope, no end date), when the secret does not
    matter to the test."""
    token, _secret = make_token_and_secret(user, org, name=name)
    return token
