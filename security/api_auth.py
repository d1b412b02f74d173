"""HTTP Basic with an application password (made for the REST API), for the REST API (DRF).

Only application passwords: the account's own password never works here. The last use is written
at most once a minute, and only when the last use read is older than that.

An application password is the person's, not an organization's: a request acts for the
organization named by `?organization=<slug>`, which the access layer (`organizations.access`)
resolves here, for every endpoint — another organization is a 404, a policy's refusal (2FA
required) a 403 with its code — and the credential carries the `membership` it admitted.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from core.request_context import client_ip
from organizations import access
from organizations.models import Membership
from security.app_passwords import find_for_api
from security.models import ApplicationPassword, AppService

LAST_USE_RESOLUTION = timedelta(minutes=1)


class AppPasswordBasicAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApplicationPassword] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header is malformed."), code="malformed_credentials"
            )
        try:
            email, _colon, password = (
                base64.b64decode(header[1], validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed(
                _("The Authorization header is malformed."), code="malformed_credentials"
            ) from exc
        found = find_for_api(email, password)
        if found is None:
            raise exceptions.AuthenticationFailed(
                _("These credentials are not valid for the API."), code="invalid_credentials"
            )
        found.membership = self._admitted_membership(found, request)
        now = timezone.now()
        if found.last_used_at is not None and found.last_used_at >= now - LAST_USE_RESOLUTION:
            return found.user, found  # written less than a minute ago: no write at all
        ApplicationPassword.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION),
            pk=found.pk,
        ).update(
            last_used_at=now, last_used_ip=client_ip(request), last_used_service=AppService.API
        )
        return found.user, found

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'

    @staticmethod
    def _admitted_membership(found: ApplicationPassword, request: Request) -> Membership | None:
        slug = request.query_params.get("organization", "")
        if not slug:
            return None  # the organization's endpoints answer 404: no organization named
        membership = access.membership_of(found.user, slug)
        if membership is None:
            raise exceptions.NotFound
        refusal = access.refusal_for(membership)
        if refusal is not None:
            raise access.api_error(refusal)
        return membership
