"""The cancellation link of the confirmation email: it works without signing in, its GET shows
one button and changes nothing (mail scanners open links), its POST cancels at once; a tampered,
reused or foreign link changes nothing and says so plainly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from offers import services
from offers.links import cancellation_token, cancellation_url, offer_from_cancellation_token
from offers.matching import requests_for
from offers.models import OfferRequest
from organizations.models import Organization, PartnerProfile
from organizations.services import invitation_token
from tests.offers.test_services import make_partner, make_request, post


@pytest.fixture
def posted_request(alice: User, acme: Organization) -> OfferRequest:
    """A request alice posted for Acme through the service (with its emails)."""
    return post(alice, acme)


def link_path(offer: OfferRequest) -> str:
    return cancellation_url(offer).removeprefix("http://localhost:8000")


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return match.group(1)


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def cancelled_events() -> int:
    return AuditEvent.objects.filter(action="offer_request.cancelled").count()


def test_cancel_link_in_the_email_is_absolute_and_names_the_request(
    posted_request: OfferRequest,
) -> None:
    [mail] = Notification.objects.filter(kind="offer_request_posted")
    [url] = re.findall(r"https?://\S+/offers/cancel/\S+/", mail.body_text)
    assert url.startswith("http://localhost:8000/offers/cancel/")
    assert offer_from_cancellation_token(url.rstrip("/").rsplit("/", 1)[1]) == posted_request


def test_cancel_link_get_shows_one_button_and_changes_nothing(posted_request: OfferRequest) -> None:
    client = Client()
    for _ in range(3):  # a mail scanner, a preview, the person
        response = client.get(link_path(posted_request))
        assert response.status_code == 200
    main = main_of(response.content.decode())
    assert main.count("<button") == 1
    assert "Close this request" in main
    assert "A website for our restaurant" in main
    assert "alice@example.com" not in main
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.OPEN
    assert cancelled_events() == 0
    assert response["Referrer-Policy"] == "same-origin"


def test_cancel_link_post_cancels_at_once_without_signing_in(
    posted_request: OfferRequest, carol: User, studio_carol: Organization
) -> None:
    partner: PartnerProfile = make_partner(studio_carol)
    assert posted_request in requests_for(partner)
    client = csrf_client()
    page = client.get(link_path(posted_request))
    response = client.post(
        link_path(posted_request),
        {"csrfmiddlewaretoken": csrf_of(page.content.decode())},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your request is closed" in html
    assert "This request is closed" in html
    assert "Close this request" not in html
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.CANCELLED
    assert not posted_request.is_valid()
    assert posted_request not in requests_for(partner)
    [event] = AuditEvent.objects.filter(action="offer_request.cancelled")
    assert event.organization_id == posted_request.organization_id
    assert event.data == {"via": "email link"}


def test_cancel_link_post_without_csrf_token_changes_nothing(posted_request: OfferRequest) -> None:
    response = csrf_client().post(link_path(posted_request))
    assert response.status_code == 403
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.OPEN


def test_cancel_link_reused_changes_nothing_and_says_so(posted_request: OfferRequest) -> None:
    client = Client()
    client.post(link_path(posted_request))
    posted_request.refresh_from_db()
    ended_at = posted_request.ended_at
    response = client.post(link_path(posted_request), follow=True)
    html = response.content.decode()
    assert "Nothing changed: This request is closed already." in html
    assert "This request is closed" in html
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.CANCELLED
    assert posted_request.ended_at == ended_at
    assert cancelled_events() == 1


@pytest.mark.parametrize("position", [0, 10, -3])
def test_cancel_link_tampered_changes_nothing(posted_request: OfferRequest, position: int) -> None:
    token = cancellation_token(posted_request)
    flipped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + flipped + token[position + 1 :]
    assert tampered != token
    client = Client()
    for method in (client.get, client.post):
        response = method(f"/offers/cancel/{tampered}/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "This link is not valid" in html
        assert "Nothing was closed" in html
        assert "Close this request" not in html
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.OPEN
    assert cancelled_events() == 0


def test_cancel_link_truncated_changes_nothing(posted_request: OfferRequest) -> None:
    token = cancellation_token(posted_request)
    response = Client().post(f"/offers/cancel/{token[:-5]}/")
    assert response.status_code == 404
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.OPEN


def test_cancel_link_of_another_request_cancels_only_that_one(
    alice: User, acme: Organization, posted_request: OfferRequest
) -> None:
    other = post(alice, acme, title="Another request")
    Client().post(link_path(other))
    posted_request.refresh_from_db()
    other.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.OPEN
    assert other.status == OfferRequest.Status.CANCELLED


def test_cancel_link_foreign_token_changes_nothing(
    alice: User, acme: Organization, posted_request: OfferRequest
) -> None:
    """Tokens the server signed for something else, or naming this request without its nonce."""
    from organizations.models import Invitation

    invitation = Invitation.objects.create(
        organization=acme,
        email="new@example.com",
        role="collaborator",
        expires_at=timezone.now() + timedelta(days=7),
    )
    other = make_request(acme, alice)
    foreign = [
        invitation_token(invitation),
        signing.dumps(
            {"id": posted_request.pk, "n": posted_request.cancel_nonce}, salt="other.salt"
        ),
        signing.dumps({"id": posted_request.pk, "n": other.cancel_nonce}, salt="offers.cancel"),
        signing.dumps({"id": posted_request.pk}, salt="offers.cancel"),
        signing.dumps([posted_request.pk, posted_request.cancel_nonce], salt="offers.cancel"),
        signing.dumps(
            {"id": str(posted_request.pk), "n": posted_request.cancel_nonce}, salt="offers.cancel"
        ),
    ]
    client = Client()
    for token in foreign:
        assert offer_from_cancellation_token(token) is None
        response = client.post(f"/offers/cancel/{token}/")
        assert response.status_code == 404
    posted_request.refresh_from_db()
    assert posted_request.status == OfferRequest.Status.OPEN
    assert cancelled_events() == 0


def test_cancel_link_of_a_deleted_request_does_not_cancel_a_new_one_with_its_number(
    alice: User, acme: Organization, posted_request: OfferRequest
) -> None:
    token = cancellation_token(posted_request)
    number = posted_request.pk
    services.do_delete_request(posted_request, actor=alice)
    assert Client().post(f"/offers/cancel/{token}/").status_code == 404
    newcomer = make_request(acme, alice, pk=number)  # SQLite may hand out the number again
    response = Client().post(f"/offers/cancel/{token}/")
    assert response.status_code == 404
    newcomer.refresh_from_db()
    assert newcomer.status == OfferRequest.Status.OPEN


@pytest.mark.parametrize(
    ("status", "heading"),
    [
        (OfferRequest.Status.CLOSED, "This request is closed"),
        (OfferRequest.Status.EXPIRED, "This request has expired"),
        (OfferRequest.Status.CANCELLED, "This request is closed"),
    ],
)
def test_cancel_link_of_an_ended_request_says_so(
    alice: User, acme: Organization, status: str, heading: str
) -> None:
    offer = make_request(acme, alice, status=status)
    client = Client()
    response = client.get(link_path(offer))
    html = response.content.decode()
    assert heading in html
    assert "Close this request" not in html
    client.post(link_path(offer))
    offer.refresh_from_db()
    assert offer.status == status
    assert cancelled_events() == 0


def test_cancel_link_of_an_overdue_request_says_it_expired(alice: User, acme: Organization) -> None:
    offer = make_request(acme, alice, valid_until=timezone.localdate() - timedelta(days=1))
    html = Client().get(link_path(offer)).content.decode()
    assert "This request has expired" in html
    Client().post(link_path(offer))
    offer.refresh_from_db()
    assert offer.status == OfferRequest.Status.OPEN  # left to the daily task, which emails once
