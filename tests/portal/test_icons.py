"""The pages' icon: inline SVG, hidden from screen readers, no style (the CSP refuses it)."""

from __future__ import annotations

import pytest
from django.template import engines
from heroicons import IconDoesNotExist


def render(source: str) -> str:
    return str(engines["jinja2"].from_string(source).render({}))


def test_an_icon_is_inline_svg_hidden_from_screen_readers() -> None:
    html = render('{{ icon("trash") }}')
    assert html.startswith("<svg ")
    assert 'class="icon"' in html
    assert 'aria-hidden="true"' in html
    assert "style=" not in html
    assert "<path" in html


def test_an_unknown_icon_fails_loudly() -> None:
    with pytest.raises(IconDoesNotExist):
        render('{{ icon("no-such-icon") }}')
