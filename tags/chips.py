"""`{{ tag_chip(tag) }}` in a page template: a tag's chip, its name on its colour.

The text is white or near-black, whichever reads better on the colour. The colour is an SVG fill,
not an inline style, so the page's Content-Security-Policy stays strict.

The chip is made in Python and kept per name and colour: a products list shows the same few
chips on every row, and a template include per chip was a sizeable part of its rendering time.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.html import format_html
from django.utils.safestring import SafeString

from tags import colours
from tags.models import Tag


def tag_chip(tag: Tag) -> SafeString:
    return _chip(tag.name, tag.colour)


@lru_cache(maxsize=4096)
def _chip(name: str, colour: str) -> SafeString:
    light = colours.text_colour(colour) == colours.LIGHT_TEXT
    return format_html(
        '<span class="tag-chip {}"><svg class="tag-chip__bg" aria-hidden="true" focusable="false">'
        '<rect width="100%" height="100%" fill="{}"/></svg>{}</span>',
        "tag-chip--light" if light else "tag-chip--dark",
        colour,
        name,
    )
