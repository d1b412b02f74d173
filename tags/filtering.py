"""Products that carry every tag named: the one filter behind `?tag=<slug>&tag=<slug>` on the
products list (`tags.product_list`) and on the API (`tags.api.views`).

One sub-query whatever the number of tags: the tag links of the organization whose slug was named,
grouped by product, kept when the product has as many of them as distinct slugs were named. A
join per tag let one request with 300 copies of a slug keep PostgreSQL busy for minutes (issue 12,
finding 1); callers also refuse more than `MAX_FILTER_TAGS` distinct slugs.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, QuerySet

from billing.models import Product
from organizations.models import Organization

MAX_FILTER_TAGS = 10


def distinct_slugs(slugs: Iterable[str]) -> list[str]:
    """The slugs in the order given, each once: a copy of a tag narrows nothing more."""
    return list(dict.fromkeys(slugs))


def carrying_every_tag(
    products: QuerySet[Product], organization: Organization, slugs: Iterable[str]
) -> QuerySet[Product]:
    """`products` that carry every tag of `organization` named in `slugs`; an unknown slug
    matches nothing (no product can reach the count)."""
    wanted = set(slugs)
    if not wanted:
        return products
    # Grouped by product: each row of the join is one of the named tags on that product.
    complete = (
        Product.objects.filter(tags__organization=organization, tags__slug__in=wanted)
        .values("pk")
        .annotate(tags_named=Count("tags"))
        .filter(tags_named=len(wanted))
        .values("pk")
    )
    return products.filter(pk__in=complete)
