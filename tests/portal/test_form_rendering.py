"""The shared form templates: an error shows next to its field (and in the summary), and
pagination links keep the page's other query parameters."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse


def test_an_error_shows_next_to_its_field_and_in_the_summary(as_alice: Client) -> None:
    response = as_alice.post(
        reverse("organizations:settings", args=["acme"]), {"name": "Acme SA", "country": "XYZ"}
    )
    html = response.content.decode()

    assert 'class="error-summary"' in html
    assert 'id="id_country_error"' in html
    assert 'class="field field--error"' in html


def test_pagination_keeps_the_filters() -> None:
    request = RequestFactory().get("/orgs/acme/products/", {"kind": "domain", "page": "2"})
    page = type(
        "Page",
        (),
        {
            "has_other_pages": lambda self: True,
            "has_previous": lambda self: True,
            "has_next": lambda self: True,
            "previous_page_number": lambda self: 1,
            "next_page_number": lambda self: 3,
            "number": 2,
            "paginator": type("P", (), {"num_pages": 3}),
        },
    )
    html = render_to_string("portal/_pagination.html", {"page": page()}, request)

    assert "?kind=domain&amp;page=1" in html
    assert "?kind=domain&amp;page=3" in html
