"""The pages' Jinja2 environment (portal/jinja2.py) behaves as Django's templates did."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.http import HttpRequest
from django.template import engines
from django.test import RequestFactory
from django.urls import resolve
from django.utils import translation

from accounts.models import User


def render(
    source: str, context: dict[str, object] | None = None, request: HttpRequest | None = None
) -> str:
    return str(engines["jinja2"].from_string(source).render(context or {}, request))


def test_dates_print_in_the_readers_time_zone() -> None:
    """Jinja2 hands Django's `date` filter the value as it is; Django converted it first."""
    winter_noon_utc = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)

    assert render('{{ d|date("Y-m-d H:i") }}', {"d": winter_noon_utc}) == "2026-12-06 00:30"
    assert render('{{ d|time("H:i") }}', {"d": winter_noon_utc}) == "00:30"


def test_what_a_view_passes_wins_over_the_context_processors(alice: User) -> None:
    """The password wizard passes account_nav=False; the processor says True on /security/."""
    request = RequestFactory().get("/security/")
    request.user = alice
    request.session = {}  # type: ignore[assignment]
    request.resolver_match = resolve("/security/")

    assert render("{{ account_nav }}", {}, request) == "True"
    assert render("{{ account_nav }}", {"account_nav": False}, request) == "False"


def test_a_missing_variable_and_its_attributes_print_nothing() -> None:
    assert render("[{{ missing }}{{ missing.name.first }}]") == "[]"
    assert render("{% if missing is defined and missing is not none %}x{% endif %}") == ""


def test_a_method_used_without_parentheses_stops_the_page_in_tests() -> None:
    class Product:
        def label(self) -> str:
            return "acme.ch"

    assert render("{{ p.label() }}", {"p": Product()}) == "acme.ch"
    with pytest.raises(TypeError, match="write `label\\(\\)`"):
        render("{{ p.label }}", {"p": Product()})
    with pytest.raises(TypeError, match="write `label\\(\\)`"):
        render("{% if p.label %}yes{% endif %}", {"p": Product()})


def test_numbers_and_dates_print_as_django_prints_them() -> None:
    with translation.override("de"):
        assert render("{{ n }} {{ d }}", {"n": 1234, "d": datetime(2026, 12, 5).date()}) == (
            "1234 5. Dezember 2026"
        )


ROOT = Path(__file__).resolve().parents[2]


def test_every_page_template_is_jinja2_and_compiles() -> None:
    """templates/ keeps only what Django's engine must render (the admin's and the emails');
    a page put there would silently go back to the slow engine."""
    django_templates = {
        path.relative_to(ROOT / "templates").parts[0]
        for path in (ROOT / "templates").rglob("*.html")
    }
    assert django_templates <= {"admin", "emails"}

    env = engines["jinja2"].env  # type: ignore[attr-defined]
    pages = sorted((ROOT / "jinja2").rglob("*.html"))
    assert len(pages) > 100
    for path in pages:
        env.get_template(str(path.relative_to(ROOT / "jinja2")))
