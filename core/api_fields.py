"""Text fields that take text only. DRF's own turn a JSON number into text ({"name": 0} creates a
list named "0"), which the schema (`type: string`) forbids: a client generated from the schema
and a careless script would disagree on what the API accepts (issue 15). Every writable API
serializer of ours is a `StrictModelSerializer` or uses these fields; the schemathesis test sends
numbers where text is expected."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers


class _TextOnly:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        # The schema's maxLength counts the text as sent; DRF would count it once trimmed, and
        # accept 31 characters for a 30-character field when one of them is a leading space.
        max_length = getattr(self, "max_length", None)
        if max_length is not None and len(data) > max_length:
            self.fail("max_length", max_length=max_length)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_TextOnly, serializers.CharField):
    pass


class StrictEmailField(_TextOnly, serializers.EmailField):
    pass


class StrictRegexField(_TextOnly, serializers.RegexField):
    pass


class StrictModelSerializer(serializers.ModelSerializer[Any]):
    """A ModelSerializer whose text and email fields refuse anything but a JSON string."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.EmailField: StrictEmailField,
    }
