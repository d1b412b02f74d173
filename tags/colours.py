"""Tag colours: a palette, and the contrast check every colour passes.

A tag chip shows its name on its colour, in white or in near-black, whichever reads better; a
colour is allowed only when that text reaches the WCAG AA contrast for normal text (4.5:1). Every
palette colour passes (a test checks it); a custom colour goes through the same check, so a
mid-grey on which neither text colour is readable is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

MIN_CONTRAST = 4.5
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#1b1b1b"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class PaletteColour:
    value: str
    label: Promise


PALETTE = [
    PaletteColour("#0b5cad", _("Blue")),
    PaletteColour("#0e7a5f", _("Green")),
    PaletteColour("#b3261e", _("Red")),
    PaletteColour("#8a4b00", _("Brown")),
    PaletteColour("#6b3fa0", _("Purple")),
    PaletteColour("#a2185b", _("Pink")),
    PaletteColour("#3d4f5c", _("Slate")),
    PaletteColour("#f2c12e", _("Yellow")),
    PaletteColour("#8fd3f4", _("Sky")),
    PaletteColour("#a7e3a1", _("Mint")),
]
DEFAULT_COLOUR = PALETTE[0].value


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance of `#rrggbb` (WCAG 2)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(background: str) -> str:
    """White or near-black, whichever contrasts more with the tag's colour."""
    if contrast(background, LIGHT_TEXT) >= contrast(background, DARK_TEXT):
        return LIGHT_TEXT
    return DARK_TEXT


def is_readable(colour: str) -> bool:
    return bool(HEX.match(colour)) and contrast(colour, text_colour(colour)) >= MIN_CONTRAST


def normalise(colour: str) -> str:
    return colour.strip().lower()
