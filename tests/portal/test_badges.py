"""Status badges: each status says its tone once, in Python, and one macro draws every badge."""

from __future__ import annotations

from django.template import engines
from django.utils import translation

from billing.models import Invoice
from core.badges import Badge
from offers import services as offer_services


def _draw(badge: Badge) -> str:
    template = engines["jinja2"].from_string(
        '{% from "portal/_badge.html" import badge %}{{ badge(b) }}'
    )
    return template.render({"b": badge})


def test_an_invoice_badge_says_its_status_in_its_tone() -> None:
    tones = {status: Invoice(status=status).badge.tone for status, _label in Invoice.Status.choices}

    assert tones == {"open": "warn", "paid": "ok", "cancelled": ""}


def test_every_ended_offer_request_reads_closed() -> None:
    with translation.override("it"):
        labels = {
            status: str(offer_services.status_badge(status).label)
            for status in ("open", "expired", "closed", "cancelled", "deleted")
        }

    assert labels["open"] == "Aperta"
    assert labels["expired"] != labels["open"]
    assert labels["closed"] == labels["cancelled"] == labels["deleted"]


def test_the_macro_draws_the_tone_and_escapes_the_label() -> None:
    assert _draw(Badge("Paid", "ok")) == '<span class="badge badge--ok">Paid</span>'
    assert _draw(Badge("<b>x</b>")) == '<span class="badge">&lt;b&gt;x&lt;/b&gt;</span>'
