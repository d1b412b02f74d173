from __future__ import annotations

from django.utils.translation import ngettext
from rest_framework import serializers

from billing.models import Product
from tags.filtering import MAX_FILTER_TAGS, distinct_slugs
from tags.models import Tag


class TagSerializer(serializers.ModelSerializer):
    products = serializers.IntegerField(source="product_count", read_only=True)

    class Meta:
        model = Tag
        fields = ["slug", "name", "colour", "products"]
        read_only_fields = ["slug", "products"]
        # Uniqueness and readability are the services' rules (tags.services), one place.
        extra_kwargs = {"name": {"validators": []}, "colour": {"required": False}}


class TaggedProductSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    payer = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "kind", "name", "expires_on", "auto_renew", "payer", "tags"]
        read_only_fields = fields


class TagFilterSerializer(serializers.Serializer):
    """`?tag=<slug>&tag=<slug>` of the products list: copies count once, and past
    `MAX_FILTER_TAGS` distinct tags the request is a 400 rather than a heavier query."""

    tag = serializers.ListField(
        child=serializers.CharField(max_length=Tag._meta.get_field("slug").max_length),
        required=False,
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
