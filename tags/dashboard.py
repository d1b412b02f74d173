"""The organization dashboard's "products by tag" card (listed in `settings.DASHBOARD_PANELS`;
the dashboard knows no app below it, only that setting)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, F, Window
from django.db.models.functions import Lower, RowNumber
from django.http import HttpRequest

from billing.models import Product
from organizations.models import Membership
from tags.models import Tag

SHOWN_PER_TAG = 5


def products_by_tag(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """Each tag with the first products (that this member may see) carrying it, and how many
    products carry no tag. Three queries whatever the numbers."""
    visible = Product.objects.for_member(membership)
    # The database ranks each tag's products and counts them, and returns only the first
    # SHOWN_PER_TAG of each: the card reads a few rows, not every tag of every product.
    # django-stubs does not see the names annotate() gives on an auto-created through model.
    links = (
        Tag.products.through.objects.filter(  # type: ignore[misc]
            tag__organization_id=membership.organization_id, product__in=visible
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("tag_id"),
                order_by=[Lower("product__name"), F("product_id")],
            ),
            carrying=Window(Count("product_id"), partition_by=F("tag_id")),
        )
        .filter(rank__lte=SHOWN_PER_TAG)
        .order_by("tag_id", "rank")
        .values_list("tag_id", "product_id", "product__name", "carrying")
    )
    products: dict[int, list[tuple[int, str]]] = defaultdict(list)
    counts: dict[int, int] = {}
    for tag_id, product_id, name, carrying in links:
        counts[tag_id] = carrying
        products[tag_id].append((product_id, name))
    groups = [
        {"tag": tag, "count": counts.get(tag.pk, 0), "products": products[tag.pk]}
        for tag in Tag.objects.filter(organization_id=membership.organization_id).order_by(
            "name", "pk"
        )
    ]
    return {
        "template": "tags/_dashboard.html",
        "groups": groups,
        "untagged": visible.filter(tags=None).count(),
    }
