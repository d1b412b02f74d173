"""`{{ icon("trash") }}` in a page template: an icon of the heroicons package (its 20 px "mini"
set), written into the page as inline SVG, so the Content-Security-Policy stays 'self' with no
icon font or file.

Icons are decoration: hidden from screen readers, never the only label of a control. The words
beside an icon (or a visually hidden text) say what the control does.
"""

from __future__ import annotations

from functools import cache

from heroicons.templatetags.heroicons import heroicon_mini


@cache
def icon(name: str) -> str:
    """The same name always gives the same SVG: made once per process (the package parses and
    copies its SVG on every call, a sizeable part of a page's rendering time). It is safe HTML."""
    attrs = {"class": "icon", "aria-hidden": "true", "focusable": "false"}
    return heroicon_mini(name, size=None, **attrs)
