"""The organization dashboard's "products by tag" card (listed in `settings.DASHBOARD_PANELS`;
the dashboard knows no app below it, only that setting)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models.functions import Lower
from django.http import HttpRequest

from billing.models import Product
from organizations.models import Membership
from tags.models import Tag

SHOWN_PER_TAG = 5


def products_by_tag(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """Each tag with the first products (that this member may see) carrying it, and how many
    products carry no tag. Three queries whatever the numbers."""
    visible = Product.objects.for_member(membership)
    links = (
        Tag.products.through.objects.filter(
            tag__organization_id=membership.organization_id, product__in=visible
        )
        .order_by(Lower("product__name"), "product_id")
        .values_list("tag_id", "product_id", "product__name")
    )
    products: dict[int, list[tuple[int, str]]] = defaultdict(list)
    counts: dict[int, int] = defaultdict(int)
    for tag_id, product_id, name in links:
        counts[tag_id] += 1
        if len(products[tag_id]) < SHOWN_PER_TAG:
            products[tag_id].append((product_id, name))
    groups = [
        {"tag": tag, "count": counts[tag.pk], "products": products[tag.pk]}
        for tag in Tag.objects.filter(organization_id=membership.organization_id).order_by(
            "name", "pk"
        )
    ]
    return {
        "template": "tags/_dashboard.html",
        "groups": groups,
        "untagged": visible.filter(tags=None).count(),
    }
