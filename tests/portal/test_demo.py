"""The demo data tells the stories of the issues: what a person trying the portal finds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from billing.models import BillingAccount, Invoice, Product
from core.models import Notification
from offers.matching import requests_for
from offers.models import OfferRequest
from organizations.models import PartnerProfile
from portal import demo
from tags.models import Tag
from tokens.models import ApiToken


def test_seed_creates_the_cast_once(db: Any, settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    assert demo.seed() is True
    assert demo.seed() is False
    assert ApiToken.objects.filter(user__email="alice@example.com").count() == 2


def test_acme_products_show_who_owns_and_who_pays(db: Any, settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    demo.seed()
    today = timezone.localdate()
    products = {p.name: p for p in Product.objects.select_related("owner", "organization")}

    own = products["acme.ch"]
    assert not own.is_owned_outside
    assert not own.is_paid_by_another_organization
    theirs = products["bianchi-photo.ch"]
    assert theirs.is_owned_outside
    assert theirs.payer.slug == "studio-carol"
    assert products["Web hosting acme.ch"].auto_renew
    assert {p.expires_on - today for p in products.values()} >= {
        timedelta(days=10),
        timedelta(days=40),
        timedelta(days=70),
    }
    assert Invoice.objects.filter(organization__slug="acme").count() == 2
    assert BillingAccount.objects.get(organization__slug="acme").balance > 0


def test_acme_has_a_few_tags_on_its_products(db: Any, settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path
    demo.seed()

    tags = {t.name: t for t in Tag.objects.filter(organization__slug="acme")}
    assert set(tags["Website"].products.values_list("name", flat=True)) == {
        "acme.ch",
        "Web hosting acme.ch",
    }
    assert not tags["Archive"].products.exists()


def test_studio_carol_is_a_partner_that_sees_acmes_open_requests(
    db: Any, settings: Any, tmp_path: Any
) -> None:
    settings.DATA_DIR = tmp_path
    demo.seed()

    carol = PartnerProfile.objects.get(organization__slug="studio-carol")
    seen = set(requests_for(carol).values_list("title", flat=True))
    assert seen == {"New website for Acme", "Move our mail and sites to the portal"}
    assert OfferRequest.objects.filter(status=OfferRequest.Status.EXPIRED).count() == 1
    assert (
        Notification.objects.filter(kind="offer_request_excerpt", to="carol@example.com").count()
        == 2
    )
