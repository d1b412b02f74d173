"""The Tag column of the products list and its filter, plugged into `billing` through
`settings.PRODUCT_LIST_COLUMNS` (billing imports no app above it).

`?tag=<slug>&tag=<slug>` keeps the products that carry every tag named, so a filtered view can be
bookmarked; an unknown slug matches nothing. The column costs two queries whatever the number of
products and tags: the organization's tags (for the filter) and the page's tags (prefetched).
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.template import engines
from django.utils.translation import gettext_lazy as _
from markupsafe import Markup

from billing.models import Product
from core.urls_for_rows import url_maker
from organizations.models import Membership
from tags.filtering import MAX_FILTER_TAGS, carrying_every_tag, distinct_slugs
from tags.models import Tag


class TagColumn:
    header = _("Tag")
    filter_template = "tags/_filter.html"

    def __init__(self, request: HttpRequest, membership: Membership) -> None:
        self.membership = membership
        self.selected = distinct_slugs(request.GET.getlist("tag"))[:MAX_FILTER_TAGS]
        self.picker_url = url_maker("tags:product-tags", membership.organization.slug)
        self.tags = list(
            Tag.objects.filter(organization_id=membership.organization_id).order_by("name", "pk")
        )

    @property
    def is_filtering(self) -> bool:
        return bool(self.selected)

    def filter(self, products: QuerySet[Product]) -> QuerySet[Product]:
        return carrying_every_tag(products, self.membership.organization, self.selected)

    def prefetch(self, products: QuerySet[Product]) -> QuerySet[Product]:
        return products.prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name", "pk"))
        )

    def cell(self, product: Product) -> Markup:
        """The product's cell: its tags, each opening the picker (jinja2/tags/_cell.html)."""
        cells = engines["jinja2"].env.get_template("tags/_cell.html").module  # type: ignore[attr-defined]
        cell: Markup = cells.column_cell(product, self.picker_url(product.pk))
        return cell

    def choices(self) -> list[tuple[Tag, bool]]:
        return [(tag, tag.slug in self.selected) for tag in self.tags]
