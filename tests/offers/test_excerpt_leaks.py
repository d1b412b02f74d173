"""The partner excerpt must not carry the customer's contacts (issue 12, finding 14): masking
them in free text was bypassed ("mario at rossi dot ch", a full-width at sign, zero-width
characters, underscores between digits, links). So nothing the customer wrote reaches a partner
who is not allowed to see the contacts: the excerpt email says only what the request's fixed
fields hold (category, region, language, budget, dates), and the page of a request that is no
longer valid names none of its text. While the request is valid, the partner reads it whole,
IBANs included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from core.models import Notification
from offers.models import OfferRequest
from organizations.models import Organization, PartnerProfile
from tests.conftest import membership, signed_in
from tests.offers.conftest import end
from tests.offers.test_services import request_data

pytestmark = pytest.mark.django_db

EVASIONS = [
    "mario at rossi dot ch",
    "mario\uff20rossi.ch",  # a full-width at sign
    "mario(at)rossi.ch",
    "079_123_45_67",
    "m\u200bario@ro\u200bssi.ch",
    "https://rossi.example/contact",
    "rossi.ch",
]
IBAN = "CH93 0076 2011 6238 5295 7"


def post_with(alice: User, acme: Organization, text: str) -> OfferRequest:
    from offers import services

    data = request_data(title=f"Shop, ask {text}"[:80], description=f"Write to {text}. {IBAN}")
    return services.do_post_request(membership(alice, acme), data, actor=alice)


@pytest.mark.parametrize("evasion", EVASIONS)
def test_excerpt_email_carries_nothing_the_customer_wrote(
    alice: User, acme: Organization, carol: User, partner: PartnerProfile, evasion: str
) -> None:
    offer = post_with(alice, acme, evasion)

    [mail] = Notification.objects.filter(kind="offer_request_excerpt", recipient=carol)
    for part in (mail.subject, mail.body_text, mail.body_html):
        assert evasion not in part
        assert "rossi" not in part.lower()
        assert "079" not in part
        assert "Shop, ask" not in part  # the title is the customer's text too
    assert "Website creation" in mail.body_text  # what the fixed fields say
    assert reverse("partners:offer-detail", args=[offer.pk]) in mail.body_text


@pytest.mark.parametrize("how", ["cancelled", "expired", "hidden"])
def test_a_request_no_longer_valid_names_none_of_its_text(
    alice: User, acme: Organization, carol: User, partner: PartnerProfile, how: str
) -> None:
    offer = post_with(alice, acme, "mario at rossi dot ch")
    end(offer, how)

    page = signed_in(carol).get(reverse("partners:offer-detail", args=[offer.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "rossi" not in html.lower()
    assert "Shop, ask" not in html


def test_a_valid_request_is_shown_whole_with_its_iban(
    alice: User, acme: Organization, carol: User, partner: PartnerProfile
) -> None:
    offer = post_with(alice, acme, "mario at rossi dot ch")
    client: Client = signed_in(carol)

    html = client.get(reverse("partners:offer-detail", args=[offer.pk])).content.decode()

    assert IBAN in html
    assert "mario at rossi dot ch" in html
