"""Seed the pages benchmark: the demo data, with Acme grown to a number of products.

Run by bench/pages.py as `python -m bench.pages_seed PRODUCTS OUT.json` with the production
settings: the demo cast of `portal up` (portal/demo.py), then Acme's products made up to PRODUCTS,
each carrying two of Acme's tags, as the issue's measurement had them (25). The extra products are
domains owned by Acme's own contact and paid by Acme, expiring over the coming year. Writes what
the benchmark needs to sign in (the demo password, the staff account's authenticator key) and to
check the pages (Acme's slug, its product count) to OUT.json.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import django


def seed(products: int) -> dict[str, object]:
    from django.conf import settings
    from django.utils import timezone

    from billing.models import Contact, Product, ProductKind
    from organizations.models import Organization
    from portal import demo
    from tags.models import Tag

    demo.seed()
    acme = Organization.objects.get(slug="acme")
    owner = Contact.objects.filter(organization=acme, company="Acme SA").first()
    today = timezone.localdate()
    missing = products - Product.objects.filter(organization=acme).count()
    Product.objects.bulk_create(
        (
            Product(
                organization=acme,
                kind=ProductKind.DOMAIN,
                name=f"acme-{n:05d}.ch",
                owner=owner,
                payer=acme,
                expires_on=today + timedelta(days=15 + n % 365),
                price=Decimal("15.00"),
            )
            for n in range(missing)
        ),
        batch_size=2000,
    )
    # Two tags on every product: the demo's first two on each one that has fewer than two.
    first, second = Tag.objects.filter(organization=acme).order_by("pk")[:2]
    through = Tag.products.through
    for tag in (first, second):
        tagged = set(through.objects.filter(tag=tag).values_list("product_id", flat=True))
        through.objects.bulk_create(
            (
                through(tag=tag, product_id=pk)
                for pk in Product.objects.filter(organization=acme).values_list("pk", flat=True)
                if pk not in tagged
            ),
            batch_size=5000,
        )
    return {
        "password": settings.DEMO_PASSWORD,
        "totp_key": demo.DEMO_TOTP_KEY,
        "organization": acme.slug,
        "products": Product.objects.filter(organization=acme).count(),
    }


def main() -> None:
    django.setup()
    Path(sys.argv[2]).write_text(json.dumps(seed(int(sys.argv[1]))))


if __name__ == "__main__":
    main()
