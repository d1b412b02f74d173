from __future__ import annotations

from rest_framework import serializers

from billing.models import Product
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
