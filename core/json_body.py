"""Reading JSON request bodies, the one way the portal does it: DRF through `JSONParser` (in
settings.REST_FRAMEWORK), the kAuth app's API, the servers checking application passwords and the
security-key ceremonies through `parse_json`. A body that is not JSON, or is nested deeper than
`MAX_JSON_DEPTH`, is refused as malformed (issue 11, finding 11) rather than reaching the
recursion limit of the parser or of the code that walks the result, which answered 500.

Kept apart from core/api.py: DRF imports the parser named in its settings while it loads
`rest_framework.views`, which core/api.py imports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any, NoReturn

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No payload of the portal comes close; a bound keeps any code walking the data away from
# Python's recursion limit.
MAX_JSON_DEPTH = 32


class MalformedJSON(ValueError):
    """Not JSON (or not UTF-8), or nested deeper than MAX_JSON_DEPTH."""


def _refuse_constant(name: str) -> NoReturn:
    raise MalformedJSON(f"{name} is not JSON")


def _too_deep(value: Any) -> bool:
    """Whether arrays and objects nest deeper than MAX_JSON_DEPTH (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def parse_json(data: bytes | str) -> Any:
    """The value of a JSON document; MalformedJSON when it is not one the portal accepts."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as exc:  # "[[[[…" deeper than the C parser goes
        raise MalformedJSON("nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJSON(str(exc)) from exc
    if _too_deep(value):
        raise MalformedJSON("nested too deeply")
    return value


def json_object_body(request: HttpRequest) -> dict[str, Any]:
    """The request's body as a JSON object: {} when empty or not an object (its fields are then
    missing); MalformedJSON when it is not JSON at all."""
    data = parse_json(request.body or b"{}")
    return data if isinstance(data, dict) else {}


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser on `parse_json`: 400 {"error": "malformed_json"} for a body that is not
    JSON or is nested too deeply, instead of a 500."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return parse_json(stream.read())
        except MalformedJSON as exc:
            raise ParseError(_("The body is not valid JSON."), code="malformed_json") from exc
