from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext
from rest_framework import serializers

from billing.models import Product
from core.api_fields import StrictCharField, StrictModelSerializer, StrictRegexField
from tags import colours
from tags.filtering import MAX_FILTER_TAGS, distinct_slugs
from tags.models import SLUG_MAX_LENGTH, Tag


class TagSerializer(StrictModelSerializer):
    products = serializers.IntegerField(source="product_count", read_only=True)
    # The form the schema states; readability is the service's rule (a 422 when refused).
    colour = StrictRegexField(colours.HEX.pattern, required=False)

    class Meta:
        model = Tag
        fields = ["slug", "name", "colour", "products"]
        read_only_fields = ["slug", "products"]
        # Uniqueness and readability are the services' rules (tags.services), one place.
        extra_kwargs: dict[str, dict[str, list[object]]] = {"name": {"validators": []}}


class TaggedProductSerializer(serializers.ModelSerializer[Product]):
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    payer: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Product
        fields = ["id", "kind", "name", "expires_on", "auto_renew", "payer", "tags"]
        read_only_fields = fields


class TagFilterSerializer(serializers.Serializer[Any]):
    """`?tag=<slug>&tag=<slug>` of the products list: at most `MAX_FILTER_TAGS` of them (copies
    included, as the schema says), else a 400 rather than a heavier query; copies count once."""

    tag = serializers.ListField(
        child=StrictCharField(max_length=SLUG_MAX_LENGTH),
        required=False,
        # What the schema says (maxItems): a client cannot know which copies would count once.
        max_length=MAX_FILTER_TAGS,
    )

    def validate_tag(self, slugs: list[str]) -> list[str]:
        distinct = distinct_slugs(slugs)
        if len(distinct) > MAX_FILTER_TAGS:
            raise serializers.ValidationError(
                ngettext(
                    "Filter by at most %(count)d tag at a time.",
                    "Filter by at most %(count)d tags at a time.",
                    MAX_FILTER_TAGS,
                )
                % {"count": MAX_FILTER_TAGS}
            )
        return distinct
