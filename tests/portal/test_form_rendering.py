"""The shared form templates: an error shows next to its field (and in the summary), and
pagination links keep the page's other query parameters."""

from __future__ import annotations

from django.template import RequestContext, Template
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
            "has_other_pages": True,
            "has_previous": True,
            "has_next": True,
            "previous_page_number": 1,
            "next_page_number": 3,
            "number": 2,
            "paginator": type("P", (), {"num_pages": 3}),
        },
    )
    html = Template('{% include "portal/_pagination.html" %}').render(
        RequestContext(request, {"page": page})
    )

    assert "?kind=domain&amp;page=1" in html
    assert "?kind=domain&amp;page=3" in html
