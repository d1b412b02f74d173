"""`Authorization: Bearer <API token>` for the REST API (DRF).

The token is checked offline first (prefix, length, checksum), then looked up by its digest.
Each refusal is a 401 with a JSON code that says which: malformed_token, unknown_token,
expired_token, revoked_token, deactivated_token. The last use is written at most once a minute
per token, not on every request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from organizations.models import Membership
from portal.crypto import digest
from portal.request_context import client_ip
from tokens import format as token_format
from tokens.models import ApiToken

LAST_USE_RESOLUTION = timedelta(minutes=1)


class TokenRefused(exceptions.AuthenticationFailed):
    pass


def _refuse(code: str, message: Any) -> TokenRefused:
    return TokenRefused(detail=message, code=code)


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise _refuse("malformed_token", _("The Authorization header is malformed."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise _refuse("malformed_token", _("The token is malformed.")) from exc
        if not token_format.is_well_formed(secret):
            raise _refuse("malformed_token", _("The token is malformed."))
        token = (
            ApiToken.objects.select_related("user", "organization")
            .filter(digest=digest(secret))
            .first()
        )
        if token is None:
            raise _refuse("unknown_token", _("This token is not valid."))
        status = token.status
        if status != ApiToken.Status.ACTIVE:
            raise _refuse(
                f"{status}_token",
                _("This token is no longer valid: %(status)s.") % {"status": status.label},
            )
        if (
            not token.user.is_active
            or not Membership.objects.filter(
                user=token.user, organization=token.organization
            ).exists()
        ):
            raise _refuse("unknown_token", _("This token is not valid."))
        self._record_use(token, request)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword

    @staticmethod
    def _record_use(token: ApiToken, request: Request) -> None:
        now = timezone.now()
        ApiToken.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION),
            pk=token.pk,
        ).update(
            last_used_at=now, last_used_ip=client_ip(request), active_since=now, warned_at=None
        )
