"""POST /api/v1/tokens/revoke-leaked: anyone who finds a token in the wild (a secret scanner, a
stranger) can report it without credentials. The answer is always the same, so it tells nothing
about whether a token was real or still valid."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import ratelimit
from core.api_fields import StrictCharField
from core.request_context import client_ip
from tokens.services import do_revoke_leaked

MAX_TOKENS = 100


class LeakReport(serializers.Serializer[Any]):
    tokens = serializers.ListField(
        child=StrictCharField(max_length=200), min_length=1, max_length=MAX_TOKENS
    )


class RevokeLeakedView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=LeakReport,
        responses={
            202: inline_serializer("LeakReceived", {"status": serializers.CharField()}),
        },
        auth=[],
        description="Report API tokens found in the wild; valid ones are revoked and their "
        "owners told. The answer never says which tokens were real.",
    )
    def post(self, request: Request) -> Response:
        report = LeakReport(data=request.data)
        report.is_valid(raise_exception=True)
        if ratelimit.attempt("revoke-leaked", client_ip(request) or "unknown").allowed:
            do_revoke_leaked(report.validated_data["tokens"])
        return Response({"status": "received"}, status=202)
