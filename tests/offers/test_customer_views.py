"""The organization's offer-request pages: list, post, request page with its proposals, close,
delete, choose. Any member reads and posts; the one who posted, legal representatives and
administrators close, delete and choose (erin, a collaborator who did not post: 403); another
organization's person (dave) or request: 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from offers import services
from offers.models import OfferRequest, Proposal
from organizations.models import Organization, PartnerProfile
from tests.conftest import ClientResponse, signed_in
from tests.offers.test_services import make_partner, make_request, propose, request_data


@pytest.fixture
def mailboxes_request(alice: User, acme: Organization) -> OfferRequest:
    """Acme's open request "Move our mailboxes", stored directly (no emails)."""
    return make_request(acme, alice, title="Move our mailboxes")


@pytest.fixture
def studio_partner(carol: User, studio_carol: Organization) -> PartnerProfile:
    """Studio Carol as a partner under its organization's name, as the customer pages show it
    (the partner side's `partner` has a public name of its own)."""
    return make_partner(studio_carol, name="Studio Carol")


@pytest.fixture
def proposal(
    mailboxes_request: OfferRequest, studio_partner: PartnerProfile, carol: User
) -> Proposal:
    return propose(mailboxes_request, studio_partner, author=carol)


def url(name: str, *args: Any) -> str:
    return reverse(f"offers:{name}", args=["acme", *args])


def form_data(**overrides: Any) -> dict[str, Any]:
    data = request_data(**overrides)
    return {k: "" if v is None else v for k, v in data.items()}


def main_of(response: ClientResponse) -> str:
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


# --- Who may see what ---------------------------------------------------------------------------


def pages(mailboxes_request: OfferRequest, proposal: Proposal) -> list[str]:
    return [
        url("request-list"),
        url("request-create"),
        url("request-detail", mailboxes_request.pk),
        url("request-close", mailboxes_request.pk),
        url("request-delete", mailboxes_request.pk),
        url("proposal-choose", mailboxes_request.pk, proposal.pk),
    ]


def test_offer_pages_are_404_for_an_outsider(
    as_dave: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    for page in pages(mailboxes_request, proposal):
        assert as_dave.get(page).status_code == 404, page
        assert as_dave.post(page, form_data()).status_code == 404, page
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN
    assert OfferRequest.objects.count() == 1


def test_offer_pages_ask_an_anonymous_visitor_to_sign_in(
    mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    for page in pages(mailboxes_request, proposal):
        response = Client().get(page)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_another_organizations_request_is_404_under_its_own_slug(
    as_dave: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    """dave is legal representative of Keller: Acme's request is not found under /orgs/keller/."""
    for name, args in [
        ("request-detail", [mailboxes_request.pk]),
        ("request-close", [mailboxes_request.pk]),
        ("request-delete", [mailboxes_request.pk]),
        ("proposal-choose", [mailboxes_request.pk, proposal.pk]),
    ]:
        page = reverse(f"offers:{name}", args=["keller", *args])
        assert as_dave.get(page).status_code == 404
        assert as_dave.post(page).status_code == 404
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN


@pytest.mark.parametrize("name", ["request-close", "request-delete", "proposal-choose"])
def test_actions_are_403_for_a_collaborator_who_did_not_post(
    as_erin: Client, mailboxes_request: OfferRequest, proposal: Proposal, name: str
) -> None:
    args = (
        [mailboxes_request.pk, proposal.pk] if name == "proposal-choose" else [mailboxes_request.pk]
    )
    for method in (as_erin.get, as_erin.post):
        response = method(url(name, *args))
        assert response.status_code == 403
        assert "Only the person who posted the request" in response.content.decode()
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN
    assert mailboxes_request.chosen_proposal is None
    assert not Notification.objects.filter(kind="offer_proposal_outcome").exists()


def test_a_collaborator_reads_the_request_without_actions(
    as_erin: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    response = as_erin.get(url("request-detail", mailboxes_request.pk))
    assert response.status_code == 200
    main = main_of(response)
    assert "Studio Carol" in main
    assert "Close the request" not in main
    assert "Choose this proposal" not in main
    assert "legal representatives and administrators can close it" in main


def test_a_collaborator_manages_the_request_they_posted(
    as_erin: Client, erin: User, acme: Organization
) -> None:
    own = make_request(acme, erin)
    assert as_erin.get(url("request-close", own.pk)).status_code == 200
    assert as_erin.post(url("request-close", own.pk)).status_code == 302
    own.refresh_from_db()
    assert own.status == OfferRequest.Status.CLOSED


# --- The list -----------------------------------------------------------------------------------


def test_request_list_empty_says_what_to_do(as_alice: Client) -> None:
    response = as_alice.get(url("request-list"))
    assert response.status_code == 200
    main = main_of(response)
    assert "No offer request yet" in main
    assert "Post a request" in main
    assert url("request-create") in main
    assert main.count("<h1") == 1


def test_request_list_shows_each_request_with_its_status(
    as_erin: Client, alice: User, acme: Organization, dave: User
) -> None:
    make_request(acme, alice, title="Running one")
    make_request(acme, alice, title="Closed one", status=OfferRequest.Status.CLOSED)
    make_request(acme, alice, title="Closed by the link", status=OfferRequest.Status.CANCELLED)
    make_request(acme, alice, title="Overdue one", valid_until=timezone.localdate() - timedelta(1))
    make_request(Organization.objects.get(slug="keller"), dave, title="Keller's own")
    main = main_of(as_erin.get(url("request-list")))
    assert "Running one" in main
    assert "Keller" not in main
    assert '<span class="badge badge--ok">Open</span>' in main
    # Closed from the portal or by the email link: one verb for ending a request (issue 13).
    assert main.count('<span class="badge">Closed</span>') == 2
    assert "Cancel" not in main
    assert '<span class="badge badge--danger">Expired</span>' in main
    assert "1 of 3 open requests" in main


def test_request_list_is_paginated(as_alice: Client, alice: User, acme: Organization) -> None:
    for n in range(25):
        make_request(acme, alice, title=f"Request number {n:02d}", status="closed")
    first = main_of(as_alice.get(url("request-list")))
    second = main_of(as_alice.get(url("request-list") + "?page=2"))
    assert "Request number 24" in first
    assert "Request number 04" not in first
    assert "Request number 04" in second
    assert "Request number 24" not in second
    assert "Page 2 of 2" in second


def test_request_list_at_the_limit_explains_it(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    for _ in range(services.MAX_OPEN_REQUESTS):
        make_request(acme, alice)
    main = main_of(as_alice.get(url("request-list")))
    assert "3 open requests, the most it can have" in main
    assert url("request-create") not in main


# --- Posting ------------------------------------------------------------------------------------


def test_request_create_is_prefilled_from_the_profile(as_alice: Client, alice: User) -> None:
    alice.phone = "+41215550101"
    alice.language = "it"
    alice.save(update_fields=["phone", "language"])
    response = as_alice.get(url("request-create"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["contact_name"].value() == "Alice Rossi"
    assert form["contact_email"].value() == "alice@example.com"
    assert form["contact_phone"].value() == "+41215550101"
    assert form["validity_days"].value() == 30
    assert form["language"].value() == "it"
    main = main_of(response)
    assert 'value="alice@example.com"' in main
    # alice reads Italian: the page, its labels and the registries' choices are in Italian.
    for label in ("Titolo", "Descrizione", "Categoria", "Budget", "Regione"):
        assert label in main
    assert "Creazione di siti web" in main


def test_request_create_posts_with_edited_contacts(
    as_bob: Client, bob: User, acme: Organization, studio_partner: PartnerProfile
) -> None:
    response = as_bob.post(
        url("request-create"),
        form_data(contact_name="Projects desk", contact_email="projects@acme.example"),
    )
    offer = OfferRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("request-detail", offer.pk)
    assert offer.created_by == bob
    assert offer.contact_email == "projects@acme.example"
    assert offer.valid_until == timezone.localdate() + timedelta(days=30)
    page = main_of(as_bob.get(response["Location"]))
    assert "Your request is posted" in page
    assert "projects@acme.example" in page
    assert Notification.objects.filter(kind="offer_request_posted").count() == 1
    assert Notification.objects.filter(kind="offer_request_excerpt").count() == 1


def test_request_create_by_a_collaborator(as_erin: Client, erin: User) -> None:
    response = as_erin.post(url("request-create"), form_data(contact_email="erin@example.com"))
    assert response.status_code == 302
    assert OfferRequest.objects.get().created_by == erin


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("validity_days", "91", "Choose a validity from 1 to 90 days."),
        ("validity_days", "0", "Choose a validity from 1 to 90 days."),
        ("validity_days", "many", "Choose a validity from 1 to 90 days."),
        ("title", "", "Enter a title."),
        ("category", "plumbing", "Select a valid choice."),
        ("contact_email", "not an address", "Enter a valid email address."),
        ("contact_phone", "call me", "Enter a phone number with digits only"),
        ("deadline", "2001-01-01", "Choose today or a later day"),
    ],
)
def test_request_create_bad_input_keeps_what_was_typed(
    as_alice: Client, field: str, value: str, message: str
) -> None:
    data = form_data(**{"title": "Our new shop", "description": "Typed with care.", field: value})
    response = as_alice.post(url("request-create"), data)
    assert response.status_code == 400
    assert not OfferRequest.objects.exists()
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    main = main_of(response)
    assert 'class="error-summary"' in main
    assert f'id="id_{field}_error"' in main  # next to the field
    assert "Typed with care." in main
    if field != "title":
        assert 'value="Our new shop"' in main


def test_request_create_at_the_limit_keeps_what_was_typed(
    as_alice: Client, alice: User, acme: Organization
) -> None:
    for _ in range(services.MAX_OPEN_REQUESTS):
        make_request(acme, alice)
    page = main_of(as_alice.get(url("request-create")))
    assert "the most it can have" in page
    # Issue 13, defect 1: no form to fill in for nothing, the way to the list instead.
    assert "Post the request" not in page
    assert "See your open requests" in page
    response = as_alice.post(url("request-create"), form_data(title="Our new shop"))
    assert response.status_code == 400
    main = main_of(response)
    assert "Your organization already has 3 open requests" in main
    assert 'value="Our new shop"' in main
    assert OfferRequest.objects.count() == services.MAX_OPEN_REQUESTS


def test_request_create_rate_limited_says_when_to_try_again(
    as_alice: Client, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "offer-post": (1, 3600)}
    assert as_alice.post(url("request-create"), form_data()).status_code == 302
    response = as_alice.post(url("request-create"), form_data(title="Second one"))
    assert response.status_code == 400
    assert "You can post again in 1 hour" in main_of(response)
    assert OfferRequest.objects.count() == 1


# --- The request page ---------------------------------------------------------------------------


def test_request_detail_shows_the_request_and_its_proposals(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    response = as_alice.get(url("request-detail", mailboxes_request.pk))
    assert response.status_code == 200
    main = main_of(response)
    assert main.count("<h1") == 1
    assert "Move our mailboxes" in main
    assert "Migration to our services" in main
    assert "1 proposal" in main
    assert "Studio Carol" in main
    assert "Studio Carol can do it." in main
    assert "CHF 2,400.00" in main
    assert "Three weeks" in main
    assert proposal.created_at.strftime("%Y") in main
    assert "Choose this proposal" in main
    assert "Close the request" in main
    assert "Once you have found a solution" in main


def test_request_detail_without_proposals_says_what_happens(
    as_alice: Client, mailboxes_request: OfferRequest
) -> None:
    main = main_of(as_alice.get(url("request-detail", mailboxes_request.pk)))
    assert "No proposal yet" in main
    assert "we email you for each one" in main


def test_an_open_request_is_ended_with_one_verb(
    as_alice: Client, mailboxes_request: OfferRequest
) -> None:
    """Issue 13: "close / delete / cancel" for the same thing. An open request offers Close only;
    deleting for good comes once it is no longer open."""
    main = main_of(as_alice.get(url("request-detail", mailboxes_request.pk)))
    assert "Close the request" in main
    assert "Delete" not in main
    assert "cancel" not in main.lower()

    assert mailboxes_request.created_by is not None
    services.do_close_request(mailboxes_request, actor=mailboxes_request.created_by)
    main = main_of(as_alice.get(url("request-detail", mailboxes_request.pk)))
    assert "Delete the request" in main
    assert "Close the request" not in main


# --- Close, delete, choose ----------------------------------------------------------------------


def test_request_close_get_asks_and_changes_nothing(
    as_alice: Client, mailboxes_request: OfferRequest
) -> None:
    response = as_alice.get(url("request-close", mailboxes_request.pk))
    assert response.status_code == 200
    assert "once you have found a solution" in main_of(response)
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN


def test_request_close_post_closes_it(as_bob: Client, mailboxes_request: OfferRequest) -> None:
    response = as_bob.post(url("request-close", mailboxes_request.pk), follow=True)
    assert "is closed. Partners no longer see it." in main_of(response)
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.CLOSED
    assert AuditEvent.objects.filter(action="offer_request.closed").count() == 1


def test_request_close_of_an_ended_request_says_so(
    as_alice: Client, mailboxes_request: OfferRequest
) -> None:
    as_alice.post(url("request-close", mailboxes_request.pk))
    response = as_alice.post(url("request-close", mailboxes_request.pk), follow=True)
    assert "This request is closed already." in main_of(response)
    response = as_alice.get(url("request-close", mailboxes_request.pk), follow=True)
    assert "This request is closed already." in main_of(response)
    assert AuditEvent.objects.filter(action="offer_request.closed").count() == 1


def test_request_delete_get_names_what_happens_and_changes_nothing(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    response = as_alice.get(url("request-delete", mailboxes_request.pk))
    main = main_of(response)
    assert "The request and its 1 proposal will be deleted for good" in main
    assert "Delete this request" in main
    assert OfferRequest.objects.filter(pk=mailboxes_request.pk).exists()


def test_request_delete_post_deletes_it(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    response = as_alice.post(url("request-delete", mailboxes_request.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("request-list")
    assert "is deleted" in main_of(response)
    assert not OfferRequest.objects.exists()
    assert not Proposal.objects.exists()
    assert as_alice.get(url("request-detail", mailboxes_request.pk)).status_code == 404


def test_proposal_choose_get_names_what_happens_and_changes_nothing(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    response = as_alice.get(url("proposal-choose", mailboxes_request.pk, proposal.pk))
    main = main_of(response)
    assert "Choose the proposal of Studio Carol" in main
    assert "will be closed" in main
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN
    assert not Notification.objects.filter(kind="offer_proposal_outcome").exists()


def test_proposal_choose_post_closes_and_tells_the_partners(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    response = as_alice.post(url("proposal-choose", mailboxes_request.pk, proposal.pk), follow=True)
    main = main_of(response)
    assert "You chose the proposal of Studio Carol" in main
    assert '<span class="badge badge--ok">Chosen</span>' in main
    assert "Choose this proposal" not in main
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.CLOSED
    assert mailboxes_request.chosen_proposal == proposal
    [mail] = Notification.objects.filter(kind="offer_proposal_outcome")
    assert mail.to == "carol@example.com"


def test_proposal_choose_twice_says_it_is_closed(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    as_alice.post(url("proposal-choose", mailboxes_request.pk, proposal.pk))
    response = as_alice.post(url("proposal-choose", mailboxes_request.pk, proposal.pk), follow=True)
    assert "This request is closed already." in main_of(response)
    assert Notification.objects.filter(kind="offer_proposal_outcome").count() == 1


def test_proposal_choose_of_another_request_is_404(
    as_alice: Client,
    alice: User,
    acme: Organization,
    mailboxes_request: OfferRequest,
    studio_partner: PartnerProfile,
) -> None:
    elsewhere = propose(make_request(acme, alice, title="Other"), studio_partner)
    response = as_alice.post(url("proposal-choose", mailboxes_request.pk, elsewhere.pk))
    assert response.status_code == 404
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN


def test_action_pages_change_nothing_on_get(
    as_alice: Client, mailboxes_request: OfferRequest, proposal: Proposal
) -> None:
    for page in pages(mailboxes_request, proposal):
        as_alice.get(page)
    mailboxes_request.refresh_from_db()
    assert mailboxes_request.status == OfferRequest.Status.OPEN
    assert Proposal.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="offer_request.").exists()


def test_request_pages_in_italian_use_the_italian_language(
    alice: User, mailboxes_request: OfferRequest
) -> None:
    """Pages follow the user's language (the Italian text comes with the translation pass)."""
    alice.language = "it"
    alice.save(update_fields=["language"])
    response = signed_in(alice).get(
        url("request-detail", mailboxes_request.pk), HTTP_ACCEPT_LANGUAGE="it"
    )
    assert response.status_code == 200
    assert '<html lang="it">' in response.content.decode()
