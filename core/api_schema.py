"""The OpenAPI schema documents every answer an operation can give, not only its success.

A postprocessing hook of drf-spectacular (settings: SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])
adds, once for every operation, the error answers the API's own layers produce, all in one shape
(`Error`, built by `core.api.exception_handler` and `portal.views`):

- 400 `invalid` with `fields` (the body or a parameter), or `malformed_json`;
- 401 and 403 with their stable `error` codes, where the operation needs credentials;
- 404 `not_found` (an object of another organization is "not found" too);
- 405 for a method the address does not take; 413 and 415 for a body too large or not JSON;
- 409 when what exists forbids a change (a name taken, a quota reached) and 422 for a value a rule
  the schema cannot state refuses (a tag colour no text reads on);
- 429 `busy` with `Retry-After` when the server is hashing too many passwords at once.

A view that documents one of these itself keeps its own description. (issue 15)

The same hook states on every text the client sends what DRF's text fields check besides length:
no NUL character, and, where a value is required, at least one character that is not a space
(DRF trims the spaces and refuses what is left empty).
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "Every error of the API has this shape.",
    "properties": {
        "error": {
            "type": "string",
            "description": "A stable code for programs (see the README's table), for example "
            "`invalid`, `unknown_token`, `out_of_scope`, `not_found`.",
        },
        "detail": {
            "type": "string",
            "description": "A sentence for people, in the language of Accept-Language.",
        },
        "fields": {
            "type": "object",
            "description": "With `invalid`: the messages for each field or parameter refused.",
            "additionalProperties": {},
        },
    },
    "required": ["error"],
}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
}
BODY_METHODS = {"post", "put", "patch"}
NO_NUL = "^[^\\u0000]*$"
# What Python's str.strip() removes (DRF trims with it), written out: a generator's `\s` may
# not count the separators U+001C to U+001F among the spaces, and "\u001c" alone is blank.
PYTHON_SPACES = (
    "\\s\\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NOT_ONLY_SPACES = f"^[^\\u0000]*[^{PYTHON_SPACES}\\u0000][^\\u0000]*$"


def _text_rule(schema: dict[str, Any]) -> None:
    """Add DRF's text rules to a string schema the client sends (not to enums, formats, or a
    pattern a field states itself)."""
    if schema.get("type") == "array":
        _text_rule(schema.get("items", {}))
    if schema.get("type") != "string" or {"enum", "format", "pattern"} & set(schema):
        return
    schema["pattern"] = NOT_ONLY_SPACES if schema.get("minLength", 0) >= 1 else NO_NUL


def _answer(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        **extra,
    }


def _errors(method: str, operation: dict[str, Any], secured: bool) -> dict[str, Any]:
    answers = {
        "400": _answer("The body or a parameter is not what this schema says (`invalid`)."),
        "404": _answer("Nothing here, or nothing this token may see (`not_found`)."),
        "405": _answer("This address does not take this method."),
        "429": _answer("Too busy right now: try again after Retry-After.", headers=RETRY_AFTER),
    }
    if secured:
        answers["401"] = _answer("No credentials, or credentials that are not valid.")
        answers["403"] = _answer("Valid credentials that may not do this (`out_of_scope`...).")
    if method in BODY_METHODS or "requestBody" in operation:
        answers["409"] = _answer(
            "What exists forbids it: a name taken (`already_exists`), a quota reached "
            "(`quota_exceeded`)."
        )
        answers["413"] = _answer("The body is too large.")
        answers["415"] = _answer("The body is not JSON (send Content-Type: application/json).")
        answers["422"] = _answer(
            "Well formed, but refused by a rule the schema cannot state (a tag colour on which "
            "no text is readable: `unreadable_colour`)."
        )
    return answers


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error answers of every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request"):  # what clients send (COMPONENT_SPLIT_REQUEST)
            for field in component.get("properties", {}).values():
                _text_rule(field)
    schemas["Error"] = ERROR
    default_security = result.get("security")
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _text_rule(parameter.get("schema", {}))
            security = operation.get("security", default_security) or []
            secured = any(requirement for requirement in security)
            for status, answer in _errors(method, operation, secured).items():
                operation["responses"].setdefault(status, answer)
    return result
