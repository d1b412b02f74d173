"""REST API conventions: errors are JSON with a stable code, never an HTML page or a 500 body;
lists come in pages of bounded size. (Request bodies: core/json_body.py.)"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class BoundedPagination(LimitOffsetPagination):
    """Every API list (settings: DEFAULT_PAGINATION_CLASS), in pages of at most `max_limit`.

    Without a maximum, `?limit=100000000` on 300,000 subscribers returned 38.7 MB in 6 s and grew
    the worker to 1.4 GiB (issue 12, finding 3). The parameters are what the schema says, integers
    in range, or the request is refused with 400 and the field named (issue 15): DRF's own
    pagination silently reads `?offset=null` as 0 and `?limit=100000` as its maximum, answers a
    client generated from the schema can't expect."""

    default_limit = 50
    max_limit = 200

    def get_limit(self, request: Any) -> int | None:
        return self._integer(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request: Any) -> int:
        return self._integer(request, self.offset_query_param, 0, 0, None)

    def _integer(
        self, request: Any, name: str, default: int, minimum: int, maximum: int | None
    ) -> int:
        values = request.query_params.getlist(name)
        if not values:
            return default
        # Digits only (Python's int() would take "+5", " 5" and "1_0"); the same value repeated
        # is fine, two different values are not.
        digits = all(v.isascii() and v.isdigit() for v in values)
        distinct = {int(v) for v in values} if digits else set()
        value = distinct.pop() if len(distinct) == 1 else None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            message = (
                _("Enter a whole number from %(min)d to %(max)d.")
                if maximum is not None
                else _("Enter a whole number, %(min)d or more.")
            )
            raise ValidationError({name: [message % {"min": minimum, "max": maximum}]})
        return value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_limit)
                parameter["description"] = (
                    f"Number of results per page: {self.default_limit} unless given, from 1 to "
                    f"{self.max_limit}; outside that range the request is refused (400)."
                )
            if parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0)
                parameter["description"] = "Index of the first result: 0 unless given."
        return parameters


class Conflict(APIException):
    """409: the request is well formed, but what exists forbids it (a name taken, a quota reached).
    Not a 400: a client that sent exactly what the schema describes did nothing wrong."""

    status_code = 409
    default_code = "conflict"
    default_detail = gettext_lazy("This conflicts with what exists already.")


class Unprocessable(APIException):
    """422: well formed, but refused by a rule the schema cannot express (a tag colour on which
    no text is readable)."""

    status_code = 422
    default_code = "unprocessable"
    default_detail = gettext_lazy("This value is refused.")


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(code: str, detail: str, status: int) -> JsonResponse:
    """An API error outside DRF (no route, a server error), in the shape DRF's errors have."""
    return JsonResponse({"error": code, "detail": detail}, status=status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """{"error": <code>, "detail": <message>} for every error DRF knows, with the code of the
    exception (for example unknown_token, out_of_scope, not_found, invalid)."""
    if isinstance(exc, RequestDataTooBig):
        # Django's SuspiciousOperation would be a bare 400: the client should know it is the size.
        return Response(
            {
                "error": "payload_too_large",
                "detail": ngettext(
                    "The body is too large: at most %(n)d byte.",
                    "The body is too large: at most %(n)d bytes.",
                    settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                )
                % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            },
            status=413,
        )
    if isinstance(exc, Http404):
        # Django's message names the model ("No MailingList matches the given query."): the API
        # says only that there is nothing here.
        exc = NotFound()
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
