"""The renewal timeline of the billing page: the next twelve months of expiries, so a person sees
at a glance what comes when (issue 5).

One query whatever the number of products or months: window functions give each row its
month's count and total and its position within the month, and only the first few rows of each
month are fetched (they are the names listed under the month). Months without expiries are
filled in here, with zero. The geometry of the SVG chart is computed here too, so the template
only prints numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from billing.models import Product
from organizations.models import Membership

MONTHS = 12
# Product names listed under each month; the rest are counted ("and 4 more").
SHOWN_PER_MONTH = 5

# The SVG's coordinate system (it scales to the width of the page with CSS).
WIDTH = 720
HEIGHT = 260
COLUMN = WIDTH // MONTHS
BAR_WIDTH = 36
BASELINE = 200  # y of the bars' foot
BAR_MAX = 160  # height of the tallest bar
MIN_BAR = 2  # a month with expiries never looks empty


@dataclass
class Month:
    start: date
    count: int = 0
    total: Decimal = Decimal("0.00")
    products: list[Product] = field(default_factory=list)
    # SVG geometry, set by `_lay_out`.
    x: int = 0
    bar_x: int = 0
    bar_y: int = BASELINE
    bar_height: int = 0
    label_x: int = 0
    show_year: bool = False

    @property
    def more(self) -> int:
        """Products of the month not listed by name."""
        return self.count - len(self.products)


@dataclass
class Timeline:
    months: list[Month]
    first_day: date
    last_day: date
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE
    bar_width: int = BAR_WIDTH

    @property
    def count(self) -> int:
        return sum(m.count for m in self.months)

    @property
    def total(self) -> Decimal:
        return sum((m.total for m in self.months), Decimal("0.00"))

    @property
    def busiest(self) -> Month | None:
        """The month with the highest amount to pay (the earliest one of equals)."""
        busy = [m for m in self.months if m.count]
        return max(busy, key=lambda m: m.total) if busy else None


def _month_start(day: date, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def products_for_timeline(membership: Membership) -> Q:
    """The products the member's organization manages (those the member may see) or pays for.

    Products of another organization that this one pays for are billing information of the
    payer, shown to its billing members; products the organization manages go through
    `for_member`, so a collaborator with accounting rights sees the products given to them."""
    org_id = membership.organization_id
    paid_for_others = Q(payer_id=org_id) & ~Q(organization_id=org_id)
    if membership.can_see_all_products:
        return Q(organization_id=org_id) | paid_for_others
    visible = Product.objects.for_member(membership).values("pk")
    return Q(pk__in=visible) | paid_for_others


def build_timeline(membership: Membership, *, today: date | None = None) -> Timeline:
    """The next twelve months (this month and the eleven after), from today on."""
    today = today or timezone.localdate()
    end = _month_start(today, MONTHS)  # exclusive
    month = TruncMonth("expires_on")
    rows = (
        Product.objects.filter(products_for_timeline(membership))
        .filter(expires_on__gte=today, expires_on__lt=end)
        .annotate(
            month=month,
            position=Window(
                RowNumber(), partition_by=[month], order_by=[F("expires_on").asc(), F("pk").asc()]
            ),
            month_count=Window(Count("pk"), partition_by=[month]),
            month_total=Window(Sum("price"), partition_by=[month]),
        )
        .filter(position__lte=SHOWN_PER_MONTH)
        .only("pk", "name", "kind", "expires_on", "price", "organization_id", "payer_id")
        .order_by("expires_on", "pk")
    )
    months = [Month(start=_month_start(today, n)) for n in range(MONTHS)]
    by_start = {m.start: m for m in months}
    for product in rows:
        entry = by_start[_month_start(product.expires_on)]
        entry.count = product.month_count  # type: ignore[attr-defined]
        entry.total = Decimal(product.month_total).quantize(Decimal("0.01"))  # type: ignore[attr-defined]
        entry.products.append(product)
    _lay_out(months)
    return Timeline(months=months, first_day=today, last_day=_previous_day(end))


def _previous_day(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def _lay_out(months: list[Month]) -> None:
    """Bars proportional to the amount due in the month; a month with expiries but nothing to
    pay (free products) still gets a sliver, and the count is printed under every bar."""
    highest = max((m.total for m in months), default=Decimal(0))
    for index, m in enumerate(months):
        m.x = index * COLUMN
        m.bar_x = m.x + (COLUMN - BAR_WIDTH) // 2
        m.label_x = m.x + COLUMN // 2
        if m.count:
            share = (m.total / highest) if highest else Decimal(0)
            m.bar_height = max(MIN_BAR, int(share * BAR_MAX))
        m.bar_y = BASELINE - m.bar_height
        m.show_year = index == 0 or m.start.month == 1
